/// How long one primitive of a network took (a profile row).
public struct LayerTiming: Sendable {
    public let name: String
    /// "conv 3x3", "conv 1x1", "depthwise 3x3", "linear", or "" for memory-bound steps.
    public let kind: String
    public let seconds: Double
    public let multiplyAccumulates: Int

    public var gigaflops: Double { seconds > 0 ? 2 * Double(multiplyAccumulates) / seconds / 1e9 : 0 }
}
