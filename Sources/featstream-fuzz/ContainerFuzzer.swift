import FeatCodec
import FileCrafting
import Foundation

/// Structure-aware fuzzing of the .fst reader and decoder: real streams from the encoder,
/// taken apart, one to three fields changed (sequence numbers, times, lengths, shapes, index
/// offsets, trailer, parameter-set JSON, packet order, payload fields), CRCs re-sealed, then
/// read, checked and decoded in full and over ranges. A case passes when the reader and the
/// decoder either decode or refuse with a `ContainerError`, within the limits.
struct ContainerFuzzer: Fuzzer {
    struct Base {
        let file: FstFile
        let shape: [Int]
        let quantized: Bool
        /// Step mode: the payload is a step (f32) and one range-coded stream.
        let steps: Bool
    }

    let bases: [Base]
    let limits: DecodeLimits
    let mutations: [Mutation]

    init() throws {
        var limits = DecodeLimits()
        limits.maxOutputBytes = 256 << 20  // the fuzzer's own, smaller bound on decoding work
        self.limits = limits
        var bases: [Base] = []
        // A frequency table of 1/2 to 2, as `TaskWeights` sends.
        let frequencies = (0..<TileTransform.frequencies).map { Float(0.5 + 1.5 * Double($0 % 11) / 10) }
        for (shape, precision, weights, intraOnly, count) in [
            ([4, 8, 8], CodingSettings.Precision.quantized(levels: 256), nil, false, 12),
            ([3, 5, 7], .quantized(levels: 16), nil, false, 10),
            ([2, 4, 4], .float16, nil, false, 8),
            ([2, 6, 6], .float32, nil, false, 8),
            ([5, 3, 3], .quantized(levels: 8), nil, true, 6),
            ([4, 8, 8], .steps(quality: 30), nil, false, 12),
            ([3, 5, 7], .steps(quality: 12), [0.5, 1, 2] as [Float]?, false, 10),
            ([4, 8, 8], .tabledSteps(quality: 30), nil, false, 12),
            ([3, 5, 7], .tabledSteps(quality: 12), [0.5, 1, 2] as [Float]?, false, 10),
            ([2, 1, 9], .tabledSteps(quality: 50), nil, false, 8),
            ([4, 8, 8], .transformedSteps(quality: 30), nil, false, 12),
            ([3, 9, 15], .transformedSteps(quality: 12), [0.5, 1, 2] as [Float]?, false, 10),
            ([3, 9, 15], .transformedSteps18(quality: 12), [0.5, 1, 2] as [Float]?, false, 10),
            ([4, 8, 8], .layeredSteps(quality: 36, layers: 3), nil, false, 12),
            ([3, 5, 7], .layeredSteps(quality: 30, layers: 2), [0.5, 1, 2] as [Float]?, false, 10),
            ([3, 5, 7], .layeredSteps16(quality: 30, layers: 2), [0.5, 1, 2] as [Float]?, false, 10),
            ([3, 5, 7], .layeredSteps14(quality: 30, layers: 2), [0.5, 1, 2] as [Float]?, false, 10),
            ([3, 5, 7], .layeredSteps13(quality: 30, layers: 2), [0.5, 1, 2] as [Float]?, false, 10),
        ] {
            var settings = CodingSettings()
            settings.precision = precision
            settings.channelWeights = weights
            if precision.transformed != nil, weights != nil { settings.frequencyWeights = frequencies }
            settings.intraOnly = intraOnly
            settings.gopSeconds = 1
            bases.append(Base(file: FstFile(try ContainerFuzzer.encode(shape: shape, settings: settings, count: count)),
                              shape: shape, quantized: settings.levels != nil, steps: settings.quality != nil))
        }
        self.bases = bases
        mutations = ContainerFuzzer.allMutations
    }

    var mutationNames: [String] { mutations.map(\.0) }

