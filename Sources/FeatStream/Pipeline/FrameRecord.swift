import FeatCodec
import FeatVideo

/// One frame in a JSON listing (`frames --json`, `features` and `decode` timestamps): the same
/// names everywhere. `sourceFrame` counts every decoded frame of the source from 0; `decision`
/// is why it was sent (cut, changed, heartbeat) or, in `frames`, dropped (static, decimated,
/// flash); `sequence` and `type` (I or P) exist for coded frames only.
public struct FrameRecord: Encodable, Sendable, Equatable {
    public let sourceFrame: Int
    public let pts: Int64
    public let timeBase: String
    public let seconds: Double
    public let decision: String
    public var sequence: Int?
    public var type: String?

    public init(_ selected: SelectedFrame) {
        let f = selected.frame
        (sourceFrame, pts, timeBase, seconds, decision) = (f.index, f.pts, f.timeBase.description, f.seconds, selected.decision.rawValue)
    }

    /// A decoded frame of a stream.
    public init(_ header: PacketHeader) {
        sourceFrame = Int(header.sourceFrame)
        pts = header.pts
        timeBase = "\(header.timeBaseNumerator)/\(header.timeBaseDenominator)"
        seconds = header.seconds
        decision = "\(header.admission)"
        sequence = Int(header.sequence)
        type = header.type.letter
    }
}
