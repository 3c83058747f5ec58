import ArgumentParser
import FeatVideo

extension FrameRate: ExpressibleByArgument {
    /// Parses `--fps`: "source" or a positive rate; nil for anything else.
    public init?(argument: String) { self.init(parsing: argument) }
}

/// The frame-rate decimator and scene-change gate options; `GateSettings` checks the ranges.
/// Number options here and in the other option groups parse their next argument
/// unconditionally, so `--max-gap -1` is refused for its range, not read as a missing value.
struct GateOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Target frame rate: a positive number or fraction (5, 12.5, 30000/1001), or 'source' to keep every frame.",
        valueName: "F"), transform: GateOptions.frameRate)
    var fps: FrameRate = .source

    /// `--fps`, with what it accepts when it does not parse (it said only "invalid" for 0).
    static func frameRate(_ text: String) throws -> FrameRate {
        guard let rate = FrameRate(parsing: text) else {
            throw ValidationError("a frame rate is a number or fraction above 0 (5, 12.5, 30000/1001), or 'source'")
        }
        return rate
    }

    @Option(parsing: .unconditional, help: "Smallest frame-to-frame difference (0-255, mean over a 32x32 YCbCr thumbnail) that can be a cut (default: \(GateSettings().cutThreshold)).", transform: DecimalOption.float)
    var cutThreshold: Float = GateSettings().cutThreshold

    @Option(parsing: .unconditional, help: "A cut must also be this many times its neighbours' mean difference (0-1000; default: \(GateSettings().cutRatio)).", transform: DecimalOption.float)
    var cutRatio: Float = GateSettings().cutRatio

    @Option(name: .customLong("min-scene"), parsing: .unconditional, help: "Shortest scene, in seconds (0-86400): no cut sooner after the last (default: \(GateSettings().minSceneSeconds)).", transform: DecimalOption.double)
    var minSceneSeconds: Double = GateSettings().minSceneSeconds

    @Option(parsing: .unconditional, help: "A jump whose picture comes back within this many frames (0-100) is a flash, not a cut.")
    var flashFrames: Int = GateSettings().flashFrames

    @Option(parsing: .unconditional, help: "Local change of the features since the last frame sent that sends a grid frame (0-1000; 0 sends every grid frame; default: \(GateSettings().changeThreshold)).", transform: DecimalOption.float)
    var changeThreshold: Float = GateSettings().changeThreshold

    @Option(parsing: .unconditional, help: "Also send a grid frame whose thumbnail differs this much (0-255) from the last frame sent; 0: off (default: \(GateSettings().pixelChangeThreshold)).", transform: DecimalOption.float)
    var pixelChange: Float = GateSettings().pixelChangeThreshold

    @Option(name: .customLong("max-gap"), parsing: .unconditional, help: "In a static scene, still admit a frame after this many seconds (0: never; default: \(GateSettings().maxGapSeconds)).", transform: DecimalOption.double)
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
