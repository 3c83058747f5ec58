@testable import FeatCodec
import FileCrafting
import Foundation
import TestSupport
import Testing

/// The bitstream as specified: streams written now are byte for byte the committed ones of the
/// current version (Tests/Golden/streams/1.9), and the committed ones of every version decode to
/// what the encoder reconstructs from the same frames (1.0: the first index layout; 1.1: before
/// step mode; 1.2: before layers; 1.3: refinements without the previous frame in their contexts;
/// 1.4: before table-coded step mode; 1.5: refinement models fresh in every frame; 1.6:
/// refinements in full, indexed packets; 1.7: before transformed step mode; 1.8: before
/// channels coded in values).
/// A change to the entropy coder, its contexts, the quantizer or the container that keeps the
/// round trip exact but changes the bytes (a new, incompatible format) fails here: old files
/// must keep decoding. Regenerate only with a format version change (FEATSTREAM_WRITE_GOLDEN=1).
@Suite struct BitstreamTests {
    static let directory = Fixtures.root.appendingPathComponent("Tests/Golden/streams/\(ContainerFormat.majorVersion).\(ContainerFormat.minorVersion)")

    /// Feature-like frames from integers only (no libm), identical on every machine.
    static func frames(count: Int, shape: [Int] = [4, 8, 8]) -> [Tensor] {
        var random = SplitMix(state: 77)
        let n = shape.reduce(1, *)
        let base = (0..<n).map { _ in Int(random.next() % 2001) - 400 }
        return (0..<count).map { t in
            Tensor(shape: shape, values: base.indices.map { i in
                let drift = Int(random.next() % 61) - 30 + (t >= 6 && i % 7 == 0 ? 900 : 0)
                return Float(max(0, base[i] + drift * t)) / 256
            })
        }
    }

    static let settings: [(String, CodingSettings)] = {
        var quantized = CodingSettings()
        quantized.precision = .quantized(levels: 64)
        quantized.gopSeconds = 1
        quantized.deadZone = 0.25
        var half = CodingSettings()
        half.precision = .float16
        var exact = CodingSettings()
        exact.precision = .float32
        exact.gopSeconds = 1
        return [("quantized-64", quantized), ("float16", half), ("float32", exact)]
    }()

    /// Step mode (1.2): plain, and with channel weights and whole-frame skips.
    static let stepSettings: [(String, CodingSettings)] = {
        var plain = CodingSettings()
        plain.precision = .steps(quality: 30)
        plain.gopSeconds = 1
        var weighted = CodingSettings()
        weighted.precision = .steps(quality: 14.5)
        weighted.channelWeights = [0.5, 1, 2, 1.25]
        return [("steps-30", plain), ("steps-weighted", weighted)]
    }()

    /// Layered step mode (1.3, its contexts 1.4 and 1.6): three layers, and two with channel weights.
    static let layeredSettings: [(String, CodingSettings)] = {
        var three = CodingSettings()
        three.precision = .layeredSteps(quality: 36, layers: 3)
        three.gopSeconds = 1
        var two = CodingSettings()
        two.precision = .layeredSteps(quality: 24, layers: 2)
        two.channelWeights = [0.5, 1, 2, 1.25]
        return [("layers-3", three), ("layers-2-weighted", two)]
    }()

    /// The layered settings as 1.4 and 1.5 wrote them (`layered`).
    static let layeredSettings14: [(String, CodingSettings)] = layeredSettings.map { name, settings in
        var old = settings
        old.precision = .layeredSteps14(quality: settings.quality!, layers: settings.layers)
        return (name, old)
    }

    /// Table-coded step mode (1.5): the step-mode settings, table-coded.
    static let tabledSettings: [(String, CodingSettings)] = stepSettings.map { name, settings in
        var tabled = settings
        tabled.precision = .tabledSteps(quality: settings.quality!)
        return (name.replacingOccurrences(of: "steps", with: "tabled"), tabled)
    }

