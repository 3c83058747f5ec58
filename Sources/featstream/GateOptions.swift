import ArgumentParser
import FeatVideo

extension FrameRate: ExpressibleByArgument {
    /// Parses `--fps`: "source" or a positive rate; nil for anything else.
    public init?(argument: String) { self.init(parsing: argument) }
}

/// The frame-rate decimator and scene-change gate options; `GateSettings` checks the ranges.
struct GateOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Target frame rate: a positive number or fraction (5, 12.5, 30000/1001), or 'source' to keep every frame.",
        valueName: "F"))
    var fps: FrameRate = .source

    @Option(help: "Smallest frame-to-frame difference (0-255, mean over a 32x32 YCbCr thumbnail) that can be a cut.")
    var cutThreshold: Float = GateSettings().cutThreshold

    @Option(help: "A cut must also be this many times its neighbours' mean difference (0-1000).")
    var cutRatio: Float = GateSettings().cutRatio

    @Option(name: .customLong("min-scene"), help: "Shortest scene, in seconds (0-86400): no cut sooner after the last.")
    var minSceneSeconds: Double = GateSettings().minSceneSeconds

    @Option(help: "A jump whose picture comes back within this many frames (0-100) is a flash, not a cut.")
    var flashFrames: Int = GateSettings().flashFrames

    @Option(help: "Local change of the features since the last frame sent that sends a grid frame (0-1000; 0 sends every grid frame).")
    var changeThreshold: Float = GateSettings().changeThreshold

    @Option(help: "Also send a grid frame whose thumbnail differs this much (0-255) from the last frame sent; 0: off.")
    var pixelChange: Float = GateSettings().pixelChangeThreshold

    @Option(name: .customLong("max-gap"), help: "In a static scene, still admit a frame after this many seconds (0: never).")
    var maxGapSeconds: Double = GateSettings().maxGapSeconds

    func validate() throws {
        do { try settings.validate() } catch let invalid as GateSettings.Invalid { throw ValidationError(invalid.description) }
    }

    var settings: GateSettings {
        var s = GateSettings(fps: fps.rate)
        s.cutThreshold = cutThreshold
        s.cutRatio = cutRatio
        s.minSceneSeconds = minSceneSeconds
        s.flashFrames = flashFrames
        s.changeThreshold = changeThreshold
        s.pixelChangeThreshold = pixelChange
        s.maxGapSeconds = maxGapSeconds
        return s
    }
}
