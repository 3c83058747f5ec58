import FeatCodec
import Foundation

/// A PyTorch state_dict read from a .pth file, in either of torch.save's formats:
/// - zip (torch >= 1.6): `<name>/data.pkl` plus one `<name>/data/<key>` entry per storage;
/// - legacy: magic number, protocol, sys_info and state_dict pickles, a pickled list of
///   storage keys, then each storage as an 8-byte element count and its raw bytes.
/// Tensors are materialised (contiguous float32, strides honoured) only when asked for.
public final class Checkpoint {
    /// The file's path, or the name given to `init(name:bytes:maxElements:)`; used in messages.
    public let path: String
    /// SHA-256 of the file (hex), computed on first use.
    public private(set) lazy var sha256 = SHA256.hex(fileBytes)
    private let fileBytes: [UInt8]
    /// Parameter names in file order, with their shapes.
    public let shapes: [(name: String, shape: [Int])]
    private let tensors: [String: TensorReference]
    /// A storage's bytes, refused beyond the given byte count.
    private let storageBytes: (StorageReference, Int) throws -> [UInt8]
    private var storageCache: [String: [UInt8]] = [:]
    private let maxElements: Int
    /// Elements of the storages read so far (bounded by twice `maxElements`).
    private var elementsRead = 0
    /// data.pkl of the largest torchvision models is about 100 KB.
    static let maxPickleBytes = 64 << 20

    /// Reads `path`. `maxElements` bounds each storage and the storages read in all (the
    /// model's parameter count when the architecture is known): a crafted size cannot make
    /// featstream inflate or copy more than the model needs.
    public convenience init(path: String, maxElements: Int = .max) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw CheckpointError.unreadable(path, reason: isDirectory.boolValue ? "is a directory" : "cannot be read")
            }
            throw CheckpointError.unreadable(path, reason: "no such file")
        }
        try self.init(name: path, bytes: [UInt8](data), maxElements: maxElements)
    }

    /// A checkpoint held in memory; `name` is used in messages.
    public init(name path: String, bytes: [UInt8], maxElements: Int = .max) throws {
        self.path = path
        fileBytes = bytes
        self.maxElements = maxElements
        let root: PickleValue
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            let archive: ZipArchive
            do { archive = try ZipArchive(bytes) } catch let damaged as ZipArchive.Damaged {
                throw CheckpointError.corrupted(path, reason: "unreadable zip archive: \(damaged)")
            }
            guard let pickle = archive.entries.first(where: { $0.name.hasSuffix("data.pkl") }) else {
                throw CheckpointError.corrupted(path, reason: "zip archive without data.pkl")
            }
            let prefix = String(pickle.name.dropLast("data.pkl".count))
            let pickleBytes = try Checkpoint.extract(pickle, from: archive, limit: Checkpoint.maxPickleBytes, path: path)
            root = try Checkpoint.unpickle(path) { var u = Unpickler(pickleBytes); return try u.load() }
            storageBytes = { storage, limit in
                guard let entry = archive.entries.first(where: { $0.name == prefix + "data/" + storage.key }) else {
                    throw CheckpointError.corrupted(path, reason: "storage \(storage.key) missing from the archive")
                }
                return try Checkpoint.extract(entry, from: archive, limit: limit, path: path)
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
            // Storages follow in key order, each as an 8-byte element count and its data.
            var offsets: [String: (Int, Int)] = [:]
            var position = unpickler.position
            let sizes = Checkpoint.collectStorages(root)
            for case .string(let key) in keys.items {
                guard position + 8 <= bytes.count else { throw CheckpointError.truncated(path) }
                var raw: UInt64 = 0
                for i in 0..<8 { raw |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
                let elementSize = sizes[key].map(Checkpoint.elementSize) ?? 4
                guard let count = Int(exactly: raw), case (let size, false) = count.multipliedReportingOverflow(by: elementSize) else {
                    throw CheckpointError.corrupted(path, reason: "storage \(key) claims \(raw) elements")
                }
                guard size <= bytes.count - position - 8 else { throw CheckpointError.truncated(path) }
                offsets[key] = (position + 8, size)
                position += 8 + size
            }
            storageBytes = { storage, limit in
                guard let (start, size) = offsets[storage.key] else {
                    throw CheckpointError.corrupted(path, reason: "storage \(storage.key) missing")
                }
                guard size <= limit else { throw CheckpointError.corrupted(path, reason: "storage \(storage.key) is larger than the model can need") }
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

    /// Parameter names in file order.
    public var names: [String] { shapes.map(\.name) }

    /// The shape of parameter `name`, or nil when the checkpoint has none.
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }

    /// The tensor `name` as contiguous float32, checked against `expected` shape.
    public func tensor(_ name: String, shape expected: [Int]) throws -> Tensor {
        guard let reference = tensors[name] else { throw CheckpointError.missingKey(path, key: name) }
        guard reference.shape == expected else {
            throw CheckpointError.wrongShape(path, key: name, expected: expected, found: reference.shape)
        }
        let storage = reference.storage
        let read = try Checkpoint.reader(for: storage.type, name: name, path: path)
        let size = Checkpoint.elementSize(storage.type)
        guard storage.count <= maxElements, case (let storageBytesNeeded, false) = storage.count.multipliedReportingOverflow(by: size) else {
            throw CheckpointError.corrupted(path, reason: "storage \(storage.key) of \(name) claims \(storage.count) elements, more than the model has")
        }
        let raw: [UInt8]
        if let cached = storageCache[storage.key] { raw = cached } else {
            // Shared or partly used storages may hold more than the parameters, but not twice as much.
            let budget = maxElements > Int.max / 2 ? Int.max : 2 * maxElements
            guard storage.count <= budget - elementsRead else {
                throw CheckpointError.corrupted(path, reason: "the storages hold more elements than the model can need")
            }
            raw = try storageBytes(storage, storageBytesNeeded)
            storageCache[storage.key] = raw
            elementsRead += storage.count
        }
        guard raw.count >= storageBytesNeeded else { throw CheckpointError.truncated(path) }
        let count = expected.reduce(1, *)
        // The furthest element the view reaches must lie inside the storage (checked arithmetic:
        // offsets and strides come from the file).
        var last = reference.offset
        for (dimension, stride) in zip(reference.shape, reference.strides) {
            let (step, overflow) = max(dimension - 1, 0).multipliedReportingOverflow(by: stride)
            let (sum, overflow2) = last.addingReportingOverflow(step)
            guard !overflow, !overflow2 else { throw CheckpointError.corrupted(path, reason: "tensor \(name) reaches past its storage") }
            last = sum
        }
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
        raw.withUnsafeBytes { bytes in
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

    private static func extract(_ entry: ZipArchive.Entry, from archive: ZipArchive, limit: Int, path: String) throws -> [UInt8] {
        do {
            return try archive.extract(entry, limit: limit)
        } catch let damaged as ZipArchive.Damaged {
            throw CheckpointError.corrupted(path, reason: "\(damaged)")
        }
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
