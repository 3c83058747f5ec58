@testable import FeatModel
import FileCrafting
import Foundation
import Testing

/// Checkpoints with valid framing whose fields lie (the outside campaign's K1-K7), built with
/// FileCrafting from a small torch.save-style state_dict, and what a correct loader returns
/// from the intact one (views at non-zero offsets of a shared storage, half precision).
@Suite struct CheckpointDamageTests {
    func load(_ file: CheckpointFile, maxElements: Int = 100_000) throws -> Checkpoint {
        try Checkpoint(name: "t.pth", bytes: file.bytes(), maxElements: maxElements)
    }

    func reason(_ file: CheckpointFile, maxElements: Int = 100_000, reading: String? = nil) -> String {
        do {
            let checkpoint = try load(file, maxElements: maxElements)
            if let reading { _ = try checkpoint.tensor(reading, shape: checkpoint.shape(of: reading) ?? []) }
            return "loaded"
        } catch let error as CheckpointError {
            return error.description
        } catch {
            return "untyped \(error)"
        }
    }

    /// Index of the first opcode whose argument is `text`.
    func op(_ file: CheckpointFile, text: String) -> Int {
        file.ops.firstIndex { if case .data(let bytes, _, _) = $0.argument { return bytes == Array(text.utf8) }; return false }!
    }

    /// Index of the BININT opcode `after` opcodes past the first opcode with text `text`.
    func integer(_ file: CheckpointFile, after text: String, _ offset: Int) -> Int { op(file, text: text) + offset }

