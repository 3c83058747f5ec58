import FeatCodec
import FeatVideo

/// One frame in a JSON listing (`features` and `decode` timestamps; `frames --json` uses the same
/// names, with the gate's scores). `sourceFrame` counts every decoded frame of the source from
/// 0; `decision` is why it was sent (cut, changed, heartbeat); `sequence` and `type` (I or P)
/// exist for coded frames only.
public struct FrameRecord: Encodable, Sendable, Equatable {
    /// Index among all decoded frames of the source, from 0.
    public let sourceFrame: Int
    /// Presentation timestamp in `timeBase` units.
    public let pts: Int64
    /// Seconds per `pts` unit as a fraction, e.g. "1/90000".
    public let timeBase: String
    /// Presentation time in seconds (`pts` x `timeBase`).
    public let seconds: Double
    /// Why the frame was sent: a `Decision` raw value, e.g. "cut" or "changed".
    public let decision: String
    /// Position among the coded frames, from 0; nil for a frame not coded.
    public var sequence: Int?
    /// "I" or "P"; nil for a frame not coded.
    public var type: String?
    /// Layered streams: the layers the frame was decoded with (`decode`); nil otherwise.
    public var layers: Int?

    /// A frame the selection sent, not coded (no `sequence` or `type`).
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
