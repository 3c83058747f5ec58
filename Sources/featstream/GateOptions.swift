import ArgumentParser
import FeatVideo

/// The frame-rate decimator and scene-change gate options.
struct GateOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Target frame rate: a positive number or fraction (5, 12.5, 30000/1001), or 'source' to keep every frame.",
        valueName: "F"))
    var fps = "source"

    @Option(help: "Smallest frame-to-frame difference (0-255, mean over a 32x32 YCbCr thumbnail) that can be a cut.")
    var cutThreshold: Float = GateSettings().cutThreshold

    @Option(help: "A cut must also be this many times its neighbours' mean difference.")
    var cutRatio: Float = GateSettings().cutRatio

    @Option(name: .customLong("min-scene"), help: "Shortest scene, in seconds: no cut sooner after the last.")
    var minSceneSeconds: Double = GateSettings().minSceneSeconds

    @Option(help: "A jump whose picture comes back within this many frames is a flash, not a cut.")
    var flashFrames: Int = GateSettings().flashFrames

    @Option(help: "Difference from the last admitted frame (0-255) that admits a frame on the grid.")
    var changeThreshold: Float = GateSettings().changeThreshold

    @Option(name: .customLong("max-gap"), help: "In a static scene, still admit a frame after this many seconds.")
    var maxGapSeconds: Double = GateSettings().maxGapSeconds

    var rate: Rational? {
        fps == "source" ? nil : Rational(parsing: fps)
    }

    func validate() throws {
        if fps != "source" {
            guard let rate = Rational(parsing: fps), rate.numerator > 0 else {
                throw ValidationError("--fps must be a positive number, a fraction like 30000/1001, or 'source' (got '\(fps)')")
            }
            _ = rate
        }
        guard cutThreshold >= 0, cutRatio >= 0, changeThreshold >= 0 else {
            throw ValidationError("thresholds must not be negative")
        }
        guard minSceneSeconds >= 0, maxGapSeconds > 0 else {
            throw ValidationError("--min-scene must be >= 0 and --max-gap > 0")
        }
        guard (0...100).contains(flashFrames) else { throw ValidationError("--flash-frames must be 0...100") }
    }

    var settings: GateSettings {
        var s = GateSettings(fps: rate)
        s.cutThreshold = cutThreshold
        s.cutRatio = cutRatio
        s.minSceneSeconds = minSceneSeconds
        s.flashFrames = flashFrames
        s.changeThreshold = changeThreshold
        s.maxGapSeconds = maxGapSeconds
        return s
    }
}