    func run(case index: Int, seed: UInt64, tally: inout Tally) throws {
        var random = Random(seed: seed, case: index)
        let base = random.pick(bases)
        var file = base.file
        var applied: [String] = []
        for _ in 0..<(1 + random.below(3)) {
            let (name, mutate) = random.pick(mutations)
            mutate(&file, base, &random)
            applied.append(name)
        }
        var bytes = file.bytes()
        if random.chance(10) { bytes.removeLast(random.below(bytes.count)) }  // and sometimes cut short
        let outcome: Outcome
        do {
            let reader = try ContainerReader(name: "case", bytes: bytes, limits: limits)
            let decoder = StreamDecoder(reader, limits: limits)
            var values = 0
            var times: [Double] = []
            let report = try decoder.decode(.all) { header, tensor in
                values += tensor.count
                times.append(header.seconds)
            }
            // Nothing silently missing: every frame the index lists (its base layer's entry) is
            // decoded or reported lost.
            if let index = reader.index?.filter({ $0.layer == 0 }), report.decoded + report.lost.count != index.count {
                throw FuzzError("\(index.count) frames in the index, \(report.decoded) decoded and \(report.lost.count) reported lost")
            }
            let check = decoder.check()
            _ = try decoder.decode(.frames(random.below(8), 4 + random.below(12))) { _, tensor in values += tensor.count }
            _ = try decoder.decode(.time(Double(random.below(3)) / 2, 1 + Double(random.below(3)))) { _, tensor in values += tensor.count }
            // What info --json and the timestamps file encode must always encode.
            _ = try JSONEncoder().encode(times)
            _ = try JSONEncoder().encode(reader.parameters)
            _ = try JSONEncoder().encode(report.lost)
            _ = report.problems.map(\.description) + check.problems.map(\.description)
            outcome = report.problems.isEmpty && report.lost.isEmpty ? .clean : .damaged
        } catch is ContainerError {
            outcome = .refused
        }
        tally.count(applied, outcome)
    }

    /// A stream as `featstream encode` writes it, in memory.
    static func encode(shape: [Int], settings: CodingSettings, count: Int) throws -> [UInt8] {
        let parameters = ParameterSet(
            model: .init(name: "fuzz", split: "x", checkpointSHA256: "00", mean: [0, 0, 0], std: [1, 1, 1]),
            shape: shape, coding: settings, source: .init(name: "fuzz", width: 64, height: 48, frameRate: "5", durationSeconds: 3),
            selection: .init(fps: "5", cutThreshold: 12, cutRatio: 3, minSceneSeconds: 0.4, flashFrames: 5, changeThreshold: 6, maxGapSeconds: 2),
            encoder: "fuzz")
        let sink = MemorySink()
        let encoder = try StreamEncoder(parameters: parameters, sink: sink)
        let elements = shape.reduce(1, *)
        for t in 0..<count {
            // Smooth, mostly positive maps that drift, with a jump at t = 6 (refresh and intra modes).
            let values = (0..<elements).map { i -> Float in
                let x = sin(Float(i) * 0.7 + Float(t) * 0.3) * Float(1 + i % 3) + (t >= 6 ? 4 : 0)
                return i % 5 == 0 ? 0 : max(0, x)
            }
            try encoder.append(Tensor(shape: shape, values: values), at: .init(sourceFrame: t * 5, pts: Int64(t * 5), timeBase: (1, 25),
                                                                              seconds: Double(t) / 5, admission: t == 0 ? .cut : .changed),
                               forceIntra: t == 6)
        }
        _ = try encoder.finish(sourceSeconds: Double(count) / 5)
        return sink.bytes
    }
}

extension ContainerFuzzer {
    typealias Mutation = (String, @Sendable (inout FstFile, Base, inout Random) -> Void)

