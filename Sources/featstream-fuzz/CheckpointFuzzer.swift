import FeatModel
import FileCrafting
import Foundation

/// Structure-aware fuzzing of the checkpoint loader: torch.save-style checkpoints (zip and
/// legacy) with mutated pickle opcodes, lengths, integers (shapes, strides, offsets, storage
/// sizes), nesting and globals, and mutated zip or legacy framing (offsets, sizes, CRCs, entry
/// counts, compression, zip bombs), rebuilt with valid framing elsewhere. Each case loads the
/// file and reads every tensor it lists. A case passes when the loader returns tensors or
/// refuses with a `CheckpointError`, and never runs what the pickle asks for.
struct CheckpointFuzzer: Fuzzer {
    typealias Mutation = (String, @Sendable (inout CheckpointFile, inout Random) -> Void)

    /// Bounds storages as a model of this many parameters would.
    static let maxElements = 100_000

    let bases = [CheckpointFile.sample(legacy: false), CheckpointFile.sample(legacy: true)]

    /// Makes the zip bomb now, before the per-case clock runs.
    init() { _ = CheckpointFile.bomb }
    var mutationNames: [String] { CheckpointFuzzer.mutations.map(\.0) }

    func run(case index: Int, seed: UInt64, tally: inout Tally) throws {
        var random = Random(seed: seed, case: index)
        var file = random.pick(bases)
        var applied: [String] = []
        for _ in 0..<(1 + random.below(3)) {
            let (name, mutate) = random.pick(CheckpointFuzzer.mutations)
            mutate(&file, &random)
            applied.append(name)
        }
        var bytes = file.bytes()
        if random.chance(5) { bytes.removeLast(random.below(bytes.count)) }
        do {
            let checkpoint = try Checkpoint(name: "case.pth", bytes: bytes, maxElements: CheckpointFuzzer.maxElements)
            var damaged = false
            for (name, shape) in checkpoint.shapes {
                do { _ = try checkpoint.tensor(name, shape: shape) } catch is CheckpointError {
                    // The batch-norm counter is an integer storage: refusing it is the right answer.
                    if !name.hasSuffix("num_batches_tracked") { damaged = true }
                }
            }
            _ = checkpoint.sha256
            tally.count(applied, damaged ? .damaged : .clean)
        } catch is CheckpointError {
            tally.count(applied, .refused)
        }
    }

