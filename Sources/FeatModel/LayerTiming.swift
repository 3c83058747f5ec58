/// How long one primitive of a network took (a profile row).
public struct LayerTiming: Sendable {
    /// The step: the layer (or fused pair) it computes, or a reorder.
    public let name: String
    /// "conv 3x3", "conv 1x1", "depthwise 3x3", "linear", or "" for memory-bound steps.
    public let kind: String
    /// Median time of one run, in seconds.
    public let seconds: Double
    /// Multiply-accumulates of one run (0 for memory-bound steps).
    public let multiplyAccumulates: Int
}
