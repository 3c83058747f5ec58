import FeatCodec
import Foundation
import ZIPFoundation

/// A PyTorch state_dict read from a .pth file, in either of torch.save's formats:
/// - zip (torch >= 1.6): `<name>/data.pkl` plus one `<name>/data/<key>` entry per storage;
/// - legacy: magic number, protocol, sys_info and state_dict pickles, a pickled list of
///   storage keys, then each storage as an 8-byte element count and its raw bytes.
/// Tensors are materialised (contiguous float32, strides honoured) only when asked for.
public final class Checkpoint {
    public let path: String
    /// SHA-256 of the file (hex), computed on first use.
    public private(set) lazy var sha256 = SHA256.hex(fileBytes)
    private let fileBytes: [UInt8]
    /// Parameter names in file order, with their shapes.
    public let shapes: [(name: String, shape: [Int])]
    private let tensors: [String: TensorReference]
    private let storageBytes: (StorageReference) throws -> [UInt8]
    private var storageCache: [String: [UInt8]] = [:]

    public convenience init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw CheckpointError.unreadable(path, reason: isDirectory.boolValue ? "is a directory" : "cannot be read")
            }
            throw CheckpointError.unreadable(path, reason: "no such file")
        }
        try self.init(path: path, bytes: [UInt8](data))
    }

    init(path: String, bytes: [UInt8]) throws {
        self.path = path
        fileBytes = bytes
        let root: PickleValue
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            let archive: Archive
            do { archive = try Archive(data: Data(bytes), accessMode: .read) } catch {
                throw CheckpointError.corrupted(path, reason: "unreadable zip archive")
            }
            guard let pickle = archive.first(where: { $0.path.hasSuffix("data.pkl") }) else {
                throw CheckpointError.corrupted(path, reason: "zip archive without data.pkl")
            }
            let prefix = String(pickle.path.dropLast("data.pkl".count))
            root = try Checkpoint.unpickle(path) { var u = Unpickler(try Checkpoint.extract(pickle, from: archive, path: path)); return try u.load() }
            storageBytes = { storage in
                guard let entry = archive[prefix + "data/" + storage.key] else {
                    throw CheckpointError.corrupted(path, reason: "storage \(storage.key) missing from the archive")
                }
                return try Checkpoint.extract(entry, from: archive, path: path)
            }
        } else {
            // torch.save's legacy format opens with a protocol-2 pickle of its magic number.
            guard bytes.starts(with: [0x80, 0x02]) else {
                throw CheckpointError.corrupted(path, reason: "not a PyTorch checkpoint (neither a zip archive nor a pickle)")
            }
            var unpickler = Unpickler(bytes)
            let magic = try Checkpoint.unpickle(path) { try unpickler.load() }
            guard case .bytes(let magicBytes) = magic, magicBytes == Checkpoint.legacyMagic else {
                throw CheckpointError.corrupted(path, reason: "neither a zip nor a legacy PyTorch checkpoint")
            }
            _ = try Checkpoint.unpickle(path) { try unpickler.load() }  // protocol version
            let info = try Checkpoint.unpickle(path) { try unpickler.load() }
            if case .dict(let d) = info, d.entries.contains(where: {
                if case .string("little_endian") = $0.key, case .bool(false) = $0.value { return true }; return false
            }) {
                throw CheckpointError.corrupted(path, reason: "big-endian checkpoints are not supported")
            }
            root = try Checkpoint.unpickle(path) { try unpickler.load() }
            guard case .list(let keys) = try Checkpoint.unpickle(path, { try unpickler.load() }) else {
                throw CheckpointError.corrupted(path, reason: "no storage key list")
            }
            // Storages follow in key order, each as an 8-byte count and its data.
            var offsets: [String: (Int, Int)] = [:]
            var position = unpickler.position
            let sizes = Checkpoint.collectStorages(root)
            for case .string(let key) in keys.items {
                guard position + 8 <= bytes.count else { throw CheckpointError.truncated(path) }
                var count = 0
                for i in 0..<8 { count |= Int(bytes[position + i]) << (8 * i) }
                let size = (sizes[key].map(Checkpoint.elementSize) ?? 4) * count
                guard count >= 0, size <= bytes.count - position - 8 else { throw CheckpointError.truncated(path) }
                offsets[key] = (position + 8, size)
                position += 8 + size
            }
            storageBytes = { storage in
                guard let (start, size) = offsets[storage.key] else {
                    throw CheckpointError.corrupted(path, reason: "storage \(storage.key) missing")
                }
                return Array(bytes[start..<(start + size)])
            }
        }
        guard case .dict(let dict) = root else {
            throw CheckpointError.corrupted(path, reason: "the checkpoint is not a state_dict")
        }
        var tensors: [String: TensorReference] = [:]
        var shapes: [(String, [Int])] = []
        for (key, value) in dict.entries {
            guard case .string(let name) = key, case .tensor(let tensor) = value else { continue }
            tensors[name] = tensor
            shapes.append((name, tensor.shape))
        }
        if tensors.isEmpty { throw CheckpointError.corrupted(path, reason: "no tensors in the state_dict") }
        self.tensors = tensors
        self.shapes = shapes
    }

    public var names: [String] { shapes.map(\.name) }

    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }

    /// The tensor `name` as contiguous float32, checked against `expected` shape.
    public func tensor(_ name: String, shape expected: [Int]) throws -> Tensor {
        guard let reference = tensors[name] else { throw CheckpointError.missingKey(path, key: name) }
        guard reference.shape == expected else {
            throw CheckpointError.wrongShape(path, key: name, expected: expected, found: reference.shape)
        }
        let storage = reference.storage
        let raw: [UInt8]
        if let cached = storageCache[storage.key] { raw = cached } else {
            raw = try storageBytes(storage)
            storageCache[storage.key] = raw
        }
        let size = Checkpoint.elementSize(storage.type)
        guard raw.count >= storage.count * size else { throw CheckpointError.truncated(path) }
        let count = expected.reduce(1, *)
        // The furthest element the view reaches must lie inside the storage.
        let last = reference.offset + zip(reference.shape, reference.strides).reduce(0) { $0 + max($1.0 - 1, 0) * $1.1 }
        guard count == 0 || last < storage.count else {
            throw CheckpointError.corrupted(path, reason: "tensor \(name) reaches past its storage")
        }
        var values = [Float](repeating: 0, count: count)
        let contiguous = reference.strides == Checkpoint.contiguousStrides(expected)
        if contiguous && storage.type == "FloatStorage" {
            // The common case, as fast as a copy (the data is little-endian like this machine).
            raw.withUnsafeBytes { bytes in
                values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[(reference.offset * 4)...].prefix(count * 4))) }
            }
            return Tensor(shape: expected, values: values)
        }
        try raw.withUnsafeBytes { bytes in
            let read = try Checkpoint.reader(for: storage.type, name: name, path: path)
            var index = [Int](repeating: 0, count: expected.count)
            for i in 0..<count {
                var element = reference.offset
                for d in 0..<index.count { element += index[d] * reference.strides[d] }
                values[i] = read(bytes, element)
                var d = index.count - 1   // advance the row-major multi-index
                while d >= 0 {
                    index[d] += 1
                    if index[d] < expected[d] { break }
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return Tensor(shape: expected, values: values)
    }

    // MARK: helpers

    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        return strides
    }

    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    static func elementSize(_ type: String) -> Int {
        switch type {
        case "DoubleStorage", "LongStorage": return 8
        case "FloatStorage", "IntStorage": return 4
        case "HalfStorage", "BFloat16Storage", "ShortStorage": return 2
        default: return 1
        }
    }

    private static func reader(for type: String, name: String, path: String) throws -> (UnsafeRawBufferPointer, Int) -> Float {
        switch type {
        case "FloatStorage": return { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $1 * 4, as: UInt32.self))) }
        case "HalfStorage": return { Float(Float16(bitPattern: UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1 * 2, as: UInt16.self)))) }
        case "BFloat16Storage": return { Float(bitPattern: UInt32(UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1 * 2, as: UInt16.self))) << 16) }
        case "DoubleStorage": return { Float(Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: $1 * 8, as: UInt64.self)))) }
        default: throw CheckpointError.corrupted(path, reason: "tensor \(name) holds \(type), not floating point")
        }
    }

    /// Storage key -> type, for every tensor in the pickle (the legacy format needs the sizes).
    private static func collectStorages(_ root: PickleValue) -> [String: String] {
        var found: [String: String] = [:]
        if case .dict(let d) = root {
            for (_, value) in d.entries { if case .tensor(let t) = value { found[t.storage.key] = t.storage.type } }
        }
        return found
    }

    private static func extract(_ entry: Entry, from archive: Archive, path: String) throws -> [UInt8] {
        var data = Data()
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry) { data.append($0) }
        } catch {
            throw CheckpointError.corrupted(path, reason: "zip entry \(entry.path) is damaged (\(error))")
        }
        // extract(_:consumer:) computes the CRC-32 but leaves the comparison to the caller.
        guard checksum == entry.checksum else {
            throw CheckpointError.corrupted(path, reason: "zip entry \(entry.path) fails its CRC-32 check")
        }
        return [UInt8](data)
    }

    /// Runs a pickle load, turning the unpickler's failures into checkpoint errors.
    private static func unpickle(_ path: String, _ body: () throws -> PickleValue) throws -> PickleValue {
        do {
            return try body()
        } catch let failure as Unpickler.Failure {
            switch failure {
            case .truncated: throw CheckpointError.truncated(path)
            case .forbidden(let what): throw CheckpointError.forbidden(path, what: what)
            case .malformed(let what): throw CheckpointError.corrupted(path, reason: what)
            }
        }
    }
}
