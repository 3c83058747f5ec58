import FeatCodec
import Foundation

/// Measures the codec on a sequence of head tensors: size, fidelity, bounds and speed.
public enum CodecBenchmark {
    public struct Row: Sendable {
        public let label: String
        public let intraFrames: Int
        public let frames: Int
        public let bitsPerElement: Double
        public let bytesPerFrame: Double
        /// 10 log10(signal energy / error energy) against the lossless tensors; infinity when exact.
        public let snr: Double
        /// Order-0 entropy of every symbol the entropy coder coded, pooled, in bits per element.
        public let entropyBitsPerElement: Double
        /// zstd -19 of the same symbols (16-bit little-endian), bits per element; nil without zstd.
        public let zstdBitsPerElement: Double?
        /// Megabytes of float32 tensor per second.
        public let encodeMBps: Double
        public let decodeMBps: Double
    }

    public static func run(_ frames: [(tensor: Tensor, seconds: Double, cut: Bool)], label: String, settings: CodingSettings) throws -> Row {
        let shape = frames[0].tensor.shape
        let elements = shape.reduce(1, *)
        let encoder = FrameEncoder(settings: settings, shape: shape)
        var encoded: [EncodedFrame] = []
        let encodeStart = Date()
        for frame in frames { encoded.append(encoder.encode(frame.tensor, seconds: frame.seconds, forceIntra: frame.cut)) }
        let encodeSeconds = Date().timeIntervalSince(encodeStart)
        let decoder = FrameDecoder(settings: settings, shape: shape)
        var decoded: [Tensor] = []
        let decodeStart = Date()
        for e in encoded { decoded.append(try decoder.decode(e.payload[...], type: e.type)) }
        let decodeSeconds = Date().timeIntervalSince(decodeStart)

        var signal = 0.0, noise = 0.0
        for (a, b) in zip(frames, decoded) {
            for (x, y) in zip(a.tensor.values, b.values) {
                signal += Double(x) * Double(x)
                noise += (Double(x) - Double(y)) * (Double(x) - Double(y))
            }
        }
        let symbols = encoded.flatMap(\.codedSymbols)
        let total = Double(frames.count * elements)
        let payload = encoded.reduce(0) { $0 + $1.payload.count }
        let megabytes = Double(frames.count * elements * 4) / 1e6
        return Row(
            label: label, intraFrames: encoded.filter { $0.type == .intra }.count, frames: frames.count,
            bitsPerElement: Double(payload * 8) / total, bytesPerFrame: Double(payload) / Double(frames.count),
            snr: noise == 0 ? .infinity : 10 * log10(signal / noise),
            entropyBitsPerElement: entropy(symbols) / total,
            zstdBitsPerElement: settings.levels == nil ? nil : zstd(symbols).map { Double($0 * 8) / total },
            encodeMBps: megabytes / encodeSeconds, decodeMBps: megabytes / decodeSeconds)
    }

    static func entropy(_ symbols: [Int32]) -> Double {
        var counts: [Int32: Int] = [:]
        for s in symbols { counts[s, default: 0] += 1 }
        let n = Double(symbols.count)
        return counts.values.reduce(0) { $0 - Double($1) * log2(Double($1) / n) }
    }

    /// Bytes of `zstd -19` on the symbols as 16-bit integers, or nil when zstd is not installed.
    static func zstd(_ symbols: [Int32]) -> Int? {
        guard let zstd = ["/usr/bin/zstd", "/usr/local/bin/zstd"].first(where: FileManager.default.isExecutableFile) else { return nil }
        let path = NSTemporaryDirectory() + "featstream-symbols-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let raw = symbols.map { Int16(clamping: $0).littleEndian }
        guard (try? raw.withUnsafeBytes({ try Data($0).write(to: URL(fileURLWithPath: path)) })) != nil else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: zstd)
        process.arguments = ["-19", "-q", "-c", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? data.count : nil
    }
}
