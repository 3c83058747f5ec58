import Foundation

/// Writes NumPy .npy files (format 1.0, little-endian, C order), readable by `numpy.load`.
/// Streams: values are appended as they come. The first dimension (the frame count) is either
/// given up front (any output, standard output too) or counted and written into the header by
/// `finish`, which then rewinds the file (regular files only).
public final class NpyWriter {
    /// The element type written: float32 (`<f4`) or float16 (`<f2`).
    public enum Element: String, Sendable { case float32 = "<f4", float16 = "<f2" }

    /// Room for any shape: the header is padded to this many bytes (a multiple of 64).
    static let headerSize = 128

    private let output: OutputFile
    private let element: Element
    private let trailingShape: [Int]
    private let declaredRows: Int?
    /// Rows appended so far.
    public private(set) var rows = 0
    /// float16: values beyond its range written as ±65504 so far (`HalfFloat`).
    public private(set) var saturatedValues = 0

    /// Starts an array of `rows x trailingShape` in `output`; with `rows` nil they are counted
    /// and `output` must be seekable.
    public init(_ output: OutputFile, trailingShape: [Int], element: Element = .float32, rows: Int? = nil) throws {
        precondition(rows != nil || output.isSeekable, "an unknown row count needs a seekable output")
        self.output = output
        self.element = element
        self.trailingShape = trailingShape
        declaredRows = rows
        try output.write(NpyWriter.header(shape: [rows ?? 0] + trailingShape, element: element))
    }

    /// Appends one row (e.g. one frame's C x H x W tensor).
    public func append(_ values: [Float]) throws {
        precondition(values.count == trailingShape.reduce(1, *), "row of \(values.count) values for \(trailingShape)")
        precondition(rows < declaredRows ?? .max, "more rows than declared")
        switch element {
        case .float32:
            try values.withUnsafeBytes { try output.write(Data($0)) }
        case .float16:
            let halves = values.map { HalfFloat.bits($0, saturated: &saturatedValues) }
            try halves.withUnsafeBytes { try output.write(Data($0)) }
        }
        rows += 1
    }

    /// Completes the header (counted rows) and commits the output.
    public func finish() throws {
        if let declaredRows {
            precondition(rows == declaredRows, "\(rows) rows written, \(declaredRows) declared")
        } else {
            try output.handle.seek(toOffset: 0)
            try output.write(NpyWriter.header(shape: [rows] + trailingShape, element: element))
        }
        try output.commit()
    }

    /// Writes a whole tensor to `path`.
    public static func write(_ tensor: Tensor, to path: String) throws {
        let writer = try NpyWriter(try OutputFile(path), trailingShape: Array(tensor.shape.dropFirst()), rows: tensor.shape.first ?? 0)
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

/// Why a .npy file cannot be read.
public enum NpyError: Error, CustomStringConvertible {
    case malformed(String, reason: String)

    /// One line naming the file and the reason.
    public var description: String {
        switch self {
        case .malformed(let path, let reason): return "\(path): not a readable .npy file (\(reason))"
        }
    }
}
