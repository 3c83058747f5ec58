import ArgumentParser
import FeatCodec
import FeatStream
import Foundation

/// Rate-control options of `encode`.
struct RateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Hold the stream to this link rate (kbit/s): each frame's quality and the frame rate are chosen to fit.", valueName: "kbit/s"))
    var targetKbps: Double?

    @Option(help: ArgumentHelp("Follow a link whose rate changes: CSV lines 'seconds,kbit_s', each rate holding until the next.", valueName: "file"))
    var bandwidth: String?

    @Option(help: ArgumentHelp("With rate control: how late after its time a frame may arrive (the link buffer).", valueName: "seconds"))
    var bufferSeconds = 1.0

    @Option(help: ArgumentHelp("With rate control: below this quality (dB) the frame rate drops first.", valueName: "dB"))
    var minQuality = RateSettings.defaultMinQuality

    var enabled: Bool { targetKbps != nil || bandwidth != nil }

    func validate() throws {
        guard !(targetKbps != nil && bandwidth != nil) else { throw ValidationError("choose one of --target-kbps and --bandwidth") }
        guard enabled else { return }
        do {
            try settings(maxQuality: RateSettings.defaultMaxQuality)?.validate()
        } catch let invalid as CodingSettings.Invalid {
            throw ValidationError(invalid.description)
        } catch let invalid as BandwidthTrace.Invalid {
            throw ValidationError(invalid.description)
        }
    }

    /// The rate settings (nil without --target-kbps or --bandwidth); `maxQuality` from --quality.
    func settings(maxQuality: Double) throws -> RateSettings? {
        let trace: BandwidthTrace
        if let targetKbps {
            trace = try BandwidthTrace(kilobitsPerSecond: targetKbps)
        } else if let bandwidth {
            guard let data = FileManager.default.contents(atPath: bandwidth) else { throw ValidationError("--bandwidth: cannot read \(bandwidth)") }
            trace = try BandwidthTrace(csv: String(decoding: data, as: UTF8.self), name: bandwidth)
        } else {
            return nil
        }
        var s = RateSettings(trace: trace)
        s.bufferSeconds = bufferSeconds
        s.minQuality = minQuality
        s.maxQuality = maxQuality
        return s
    }
}