    /// Every value, in both formats: contiguous, a view at offset 4 of a shared storage (the
    /// contiguous fast path must honour the offset), a strided view, float16.
    @Test func readsViewsOfSharedStorages() throws {
        for legacy in [false, true] {
            let checkpoint = try load(.sample(legacy: legacy))
            let value = { (i: Int) in Float(i) * 0.25 - 3 }
            #expect(try checkpoint.tensor("conv.weight", shape: [4, 3, 3, 3]).values == (0..<108).map(value))
            #expect(try checkpoint.tensor("shared.tail", shape: [2, 4]).values == (4..<12).map(value))
            #expect(try checkpoint.tensor("shared.strided", shape: [3, 2]).values == [1, 3, 5, 7, 9, 11].map(value))
            #expect(try checkpoint.tensor("half.weight", shape: [6]).values == (0..<6).map { Float(Float16(Float($0) / 3)) })
            #expect(throws: CheckpointError.corrupted("t.pth", reason: "tensor bn.num_batches_tracked holds LongStorage, not floating point")) {
                _ = try checkpoint.tensor("bn.num_batches_tracked", shape: [])
            }
        }
    }

    /// Globals a state_dict never needs are refused as code, in GLOBAL and STACK_GLOBAL form,
    /// even from torch's own modules.
    @Test func refusesGlobalsThatRunCode() throws {
        for (module, name) in [("torch", "load"), ("torch.serialization", "load"), ("torch._utils", "_rebuild_tensor"), ("os", "system")] {
            var file = CheckpointFile.sample(legacy: false)
            let i = file.ops.firstIndex { if case .line("collections", _) = $0.argument { return true }; return false }!
            file.ops[i].argument = .line(module, name)
            #expect(reason(file).contains("refusing to load: the checkpoint asks for global \(module).\(name)"), "\(module).\(name)")
            var stacked = CheckpointFile.sample(legacy: false)
            stacked.ops.replaceSubrange(i...i, with: [.init(opcode: 0x8C, argument: .data(Array(module.utf8), lengthSize: 1, declared: nil)),
                                                      .init(opcode: 0x8C, argument: .data(Array(name.utf8), lengthSize: 1, declared: nil)),
                                                      .init(opcode: 0x93)])
            #expect(reason(stacked).contains("asks for global \(module).\(name)"), "STACK_GLOBAL \(module).\(name)")
        }
    }

    /// K1: a BINUNICODE8 length of 2^63 or more is truncation, not a trap.
    @Test func hugeStringLength() throws {
        for declared: UInt64 in [1 << 63, .max, 1 << 62] {
            var file = CheckpointFile.sample(legacy: false)
            let i = op(file, text: "conv.weight")
            file.ops[i] = .init(opcode: 0x8D, argument: .data(Array("conv.weight".utf8), lengthSize: 8, declared: declared))
            #expect(reason(file) == "t.pth: checkpoint is truncated")
        }
    }

    /// K2: 50,000 nested tuples (or lists) are refused in one line, not a stack overflow.
    @Test func deepNesting() throws {
        for (open, close) in [(0x29 as UInt8, 0x85 as UInt8), (0x5D, 0x85)] {
            var file = CheckpointFile.sample(legacy: false)
            let nest = [CheckpointFile.Op(opcode: open)] + [CheckpointFile.Op](repeating: .init(opcode: close), count: 50_000) + [.init(opcode: 0x30)]
            file.ops.insert(contentsOf: nest, at: 3)
            #expect(reason(file) == "t.pth: checkpoint is corrupted (containers nested deeper than 64 levels)")
        }
    }

    /// K3, K4: a storage numel of 2^61 and a tensor offset of Int64.max are clear errors.
    @Test func sizesAndOffsetsOverflowNothing() throws {
        var numel = CheckpointFile.sample(legacy: false)
        numel.ops[integer(numel, after: "conv.weight", 8)] = .init(opcode: 0x8A, argument: .long(withUnsafeBytes(of: Int64(1) << 61) { Array($0) }))
        #expect(reason(numel, maxElements: .max, reading: "conv.weight").contains("claims 2305843009213693952 elements"), "\(reason(numel, maxElements: .max, reading: "conv.weight"))")
        var offset = CheckpointFile.sample(legacy: false)
        offset.ops[integer(offset, after: "conv.weight", 11)] = .init(opcode: 0x8A, argument: .long(withUnsafeBytes(of: Int64.max) { Array($0) }))
        #expect(reason(offset, reading: "conv.weight") == "t.pth: checkpoint is corrupted (tensor conv.weight reaches past its storage)")
        var negative = CheckpointFile.sample(legacy: false)
        negative.ops[integer(negative, after: "conv.weight", 11)] = .init(opcode: 0x4A, argument: .integer(-4, size: 4))
        #expect(reason(negative) == "t.pth: checkpoint is corrupted (negative storage offset -4)")
    }

    /// K5: a legacy storage count of 2^61 is refused.
    @Test func legacyStorageCount() throws {
        var file = CheckpointFile.sample(legacy: true)
        file.legacyCountOverride["0"] = 1 << 61
        #expect(reason(file) == "t.pth: checkpoint is corrupted (storage 0 claims 2305843009213693952 elements)")
    }

    /// K6: zip offsets past the file are refused before anything reads there.
    @Test func zipOffsetsOutsideTheFile() throws {
        for entry in ["archive/data.pkl", "archive/data/0"] {
            var file = CheckpointFile.sample(legacy: false)
            file.entryEdits[entry] = { $0.localOffsetOverride = 0xFFFF_FFF0 }
            #expect(reason(file) == "t.pth: checkpoint is corrupted (unreadable zip archive: entry \(entry) points outside the file)")
        }
        var directory = CheckpointFile.sample(legacy: false)
        directory.directoryOffsetOverride = 0xFFFF_FFF0
        #expect(reason(directory) == "t.pth: checkpoint is corrupted (unreadable zip archive: central directory outside the file)")
    }

    /// K7: a zip bomb is never inflated past what the entry declares, nor past what the model needs.
    @Test func zipBombs() throws {
        var honest = CheckpointFile.sample(legacy: false)
        honest.entryEdits["archive/data/0"] = { e in
            (e.deflate, e.storedOverride, e.crcOverride, e.uncompressedSizeOverride) = (true, CheckpointFile.bomb.stored, CheckpointFile.bomb.crc, CheckpointFile.bomb.size)
        }
        #expect(reason(honest, reading: "conv.weight").contains("declares 1342177280 bytes, more than the 432 it can need"))
        var lying = honest
        lying.entryEdits["archive/data/0"] = { e in
            (e.deflate, e.storedOverride, e.crcOverride, e.uncompressedSizeOverride) = (true, CheckpointFile.bomb.stored, CheckpointFile.bomb.crc, 432)
        }
        #expect(reason(lying, reading: "conv.weight") == "t.pth: checkpoint is corrupted (entry archive/data/0 inflates past its declared size)")
        // Deflated but honest and small: read like a stored entry.
        var deflated = CheckpointFile.sample(legacy: false)
        deflated.entryEdits["archive/data/0"] = { $0.deflate = true }
        #expect(try load(deflated).tensor("conv.weight", shape: [4, 3, 3, 3]).values.first == -3)
    }
}
