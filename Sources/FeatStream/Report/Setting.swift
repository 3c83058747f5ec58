import FeatVideo

/// One way of sending what a frame holds, as a report measures it.
public enum Setting: Hashable, Sendable, CustomStringConvertible {
    /// The feature codec at `bits` per value (2^bits levels per channel), with or without
    /// temporal prediction.
    case quantized(bits: Int, temporal: Bool)
    /// The feature codec in step mode at this quality (dB), task-weighted as `encode --quality`.
    case steps(quality: Double)
    /// Step mode on 7x7 DCT tiles at this quality (dB), as `encode --quality Q --transform dct`.
    case transformedSteps(quality: Double)
    /// The first `kept` layers of a stream in `layers` layers (`encode --layers`) whose every
    /// layer together gives `quality` dB, as `decode --layers` or `extract --layers` reads it.
    case layer(quality: Double, layers: Int, kept: Int)
    /// Step mode under rate control at this link rate (kbit/s), as `encode --target-kbps`.
    case rateControlled(kilobitsPerSecond: Double)
    /// The feature codec, bit-exact float32.
    case lossless
    /// The pixels instead: an H.264/H.265 encoder at this CRF, the whole network run on the
    /// decoded picture at the receiver.
    case pixels(PixelCodec.Variant, crf: Int)

    /// "8 bits", "q 30 dB", "rate 200 kbit/s", "lossless", "x264:realtime crf 18": the quantizer
    /// column of the report.
    public var quantizer: String {
        switch self {
        case .quantized(let bits, _): return "\(bits) bits"
        case .steps(let quality): return "q \(Self.number(quality)) dB"
        case .transformedSteps(let quality): return "q \(Self.number(quality)) dB dct"
        case .layer(let quality, let layers, let kept): return "q \(Self.number(quality)) dB layer \(kept)/\(layers)"
        case .rateControlled(let kbps): return "rate \(Self.number(kbps)) kbit/s"
        case .lossless: return "lossless"
        case .pixels(let codec, let crf): return "\(codec) crf \(crf)"
        }
    }

    /// Temporal prediction on or off; nil where it does not apply (lossless, pixels).
    public var temporal: Bool? {
        switch self {
        case .quantized(_, let temporal): return temporal
        case .steps, .transformedSteps, .layer, .rateControlled: return true
        case .lossless, .pixels: return nil
        }
    }

    /// Step mode at a fixed quality: the curve beside --bits.
    public var isSteps: Bool {
        if case .steps = self { return true }
        return false
    }

    private static func number(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

    /// The pixel codec, when pixels are sent instead of features.
    public var pixelCodec: PixelCodec.Variant? {
        if case .pixels(let codec, _) = self { return codec }
        return nil
    }

    /// "8 bits", "8 bits, intra only", "lossless", "x264:realtime crf 18".
    public var description: String { quantizer + (temporal == false ? ", intra only" : "") }
}
