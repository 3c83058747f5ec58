/// The knobs of frame selection. Defaults were tuned on Media/ fixtures and on bikes.mp4
/// (see README "Frame selection").
public struct GateSettings: Sendable, Equatable {
    /// Target frames per second; nil keeps the source rate.
    public var fps: Rational?
    /// A cut needs a frame-to-frame difference of at least this (mean absolute YCbCr
    /// difference of the 32 x 32 thumbnails, 0-255).
    public var cutThreshold: Float = 12
    /// ... and at least this many times the mean difference of its neighbours
    /// (`cutWindow` frames each side), so steady motion does not look like a cut.
    public var cutRatio: Float = 3
    public var cutWindow = 2
    /// No second cut within this many seconds of the last one.
    public var minSceneSeconds: Double = 0.4
    /// A jump that comes back within this many frames (the frame after it looks like the frame
    /// before it) is a flash or a short burst, not a cut.
    public var flashFrames = 5
    /// A frame on the grid is admitted when it differs from the last admitted frame by this much.
    public var changeThreshold: Float = 6
    /// In a static scene, a frame is still admitted after this many seconds.
    public var maxGapSeconds: Double = 2

    public init(fps: Rational? = nil) { self.fps = fps }

    /// Frames the gate must see past a frame before it can decide on it.
    var lookahead: Int { max(cutWindow, flashFrames, 1) }
}