    /// The layered settings as 1.6 wrote them (`layeredCarried`).
    static let layeredSettings16: [(String, CodingSettings)] = layeredSettings.map { name, settings in
        var old = settings
        old.precision = .layeredSteps16(quality: settings.quality!, layers: settings.layers)
        return (name, old)
    }

    /// Transformed step mode (1.9, channels in values or coefficients): the step-mode settings
    /// on 7x7 DCT tiles (8 x 8 maps: a whole tile and a partial one each way), the weighted one
    /// with frequency weights.
    static let transformedSettings: [(String, CodingSettings)] = stepSettings.map { name, settings in
        var transformed = settings
        transformed.precision = .transformedSteps(quality: settings.quality!)
        if settings.channelWeights != nil { transformed.frequencyWeights = (0..<TileTransform.frequencies).map { 0.5 + Float($0 % 7 + $0 / 7) / 8 } }
        return (name.replacingOccurrences(of: "steps", with: "transformed"), transformed)
    }

    /// The transformed settings as 1.8 wrote them (`transformed`, every channel in coefficients).
    static let transformedSettings18: [(String, CodingSettings)] = transformedSettings.map { name, settings in
        var old = settings
        old.precision = .transformedSteps18(quality: settings.quality!)
        return (name, old)
    }

    /// What format 1.4 could write, 1.5, 1.6, 1.7 and 1.8.
    static var settings14: [(String, CodingSettings)] { settings + stepSettings + layeredSettings14 }
    static var settings15: [(String, CodingSettings)] { settings14 + tabledSettings }
    static var settings16: [(String, CodingSettings)] { settings + stepSettings + layeredSettings16 + tabledSettings }
    static var settings17: [(String, CodingSettings)] { settings + stepSettings + layeredSettings + tabledSettings }
    static var settings18: [(String, CodingSettings)] { settings17 + transformedSettings18 }
    static var allSettings: [(String, CodingSettings)] { settings17 + transformedSettings }

    @Test(arguments: allSettings.map(\.0))
    func streamsMatchTheCommittedOnes(name: String) throws {
        let settings = Self.allSettings.first { $0.0 == name }!.1
        let (bytes, reconstructions, _) = try makeStream(frames: Self.frames(count: 12), settings: settings)
        let path = Self.directory.appendingPathComponent(name + ".fst")
        if ProcessInfo.processInfo.environment["FEATSTREAM_WRITE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try Data(bytes).write(to: path)
        }
        let committed = [UInt8](try Data(contentsOf: path))
        #expect(bytes == committed, "\(name): the encoder writes other bytes than the committed stream (\(bytes.count) vs \(committed.count))")
        let (decoded, report) = try decodeAll(committed)
        #expect(report.problems.isEmpty && decoded.count == 12)
        #expect(decoded.map(\.1.values).map { $0.map(\.bitPattern) } == reconstructions.map { $0.values.map(\.bitPattern) })
    }

