import FeatCodec
import FeatModel
import FeatStream
import FeatVideo
import Foundation

/// The codec at every setting on one input's head tensors: size, fidelity, bounds and speed,
/// each setting measured by `CodecTrial` (the same stream `encode` writes and `decode` reads).
public enum CodecBenchmark {
    /// One coding setting's results on the frames (a line of the benchmark table).
    public struct Row: Sendable {
        /// The setting as its command-line options, e.g. "--bits 4 intra".
        public let label: String
        /// Frames coded as I-frames.
        public let intraFrames: Int
        /// Frames coded, I and P.
        public let frames: Int
        /// Payload bits per tensor element (file header, packet headers and index excluded).
        public let bitsPerElement: Double
        /// Mean payload bytes per coded frame (headers excluded).
        public let bytesPerFrame: Double
        /// Feature SNR against the lossless tensors; nil when exact.
        public let snr: Double?
        /// Order-0 entropy of every symbol the entropy coder coded, pooled, in bits per element.
        public let entropyBitsPerElement: Double
        /// zstd -19 of the same symbols (16-bit little-endian), bits per element; nil without zstd.
        public let zstdBitsPerElement: Double?
        /// Megabytes of float32 tensor per second.
        public let encodeMBps: Double
        /// Megabytes of float32 tensor per second through `ContainerReader` and `StreamDecoder`.
        public let decodeMBps: Double
    }

    /// --bits 8, 6, 4, 3, 2 (temporal and intra-only), --quality 40, 30, 20 (mse; table-coded,
    /// the default, and --entropy adaptive), --fp16 and --lossless.
    public static let standardSettings: [(label: String, settings: CodingSettings)] = {
        var list: [(String, CodingSettings)] = []
        for bits in [8, 6, 4, 3, 2] {
            for intraOnly in [false, true] {
                var s = CodingSettings()
                s.precision = .quantized(levels: 1 << bits)
                s.intraOnly = intraOnly
                list.append(("--bits \(bits)" + (intraOnly ? " intra" : ""), s))
            }
        }
        for quality in [40.0, 30, 20] {
            var s = CodingSettings()
            s.precision = .stepMode(quality: quality)
            list.append(("--quality \(Int(quality))", s))
            s.precision = .steps(quality: quality)
            list.append(("--quality \(Int(quality)) adaptive", s))
        }
        var half = CodingSettings(), exact = CodingSettings()
        half.precision = .float16
        exact.precision = .float32
        return list + [("--fp16", half), ("--lossless", exact)]
    }()

    /// The head tensors of the frames `gate` admits from `reader`, ready for trials.
    public static func frames(_ reader: VideoReader, gate: GateSettings, model: Model) throws -> (frames: [CodecTrial.Frame], selection: SelectionSummary) {
        var frames: [CodecTrial.Frame] = []
        let selection = try FeatureExtraction.run(reader, settings: gate, model: model) { selected, tensor in
            frames.append(.init(tensor: tensor, stamp: selected.stamp, cut: selected.decision == .cut))
        }
        return (frames, selection)
    }

    /// Codes `frames` with `parameters`' coding settings and decodes them back (`CodecTrial`): the
    /// row `label`. Its speeds are the fastest of up to three trials (as many as fit in about 4 s),
    /// as `zstd -b`, the reference, reports its fastest iteration; every trial must write the
    /// same bytes.
    public static func run(_ frames: [CodecTrial.Frame], label: String, parameters: ParameterSet) throws -> Row {
        let trial = try CodecTrial.run(frames, parameters: parameters, sourceSeconds: nil)
        var encodeSeconds = trial.encodeSeconds, decodeSeconds = trial.decodeSeconds, spent = encodeSeconds + decodeSeconds
        for _ in 1..<3 where spent < 4 {
            let again = try CodecTrial.run(frames, parameters: parameters, sourceSeconds: nil)
            guard again.bytes == trial.bytes else { throw BenchmarkError("\(label): two trials wrote different bytes") }
            (encodeSeconds, decodeSeconds) = (min(encodeSeconds, again.encodeSeconds), min(decodeSeconds, again.decodeSeconds))
            spent += again.encodeSeconds + again.decodeSeconds
        }
        let elements = parameters.shape.reduce(1, *)
        let total = Double(frames.count * elements)
        let megabytes = Double(frames.count * elements * 4) / 1e6
        return Row(
            label: label, intraFrames: trial.stream.intraFrames, frames: frames.count,
            bitsPerElement: Double(trial.stream.payloadBytes * 8) / total, bytesPerFrame: Double(trial.stream.payloadBytes) / Double(frames.count),
            snr: featureSNR(reference: frames.map(\.tensor), received: trial.decoded),
            entropyBitsPerElement: entropy(trial.codedSymbols) / total,
            zstdBitsPerElement: parameters.coding.levels == nil ? nil : zstd(trial.codedSymbols).map { Double($0 * 8) / total },
            encodeMBps: megabytes / encodeSeconds, decodeMBps: megabytes / decodeSeconds)
    }

    static func entropy(_ symbols: [Int32]) -> Double {
        var counts: [Int32: Int] = [:]
        for s in symbols { counts[s, default: 0] += 1 }
        let n = Double(symbols.count)
        return counts.values.reduce(0) { $0 - Double($1) * log2(Double($1) / n) }
    }

    /// zstd's own benchmark (`zstd -b3`, one core, in-process timing) on the frames' float32
    /// tensors: compression and decompression MB/s, the speed reference of the table; nil
    /// without zstd.
    public static func zstdSpeed(_ frames: [CodecTrial.Frame]) -> (encodeMBps: Double, decodeMBps: Double)? {
        let raw = frames.flatMap(\.tensor.values)
        guard let output = raw.withUnsafeBytes({ runZstd(["-b3", "-i2", "-T1"], on: Data($0), mergingErrors: true) }) else { return nil }
        // The last progress line: "... -> N (xR),  C MB/s,  D MB/s".
        let text = String(decoding: output, as: UTF8.self)
        let speeds = text.split(separator: "\r").last { $0.contains("MB/s,") }?.split(separator: ",").compactMap { part -> Double? in
            let words = part.split(separator: " ")
            guard words.count >= 2, words.last == "MB/s" else { return nil }
            return Double(words[words.count - 2])
        } ?? []
        return speeds.count == 2 ? (speeds[0], speeds[1]) : nil
    }

    /// Bytes of `zstd -19` on the symbols as 16-bit integers, or nil when zstd is not installed.
    static func zstd(_ symbols: [Int32]) -> Int? {
        let raw = symbols.map { Int16(clamping: $0).littleEndian }
        return raw.withUnsafeBytes { runZstd(["-19", "-q", "-c"], on: Data($0), mergingErrors: false) }?.count
    }

    /// The zstd CLI's output with `arguments` on `data` (from a temporary file); nil when zstd is
    /// not installed or fails.
    private static func runZstd(_ arguments: [String], on data: Data, mergingErrors: Bool) -> Data? {
        guard let zstd = ["/usr/bin/zstd", "/usr/local/bin/zstd"].first(where: FileManager.default.isExecutableFile) else { return nil }
        let path = NSTemporaryDirectory() + "featstream-zstd-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard (try? data.write(to: URL(fileURLWithPath: path))) != nil else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: zstd)
        process.arguments = arguments + [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        if mergingErrors { process.standardError = pipe }
        guard (try? process.run()) != nil else { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? output : nil
    }
}
