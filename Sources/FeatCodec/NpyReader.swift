import Foundation

/// Reads .npy arrays of float32, float64, float16 or int64 (C order, little-endian) as Float.
public enum NpyReader {
    /// Reads the .npy file at `path`; throws `NpyError.malformed` when it cannot.
    public static func read(_ path: String) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else { throw NpyError.malformed(path, reason: "cannot read") }
        return try parse(data, path: path)
    }

    /// Parses the bytes of a .npy file (format version 1, 2 or 3); `path` names it in errors.
    public static func parse(_ data: Data, path: String = "array") throws -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw NpyError.malformed(path, reason: "no NUMPY magic")
        }
        let major = bytes[6]
        guard (1...3).contains(major), major == 1 || bytes.count >= 12 else { throw NpyError.malformed(path, reason: "unsupported or truncated header") }
        let (headerLength, start): (Int, Int) = major == 1
            ? (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
            : (Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24, 12)
        guard start + headerLength <= bytes.count else { throw NpyError.malformed(path, reason: "truncated header") }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        guard let descr = field(header, "descr"), header.contains("'fortran_order': False"),
              let shapeText = field(header, "shape") else {
            throw NpyError.malformed(path, reason: "unsupported header \(header)")
        }
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        // Dimensions from the file: non-negative, and their product (and its bytes) must fit.
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow, product <= Int(Int32.max) else { throw NpyError.malformed(path, reason: "bad shape (\(shapeText))") }
            count = product
        }
        let body = start + headerLength
        let size: Int
        switch descr {
        case "<f4": size = 4
        case "<f8", "<i8": size = 8
        case "<f2": size = 2
        default: throw NpyError.malformed(path, reason: "element type \(descr) is not supported")
        }
        guard bytes.count - body == count * size else {
            throw NpyError.malformed(path, reason: "expected \(count * size) data bytes, found \(bytes.count - body)")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let p = raw.baseAddress! + body
            for i in 0..<count {
                switch descr {
                case "<f4": values[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                case "<f8": values[i] = Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
                case "<i8": values[i] = Float(Int64(littleEndian: p.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                default: values[i] = Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))))
                }
            }
        }
        return Tensor(shape: shape, values: values)
    }

    /// The text of `'key': value` in a header dict (a quoted string or a parenthesised tuple).
    private static func field(_ header: String, _ key: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        let rest = header[range.upperBound...].drop { $0 == " " }
        if rest.first == "'" {
            return rest.dropFirst().prefix { $0 != "'" }.description
        }
        if rest.first == "(" {
            return rest.dropFirst().prefix { $0 != ")" }.description
        }
        return nil
    }
}