    /// The reference decoder written from docs/FORMAT.md alone (Tools/fst-reference, Python)
    /// reads the committed table-coded and transformed streams (and 1.8's transformed ones) bit
    /// for bit as FeatCodec does: the document says all a decoder needs.
    @Test(arguments: (tabledSettings + transformedSettings).map(\.0) + transformedSettings18.map { "../1.8/" + $0.0 })
    func theDocumentDecodesTheTableCodedStreams(name: String) throws {
        let path = Self.directory.appendingPathComponent(name + ".fst").standardized.path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("reference-\(name.replacingOccurrences(of: "/", with: "-"))-\(getpid()).npy").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let run = try Fixtures.run(Fixtures.which("python3"), [Fixtures.root.appendingPathComponent("Tools/fst-reference").path, path, output])
        #expect(run.status == 0, "\(run.err)")
        let reference = try NpyReader.read(output)
        let (decoded, report) = try decodeAll([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(report.problems.isEmpty && reference.shape == [decoded.count] + decoded[0].1.shape)
        #expect(reference.values.map(\.bitPattern) == decoded.flatMap { $0.1.values.map(\.bitPattern) })
    }

    /// Files of format 1.4 still decode, and 1.9 writes them (1.4's `layered` kept) the same
    /// but for the version and the header's CRC.
    @Test(arguments: settings14.map(\.0))
    func streamsOfVersion14StillDecode(name: String) throws {
        let settings = Self.settings14.first { $0.0 == name }!.1
        let (bytes, reconstructions, _) = try makeStream(frames: Self.frames(count: 12), settings: settings)
        try expectOldStream(minor: 4, name, sameAs: bytes, decodingTo: reconstructions)
    }

    /// Files of format 1.5 still decode, and 1.9 writes them (1.4's `layered` kept) the same
    /// but for the version and the header's CRC. The layered ones are not what 1.6 to 1.9 write: their
    /// refinement models carry from frame to frame (`LayeredCodingTests` measures what it saves).
    @Test(arguments: settings15.map(\.0))
    func streamsOfVersion15StillDecode(name: String) throws {
        let settings = Self.settings15.first { $0.0 == name }!.1
        let (bytes, reconstructions, _) = try makeStream(frames: Self.frames(count: 12), settings: settings)
        let old = try expectOldStream(minor: 5, name, sameAs: bytes, decodingTo: reconstructions)
        guard let carried = try Self.currentLayered(name) else { return }
        let (newStart, oldStart) = (try ContainerReader(name: "new", bytes: carried).firstPacket, try ContainerReader(name: "old", bytes: old).firstPacket)
        #expect(Array(carried[newStart...]) != Array(old[oldStart...]))
    }

    /// The reference decoder reads transformed streams whose maps end in partial tiles of every
    /// size from 2 to 6 (the goldens' 8 x 8 maps end in tiles of 1) bit for bit as FeatCodec
    /// does: the document's tile sizes, nominal frequencies and bases are the code's.
    @Test(arguments: [[2, 13, 11], [1, 9, 12], [1, 5, 3]])
    func theDocumentDecodesPartialTiles(shape: [Int]) throws {
        var settings = Self.transformedSettings[1].1
        settings.channelWeights = (0..<shape[0]).map { Float($0 + 1) / 2 }
        let (bytes, reconstructions, _) = try makeStream(frames: Self.frames(count: 4, shape: shape), settings: settings)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("reference-partial-\(shape[1])x\(shape[2])-\(getpid())").path
        defer { for suffix in [".fst", ".npy"] { try? FileManager.default.removeItem(atPath: base + suffix) } }
        try Data(bytes).write(to: URL(fileURLWithPath: base + ".fst"))
        let run = try Fixtures.run(Fixtures.which("python3"), [Fixtures.root.appendingPathComponent("Tools/fst-reference").path, base + ".fst", base + ".npy"])
        #expect(run.status == 0, "\(run.err)")
        let reference = try NpyReader.read(base + ".npy")
        #expect(reference.shape == [4] + shape)
        #expect(reference.values.map(\.bitPattern) == reconstructions.flatMap { $0.values.map(\.bitPattern) })
    }

    /// Files of format 1.6 still decode, and 1.9 writes them (1.6's `layeredCarried` kept) the
    /// same but for the version and the header's CRC. The layered ones are not what 1.7 to 1.9 write:
    /// its refinements have compact headers and no index entries, and the same payloads.
    @Test(arguments: settings16.map(\.0))
    func streamsOfVersion16StillDecode(name: String) throws {
        let settings = Self.settings16.first { $0.0 == name }!.1
        let (bytes, reconstructions, _) = try makeStream(frames: Self.frames(count: 12), settings: settings)
        let old = try expectOldStream(minor: 6, name, sameAs: bytes, decodingTo: reconstructions)
        guard let compact = try Self.currentLayered(name) else { return }
        let payloads = { (bytes: [UInt8]) -> [[UInt8]] in
            var found: [[UInt8]] = []
            try ContainerReader(name: "s", bytes: bytes).walk { if case .packet(_, let payload, _) = $0 { found.append(Array(payload)) }; return true }
            return found
        }
        let (oldReader, newReader) = (try ContainerReader(name: "old", bytes: old), try ContainerReader(name: "new", bytes: compact))
        #expect(try payloads(compact) == payloads(old) && payloads(old).count == 12 * settings.layers)
        let refinements = 12 * (settings.layers - 1)
        #expect(oldReader.index?.count == 12 * settings.layers && newReader.index?.count == 12)
        #expect(old.count - compact.count
                == refinements * (PacketHeader.size - PacketHeader.compactSize + ContainerFormat.indexEntrySize) + (oldReader.firstPacket - newReader.firstPacket))
    }

    /// The stream this version writes for the layered setting `name`; nil for the others.
    static func currentLayered(_ name: String) throws -> [UInt8]? {
        guard let current = allSettings.first(where: { $0.0 == name && $0.1.layers > 1 })?.1 else { return nil }
        return try makeStream(frames: frames(count: 12), settings: current).bytes
    }

    /// The committed stream `name` of format 1.`minor`: it is `bytes` but for the version and
    /// the header's CRC, and its 12 frames decode to `reconstructions`, bit for bit. Returns it.
    @discardableResult
    func expectOldStream(minor: UInt16, _ name: String, sameAs bytes: [UInt8], decodingTo reconstructions: [Tensor]) throws -> [UInt8] {
        let old = [UInt8](try Data(contentsOf: Self.directory.deletingLastPathComponent().appendingPathComponent("1.\(minor)/\(name).fst")))
        let reader = try ContainerReader(name: "old", bytes: old)
        #expect(reader.version == (1, minor) && reader.index != nil)
        let headerEnd = reader.firstPacket
        #expect(Array(old[headerEnd...]) == Array(bytes[headerEnd...]) && Array(old[12..<(headerEnd - 4)]) == Array(bytes[12..<(headerEnd - 4)]))
        let (decoded, report) = try decodeAll(old)
        #expect(report.problems.isEmpty && decoded.count == 12)
        #expect(decoded.map(\.1.values).map { $0.map(\.bitPattern) } == reconstructions.map { $0.values.map(\.bitPattern) })
        return old
    }

    /// Files of format 1.8 still decode, and 1.9 writes them (1.8's `transformed` kept) the same
    /// but for the version and the header's CRC.
    @Test(arguments: settings18.map(\.0))
    func streamsOfVersion18StillDecode(name: String) throws {
        let settings = Self.settings18.first { $0.0 == name }!.1
        let (bytes, reconstructions, _) = try makeStream(frames: Self.frames(count: 12), settings: settings)
        try expectOldStream(minor: 8, name, sameAs: bytes, decodingTo: reconstructions)
    }

    /// Files of format 1.7 still decode, and 1.9 writes them the same but for the version and
    /// the header's CRC.
    @Test(arguments: settings17.map(\.0))
    func streamsOfVersion17StillDecode(name: String) throws {
        let settings = Self.settings17.first { $0.0 == name }!.1
        let (bytes, reconstructions, _) = try makeStream(frames: Self.frames(count: 12), settings: settings)
        try expectOldStream(minor: 7, name, sameAs: bytes, decodingTo: reconstructions)
    }

    /// Files of format 1.2 (step mode before layers) still decode, and 1.9 writes them the same
    /// but for the version and the header's CRC.
    @Test(arguments: (settings + stepSettings).map(\.0))
    func streamsOfVersion12StillDecode(name: String) throws {
        let settings = (Self.settings + Self.stepSettings).first { $0.0 == name }!.1
        let (bytes, reconstructions, _) = try makeStream(frames: Self.frames(count: 12), settings: settings)
        let old = try expectOldStream(minor: 2, name, sameAs: bytes, decodingTo: reconstructions)
        #expect(try ContainerReader(name: "old", bytes: old).index?.count == 12)
    }

    /// Files of format 1.3 still decode, and written with 1.3's refinement contexts
    /// (`layeredSteps13`, as `extract` keeps them for such files) they are the same but for the
    /// version and the header's CRC. The layered ones are not what 1.4 writes: its refinements
    /// take the previous frame into their contexts.
    @Test(arguments: settings14.map(\.0))
    func streamsOfVersion13StillDecode(name: String) throws {
        var settings = Self.settings14.first { $0.0 == name }!.1
        let current = try makeStream(frames: Self.frames(count: 12), settings: settings).bytes
        if let (quality, layers) = settings.precision.layering { settings.precision = .layeredSteps13(quality: quality, layers: layers) }
        let (bytes, reconstructions, _) = try makeStream(frames: Self.frames(count: 12), settings: settings)
        let old = try expectOldStream(minor: 3, name, sameAs: bytes, decodingTo: reconstructions)
        let reader = try ContainerReader(name: "old", bytes: old)
        #expect((current == bytes) == (settings.layers == 1), "only layered streams changed in 1.4")
        // Extracting fewer layers keeps 1.3's contexts: the smaller file decodes as the old one's layers do.
        guard settings.layers > 2 else { return }
        let sink = MemorySink()
        _ = try StreamExtractor.extract(reader, layers: 2, order: .frames, to: sink)
        let extracted = try ContainerReader(name: "x", bytes: sink.bytes)
        #expect(extracted.parameters.coding.precision == .layeredSteps13(quality: settings.quality(ofLayers: 2)!, layers: 2))
        var fromOld: [[UInt32]] = [], fromExtracted: [[UInt32]] = []
        let oldReport = try StreamDecoder(try ContainerReader(name: "old", bytes: old), layers: 2).decode(.all) { fromOld.append($1.values.map(\.bitPattern)) }
        let newReport = try StreamDecoder(extracted).decode(.all) { fromExtracted.append($1.values.map(\.bitPattern)) }
        #expect(oldReport.problems.isEmpty && newReport.problems.isEmpty && fromOld.count == 12 && fromExtracted == fromOld)
    }

    /// A P-frame refinement whose step times a channel weight of 0.5 underflows to 0 (its
    /// step set to the smallest float, CRCs re-sealed) is damage, reported and skipped; it
    /// crashed the decoder when 1.4's context divided by that step (found by review).
    @Test func aRefinementStepOfZeroIsDamage() throws {
        var file = FstFile([UInt8](try Data(contentsOf: Self.directory.appendingPathComponent("layers-2-weighted.fst"))))
        let predicted = Set(file.packets.filter { $0.layer == 0 && $0.type == FrameType.predicted.rawValue }.map(\.sequence))
        let target = try #require(file.packets.firstIndex { $0.layer == 1 && predicted.contains($0.sequence) })
        file.packets[target].payload.replaceSubrange(0..<4, with: [1, 0, 0, 0])  // f32 bit pattern 1: 1.4e-45
        let (decoded, report) = try decodeAll(file.bytes())
        #expect(decoded.count == 12 && report.problems.count == 1, "\(report.problems)")
        #expect(decoded.allSatisfy { $0.1.values.allSatisfy(\.isFinite) })
    }

    /// Files of formats 1.0 (no source seconds in the index) and 1.1 still decode, with their index.
    @Test(arguments: ["1.0", "1.1"], settings.map(\.0))
    func olderStreamsStillDecode(version: String, name: String) throws {
        let settings = Self.settings.first { $0.0 == name }!.1
        let reconstructions = try makeStream(frames: Self.frames(count: 12), settings: settings).reconstructions
        let old = [UInt8](try Data(contentsOf: Self.directory.deletingLastPathComponent().appendingPathComponent("\(version)/\(name).fst")))
        let reader = try ContainerReader(name: "old", bytes: old)
        #expect("\(reader.version.0).\(reader.version.1)" == version && reader.index?.count == 12)
        #expect((reader.sourceSeconds == nil) == (version == "1.0"))
        let (decoded, report) = try decodeAll(old)
        #expect(report.problems.isEmpty)
        #expect(decoded.map(\.1.values).map { $0.map(\.bitPattern) } == reconstructions.map { $0.values.map(\.bitPattern) })
    }
}
