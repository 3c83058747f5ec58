import FeatCodec

extension ParameterSet {
    /// The parameter set of a synthetic test stream: a model named "test", an 8x8 source at 5 fps
    /// lasting `seconds`, the default gate's selection.
    public static func synthetic(shape: [Int], coding: CodingSettings, seconds: Double) -> ParameterSet {
        ParameterSet(
            model: .init(name: "test", split: "x", checkpointSHA256: "00", mean: [0, 0, 0], std: [1, 1, 1]),
            shape: shape, coding: coding, source: .init(name: "synthetic", width: 8, height: 8, frameRate: "5", durationSeconds: seconds),
            selection: .init(fps: "source", cutThreshold: 12, cutRatio: 3, minSceneSeconds: 0.4, flashFrames: 5, changeThreshold: 6, maxGapSeconds: 2),
            encoder: "test")
    }
}
