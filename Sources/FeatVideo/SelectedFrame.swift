/// A decoded frame with the selection's decision and the scores behind it.
public struct SelectedFrame: Sendable {
    /// The decoded frame.
    public let frame: VideoFrame
    /// Whether it was sent, and why or why not.
    public let decision: Decision
    /// Difference from the previous decoded frame (nil for the first frame).
    public let cutScore: Float?
    /// Difference from the last admitted frame, for frames on the grid that are not cuts.
    public let changeScore: Float?
}
