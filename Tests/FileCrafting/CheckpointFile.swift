import Foundation
import ZIPFoundation

/// A PyTorch checkpoint taken apart: the state_dict pickle as a list of opcodes with their
/// arguments, the storages, and the zip or legacy framing around them, so a mutation can change
/// one opcode, length, size or offset and the file is rebuilt with valid framing (zip CRCs,
/// sizes and offsets re-computed unless the mutation set them).
public struct CheckpointFile {
    public struct Op {
        public enum Argument {
            case none
            /// An integer of `size` bytes (BININT1/2/4, BINPUT, LONG_BINPUT, ...).
            case integer(Int64, size: Int)
            /// Text or bytes with a length prefix of `lengthSize` bytes; `declared` overrides the length written.
            case data([UInt8], lengthSize: Int, declared: UInt64?)
            /// GLOBAL's "module\nname\n".
            case line(String, String)
            /// LONG1: one length byte, then little-endian two's-complement bytes.
            case long([UInt8])
        }
        public var opcode: UInt8
        public var argument: Argument = .none
        public init(opcode: UInt8, argument: Argument = .none) { (self.opcode, self.argument) = (opcode, argument) }
    }

    public struct Storage {
        public var key: String
        public var type: String
        public var bytes: [UInt8]
        public init(key: String, type: String, bytes: [UInt8]) { (self.key, self.type, self.bytes) = (key, type, bytes) }
    }

    public struct ZipEntry {
        public var name: String
        public var data: [UInt8]
        public var deflate = false
        /// The bytes stored in the archive, when given (a prepared deflate stream); else `data`, deflated or not.
        public var storedOverride: [UInt8]?
        public var crcOverride: UInt32?
        public var uncompressedSizeOverride: UInt64?
        public var compressedSizeOverride: UInt64?
        public var localOffsetOverride: UInt64?
        public var nameLengthOverride: UInt16?
        public init(name: String, data: [UInt8]) { (self.name, self.data) = (name, data) }
    }

    public var ops: [Op]
    public var storages: [Storage]
    public var legacy: Bool
    /// Zip framing overrides (end-of-central-directory fields).
    public var entryCountOverride: UInt16?
    public var directoryOffsetOverride: UInt32?
    public var directorySizeOverride: UInt32?
    public var extraEntries: [ZipEntry] = []
    public var entryEdits: [String: (inout ZipEntry) -> Void] = [:]
    /// Legacy framing: the element count written before each storage, when overridden.
    public var legacyCountOverride: [String: UInt64] = [:]

    public static func pickle(_ ops: [Op]) -> [UInt8] {
        var out: [UInt8] = []
        for op in ops {
            out.append(op.opcode)
            switch op.argument {
            case .none: break
            case .integer(let v, let size): out.appendLE(UInt64(bitPattern: v), size)
            case .data(let bytes, let lengthSize, let declared):
                out.appendLE(declared ?? UInt64(bytes.count), lengthSize)
                out += bytes
            case .line(let module, let name): out += Array((module + "\n" + name + "\n").utf8)
            case .long(let bytes):
                out.append(UInt8(truncatingIfNeeded: bytes.count))
                out += bytes
            }
        }
        return out
    }

