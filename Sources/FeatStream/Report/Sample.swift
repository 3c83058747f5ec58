import FeatVideo

/// One measured point of a report: a frame rate and a setting, what it costs and what it keeps.
public struct Sample: Sendable, Encodable {
    public var frameRate: FrameRate
    public var setting: Setting
    /// Frames the gate admitted (and the codec sent), and how many of them were cuts.
    public var admitted: Int
    public var cuts: Int
    /// The whole stream over the source seconds (`StreamStatistics`); for pixels, the H.264 bytes.
    public var kilobitsPerSecond: Double
    public var bytesPerFrame: Double
    public var bitsPerElement: Double
    /// Feature SNR in dB against the lossless tensors; nil when exact.
    public var snr: Double?
    /// Percent of frames whose top-1 class is unchanged, and whose original top-1 stays in the
    /// top 5; nil when the model has no classifier (feature fidelity only).
    public var top1Agreement: Double?
    public var top5Agreement: Double?

    private enum Keys: String, CodingKey {
        case fps, quantizer, temporal, admitted, cuts, kilobitsPerSecond, bytesPerFrame, bitsPerElement, snr, top1Agreement, top5Agreement
    }

    /// As report.json lists it: fps and quantizer as text, temporal only where it applies.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(frameRate.description, forKey: .fps)
        try c.encode(setting.quantizer, forKey: .quantizer)
        try c.encodeIfPresent(setting.temporal, forKey: .temporal)
        try c.encode(admitted, forKey: .admitted)
        try c.encode(cuts, forKey: .cuts)
        try c.encode(kilobitsPerSecond, forKey: .kilobitsPerSecond)
        try c.encode(bytesPerFrame, forKey: .bytesPerFrame)
        try c.encode(bitsPerElement, forKey: .bitsPerElement)
        try c.encodeIfPresent(snr, forKey: .snr)
        try c.encodeIfPresent(top1Agreement, forKey: .top1Agreement)
        try c.encodeIfPresent(top5Agreement, forKey: .top5Agreement)
    }
}