    static let allMutations: [Mutation] = [
        ("packet sequence", { f, _, r in f.onePacket(r.next()) { $0.sequence = UInt32(truncatingIfNeeded: r.edgeInteger(near: Int64($0.sequence))) } }),
        ("packet time", { f, _, r in f.onePacket(r.next()) { $0.seconds = r.edgeDouble() } }),
        ("packet pts", { f, _, r in f.onePacket(r.next()) { $0.pts = r.edgeInteger(near: $0.pts) } }),
        // A time that agrees with its pts (a header that is intact) but far or backwards.
        ("packet pts and time", { f, _, r in f.onePacket(r.next()) { p in
            p.pts = r.edgeInteger(near: p.pts)
            p.seconds = Double(p.pts) * (Double(p.timeBaseNumerator) / Double(p.timeBaseDenominator))
        } }),
        ("packet time base", { f, _, r in f.onePacket(r.next()) {
            $0.timeBaseNumerator = Int32(truncatingIfNeeded: r.edgeInteger()); $0.timeBaseDenominator = Int32(truncatingIfNeeded: r.edgeInteger()) } }),
        ("packet type", { f, _, r in f.onePacket(r.next()) { $0.type = UInt8(truncatingIfNeeded: r.next()) % 4 } }),
        ("packet layer", { f, _, r in f.onePacket(r.next()) { $0.layer = UInt8(truncatingIfNeeded: r.edgeInteger(near: Int64($0.layer))) } }),
        ("packet admission", { f, _, r in f.onePacket(r.next()) { $0.admission = UInt8(truncatingIfNeeded: r.next()) } }),
        ("payload length", { f, _, r in f.onePacket(r.next()) { $0.lengthOverride = UInt32(truncatingIfNeeded: r.edgeInteger(near: Int64($0.payload.count))) } }),
        ("payload CRC", { f, _, r in f.onePacket(r.next()) { $0.payloadCRCOverride = UInt32(truncatingIfNeeded: r.next()) } }),
        ("payload bits", { f, _, r in f.onePacket(r.next()) { p in
            guard !p.payload.isEmpty else { return }
            for _ in 0..<(1 + r.below(4)) { p.payload[r.below(p.payload.count)] ^= UInt8(1 << r.below(8)) } } }),
        ("payload cut", { f, _, r in f.onePacket(r.next()) { $0.payload.removeLast(r.below($0.payload.count + 1)) } }),
        ("payload grown", { f, _, r in f.onePacket(r.next()) { $0.payload += (0..<(1 + r.below(64))).map { _ in UInt8(truncatingIfNeeded: r.next()) } } }),
        ("channel field", { f, base, r in f.onePacket(r.next()) { ContainerFuzzer.mutateChannelField(&$0, base, &r) } }),
        // Step mode's coded stream after the step, as 32-bit words (table-coded streams are
        // words; the range coder's bytes fare alike): one word set to an edge value, or the
        // last word dropped (a cut that keeps the word alignment).
        ("stream word", { f, _, r in f.onePacket(r.next()) { p in
            let words = (p.payload.count - 4) / 4
            guard words > 0 else { return }
            if r.below(3) == 0 { return p.payload.removeLast(4) }
            p.payload.putLE(UInt64(r.pick([0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, UInt32(truncatingIfNeeded: r.next())] as [UInt32])), 4 + 4 * r.below(words), 4)
        } }),
        ("packet magic", { f, _, r in f.onePacket(r.next()) {
            $0.magic = r.pick([Array("FIDX".utf8), Array("FPKX".utf8), [0, 0, 0, 0], Array("FEAT".utf8), Array("FREF".utf8), Array("FPKT".utf8)]) } }),
        // A full header where a compact one belongs (1.7) or the other way round, sealed:
        // a compact base layer, a refinement the index does not list.
        ("packet form", { f, _, r in f.onePacket(r.next()) { p in
            p.compact.toggle()
            p.magic = Array((p.compact ? "FREF" : "FPKT").utf8)
        } }),
        ("packet dropped", { f, _, r in if !f.packets.isEmpty { f.packets.remove(at: r.below(f.packets.count)) } }),
        ("packet duplicated", { f, _, r in if !f.packets.isEmpty { f.packets.insert(f.packets[r.below(f.packets.count)], at: r.below(f.packets.count)) } }),
        ("packets swapped", { f, _, r in if f.packets.count > 1 { f.packets.swapAt(r.below(f.packets.count), r.below(f.packets.count)) } }),
        ("skip-frame flood", { f, base, r in
            // Many tiny valid P-frames of all-skip channels: work must not follow the declared shape.
            let skip = FstFile.Packet(type: 1, admission: 1, sequence: 0, sourceFrame: 0, pts: 0, timeBaseNumerator: 1,
                                      timeBaseDenominator: 25, seconds: 2, payload: [UInt8](repeating: 0, count: base.shape[0]))
            let start = UInt32(f.packets.count)
            for i in 0..<(50 + r.below(500)) {
                var p = skip
                p.sequence = start + UInt32(i)
                p.pts = Int64(50 + 5 * i)  // 2 + i / 5 seconds at 1/25
                p.seconds = 2 + Double(i) / 5
                f.packets.append(p)
            } }),
        ("shape", { f, _, r in f.editJSON { json in
            json["shape"] = r.pick([[1, 16383, 16383], [1, 8192, 8192], [0, 8, 8], [-1, 8, 8], [4, 8], [4, 8, 8, 1], [65536, 65536, 65536],
                                    [Int(Int32.max), 2, 2], [Int.max, Int.max, 2], [4, 8, 9], [8, 8, 4]]) } }),
        ("quantizer levels", { f, _, r in f.editJSON { json in
            json["coding"] = ["precision": ["quantized": ["levels": r.pick([0, 1, 2, 3, 65536, 65537, -1, Int(Int32.max)])]],
                              "deadZone": 0, "clipPercent": 0.1, "gopSeconds": 1, "intraOnly": false] } }),
        ("precision", { f, _, r in f.editJSON { json in
            var coding = json["coding"] as? [String: Any] ?? [:]
            coding["precision"] = r.pick([["float16": [:]], ["float32": [:]], ["quantized": ["levels": 16]], ["other": [:]], "x",
                                          [r.pick(["steps", "tabledSteps", "transformed", "transformedMixed"]): ["quality": r.pick([30, -1, 121, 0, 120])]], ["steps": [:]], ["tabledSteps": [:]],
                                          ["transformed": [:]], ["transformedMixed": [:]],
                                          [r.pick(["layered", "layeredSteps", "layeredCarried", "layeredCompact"]): ["quality": r.pick([36, 5, 120]), "layers": r.pick([1, 2, 3, 0, 9, -1])]]] as [Any])
            json["coding"] = coding } }),
        ("channel weights", { f, base, r in f.editJSON { json in
            var coding = json["coding"] as? [String: Any] ?? [:]
            let n = base.shape[0]
            coding["channelWeights"] = r.pick([[Float](repeating: 1, count: n + 1), [Float](repeating: 1, count: max(0, n - 1)),
                                               [0] + [Float](repeating: 1, count: n - 1), [-1] + [Float](repeating: 1, count: n - 1),
                                               [1e30] + [Float](repeating: 1, count: n - 1), [Float](repeating: 1e-30, count: n), "x"] as [Any])
            json["coding"] = coding } }),
        ("frequency weights", { f, _, r in f.editJSON { json in
            var coding = json["coding"] as? [String: Any] ?? [:]
            let n = TileTransform.frequencies
            coding["frequencyWeights"] = r.pick([[Float](repeating: 1, count: n + 1), [Float](repeating: 1, count: n - 1), [Float](),
                                                 [0] + [Float](repeating: 1, count: n - 1), [-1] + [Float](repeating: 1, count: n - 1),
                                                 [1e30] + [Float](repeating: 1, count: n - 1), [Float](repeating: 1000, count: n),
                                                 [Float](repeating: 0.001, count: n), "x"] as [Any])
            json["coding"] = coding } }),
        ("parameter number", { f, _, r in f.editJSONText { text in
            // A number JSON can spell but not hold, or one out of every range.
            var numbers: [Range<String.Index>] = []
            var i = text.startIndex
            while i < text.endIndex {
                guard text[i].isASCII, text[i].isNumber || text[i] == "-" else { i = text.index(after: i); continue }
                var j = text.index(after: i)
                while j < text.endIndex, text[j].isASCII, text[j].isNumber || text[j] == "." || text[j] == "e" { j = text.index(after: j) }
                numbers.append(i..<j)
                i = j
            }
            guard let range = numbers.isEmpty ? nil : numbers[r.below(numbers.count)] else { return }
            text.replaceSubrange(range, with: r.pick(["1e999", "-1e999", "1e308", "-1", "9223372036854775808", "0", "3.5"])) } }),
        ("parameter string", { f, _, r in f.editJSON { json in
            var source = json["source"] as? [String: Any] ?? [:]
            source["name"] = r.pick(["\u{1B}[2J\u{1B}[31mred", "a\nb", String(repeating: "x", count: 100_000), "\u{0}", "\u{9B}1m"])
            json["source"] = source } }),
        ("parameter nesting", { f, _, r in f.editJSONText { text in
            let depth = r.pick([100, 1000, 20_000])
            text.insert(contentsOf: "\"deep\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + ",", at: text.index(after: text.startIndex)) } }),
        ("parameter set cut", { f, _, r in f.json.removeLast(r.below(f.json.count)) }),
        ("version", { f, _, r in f.major = r.pick([0, 1, 1, 2, UInt16.max]); f.minor = UInt16(truncatingIfNeeded: r.next()) }),
        ("index entry offset", { f, _, r in f.editIndex(r.next()) { $0.offset = UInt64(bitPattern: r.edgeInteger(near: Int64($0.offset))) } }),
        ("index entry sequence", { f, _, r in f.editIndex(r.next()) { $0.sequence = UInt32(truncatingIfNeeded: r.edgeInteger(near: Int64($0.sequence))) } }),
        ("index entry layer", { f, _, r in f.editIndex(r.next()) { $0.layer = UInt8(truncatingIfNeeded: r.edgeInteger(near: Int64($0.layer))) } }),
        ("index entry type", { f, _, r in f.editIndex(r.next()) { $0.type = UInt8(truncatingIfNeeded: r.next()) % 3 } }),
        ("index dropped", { f, _, _ in f.index = nil }),
        ("index stale", { f, _, r in
            // The index of the file before another change: packets and index disagree.
            f.index = zip(f.packets.indices, f.packets).map { FstFile.IndexEntry(sequence: $1.sequence, type: $1.type, pts: $1.pts, offset: UInt64($0 * 100 + 60)) }
            f.rebuildIndex = false
            if !f.packets.isEmpty { f.packets.remove(at: r.below(f.packets.count)) } }),
        ("trailer offset", { f, _, r in
            let length = UInt64(f.bytes().count)
            f.trailerOffsetOverride = r.pick([length - UInt64(1 + r.below(15)), length - 16, length - 28, length, length + 1, 0, 19,
                                              UInt64(bitPattern: r.edgeInteger())]) }),
    ]

    /// Changes one field of one channel's sub-stream header in a payload: the mode, the range
    /// (low, step) or the coded length; in step mode, the frame's step.
    static func mutateChannelField(_ packet: inout FstFile.Packet, _ base: Base, _ r: inout Random) {
        if base.steps {
            guard packet.payload.count >= 4 else { return }
            let step = r.pick([Float.nan, .infinity, -.infinity, 0, -1, 1e-38, 3e38, .leastNonzeroMagnitude, 1e-6, 1e6])
            return packet.payload.putLE(UInt64(step.bitPattern), 0, 4)
        }
        var fields: [(offset: Int, size: Int)] = []
        var p = 0
        let payload = packet.payload
        for _ in 0..<base.shape[0] where p < payload.count {
            let mode = payload[p]
            fields.append((p, 1))
            p += 1
            if base.quantized && (packet.type == 0 || mode == 3) {
                guard p + 8 <= payload.count else { break }
                fields += [(p, 4), (p + 4, 4)]
                p += 8
            }
            if mode == 0 { continue }
            guard p + 4 <= payload.count else { break }
            fields.append((p, 4))
            p += 4 + Int(payload.le(p, 4))
        }
        guard let field = fields.isEmpty ? nil : r.pick(fields) else { return }
        if field.size == 1 {
            packet.payload[field.offset] = UInt8(truncatingIfNeeded: r.next()) % 5
        } else if r.chance(50) {
            packet.payload.putLE(UInt64(r.pick([Float.nan, .infinity, -.infinity, 0, -1, 1e-38, 3e38, .leastNonzeroMagnitude]).bitPattern), field.offset, 4)
        } else {
            packet.payload.putLE(UInt64(bitPattern: r.edgeInteger()), field.offset, 4)
        }
    }
}
