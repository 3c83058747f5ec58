/// Finds hard cuts from the frame-to-frame differences of every decoded frame.
///
/// A frame is a cut when its difference from the previous frame is large in absolute terms,
/// large against its neighbours' differences (an adaptive ratio, as PySceneDetect's
/// AdaptiveDetector), the picture does not come back within a few frames (flashes and short
/// bursts), and the last cut is at least a minimum scene length ago.
struct CutDetector {
    let settings: GateSettings
    /// A burst has ended when a later frame is this close to the frame before the jump,
    /// relative to the jump itself.
    static let burstReturnFraction: Float = 0.5
    private var lastCutSeconds: Double?
    /// The frames of the last flash or burst found: the jump to the picture back.
    private var burst = 0..<0

    init(settings: GateSettings) { self.settings = settings }

    /// Whether the frame is part of a flash or burst (the frame the picture returns on is not).
    func isInBurst(_ index: Int) -> Bool { burst.contains(index) }

    /// - Parameters:
    ///   - difference: this frame against the previous decoded frame (nil for the first frame).
    ///   - neighbours: the differences of up to `cutWindow` frames on each side.
    ///   - before: the previous decoded frame's thumbnail.
    ///   - following: thumbnails of the next frames, nearest first, up to `flashFrames`.
    mutating func isCut(
        index: Int, seconds: Double, difference: Float?, neighbours: [Float],
        before: Thumbnail?, following: [Thumbnail]
    ) -> Bool {
        guard let difference, let before else {
            lastCutSeconds = seconds
            return true  // the first frame opens the first scene
        }
        if burst.contains(index) || index == burst.upperBound || difference < settings.cutThreshold { return false }
        let mean = neighbours.isEmpty ? 0 : neighbours.reduce(0, +) / Float(neighbours.count)
        if difference < settings.cutRatio * mean { return false }
        let returnLimit = CutDetector.burstReturnFraction * difference
        for (offset, later) in following.enumerated() where before.distance(to: later) < returnLimit {
            burst = index..<(index + offset + 1)
            return false
        }
        if let lastCutSeconds, seconds - lastCutSeconds < settings.minSceneSeconds { return false }
        lastCutSeconds = seconds
        return true
    }
}
