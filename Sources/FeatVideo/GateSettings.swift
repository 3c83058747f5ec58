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
    /// Frames on each side whose differences make the neighbours' mean for `cutRatio` (1-100).
    public var cutWindow = 2
    /// No second cut within this many seconds of the last one.
    public var minSceneSeconds: Double = 0.4
    /// A jump that comes back within this many frames (the frame after it looks like the frame
    /// before it) is a flash or a short burst, not a cut.
    public var flashFrames = 5
    /// A frame on the grid is sent when its features changed this much since the last frame sent:
    /// the largest change of any region (about 1/49 of the map), as energy of the difference over
    /// the mean region energy (FeatStream's `FeatureChange`). 0 sends every grid frame. 0.5
    /// separates a person walking (1.0-2.9 on Media/walker.mp4 at 5 fps) from sensor noise
    /// (0.24-0.40 on Media/noise.mp4), and sends 44 of bikes.mp4's 50 grid frames at 5 fps
    /// (receiver top-1 at the grid 98 %), measured on MobileNetV2 features.6.
    public var changeThreshold: Float = 0.5
    /// ... or when its thumbnail (mean absolute YCbCr difference, 0-255) differs this much from
    /// the last frame sent; 0 (the default) leaves pixels out of the decision.
    public var pixelChangeThreshold: Float = 0
    /// In a static scene, a frame is still admitted after this many seconds; 0: never (no heartbeat).
    public var maxGapSeconds: Double = 2

    /// The tuned defaults at `fps` frames per second (nil: the source rate).
    public init(fps: Rational? = nil) { self.fps = fps }

    /// Frames the gate must see past a frame before it can decide on it.
    var lookahead: Int { max(cutWindow, flashFrames, 1) }

    /// A setting outside its range, named as the command line names it.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        /// The option's long name without the dashes, e.g. "cut-threshold".
        public let option: String
        /// The value given, as text.
        public let value: String
        /// The valid range in words, e.g. "0 to 255".
        public let expected: String
        /// One line for the command line: "--OPTION: VALUE is out of range (EXPECTED)".
        public var description: String { "--\(option): \(value) is out of range (\(expected))" }
    }

    /// The valid ranges, checked before anything runs (finite numbers only).
    public func validate() throws {
        func check<T: BinaryFloatingPoint>(_ value: T, _ range: ClosedRange<T>, _ option: String, _ expected: String) throws {
            guard value.isFinite, range.contains(value) else { throw Invalid(option: option, value: "\(value)", expected: expected) }
        }
        if let fps, fps.numerator <= 0 || fps.denominator <= 0 {
            throw Invalid(option: "fps", value: fps.description, expected: "a positive number or fraction, or 'source'")
        }
        try check(cutThreshold, 0...255, "cut-threshold", "0 to 255")
        try check(cutRatio, 0...1000, "cut-ratio", "0 to 1000")
        try check(minSceneSeconds, 0...86400, "min-scene", "0 to 86400 seconds")
        guard (0...100).contains(flashFrames) else { throw Invalid(option: "flash-frames", value: "\(flashFrames)", expected: "0 to 100 frames") }
        try check(changeThreshold, 0...1000, "change-threshold", "0 to 1000")
        try check(pixelChangeThreshold, 0...255, "pixel-change", "0 to 255")
        try check(maxGapSeconds, 0...86400, "max-gap", "0 for no heartbeat, or up to 86400 seconds")
        guard (1...100).contains(cutWindow) else { throw Invalid(option: "cut-window", value: "\(cutWindow)", expected: "1 to 100 frames") }
    }
}
