/// The first half of frame selection: finds the cuts, the flashes, and the frames the
/// frame-rate grid keeps, for every decoded frame in order. What is admitted among the grid
/// frames is `Admission`'s to decide.
///
/// Every frame is scored against the previous decoded frame for cuts, so a cut between two
/// grid frames is still caught and sent at once (the grid itself stays fixed from the first
/// frame, so at most F grid frames a second plus the cuts). Frames of a flash or short burst are set aside.
/// Results come out a few frames late (`settings.lookahead`): cut detection looks ahead to
/// tell a cut from a flash.
public struct FrameSieve {
    /// What the sieve found a frame to be.
    public enum Kind: Sendable, Equatable {
        /// The first frame of a new scene (always sent, even off the grid).
        case cut
        /// On the frame-rate grid: sent if `Admission` finds it changed (or due a heartbeat).
        case grid
        /// Off the frame-rate grid.
        case decimated
        /// Inside a flash or short burst the picture comes back from.
        case flash
    }

    /// A frame and what the sieve found it to be.
    public struct Sieved: Sendable {
        /// The decoded frame.
        public let frame: VideoFrame
        /// What the sieve found it to be.
        public let kind: Kind
        /// Difference from the previous decoded frame (nil for the first frame).
        public let cutScore: Float?
    }

    /// The cut, flash and frame-rate settings the sieve runs with.
    public let settings: GateSettings
    private var decimator: FrameRateDecimator?
    private var cuts: CutDetector
    /// Frames seen but not yet sieved, each with its difference from the frame before.
    private var pending: [(frame: VideoFrame, difference: Float?)] = []
    /// Differences of the last sieved frames (for the adaptive ratio), oldest first.
    private var recentDifferences: [Float] = []
    private var lastSieved: VideoFrame?

    /// A sieve that has seen no frame; its frame-rate grid starts at the first frame pushed.
    public init(settings: GateSettings) {
        self.settings = settings
        cuts = CutDetector(settings: settings)
    }

    /// Takes the next decoded frame; returns the frames that can now be sieved.
    public mutating func push(_ frame: VideoFrame) -> [Sieved] {
        let previous = pending.last?.frame ?? lastSieved
        pending.append((frame, previous.map { frame.thumbnail.distance(to: $0.thumbnail) }))
        var sieved: [Sieved] = []
        while pending.count > settings.lookahead { sieved.append(sieveFirst()) }
        return sieved
    }

    /// Sieves the frames still waiting at the end of the stream.
    public mutating func finish() -> [Sieved] {
        var sieved: [Sieved] = []
        while !pending.isEmpty { sieved.append(sieveFirst()) }
        return sieved
    }

    private mutating func sieveFirst() -> Sieved {
        let (frame, difference) = pending.removeFirst()
        defer {
            lastSieved = frame
            if let difference {
                recentDifferences.append(difference)
                if recentDifferences.count > settings.cutWindow { recentDifferences.removeFirst() }
            }
        }
        let after = pending.prefix(settings.cutWindow).compactMap(\.difference)
        let isCut = cuts.isCut(
            index: frame.index, seconds: frame.seconds, difference: difference,
            neighbours: recentDifferences + after, before: lastSieved?.thumbnail,
            following: pending.prefix(settings.flashFrames).map(\.frame.thumbnail))
        // One fixed grid from the first frame: a cut is sent off the grid but does not move it, so
        // the frames sent stay on the times a receiver is judged at (ReceiverFidelity's grid).
        if decimator == nil { decimator = FrameRateDecimator(rate: settings.fps, timeBase: frame.timeBase, anchor: frame.pts) }
        if isCut { return Sieved(frame: frame, kind: .cut, cutScore: difference) }
        if cuts.isInBurst(frame.index) { return Sieved(frame: frame, kind: .flash, cutScore: difference) }
        let onGrid = decimator!.keeps(pts: frame.pts, previous: lastSieved?.pts, next: pending.first?.frame.pts)
        return Sieved(frame: frame, kind: onGrid ? .grid : .decimated, cutScore: difference)
    }
}
