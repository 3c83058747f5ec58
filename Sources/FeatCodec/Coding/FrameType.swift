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
}
