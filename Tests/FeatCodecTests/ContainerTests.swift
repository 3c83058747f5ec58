@testable import FeatCodec
import FileCrafting
import Foundation
import TestSupport
import Testing

/// A small but complete .fst in memory: `count` feature-like frames, an I-frame every 5.
func makeStream(count: Int = 12, settings: CodingSettings = { var s = CodingSettings(); s.gopSeconds = 1; return s }())
    throws -> (bytes: [UInt8], reconstructions: [Tensor], types: [FrameType])
{
    try makeStream(frames: featureFrames(count: count, channels: 4, side: 8), settings: settings)
}

/// `frames` (4 x 8 x 8) as a .fst in memory, 0.2 s apart.
func makeStream(frames: [Tensor], settings: CodingSettings) throws -> (bytes: [UInt8], reconstructions: [Tensor], types: [FrameType]) {
    let parameters = ParameterSet.synthetic(shape: frames[0].shape, coding: settings, seconds: 2)
    let sink = MemorySink()
    let encoder = try StreamEncoder(parameters: parameters, sink: sink)
    var reconstructions: [Tensor] = [], types: [FrameType] = []
    for (t, frame) in frames.enumerated() {
        let encoded = try encoder.append(frame, at: .init(sourceFrame: t * 3, pts: Int64(t * 6), timeBase: (1, 30), seconds: Double(t) / 5,
                                                          admission: t == 0 ? .cut : .changed))
        reconstructions.append(encoded.reconstruction)
        types.append(encoded.type)
    }
    _ = try encoder.finish(sourceSeconds: Double(frames.count) / 5)
    return (sink.bytes, reconstructions, types)
}

func decodeAll(_ bytes: [UInt8], _ range: StreamDecoder.Range = .all) throws -> (frames: [(PacketHeader, Tensor)], report: StreamDecoder.Report) {
    let reader = try ContainerReader(name: "test.fst", bytes: bytes)
    var frames: [(PacketHeader, Tensor)] = []
    let report = try StreamDecoder(reader).decode(range) { frames.append(($0, $1)) }
    return (frames, report)
}

