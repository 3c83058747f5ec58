/// Decides, for every decoded frame in order, whether the model should see it.
///
/// Every frame is scored against the previous decoded frame for cuts, so a cut between two
/// grid frames is still caught and admitted at once. Frames the decimator keeps are compared
/// with the last admitted frame: admitted when changed, dropped when static, with a heartbeat
/// after `maxGapSeconds` (none when it is 0). Frames of a flash or short burst are dropped.
/// Decisions come out a few frames late (`settings.lookahead`): cut detection looks ahead to
/// tell a cut from a flash.
public struct SceneChangeGate {
    public let settings: GateSettings
    private var decimator: FrameRateDecimator?
    private var cuts: CutDetector
    /// Frames seen but not yet decided, each with its difference from the frame before.
    private var pending: [(frame: VideoFrame, difference: Float?)] = []
    /// Differences of the last decided frames (for the adaptive ratio), oldest first.
    private var recentDifferences: [Float] = []
    private var lastDecided: VideoFrame?
    private var lastAdmitted: VideoFrame?

    public init(settings: GateSettings) {
        self.settings = settings
        cuts = CutDetector(settings: settings)
    }

    /// Takes the next decoded frame; returns the frames that can now be decided.
    public mutating func push(_ frame: VideoFrame) -> [SelectedFrame] {
        let previous = pending.last?.frame ?? lastDecided
        pending.append((frame, previous.map { frame.thumbnail.distance(to: $0.thumbnail) }))
        var decided: [SelectedFrame] = []
        while pending.count > settings.lookahead { decided.append(decideFirst()) }
        return decided
    }

    /// Decides the frames still waiting at the end of the stream.
    public mutating func finish() -> [SelectedFrame] {
        var decided: [SelectedFrame] = []
        while !pending.isEmpty { decided.append(decideFirst()) }
        return decided
    }

    private mutating func decideFirst() -> SelectedFrame {
        let (frame, difference) = pending.removeFirst()
        defer {
            lastDecided = frame
            if let difference {
                recentDifferences.append(difference)
                if recentDifferences.count > settings.cutWindow { recentDifferences.removeFirst() }
            }
        }
        let after = pending.prefix(settings.cutWindow).compactMap(\.difference)
        let isCut = cuts.isCut(
            index: frame.index, seconds: frame.seconds, difference: difference,
            neighbours: recentDifferences + after, before: lastDecided?.thumbnail,
            following: pending.prefix(settings.flashFrames).map(\.frame.thumbnail))
        if decimator == nil { decimator = FrameRateDecimator(rate: settings.fps, timeBase: frame.timeBase) }
        if isCut {
            decimator!.restart(at: frame.pts)
            lastAdmitted = frame
            return SelectedFrame(frame: frame, decision: .cut, cutScore: difference, changeScore: nil)
        }
        if cuts.isInBurst(frame.index) {
            return SelectedFrame(frame: frame, decision: .flash, cutScore: difference, changeScore: nil)
        }
        guard decimator!.keeps(pts: frame.pts, previous: lastDecided?.pts, next: pending.first?.frame.pts) else {
            return SelectedFrame(frame: frame, decision: .decimated, cutScore: difference, changeScore: nil)
        }
        // lastAdmitted is set by the first frame, which is always a cut.
        let reference = lastAdmitted ?? frame
        let change = frame.thumbnail.distance(to: reference.thumbnail)
        let decision: Decision
        if change >= settings.changeThreshold {
            decision = .changed
        } else if settings.maxGapSeconds > 0 && frame.seconds - reference.seconds >= settings.maxGapSeconds {
            decision = .heartbeat
        } else {
            decision = .static
        }
        if decision.isAdmitted { lastAdmitted = frame }
        return SelectedFrame(frame: frame, decision: decision, cutScore: difference, changeScore: change)
    }
}