    public func bytes() -> [UInt8] {
        let state = CheckpointFile.pickle(ops)
        if legacy {
            var out = CheckpointFile.pickle([Op(opcode: 0x80, argument: .integer(2, size: 1)),
                                             Op(opcode: 0x8A, argument: .long([0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])),
                                             Op(opcode: 0x2E)])
            out += CheckpointFile.pickle([Op(opcode: 0x80, argument: .integer(2, size: 1)), Op(opcode: 0x4D, argument: .integer(1001, size: 2)), Op(opcode: 0x2E)])
            out += CheckpointFile.pickle([Op(opcode: 0x80, argument: .integer(2, size: 1)), Op(opcode: 0x7D),
                                          Op(opcode: 0x58, argument: .data(Array("little_endian".utf8), lengthSize: 4, declared: nil)),
                                          Op(opcode: 0x88), Op(opcode: 0x73), Op(opcode: 0x2E)])
            out += state
            var keys = [Op(opcode: 0x80, argument: .integer(2, size: 1)), Op(opcode: 0x5D), Op(opcode: 0x28)]
            for s in storages { keys.append(Op(opcode: 0x58, argument: .data(Array(s.key.utf8), lengthSize: 4, declared: nil))) }
            keys += [Op(opcode: 0x65), Op(opcode: 0x2E)]
            out += CheckpointFile.pickle(keys)
            for s in storages {
                out.appendLE(legacyCountOverride[s.key] ?? UInt64(s.bytes.count / CheckpointFile.elementSize(s.type)), 8)
                out += s.bytes
            }
            return out
        }
        var entries = [ZipEntry(name: "archive/data.pkl", data: state)]
        for s in storages { entries.append(ZipEntry(name: "archive/data/" + s.key, data: s.bytes)) }
        entries.append(ZipEntry(name: "archive/version", data: Array("3\n".utf8)))
        entries += extraEntries
        for i in entries.indices { entryEdits[entries[i].name]?(&entries[i]) }
        return CheckpointFile.zip(entries, count: entryCountOverride, directoryOffset: directoryOffsetOverride, directorySize: directorySizeOverride)
    }

    public static func elementSize(_ type: String) -> Int {
        switch type {
        case "DoubleStorage", "LongStorage": return 8
        case "HalfStorage", "BFloat16Storage": return 2
        default: return 4
        }
    }

    /// A zip archive (no zip64) of `entries`, as torch.save lays it out: local headers and data,
    /// the central directory, the end record.
    public static func zip(_ entries: [ZipEntry], count: UInt16?, directoryOffset: UInt32?, directorySize: UInt32?) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for e in entries {
            let stored = e.storedOverride ?? (e.deflate ? deflated(e.data) : e.data)
            let crc = e.crcOverride ?? Data(e.data).crc32(checksum: 0)
            let offset = out.count
            let name = Array(e.name.utf8)
            var local: [UInt8] = []
            local.appendLE(0x0403_4B50, 4)
            local.appendLE(20, 2); local.appendLE(0, 2); local.appendLE(e.deflate ? 8 : 0, 2); local.appendLE(0, 4)
            local.appendLE(UInt64(crc), 4)
            local.appendLE(e.compressedSizeOverride ?? UInt64(stored.count), 4)
            local.appendLE(e.uncompressedSizeOverride ?? UInt64(e.data.count), 4)
            local.appendLE(UInt64(e.nameLengthOverride ?? UInt16(name.count)), 2); local.appendLE(0, 2)
            out += local + name + stored
            central.appendLE(0x0201_4B50, 4)
            central.appendLE(20, 2); central.appendLE(20, 2); central.appendLE(0, 2); central.appendLE(e.deflate ? 8 : 0, 2); central.appendLE(0, 4)
            central.appendLE(UInt64(crc), 4)
            central.appendLE(e.compressedSizeOverride ?? UInt64(stored.count), 4)
            central.appendLE(e.uncompressedSizeOverride ?? UInt64(e.data.count), 4)
            central.appendLE(UInt64(e.nameLengthOverride ?? UInt16(name.count)), 2)
            central.appendLE(0, 2); central.appendLE(0, 2); central.appendLE(0, 2); central.appendLE(0, 2); central.appendLE(0, 4)
            central.appendLE(e.localOffsetOverride ?? UInt64(offset), 4)
            central += name
        }
        let start = out.count
        out += central
        out.appendLE(0x0605_4B50, 4)
        out.appendLE(0, 2); out.appendLE(0, 2)
        out.appendLE(UInt64(count ?? UInt16(entries.count)), 2); out.appendLE(UInt64(count ?? UInt16(entries.count)), 2)
        out.appendLE(UInt64(directorySize ?? UInt32(central.count)), 4)
        out.appendLE(UInt64(directoryOffset ?? UInt32(start)), 4)
        out.appendLE(0, 2)
        return out
    }

    /// 1.25 GiB of zeros, deflated (about 1.3 MB): a zip bomb beyond the fuzzers' 1 GiB memory
    /// limit. Its CRC is left 0: a loader must stop before it could check it.
    public static let bomb: (stored: [UInt8], size: UInt64, crc: UInt32) = (DeflatedZeros.stream(count: 5 << 28), 5 << 28, 0)

    /// Raw deflate (what zip's method 8 holds), through ZIPFoundation.
    public static func deflated(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        _ = try? Data.compress(size: Int64(data.count), bufferSize: 1 << 16, provider: { position, size in
            Data(data[Int(position)..<min(Int(position) + size, data.count)])
        }, consumer: { out += $0 })
        return out
    }
}

