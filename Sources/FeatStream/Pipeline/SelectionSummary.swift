import FeatCodec
import FeatVideo

/// Counts of one selection run, as `featstream frames` prints them.
public struct SelectionSummary: Codable, Sendable {
    public var decoded = 0
    public var admitted = 0
    public var cuts = 0
    public var changed = 0
    public var heartbeats = 0
    public var `static` = 0
    public var decimated = 0
    public var flash = 0
    /// Frames the decoder concealed errors in, and packets it rejected outright.
    public var damaged = 0
    public var rejectedPackets = 0
    /// Seconds of video from the first to the last decoded frame's timestamp.
    public var videoSeconds = 0.0
    public var wallSeconds = 0.0
    /// Decoded frames per second of wall time.
    public var framesPerSecond = 0.0

    /// The seconds of source video the decoded frames cover (`StreamStatistics.sourceSeconds`).
    public var sourceSeconds: Double? { StreamStatistics.sourceSeconds(first: 0, last: videoSeconds, frames: decoded) }

    mutating func count(_ decision: Decision) {
        decoded += 1
        if decision.isAdmitted { admitted += 1 }
        switch decision {
        case .cut: cuts += 1
        case .changed: changed += 1
        case .heartbeat: heartbeats += 1
        case .static: `static` += 1
        case .decimated: decimated += 1
        case .flash: flash += 1
        }
    }
}
