/// The second half of frame selection: which grid frames are sent. A grid frame is sent when it
/// changed enough since the last frame sent: in the model's features (the local change the
/// caller measures, `GateSettings.changeThreshold`), or in the picture (the thumbnail's mean
/// difference, `GateSettings.pixelChangeThreshold`, when that is on); a static one is still sent
/// as a heartbeat after `maxGapSeconds`. Cuts are always sent and become the new reference.
public struct Admission {
    /// The thresholds the decisions use: `changeThreshold`, `pixelChangeThreshold` and `maxGapSeconds`.
    public let settings: GateSettings
    /// The last frame sent: the reference for pixel change and the heartbeat clock.
    private var lastAdmitted: VideoFrame?

    /// Starts with no frame sent; the first frame (always a cut) becomes the reference.
    public init(settings: GateSettings) { self.settings = settings }

    /// Decides a sieved frame. `featureChange`: the local change of the frame's features from the
    /// last frame sent (`FeatureChange.score`), for grid frames; nil when not measured.
    public mutating func decide(_ sieved: FrameSieve.Sieved, featureChange: Float? = nil) -> SelectedFrame {
        let frame = sieved.frame
        switch sieved.kind {
        case .cut:
            lastAdmitted = frame
            return SelectedFrame(frame: frame, decision: .cut, cutScore: sieved.cutScore, changeScore: nil)
        case .decimated, .flash:
            return SelectedFrame(frame: frame, decision: sieved.kind == .flash ? .flash : .decimated, cutScore: sieved.cutScore, changeScore: nil)
        case .grid:
            // The first frame is always a cut, so there is a reference.
            let reference = lastAdmitted ?? frame
            let pixelChange = frame.thumbnail.distance(to: reference.thumbnail)
            let changed = settings.changeThreshold == 0
                || featureChange.map { $0 >= settings.changeThreshold } == true
                || (settings.pixelChangeThreshold > 0 && pixelChange >= settings.pixelChangeThreshold)
            let decision: Decision
            if changed {
                decision = .changed
            } else if settings.maxGapSeconds > 0 && frame.seconds(since: reference) >= settings.maxGapSeconds {
                decision = .heartbeat
            } else {
                decision = .static
            }
            if decision.isAdmitted { lastAdmitted = frame }
            return SelectedFrame(frame: frame, decision: decision, cutScore: sieved.cutScore, changeScore: featureChange ?? pixelChange)
        }
    }
}