extension CheckpointFile {
    /// A small state_dict in torch.save's layout: contiguous float weights, a bias, a view at a
    /// non-zero offset of a shared storage (t[1:]), a half-precision tensor and a LongStorage
    /// counter, as batch-norm layers have.
    public static func sample(legacy: Bool) -> CheckpointFile {
        var ops: [Op] = [Op(opcode: 0x80, argument: .integer(2, size: 1)), Op(opcode: 0x7D), Op(opcode: 0x71, argument: .integer(0, size: 1)), Op(opcode: 0x28)]
        func text(_ s: String) -> Op { Op(opcode: 0x58, argument: .data(Array(s.utf8), lengthSize: 4, declared: nil)) }
        func int(_ v: Int) -> Op { Op(opcode: 0x4A, argument: .integer(Int64(v), size: 4)) }
        func tensor(_ name: String, key: String, type: String, numel: Int, offset: Int, shape: [Int], stride: [Int]) {
            ops += [text(name), Op(opcode: 0x63, argument: .line("torch._utils", "_rebuild_tensor_v2")), Op(opcode: 0x28),
                    Op(opcode: 0x28), text("storage"), Op(opcode: 0x63, argument: .line("torch", type)), text(key), text("cpu"), int(numel),
                    Op(opcode: 0x74), Op(opcode: 0x51), int(offset), Op(opcode: 0x28)] + shape.map(int) + [Op(opcode: 0x74), Op(opcode: 0x28)]
                + stride.map(int) + [Op(opcode: 0x74), Op(opcode: 0x89), Op(opcode: 0x63, argument: .line("collections", "OrderedDict")),
                                     Op(opcode: 0x29), Op(opcode: 0x52), Op(opcode: 0x74), Op(opcode: 0x52)]
        }
        tensor("conv.weight", key: "0", type: "FloatStorage", numel: 108, offset: 0, shape: [4, 3, 3, 3], stride: [27, 9, 3, 1])
        tensor("conv.bias", key: "1", type: "FloatStorage", numel: 4, offset: 0, shape: [4], stride: [1])
        tensor("shared.tail", key: "2", type: "FloatStorage", numel: 12, offset: 4, shape: [2, 4], stride: [4, 1])
        tensor("shared.strided", key: "2", type: "FloatStorage", numel: 12, offset: 1, shape: [3, 2], stride: [4, 2])
        tensor("half.weight", key: "3", type: "HalfStorage", numel: 6, offset: 0, shape: [6], stride: [1])
        tensor("bn.num_batches_tracked", key: "4", type: "LongStorage", numel: 1, offset: 0, shape: [], stride: [])
        ops += [Op(opcode: 0x75), Op(opcode: 0x2E)]
        func floats(_ n: Int) -> [UInt8] { (0..<n).flatMap { i -> [UInt8] in withUnsafeBytes(of: Float(i) * 0.25 - 3) { Array($0) } } }
        let storages = [Storage(key: "0", type: "FloatStorage", bytes: floats(108)), Storage(key: "1", type: "FloatStorage", bytes: floats(4)),
                        Storage(key: "2", type: "FloatStorage", bytes: floats(12)),
                        Storage(key: "3", type: "HalfStorage", bytes: (0..<6).flatMap { i in withUnsafeBytes(of: Float16(Float(i) / 3).bitPattern) { Array($0) } }),
                        Storage(key: "4", type: "LongStorage", bytes: withUnsafeBytes(of: Int64(7)) { Array($0) })]
        return CheckpointFile(ops: ops, storages: storages, legacy: legacy)
    }
}
