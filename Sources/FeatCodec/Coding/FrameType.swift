/// I-frames decode alone (and carry the quantizer ranges); P-frames need the frame before.
public enum FrameType: UInt8, Codable, Sendable {
    case intra = 0
    case predicted = 1

    /// "I" or "P", as listings print the type.
    public var letter: String { self == .intra ? "I" : "P" }
}

/// How one channel of a frame is coded.
enum ChannelMode: UInt8 {
    /// Identical to the previous frame's channel: no data.
    case skip = 0
    /// Coded alone.
    case intra = 1
    /// Coded as the difference from the previous frame's channel.
    case inter = 2
    /// Coded alone with a new quantizer range (the channel left its range): the new range
    /// holds for this channel until the next I-frame.
    case refresh = 3
}

/// What a frame coder produces: the packet payload and the tensor the decoder will rebuild.
public struct EncodedFrame: Sendable {
    /// I-frame or P-frame.
    public let type: FrameType
    /// The packet payload: one sub-stream per channel (docs/FORMAT.md, "Payload").
    public let payload: [UInt8]
    /// Bit for bit what `FrameDecoder` returns for this payload.
    public let reconstruction: Tensor
    /// Channels coded as skip / intra / inter / refresh.
    public let channelModes: [Int]
    /// Every symbol the entropy coder coded in this frame, channel after channel (levels from
    /// the zero level, residuals, or raw float bits): for measuring the coder against bounds.
    public let codedSymbols: [Int32]
    /// Layered step mode: refinement layers 1 ... N-1 over the base layer (`payload`), each sent
    /// as its own packet; empty otherwise. `reconstruction` is then what every layer gives.
    public internal(set) var refinements: [EncodedLayer] = []
    /// Whether the refinements go in compact packets, not indexed (format 1.7's `layeredCompact`).
    public internal(set) var compactRefinements = false
    /// Layered step mode: what the base layer alone gives.
    var baseLayer: Tensor?
    /// Table-coded step mode: what the next P-frame's tables start from.
    var levelStatistics: TabledLevelCoder.Statistics?

    /// Transformed step mode: the reconstruction's coefficients (`TileTransform`), which the
    /// next frame predicts from.
    var transformed: [Float]?

    /// What the base layer alone gives (the reference of the next frame's base layer).
    public var baseReconstruction: Tensor { baseLayer ?? reconstruction }

    /// What the next frame's base layer predicts from: the base layer's values, or transformed
    /// mode's coefficients.
    var predictionReference: [Float] { transformed ?? baseReconstruction.values }

    /// What the first `count` layers give (1: the base layer; every layer: `reconstruction`).
    public func reconstruction(ofLayers count: Int) -> Tensor {
        count <= 1 ? baseReconstruction : refinements[min(count, refinements.count + 1) - 2].reconstruction
    }

    /// Payload bytes of every layer.
    public var payloadBytes: Int { refinements.reduce(payload.count) { $0 + $1.payload.count } }
}

/// One refinement layer of a frame (layered step mode).
public struct EncodedLayer: Sendable {
    /// Its packet's payload (docs/FORMAT.md, "Layered step mode").
    public let payload: [UInt8]
    /// What the layers up to and including this one give, bit for bit as `FrameDecoder` does.
    public let reconstruction: Tensor
    /// Channels inherited or skipped / refined / predicted from the previous frame (as skip / intra / inter / refresh).
    public let channelModes: [Int]
    /// Where the layer's context model ended: the next frame's same layer starts there (format 1.6).
    var modelState: LevelModel.State?
}
