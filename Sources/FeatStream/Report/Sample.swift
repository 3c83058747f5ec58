import FeatVideo

/// One measured point of a report: a frame rate, a gate threshold and a setting, what it costs
/// and what the receiver gets (`Fidelity`) on the frames sent, at the grid and at the source.
public struct Sample: Sendable, Encodable {
    /// The grid's frame rate (for rate control: the grid it chose from).
    public var frameRate: FrameRate
    /// The gate's `changeThreshold` the frames were chosen with.
    public var changeThreshold: Float
    /// How the frames were sent.
    public var setting: Setting
    /// Frames sent (for rate control: those it did not drop).
    public var admitted: Int
    /// How many of them were cuts.
    public var cuts: Int
    /// The whole stream over the source seconds (`StreamStatistics`); for pixels, the coded bytes.
    public var kilobitsPerSecond: Double
    /// Payload bytes per frame sent.
    public var bytesPerFrame: Double
    /// Payload bits per feature element.
    public var bitsPerElement: Double
    /// The frames sent, each against its own lossless tensor.
    public var sent: Fidelity
    /// The receiver at every frame of the grid (`--fps`, no gate), holding the latest frame decoded.
    public var grid: Fidelity
    /// The receiver at every decoded frame of the source.
    public var source: Fidelity

    private enum Keys: String, CodingKey {
        case fps, changeThreshold, quantizer, temporal, admitted, cuts, kilobitsPerSecond, bytesPerFrame, bitsPerElement
        case snr, top1Agreement, top5Agreement, grid, source
    }

    /// As report.json lists it: fps and quantizer as text, temporal only where it applies, the
    /// frames sent's fidelity as snr / top1Agreement / top5Agreement, then grid and source.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(frameRate.description, forKey: .fps)
        try c.encode(changeThreshold, forKey: .changeThreshold)
        try c.encode(setting.quantizer, forKey: .quantizer)
        try c.encodeIfPresent(setting.temporal, forKey: .temporal)
        try c.encode(admitted, forKey: .admitted)
        try c.encode(cuts, forKey: .cuts)
        try c.encode(kilobitsPerSecond, forKey: .kilobitsPerSecond)
        try c.encode(bytesPerFrame, forKey: .bytesPerFrame)
        try c.encode(bitsPerElement, forKey: .bitsPerElement)
        try c.encodeIfPresent(sent.snr, forKey: .snr)
        try c.encodeIfPresent(sent.top1, forKey: .top1Agreement)
        try c.encodeIfPresent(sent.top5, forKey: .top5Agreement)
        try c.encode(grid, forKey: .grid)
        try c.encode(source, forKey: .source)
    }
}
