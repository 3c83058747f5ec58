import FeatCodec
import FeatModel
import FeatStream
import Foundation

/// Rate against task fidelity, per coding method, with every grid frame sent (the receiver
/// then holds exactly the frame of each grid time, so grid top-1 is per-frame agreement): the
/// measure of issue "half the bits for the same answers". Each method is a sweep of one knob;
/// a fidelity level is met at the smallest rate whose point, and every point of higher rate,
/// reaches it.
public enum RateDistortionBenchmark {
    /// One setting's outcome.
    public struct Point: Sendable {
        /// The knob's value, e.g. "q 30" or "6 bits".
        public let label: String
        /// Mean bytes per frame: the coded payload plus the packet header (52 bytes), as in a file;
        /// for `baseline`, zstd's output and 8 bytes of range, no header.
        public let bytesPerFrame: Double
        /// Feature SNR over all frames, dB (infinity: exact).
        public let snr: Double
        /// Frames whose top-1 class matches the uncompressed features', percent.
        public let top1: Double
        /// Megabytes of float32 tensor coded per second (one core).
        public let encodeMBps: Double
        /// Megabytes of float32 tensor decoded per second (one core).
        public let decodeMBps: Double
    }

    /// The levels the issue judges at.
    public enum Level: CaseIterable, Sendable, CustomStringConvertible {
        case top1of99, top1of90, snr30
        /// The level as the table's heading names it.
        public var description: String {
            switch self {
            case .top1of99: return "top-1 >= 99 %"
            case .top1of90: return "top-1 >= 90 %"
            case .snr30: return "SNR >= 30 dB"
            }
        }
        func met(by p: Point) -> Bool {
            switch self {
            case .top1of99: return p.top1 >= 99
            case .top1of90: return p.top1 >= 90
            case .snr30: return p.snr >= 30
            }
        }
    }

    /// The bytes per frame at which `level` is met on a method's curve: the cheapest point
    /// that meets it while every more expensive point does too; nil when none does.
    public static func bytes(at level: Level, on points: [Point]) -> Double? {
        let sorted = points.sorted { $0.bytesPerFrame < $1.bytesPerFrame }
        var answer: Double?
        for p in sorted.reversed() {
            guard level.met(by: p) else { break }
            answer = p.bytesPerFrame
        }
        return answer
    }

    /// Top-1 agreement averaged over 21 rates log-spaced from `low` to `high` bytes per frame,
    /// each read off `points` by interpolating in log rate (the nearest end beyond them).
    public static func meanTop1(on points: [Point], from low: Double, to high: Double) -> Double {
        let sorted = points.sorted { $0.bytesPerFrame < $1.bytesPerFrame }
        guard let first = sorted.first, let last = sorted.last else { return 0 }
        func top1(at bytes: Double) -> Double {
            if bytes <= first.bytesPerFrame { return first.top1 }
            guard let k = sorted.firstIndex(where: { $0.bytesPerFrame >= bytes }) else { return last.top1 }
            let (a, b) = (sorted[k - 1], sorted[k])
            let t = log(bytes / a.bytesPerFrame) / log(b.bytesPerFrame / a.bytesPerFrame)
            return a.top1 + (b.top1 - a.top1) * t
        }
        let rates = (0...20).map { low * pow(high / low, Double($0) / 20) }
        return rates.reduce(0) { $0 + top1(at: $1) } / Double(rates.count)
    }

    /// The frames' uncompressed top-1 classes, to compare every method against.
    public static func classes(_ tensors: [Tensor], model: Model) throws -> [Int] {
        try tensors.map { try argmax(model.logits(features: $0)) }
    }

    /// Codes `frames` with `coding` through the real stream (`CodecTrial`) and scores it.
    public static func point(_ frames: [CodecTrial.Frame], label: String, coding: CodingSettings, parameters: ParameterSet,
                             classes: [Int], model: Model) throws -> Point {
        var parameters = parameters
        parameters.coding = coding
        let trial = try CodecTrial.run(frames, parameters: parameters, sourceSeconds: nil)
        let payload = Double(trial.stream.payloadBytes) / Double(frames.count)
        return try score(label: label, bytesPerFrame: payload + Double(PacketHeader.size), decoded: trial.decoded, frames: frames,
                         classes: classes, model: model, seconds: (trial.encodeSeconds, trial.decodeSeconds))
    }

    /// The training-free baseline the issue compares with: per-tensor min-max quantization to
    /// `bits`, the difference of levels from the previous frame's, and `zstd -19` of each
    /// frame's 16-bit differences (plus 8 bytes for min and max). Nil without zstd.
    public static func baseline(_ frames: [CodecTrial.Frame], bits: Int, classes: [Int], model: Model) throws -> Point? {
        let top = Float((1 << bits) - 1)
        var previous: [Int16]?
        var bytes = 0
        var decoded: [Tensor] = []
        for frame in frames {
            let v = frame.tensor.values
            let low = v.min() ?? 0, high = v.max() ?? 0
            let scale = high > low ? top / (high - low) : 0
            let levels = v.map { Int16(((($0 - low) * scale).rounded()).clamped(0, top)) }
            let residual = previous.map { p in zip(levels, p).map { $0 &- $1 } } ?? levels
            guard let size = CodecBenchmark.zstd(residual.map(Int32.init)) else { return nil }
            bytes += size + 8
            previous = levels
            decoded.append(Tensor(shape: frame.tensor.shape, values: levels.map { scale > 0 ? low + Float($0) / scale : low }))
        }
        return try score(label: "\(bits) bits", bytesPerFrame: Double(bytes) / Double(frames.count), decoded: decoded, frames: frames,
                         classes: classes, model: model, seconds: nil)
    }

    static func score(label: String, bytesPerFrame: Double, decoded: [Tensor], frames: [CodecTrial.Frame], classes: [Int], model: Model,
                      seconds: (encode: Double, decode: Double)?) throws -> Point {
        var agree = 0
        for (k, tensor) in decoded.enumerated() where try argmax(model.logits(features: tensor)) == classes[k] { agree += 1 }
        let megabytes = Double(frames.count * frames[0].tensor.count * 4) / 1e6
        return Point(label: label, bytesPerFrame: bytesPerFrame, snr: featureSNR(reference: frames.map(\.tensor), received: decoded) ?? .infinity,
                     top1: 100 * Double(agree) / Double(frames.count),
                     encodeMBps: seconds.map { megabytes / $0.encode } ?? 0, decodeMBps: seconds.map { megabytes / $0.decode } ?? 0)
    }

    static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }
}

extension Float {
    fileprivate func clamped(_ low: Float, _ high: Float) -> Float { Swift.min(Swift.max(self, low), high) }
}
