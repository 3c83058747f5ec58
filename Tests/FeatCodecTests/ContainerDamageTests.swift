@testable import FeatCodec
import FileCrafting
import Foundation
import Testing

/// Files whose CRCs are all valid but whose fields lie (the outside campaign's C1-C5): each is
/// taken apart with FileCrafting, one field changed, re-sealed, then read and decoded.
@Suite struct ContainerDamageTests {
    let base: [UInt8]
    let reconstructions: [Tensor]
    let types: [FrameType]

    init() throws { (base, reconstructions, types) = try makeStream(count: 12) }

    func decode(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) throws -> (frames: [Int], report: StreamDecoder.Report) {
        let reader = try ContainerReader(name: "t", bytes: bytes, limits: limits)
        var frames: [Int] = []
        let report = try StreamDecoder(reader, limits: limits).decode { header, tensor in
            if Int(header.sequence) < reconstructions.count { #expect(tensor == reconstructions[Int(header.sequence)]) }
            frames.append(Int(header.sequence))
        }
        return (frames, report)
    }

    /// C1: a trailer pointing into its own last 15 bytes is not an index; every frame decodes.
    @Test func indexOffsetInTheTrailer() throws {
        for back in 1...15 {
            var file = FstFile(base)
            file.trailerOffsetOverride = UInt64(file.bytes().count - back)
            let bytes = file.bytes()
            let reader = try ContainerReader(name: "t", bytes: bytes)
            #expect(reader.index == nil)
            let (frames, report) = try decode(bytes)
            #expect(frames == Array(0..<12), "offset \(back) bytes from the end")
            #expect(report.lost.isEmpty)
        }
    }

    /// C2: a packet claiming sequence 2^31 is damage (the index lists another number there,
    /// or, without an index, the bytes before it cannot hold that many packets); no lost list
    /// of two billion entries.
    @Test func absurdSequenceNumberIsDamage() throws {
        for withIndex in [true, false] {
            var file = FstFile(base)
            file.packets[5].sequence = 1 << 31
            if !withIndex { file.index = nil }
            let (frames, report) = try decode(file.bytes())
            let nextIntra = types[6...].firstIndex(of: .intra)!
            #expect(frames == [0, 1, 2, 3, 4] + Array(nextIntra..<12), "index \(withIndex)")
            #expect(report.lost == LostFrames([5...(nextIntra - 1)]), "index \(withIndex): \(report.lost)")
            #expect(report.problems.contains(.implausibleSequence(sequence: 1 << 31, offset: Int(FstFile(base).bytesIndexEntries()[5].offset))))
        }
    }

    /// A file cut anywhere in its index or trailer decodes every frame, with one note that it
    /// has no index: a cut inside the trailer reported the index as damaged bytes (found by
    /// outside testing).
    @Test func aFileCutInItsIndexOrTrailerLosesNothing() throws {
        let index = Int(try ContainerReader(name: "t", bytes: base).packetsEnd)
        for end in index..<base.count {
            let (frames, report) = try decode(Array(base[..<end]))
            #expect(frames == Array(0..<12) && report.problems == [.noIndex], "cut at \(end) of \(base.count): \(report.problems)")
        }
    }

    /// A packet claiming a layer the stream does not have says so, not that its frame number is
    /// wrong (found by outside testing), in a single-layer stream and a layered one.
    @Test func aBadLayerIsNamed() throws {
        var file = FstFile(base)
        file.packets[5].layer = 7
        let (frames, report) = try decode(file.bytes())
        let offset = Int(file.bytesIndexEntries()[5].offset)
        #expect(!frames.contains(5) && report.problems.first == .badLayer(layer: 7, sequence: 5, offset: offset, layers: 1), "\(report.problems)")
        #expect(report.problems.first?.description == "packet at byte \(offset) claims layer 7 of frame 5 in a stream of 1 layer; skipped as damage")
        var settings = CodingSettings()
        settings.precision = .layeredSteps(quality: 36, layers: 2)
        var layered = FstFile(try makeStream(count: 4, settings: settings).bytes)
        let refinement = try #require(layered.packets.firstIndex { $0.compact && $0.sequence == 2 })
        layered.packets[refinement].layer = 2
        let reader = try ContainerReader(name: "t", bytes: layered.bytes())
        let problems = try StreamDecoder(reader).decode { _, _ in }.problems
        // And what it costs: frame 2 has no layer 1 where later frames have one.
        #expect(problems.count == 2 && problems[0].description.hasSuffix("claims layer 2 of frame 2 in a stream of 2 layers; skipped as damage")
                && problems[1] == .refinementsMissing(layer: 1, frames: LostFrames([2...2])), "\(problems)")
    }