    static let mutations: [Mutation] = [
        ("opcode replaced", { f, r in
            // Any opcode, the unsupported and the code-running ones among them (INST, OBJ, NEWOBJ, EXT1, BUILD...).
            f.ops[r.below(f.ops.count)].opcode = r.chance(50) ? UInt8(truncatingIfNeeded: r.next()) : r.pick([0x69, 0x6F, 0x81, 0x82, 0x62, 0x52, 0x93, 0x63, 0x2E, 0x31, 0x32, 0x30]) }),
        ("opcode dropped", { f, r in f.ops.remove(at: r.below(f.ops.count)) }),
        ("opcode duplicated", { f, r in let i = r.below(f.ops.count); f.ops.insert(f.ops[i], at: i) }),
        ("integer", { f, r in f.editOp(r.next()) { op in
            if case .integer(let v, let size) = op.argument { op.argument = .integer(r.edgeInteger(near: v), size: size) } } }),
        ("wide integer", { f, r in f.editOp(r.next()) { op in
            // A shape, stride, offset or size as LONG1: up to 64 bits, or wider.
            if case .integer(let v, _) = op.argument {
                let value = r.edgeInteger(near: v)
                op = .init(opcode: 0x8A, argument: .long(r.chance(90) ? withUnsafeBytes(of: value) { Array($0) } : [UInt8](repeating: 0x7F, count: 9)))
            } } }),
        ("length", { f, r in f.editOp(r.next()) { op in
            if case .data(let bytes, let lengthSize, _) = op.argument {
                op.argument = .data(bytes, lengthSize: lengthSize, declared: r.pick([UInt64(bytes.count + 1), UInt64.max, 1 << 63, 1 << 62, UInt64(UInt32.max), 0]))
            } } }),
        ("BINUNICODE8", { f, r in f.editOp(r.next()) { op in
            if case .data(let bytes, _, _) = op.argument {
                op = .init(opcode: 0x8D, argument: .data(bytes, lengthSize: 8, declared: r.pick([nil, 1 << 63, UInt64.max, UInt64(bytes.count) + 1 << 40])))
            } } }),
        ("global", { f, r in f.editOp(r.next()) { op in
            guard case .line = op.argument else { return }
            let (module, name) = r.pick([("os", "system"), ("torch", "load"), ("builtins", "eval"), ("torch._utils", "_rebuild_tensor"),
                                        ("torch", "LongStorage"), ("torch", "IntStorage"), ("torchvision", "x"), ("torch.serialization", "load"),
                                        ("__builtin__", "getattr"), ("torch", "ByteStorage")])
            op = .init(opcode: 0x63, argument: .line(module, name)) } }),
        ("stack global", { f, r in
            // The STACK_GLOBAL form of a forbidden global, then a call.
            let i = r.below(f.ops.count)
            let (module, name) = r.pick([("os", "system"), ("torch", "load"), ("subprocess", "call")])
            f.ops.insert(contentsOf: [.init(opcode: 0x8C, argument: .data(Array(module.utf8), lengthSize: 1, declared: nil)),
                                      .init(opcode: 0x8C, argument: .data(Array(name.utf8), lengthSize: 1, declared: nil)),
                                      .init(opcode: 0x93), .init(opcode: 0x58, argument: .data(Array("id".utf8), lengthSize: 4, declared: nil)),
                                      .init(opcode: 0x85), .init(opcode: 0x52)], at: i) }),
        ("deep nesting", { f, r in
            let depth = r.pick([100, 1000, 50_000])
            let (open, close): ([CheckpointFile.Op], [CheckpointFile.Op]) = r.pick([
                ([.init(opcode: 0x29)], [.init(opcode: 0x85)]),                    // (((),),) ...
                ([.init(opcode: 0x5D)], [.init(opcode: 0x85)]),                    // lists in tuples
                ([.init(opcode: 0x7D), .init(opcode: 0x4B, argument: .integer(1, size: 1))], [.init(opcode: 0x73), .init(opcode: 0x85)]),
                ([], []),                                                          // MARK ... MARK EMPTY_LIST LIST ... LIST
            ])
            var nest: [CheckpointFile.Op]
            if open.isEmpty {
                nest = [CheckpointFile.Op](repeating: .init(opcode: 0x28), count: depth) + [.init(opcode: 0x5D)]
                    + [CheckpointFile.Op](repeating: .init(opcode: 0x6C), count: depth)
            } else {
                nest = open
                for _ in 0..<depth { nest += close }
            }
            f.ops.insert(contentsOf: nest + [.init(opcode: 0x30)], at: r.below(f.ops.count)) }),
        ("memo index", { f, r in
            f.ops.insert(.init(opcode: r.pick([0x68, 0x6A, 0x71, 0x72]), argument: .integer(r.edgeInteger(), size: 4)), at: r.below(f.ops.count)) }),
        ("storage type", { f, r in f.editOp(r.next()) { op in
            if case .line("torch", _) = op.argument { op.argument = .line("torch", r.pick(["LongStorage", "IntStorage", "BoolStorage", "DoubleStorage", "BFloat16Storage", "ComplexFloatStorage"])) } } }),
        ("storage bytes", { f, r in
            let i = r.below(f.storages.count)
            if r.chance(50) { f.storages[i].bytes.removeLast(r.below(f.storages[i].bytes.count + 1)) }
            else { f.storages[i].bytes += [UInt8](repeating: 0xFF, count: 1 + r.below(64)) } }),
        ("legacy storage count", { f, r in
            f.legacyCountOverride[r.pick(f.storages).key] = UInt64(bitPattern: r.edgeInteger()) }),
        ("zip entry offset", { f, r in
            let offset: UInt64 = r.pick([0xFFFF_FFF0, 0xFFFF_FFFF, UInt64(r.below(4096)), 1 << 31])
            f.editEntry(r.next()) { $0.localOffsetOverride = offset } }),
        ("zip entry size", { f, r in
            let (compressed, edge) = (r.chance(50), r.edgeInteger())
            f.editEntry(r.next()) { e in
                let size = UInt64(bitPattern: edge == 0 ? Int64(e.data.count + 1) : edge) & 0xFFFF_FFFF
                if compressed { e.compressedSizeOverride = size } else { e.uncompressedSizeOverride = size }
            } }),
        ("zip entry CRC", { f, r in let crc = UInt32(truncatingIfNeeded: r.next()); f.editEntry(r.next()) { $0.crcOverride = crc } }),
        ("zip entry name", { f, r in let length = UInt16(truncatingIfNeeded: r.edgeInteger()); f.editEntry(r.next()) { $0.nameLengthOverride = length } }),
        ("zip deflated", { f, r in f.editEntry(r.next()) { $0.deflate = true } }),
        ("zip bomb", { f, r in
            // 64 MB of zeros deflated to a few tens of KB, declared honestly or as small.
            let declared: UInt64? = r.chance(50) ? nil : UInt64(r.below(1 << 16))
            f.editEntry(r.next()) { e in
                e.deflate = true
                e.storedOverride = CheckpointFile.bomb.stored
                e.crcOverride = CheckpointFile.bomb.crc
                e.uncompressedSizeOverride = declared ?? CheckpointFile.bomb.size
            } }),
        ("zip end record", { f, r in
            switch r.below(3) {
            case 0: f.entryCountOverride = UInt16(truncatingIfNeeded: r.edgeInteger())
            case 1: f.directoryOffsetOverride = UInt32(truncatingIfNeeded: r.edgeInteger())
            default: f.directorySizeOverride = UInt32(truncatingIfNeeded: r.edgeInteger())
            } }),
        ("zip extra entry", { f, r in
            f.extraEntries.append(.init(name: r.pick(["archive/data/0", "archive/data.pkl", "x/data.pkl", String(repeating: "a", count: 300)]),
                                        data: (0..<r.below(256)).map { _ in UInt8(truncatingIfNeeded: r.next()) })) }),
        ("format", { f, _ in f.legacy.toggle() }),
    ]
}

extension CheckpointFile {
    /// Changes the opcode with an argument (length, integer, global) that `choice` picks.
    mutating func editOp(_ choice: UInt64, _ change: (inout Op) -> Void) {
        let candidates = ops.indices.filter { if case .none = ops[$0].argument { return false }; return true }
        guard !candidates.isEmpty else { return }
        change(&ops[candidates[Int(choice % UInt64(candidates.count))]])
    }

    /// Changes, when the archive is written, the entry `choice` picks.
    mutating func editEntry(_ choice: UInt64, _ change: @escaping (inout ZipEntry) -> Void) {
        let names = ["archive/data.pkl", "archive/version"] + storages.map { "archive/data/" + $0.key }
        let name = names[Int(choice % UInt64(names.count))]
        let previous = entryEdits[name]
        entryEdits[name] = { entry in previous?(&entry); change(&entry) }
    }
}
