import Foundation

/// Writes NumPy .npy files (format 1.0, little-endian, C order), readable by `numpy.load`.
/// Streams: values are appended as they come; the first dimension (the frame count) may be
/// unknown until `finish`, which rewrites the fixed-size header with the final shape.
public final class NpyWriter {
    public enum Element: String { case float32 = "<f4", float16 = "<f2" }

    /// Room for any shape: the header is padded to this many bytes (a multiple of 64).
    static let headerSize = 128

    private let handle: FileHandle
    private let element: Element
    private let trailingShape: [Int]
    public private(set) var rows = 0

    /// Creates `path` for an array of `rows x trailingShape`; rows are counted as they are written.
    public init(path: String, trailingShape: [Int], element: Element = .float32) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw NpyError.cannotCreate(path)
        }
        self.handle = handle
        self.element = element
        self.trailingShape = trailingShape
        try handle.write(contentsOf: NpyWriter.header(shape: [0] + trailingShape, element: element))
    }

    /// Appends one row (e.g. one frame's C x H x W tensor).
    public func append(_ values: [Float]) throws {
        precondition(values.count == trailingShape.reduce(1, *), "row of \(values.count) values for \(trailingShape)")
        switch element {
        case .float32:
            try values.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        case .float16:
            let halves = values.map { Float16($0).bitPattern }
            try halves.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        }
        rows += 1
    }

    /// Writes the final shape into the header and closes the file.
    public func finish() throws {
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: NpyWriter.header(shape: [rows] + trailingShape, element: element))
        try handle.close()
    }

    /// Writes a whole tensor to `path`.
    public static func write(_ tensor: Tensor, to path: String) throws {
        let writer = try NpyWriter(path: path, trailingShape: Array(tensor.shape.dropFirst()))
        let rowSize = tensor.shape.dropFirst().reduce(1, *)
        for row in 0..<(tensor.shape.first ?? 0) {
            try writer.append(Array(tensor.values[(row * rowSize)..<((row + 1) * rowSize)]))
        }
        try writer.finish()
    }

    /// The magic, version 1.0, and a Python-dict header padded to `headerSize` bytes.
    static func header(shape: [Int], element: Element) -> Data {
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var text = "{'descr': '\(element.rawValue)', 'fortran_order': False, 'shape': (\(dims)), }"
        text += String(repeating: " ", count: max(headerSize - 10 - text.utf8.count - 1, 0)) + "\n"
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
