import Foundation

/// Writes NumPy .npy files (format 1.0, little-endian float32, C order), readable by
/// `numpy.load`. Streams: the header first with the final shape, then the values as they come.
public final class NpyWriter {
    public enum Element: String { case float32 = "<f4", float16 = "<f2" }

    private let handle: FileHandle
    private let element: Element

    /// Creates `path` for an array of `shape`; every element must then be written with `write`.
    public init(path: String, shape: [Int], element: Element = .float32) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw NpyError.cannotCreate(path)
        }
        self.handle = handle
        self.element = element
        try handle.write(contentsOf: NpyWriter.header(shape: shape, element: element))
    }

    public func write(_ values: [Float]) throws {
        switch element {
        case .float32:
            try values.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        case .float16:
            let halves = values.map { Float16($0).bitPattern }
            try halves.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        }
    }

    public func close() throws { try handle.close() }

    /// Writes a whole tensor to `path`.
    public static func write(_ tensor: Tensor, to path: String) throws {
        let writer = try NpyWriter(path: path, shape: tensor.shape)
        try writer.write(tensor.values)
        try writer.close()
    }

    /// The magic, version 1.0, and a Python-dict header padded so data starts on 64 bytes.
    static func header(shape: [Int], element: Element) -> Data {
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var text = "{'descr': '\(element.rawValue)', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + text.utf8.count + 1
        text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(text.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(text.utf8))
        return data
    }
}

public enum NpyError: Error, CustomStringConvertible {
    case cannotCreate(String)
    case malformed(String, reason: String)

    public var description: String {
        switch self {
        case .cannotCreate(let path): return "\(path): cannot create file"
        case .malformed(let path, let reason): return "\(path): not a readable .npy file (\(reason))"
        }
    }
}
