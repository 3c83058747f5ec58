import FeatCodec
import FeatVideo

/// Counts of one selection run, as `featstream frames` prints them.
public struct SelectionSummary: Codable, Sendable {
    /// Frames decoded and decided.
    public var decoded = 0
    /// Frames sent: cuts, changed frames and heartbeats.
    public var admitted = 0
    /// Frames sent as the first of a new scene.
    public var cuts = 0
    /// Grid frames sent because they changed enough.
    public var changed = 0
    /// Grid frames sent only because `maxGapSeconds` had passed.
    public var heartbeats = 0
    /// Grid frames dropped as too similar to the last frame sent.
    public var `static` = 0
    /// Frames dropped for being off the frame-rate grid.
    public var decimated = 0
    /// Frames dropped inside a flash or short burst.
    public var flash = 0
    /// Frames the decoder concealed errors in (packets it rejected outright: `rejectedPackets`).
    public var damaged = 0
    /// Packets skipped as invalid data (`VideoReader.rejectedPackets`).
    public var rejectedPackets = 0
    /// Times the timestamps jumped back and a new timeline continued the last (`VideoReader.timestampJumps`).
    public var timestampJumps = 0
    /// Seconds of video from the first to the last decoded frame's timestamp.
    public var videoSeconds = 0.0
    /// The video's nominal seconds per frame (1 / its average frame rate), when it says.
    public var frameSeconds: Double?
    /// Wall-clock seconds from the start of decoding to the last frame sieved.
    public var wallSeconds = 0.0
    /// Decoded frames per second of wall time.
    public var framesPerSecond = 0.0

    /// The seconds of source video the decoded frames cover (`StreamStatistics.sourceSeconds`).
    public var sourceSeconds: Double? { StreamStatistics.sourceSeconds(first: 0, last: videoSeconds, frames: decoded, frameSeconds: frameSeconds) }

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
