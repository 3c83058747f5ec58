/// One way of sending what a frame holds, as a report measures it.
public enum Setting: Hashable, Sendable, CustomStringConvertible {
    /// The feature codec at `bits` per value (2^bits levels per channel), with or without
    /// temporal prediction.
    case quantized(bits: Int, temporal: Bool)
    /// The feature codec, bit-exact float32.
    case lossless
    /// The pixels instead: libx264 at this CRF, the whole network run on the decoded picture.
    case x264(crf: Int)

    /// "8 bits", "lossless", "x264 crf 18": the quantizer column of the report.
    public var quantizer: String {
        switch self {
        case .quantized(let bits, _): return "\(bits) bits"
        case .lossless: return "lossless"
        case .x264(let crf): return "x264 crf \(crf)"
        }
    }

    /// Temporal prediction on or off; nil where it does not apply (lossless, pixels).
    public var temporal: Bool? {
        if case .quantized(_, let temporal) = self { return temporal }
        return nil
    }

    /// Pixels sent instead of features.
    public var isPixels: Bool {
        if case .x264 = self { return true }
        return false
    }

    /// "8 bits", "8 bits, intra only", "lossless", "x264 crf 18".
    public var description: String { quantizer + (temporal == false ? ", intra only" : "") }
}