@Suite struct ContainerTests {
    /// The eight-at-a-time CRC against the standard's check value and against FileCrafting's
    /// byte-at-a-time one, at every length to 40 and every start of a slice, where the
    /// eight-byte steps and the bytes left over split differently.
    @Test func crc32cMatchesTheByteAtATimeOne() {
        #expect(FeatCodec.CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(FeatCodec.CRC32C.checksum([UInt8]()) == 0)
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<48).map { _ in UInt8.random(in: 0...255, using: &random) }
        for start in 0..<8 {
            for length in 0...40 {
                let slice = bytes[start..<(start + length)]
                #expect(FeatCodec.CRC32C.checksum(slice) == FileCrafting.CRC32C.checksum(Array(slice)), "start \(start), length \(length)")
            }
        }
    }

    @Test func roundTripWithIndex() throws {
        let (bytes, reconstructions, types) = try makeStream()
        let intra = types.enumerated().filter { $0.element == .intra }.map(\.offset)
        #expect(intra.first == 0 && intra.count >= 3 && intra.count < 12)  // at least every 5 frames (1 s)
        let reader = try ContainerReader(name: "t", bytes: bytes)
        #expect(reader.index?.count == 12)
        #expect(reader.index?.map(\.type) == types)
        let (frames, report) = try decodeAll(bytes)
        #expect(report.problems.isEmpty && report.lost.isEmpty)
        let same = frames.map(\.1) == reconstructions
        #expect(same)
        #expect(frames.map { Int($0.0.sequence) } == Array(0..<12))
        #expect(frames[3].0.sourceFrame == 9 && frames[3].0.pts == 18 && frames[3].0.timeBaseDenominator == 30)
    }

    /// A range starts decoding at the I-frame before it and returns exactly the frames asked for.
    @Test func rangesSeekThroughTheIndex() throws {
        let (bytes, reconstructions, types) = try makeStream()
        let reader = try ContainerReader(name: "t", bytes: bytes)
        let (frames, report) = try decodeAll(bytes, .frames(7, 9))
        let same = frames.map(\.1) == Array(reconstructions[7..<9])
        #expect(same)
        let previousIntra = types[...7].lastIndex(of: .intra)!
        #expect(report.startOffset == Int(reader.index![previousIntra].offset))
        // A range that starts exactly on an I-frame starts decoding there, not at the one before.
        let onIntra = types.indices.filter { $0 > 0 && types[$0] == .intra }.first!
        let (exact, exactReport) = try decodeAll(bytes, .frames(onIntra, onIntra + 2))
        #expect(exact.map { Int($0.0.sequence) } == [onIntra, onIntra + 1])
        #expect(exactReport.startOffset == Int(reader.index![onIntra].offset))
        let (timed, _) = try decodeAll(bytes, .time(1.0, 1.5))  // frames at 1.0, 1.2, 1.4 s
        #expect(timed.map { Int($0.0.sequence) } == [5, 6, 7])
    }

    @Test func truncatedFileDecodesCompletePackets() throws {
        let (bytes, reconstructions, _) = try makeStream()
        let reader = try ContainerReader(name: "t", bytes: bytes)
        let cut = Int(reader.index![8].offset) + 30  // inside packet 8's header
        let (frames, report) = try decodeAll(Array(bytes.prefix(cut)))
        let same = frames.map(\.1) == Array(reconstructions[0..<8])
        #expect(same)
        #expect(report.problems.contains { $0.description.contains("file ends inside a packet") })
        let cut2 = Int(reader.index![8].offset) + 60  // inside its payload
        let (frames2, report2) = try decodeAll(Array(bytes.prefix(cut2)))
        #expect(frames2.count == 8 && report2.problems.contains { $0.description.contains("file ends inside the packet of frame 8") })
    }

    @Test func badCRCSkipsToTheNextIntraFrame() throws {
        let (bytes, reconstructions, types) = try makeStream()
        let reader = try ContainerReader(name: "t", bytes: bytes)
        // Damage frame 2's payload: frames 2 up to the next I-frame are lost, the rest decode.
        let nextIntra = types[3...].firstIndex(of: .intra)!
        var damaged = bytes
        damaged[Int(reader.index![2].offset) + PacketHeader.size + 3] ^= 0x10
        let (frames, report) = try decodeAll(damaged)
        #expect(report.lost == LostFrames([2...(nextIntra - 1)]))
        let kept = [0, 1] + Array(nextIntra..<12)
        #expect(frames.map { Int($0.0.sequence) } == kept)
        let same = frames.map(\.1) == kept.map { reconstructions[$0] }
        #expect(same)
        #expect(report.problems.first == .payloadCRC(sequence: 2, offset: Int(reader.index![2].offset)))
        #expect(report.problems.first?.description.hasPrefix("frame 2 at byte \(reader.index![2].offset): payload fails its CRC-32C") == true)
        // The check `info` makes without decoding finds the same: decoding resumes at the I-frame.
        let check = StreamDecoder(try ContainerReader(name: "t", bytes: damaged)).check()
        #expect(check.lost == report.lost && check.decoded == frames.count && check.problems == report.problems)
        // A damaged header: the walk resynchronises on the next intact packet.
        let intraAfter6 = types[7...].firstIndex(of: .intra) ?? 12
        var header = bytes
        header[Int(reader.index![6].offset) + 9] ^= 0xFF
        let (frames2, report2) = try decodeAll(header)
        #expect(report2.lost == LostFrames([6...(intraAfter6 - 1)]))
        #expect(frames2.count == 12 - (intraAfter6 - 6))
    }

    /// Achieved rate by window: each packet in the window its time falls in, to the end of the
    /// source; absurd spans give none.
    @Test func rateWindows() {
        let w = StreamStatistics.windows([(0, 125), (0.99, 125), (1, 250), (2.5, 1000), (-1, 125)], until: 3.2)
        #expect(w == [3, 2, 8, 0])
        #expect(StreamStatistics.windows([(1e12, 10)], until: 1e12).isEmpty && StreamStatistics.windows([], until: 5).isEmpty)
    }

    /// A stream whose first frame is at 100 s (a container with a time offset) has its windows
    /// from there: `info` listed 100 empty windows before it (found by outside testing).
    @Test func rateWindowsStartAtTheFirstFrame() throws {
        var file = FstFile(try makeStream(count: 12).bytes)
        for i in file.packets.indices {
            file.packets[i].seconds += 100
            file.packets[i].pts += 3000  // the time base is 1/30
        }
        file.index = file.bytesIndexEntries()
        let statistics = StreamStatistics(try ContainerReader(name: "t", bytes: file.bytes()))
        #expect(statistics.windowStartSeconds == 100 && statistics.windowKilobitsPerSecond.count == 3, "\(statistics.windowKilobitsPerSecond)")
        #expect(!statistics.windowKilobitsPerSecond.contains(0))
    }

    @Test func versions() throws {
        let (bytes, _, _) = try makeStream(count: 3)
        var major = bytes
        major[8] = 2
        #expect(throws: ContainerError.unsupportedVersion("t", major: 2, minor: ContainerFormat.minorVersion)) { try ContainerReader(name: "t", bytes: major) }
        #expect(ContainerError.unsupportedVersion("t", major: 2, minor: 9).description == "t: format version 2.9 is newer than this featstream reads (1.x)")
        #expect(ContainerError.unsupportedVersion("t", major: 0, minor: 9).description == "t: format version 0.9 is not one this featstream reads (1.x)")
        // A newer minor version with a field this reader does not know still decodes.
        let length = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        var json = String(decoding: bytes[16..<(16 + length)], as: UTF8.self)
        json.removeLast()
        json += ",\"futureField\":{\"x\":1}}"
        var w = ByteWriter()
        w.append(ContainerFormat.magic)
        w.u16(1); w.u16(7)
        w.u32(UInt32(json.utf8.count))
        w.append(Array(json.utf8))
        w.u32(CRC32C.checksum(w.bytes))
        let newer = w.bytes + bytes[(16 + length + 4)...]
        let reader = try ContainerReader(name: "t", bytes: newer)
        #expect(reader.version.minor == 7 && reader.index == nil)  // offsets moved: the index no longer fits
        #expect(try decodeAll(newer).frames.count == 3)
        #expect(throws: ContainerError.notAStream("t")) { try ContainerReader(name: "t", bytes: Array("hello, world, not a stream".utf8)) }
    }

    /// A file whose packets come from another stream (its header and index kept, the index
    /// re-sealed; found by outside testing): every packet whose payload does not decode to the
    /// header's coding and shape exactly is damage, reported and skipped. The range-coded step
    /// and layered payloads decoded any bytes into made-up values before (1e-37 or 4e11).
    @Test(arguments: [CodingSettings.Precision.steps(quality: 30), .layeredSteps(quality: 30, layers: 2), .quantized(levels: 64)])
    func packetsOfAnotherStreamAreDamage(precision: CodingSettings.Precision) throws {
        var settings = CodingSettings()
        settings.precision = precision
        var lossless = CodingSettings()
        lossless.precision = .float32
        var tabled = CodingSettings()
        tabled.precision = .tabledSteps(quality: 30)
        var file = FstFile(try makeStream(count: 8, settings: settings).bytes)
        for other in [lossless, tabled] {
            file.packets = FstFile(try makeStream(count: 8, settings: other).bytes).packets
            file.index = file.bytesIndexEntries()
            let (decoded, report) = try decodeAll(file.bytes())
            #expect(decoded.isEmpty && !report.problems.isEmpty, "\(precision) with \(other.precision) packets: \(decoded.count) decoded")
        }
    }

    /// Thousands of mutated and truncated files (quantized, float16 and lossless streams): each
    /// gives a clean error or a clean decode.
    @Test(arguments: [CodingSettings.Precision.quantized(levels: 64), .float16, .float32])
    func mutationsNeverCrash(precision: CodingSettings.Precision) throws {
        var settings = CodingSettings()
        settings.precision = precision
        settings.gopSeconds = 1
        let (bytes, _, _) = try makeStream(count: 8, settings: settings)
        var random = SplitMix(state: 42)
        var errors = 0, decodes = 0
        let start = Date()
        for trial in 0..<3000 {
            var mutated = bytes
            switch trial % 4 {
            case 0: for _ in 0..<(1 + Int(random.next() % 4)) { mutated[Int(random.next() % UInt64(mutated.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1) }
            case 1: mutated.removeLast(Int(random.next() % UInt64(mutated.count)))
            case 2: mutated.insert(contentsOf: (0..<Int(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) },
                                   at: Int(random.next() % UInt64(mutated.count)))
            default:
                let a = Int(random.next() % UInt64(mutated.count)), n = Int(random.next() % 64)
                mutated.removeSubrange(a..<min(mutated.count, a + n))
            }
            do {
                _ = try decodeAll(mutated)
                decodes += 1
            } catch is ContainerError {
                errors += 1
            }
        }
        #expect(errors + decodes == 3000)
        #expect(Date().timeIntervalSince(start) < 120)
    }
}