    /// Lost frames are ranges: packets 3-7 cut out of a stream without index are one range.
    @Test func lostFramesAreRanges() throws {
        var file = FstFile(base)
        file.packets.removeSubrange(3...7)
        file.index = nil
        let (frames, report) = try decode(file.bytes())
        // The P-frames after the gap are lost too, up to the next I-frame: one range.
        let nextIntra = types[8...].firstIndex(of: .intra)!
        #expect(report.lost == LostFrames([3...(nextIntra - 1)]))
        #expect(frames == [0, 1, 2] + Array(nextIntra..<12))
        let json = String(decoding: try JSONEncoder().encode(report.lost), as: UTF8.self)
        #expect(json == "[[3,\(nextIntra - 1)]]")
    }

    /// C3: a declared shape beyond the per-frame limit is refused before anything is allocated;
    /// a stream of tiny skip frames stops at the output limit instead of working for minutes.
    @Test func workFollowsTheLimitsNotTheDeclaredShape() throws {
        for shape in [[1, 16383, 16383], [1, 8192, 8192], [65536, 65536, 65536]] {
            var file = FstFile(base)
            var json = try #require(try JSONSerialization.jsonObject(with: Data(file.json)) as? [String: Any])
            json["shape"] = shape
            file.json = [UInt8](try JSONSerialization.data(withJSONObject: json))
            #expect(throws: ContainerError.tooLarge("t", shape: shape, limit: DecodeLimits().maxFrameElements)) {
                _ = try ContainerReader(name: "t", bytes: file.bytes())
            }
        }
        var file = FstFile(base)
        for i in 0..<200 {
            file.packets.append(.init(type: 1, admission: 1, sequence: UInt32(12 + i), sourceFrame: 0, pts: Int64(90 + 30 * i),
                                      timeBaseNumerator: 1, timeBaseDenominator: 30, seconds: 3 + Double(i), payload: [0, 0, 0, 0]))
        }
        var limits = DecodeLimits()
        limits.maxOutputBytes = 100 * 4 * 8 * 8 * 4  // 100 frames of float32
        #expect(throws: ContainerError.outputTooLarge("t", limit: limits.maxOutputBytes)) { _ = try decode(file.bytes(), limits: limits) }
        #expect(try decode(file.bytes()).frames.count == 212)
        // The same flood before a range: the frames decoded only to reach it count apart from
        // the range's output, and are bounded too.
        let bytes = file.bytes()
        func decodeRange(_ range: StreamDecoder.Range) throws -> Int {
            try StreamDecoder(try ContainerReader(name: "t", bytes: bytes, limits: limits), limits: limits).decode(range) { _, _ in }.decoded
        }
        #expect(throws: ContainerError.outputTooLarge("t", limit: limits.maxOutputBytes)) { _ = try decodeRange(.frames(200, 202)) }
        #expect(try decodeRange(.frames(90, 190)) == 100)
    }

    /// C4: an overwritten packet magic is damage, whatever it is overwritten with (FIDX, the
    /// index's own magic, once ended the walk silently): the frames the index lists are lost.
    @Test func overwrittenMagicIsReported() throws {
        for magic in ["FIDX", "XXXX", "FEAT"] {
            var file = FstFile(base)
            file.packets[3].magic = Array(magic.utf8)
            let (frames, report) = try decode(file.bytes())
            let nextIntra = types[4...].firstIndex(of: .intra)!
            #expect(frames == [0, 1, 2] + Array(nextIntra..<12), "\(magic)")
            #expect(report.lost == LostFrames([3...(nextIntra - 1)]), "\(magic): \(report.lost)")
            #expect(!report.problems.isEmpty)
        }
    }

    /// A stray byte between intact packets, the index then out of step (found by outside
    /// testing): the byte is reported and skipped, and the packets after it, whose sequence
    /// numbers continue, decode. Before, every P-frame up to the next I-frame was lost.
    @Test func aStrayByteLosesNoFrame() throws {
        let file = FstFile(base)
        #expect(types[3] == .predicted && types[4] == .predicted)
        for packet in [3, 11] {
            var bytes = file.bytes()
            bytes.insert(0x55, at: Int(file.bytesIndexEntries()[packet].offset))
            let (frames, report) = try decode(bytes)
            #expect(frames == Array(0..<12), "\(packet)")
            #expect(report.lost.isEmpty, "\(packet): \(report.lost)")
            #expect(report.problems.contains { if case .damagedBytes = $0 { return true } else { return false } }, "\(packet)")
        }
    }

    /// A packet repeated, or the file joined to itself, is one frame in the statistics (`info`),
    /// as the decoder takes it once: they counted 13 and 24 frames of these 12 (found by outside
    /// testing).
    @Test func repeatedPacketsAreCountedOnce() throws {
        var file = FstFile(base)
        file.packets.insert(file.packets[3], at: 4)
        for bytes in [file.bytes(), base + base] {
            let statistics = StreamStatistics(try ContainerReader(name: "t", bytes: bytes))
            #expect(statistics.frames == 12 && statistics.payloadBytes == FstFile(base).packets.reduce(0) { $0 + $1.payload.count })
        }
    }

    /// C5: a time that is not finite, or not pts x time base (1000 s crafted into one header,
    /// its CRC re-sealed, went through to the timestamps and the rate windows; found by outside
    /// testing), makes that packet damage; the other frames decode and the report encodes as JSON.
    @Test func nonFiniteTimeIsDamageOfThatPacket() throws {
        for time in [Double.nan, .infinity, -.infinity, 1000, FstFile(base).packets[7].seconds + 0.001] {
            var file = FstFile(base)
            file.packets[7].seconds = time
            let (frames, report) = try decode(file.bytes())
            #expect(!frames.contains(7) && frames.contains(6) && frames.contains(11), "\(time)")
            #expect(report.lost.contains(7))
            _ = try JSONEncoder().encode(report.lost)
        }
        // A number in the parameter set that no Double holds is an unreadable header.
        var file = FstFile(base)
        file.editJSONText { $0 = $0.replacingOccurrences(of: "\"gopSeconds\":1", with: "\"gopSeconds\":1e999") }
        #expect(throws: ContainerError.damagedHeader("t", reason: "unreadable parameter set")) {
            _ = try ContainerReader(name: "t", bytes: file.bytes())
        }
        // Values of another type than the decoder makes (it was read as float32; found by outside testing).
        var float16 = FstFile(base)
        float16.editJSONText { $0 = $0.replacingOccurrences(of: "\"elementType\":\"float32\"", with: "\"elementType\":\"float16\"") }
        #expect(throws: ContainerError.damagedHeader("t", reason: "elementType float16; the decoded values are float32")) {
            _ = try ContainerReader(name: "t", bytes: float16.bytes())
        }
    }

    /// Step-mode channel weights that cannot belong to the stream (wrong count, zero, infinite)
    /// refuse the header in one line instead of reaching the decoder.
    @Test(arguments: ["[1,1,1]", "[1,1,1,1,1]", "[1,0,1,1]", "[1,1e999,1,1]"])
    func badChannelWeightsRefuseTheHeader(weights: String) throws {
        var settings = CodingSettings()
        settings.precision = .steps(quality: 30)
        settings.channelWeights = [1, 2, 0.5, 1]
        var file = FstFile(try makeStream(count: 3, settings: settings).bytes)
        file.editJSONText { $0 = $0.replacingOccurrences(of: "\"channelWeights\":[1,2,0.5,1]", with: "\"channelWeights\":\(weights)") }
        #expect(throws: ContainerError.self) { _ = try ContainerReader(name: "t", bytes: file.bytes()) }
        do {
            _ = try ContainerReader(name: "t", bytes: file.bytes())
        } catch let error as ContainerError {
            #expect("\(error)".contains("t: ") && !"\(error)".contains("\n"), "\(error)")
        }
    }

    /// Frequency weights that cannot belong to a transformed stream (48 or 50 of them, zero,
    /// infinite, or on a stream that is not transformed) refuse the header in one line; 49 of
    /// them on a transformed stream are read.
    @Test(arguments: [(48, "1", true), (50, "1", true), (49, "0", true), (49, "1e999", true), (49, "1", false), (49, "2", true)])
    func badFrequencyWeightsRefuseTheHeader(count: Int, first: String, transformed: Bool) throws {
        var settings = CodingSettings()
        settings.precision = transformed ? .transformedSteps(quality: 30) : .tabledSteps(quality: 30)
        var file = FstFile(try makeStream(count: 3, settings: settings).bytes)
        let weights = "[" + ([first] + [String](repeating: "1", count: count - 1)).joined(separator: ",") + "]"
        file.editJSONText { $0 = $0.replacingOccurrences(of: "\"coding\":{", with: "\"coding\":{\"frequencyWeights\":\(weights),") }
        if count == 49 && first == "2" && transformed {
            #expect(try ContainerReader(name: "t", bytes: file.bytes()).parameters.coding.frequencyWeights?.first == 2)
            return
        }
        do {
            _ = try ContainerReader(name: "t", bytes: file.bytes())
            Issue.record("\(count) weights from \(first), transformed \(transformed): accepted")
        } catch let error as ContainerError {
            #expect("\(error)".contains("t: ") && !"\(error)".contains("\n"), "\(error)")
        }
    }

    /// A step-mode stream of many channels whose P-frames skip everything (61-byte packets,
    /// fewer bytes than one mode byte per channel would need) decodes whole without its index:
    /// the sequence-number plausibility bound knows step mode's smallest packet.
    @Test func tinyStepModePacketsWithoutAnIndex() throws {
        var settings = CodingSettings()
        settings.precision = .steps(quality: 30)
        settings.gopSeconds = 1000
        let still = Tensor(shape: [64, 2, 2], values: (0..<256).map { Float($0 % 17) - 8 })
        let (bytes, reconstructions, types) = try makeStream(frames: [Tensor](repeating: still, count: 40), settings: settings)
        var file = FstFile(bytes)
        #expect(file.packets.dropFirst().allSatisfy { $0.payload.count < 64 }, "\(file.packets.map(\.payload.count))")
        file.index = nil
        let (frames, report) = try decodeAll(file.bytes())
        // The one note: no index. Nothing lost.
        #expect(report.problems.count == 1 && report.lost.isEmpty, "\(report.problems)")
        #expect(frames.map(\.1) == reconstructions && types.filter { $0 == .predicted }.count == 39)
    }

    /// Two streams joined end to end (`cat a.fst b.fst`), the first whole, without its index
    /// or cut inside a packet: the walk ends at the second one's header, and none of its
    /// packets is a frame of the first (from its next I-frame on they decoded with the first's
    /// parameter set, as intact frames; found by outside testing).
    @Test func aSecondStreamEndsTheFirst() throws {
        var settings = CodingSettings()
        settings.precision = .tabledSteps(quality: 30)
        let other = try makeStream(frames: featureFrames(count: 12, channels: 4, side: 8, seed: 9), settings: settings).bytes
        let packetsEnd = try ContainerReader(name: "t", bytes: base).packetsEnd
        let cut = Int(FstFile(base).bytesIndexEntries()[7].offset) + 30
        for (first, frames) in [(base, Array(0..<12)), (Array(base[..<packetsEnd]), Array(0..<12)), (Array(base[..<cut]), Array(0..<7))] {
            let (decoded, report) = try decode(first + other)
            #expect(decoded == frames, "\(first.count) bytes, then another stream: \(report.problems)")
            let ends = StreamDecoder.Problem.truncated(offset: first.count, reason: "the stream ends where another stream's header starts "
                                                       + "(files joined end to end? decode each on its own)")
            #expect(report.problems.contains(ends), "\(report.problems)")
        }
    }

    /// An index whose CRC holds but which does not list the intact packets as they are (none,
    /// the last left out, an offset inside a payload, a P-frame listed as an I-frame, another
    /// pts, an entry for a packet that is not there) is ignored
    /// and the packets read front to back, with one note: every frame decodes, and a range too
    /// (the index was trusted over them: no frame at all, or half of them, or a range that did
    /// not decode; found by outside testing). The intact index of the same file is used.
    @Test func anIndexThatDisagreesIsIgnored() throws {
        let entries = FstFile(base).bytesIndexEntries()
        let predicted = try #require(types.indices.first { $0 > 0 && types[$0] == .predicted })
        let last = entries[entries.count - 1]
        let changes: [(inout [FstFile.IndexEntry]) -> Void] = [
            { $0 = [] }, { $0.removeLast() }, { $0[5].offset += 100 }, { $0[predicted].type = FrameType.intra.rawValue }, { $0[5].pts += 1 },
            { $0.append(.init(sequence: 12, type: FrameType.predicted.rawValue, pts: last.pts + 6, offset: last.offset + 1)) }]
        for (k, change) in changes.enumerated() {
            var file = FstFile(base)
            file.rebuildIndex = false
            var changed = entries
            change(&changed)
            file.index = changed
            let bytes = file.bytes()
            let reader = try ContainerReader(name: "t", bytes: bytes)
            #expect(reader.index == nil && reader.indexDisagrees && reader.packetsEnd < bytes.count, "change \(k)")
            let (frames, report) = try decode(bytes)
            #expect(frames == Array(0..<12) && report.problems == [.indexDisagrees], "change \(k): \(report.problems)")
            let range = try decodeAll(bytes, .frames(predicted, predicted + 2))
            #expect(range.frames.map { Int($0.0.sequence) } == [predicted, predicted + 1], "change \(k): \(range.report.problems)")
        }
        let intact = try ContainerReader(name: "t", bytes: base)
        #expect(intact.index?.count == 12 && !intact.indexDisagrees)
        // Damage is not disagreement: a payload failing its CRC, a header overwritten.
        let damages: [(inout FstFile) -> Void] = [{ $0.packets[5].payloadCRCOverride = 0 }, { $0.packets[5].magic = Array("XPKT".utf8) }]
        for (k, damage) in damages.enumerated() {
            var file = FstFile(base)
            damage(&file)
            let reader = try ContainerReader(name: "t", bytes: file.bytes())
            #expect(reader.index?.count == 12 && !reader.indexDisagrees, "damage \(k)")
        }
    }

    /// The index's seconds of source outside 1 ms to 1e9 s are unknown, as 0, NaN or a negative
    /// are: `info` printed 300-digit seconds or kbit/s from them (found by outside testing).
    @Test(arguments: [(1e300, nil), (1e-300, nil), (0.0009, nil), (-1, nil), (.nan, nil), (0.001, 0.001), (2.4, 2.4), (1e9, 1e9)] as [(Double, Double?)])
    func implausibleSourceSecondsAreUnknown(seconds: Double, read: Double?) throws {
        var file = FstFile(base)
        file.sourceSeconds = seconds
        #expect(try ContainerReader(name: "t", bytes: file.bytes()).sourceSeconds == read)
    }

    /// A packet length that points past the end, followed by intact packets, is damage, not the end.
    @Test func wrongLengthResynchronises() throws {
        var file = FstFile(base)
        file.packets[2].lengthOverride = 1 << 30
        let (frames, report) = try decode(file.bytes())
        #expect(frames.contains(11))
        #expect(report.lost.contains(2))
    }
}
