/// Frame selection from the pictures alone: `FrameSieve` (cuts, flashes, the frame-rate grid)
/// followed by `Admission` with pixel change only (`GateSettings.pixelChangeThreshold`). The
/// pipelines that run a model measure change in its features instead (FeatStream's
/// `FrameSelection` and `FeatureExtraction`); this is for uses without one.
public struct SceneChangeGate {
    /// The settings both stages run with.
    public let settings: GateSettings
    private var sieve: FrameSieve
    private var admission: Admission

    /// A gate that has seen no frame; its frame-rate grid starts at the first frame pushed.
    public init(settings: GateSettings) {
        self.settings = settings
        sieve = FrameSieve(settings: settings)
        admission = Admission(settings: settings)
    }

    /// Takes the next decoded frame; returns the frames that can now be decided.
    public mutating func push(_ frame: VideoFrame) -> [SelectedFrame] {
        sieve.push(frame).map { admission.decide($0) }
    }

    /// Decides the frames still waiting at the end of the stream.
    public mutating func finish() -> [SelectedFrame] {
        sieve.finish().map { admission.decide($0) }
    }
}
