import ArgumentParser
import FeatCodec
import FeatStream
import Foundation

/// Rate-control options of `encode`.
struct RateOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Hold the stream to this link rate (kbit/s, 1 to 10000000): each frame's quality and the frame rate are chosen to fit.", valueName: "kbit/s"), transform: DecimalOption.double)
    var targetKbps: Double?

    @Option(help: ArgumentHelp("Follow a link whose rate changes: CSV lines 'seconds,kbit_s', each rate holding until the next, times from the first frame decoded (0 kbit/s: an outage; else 1 to 10000000).", valueName: "file"))
    var bandwidth: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With rate control: how late after its time a frame may arrive (the link buffer; 0.05 to 60, default 1).", valueName: "seconds"), transform: DecimalOption.double)
    var bufferSeconds: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("With rate control: below this quality (dB) the frame rate drops first (default \(RateSettings.defaultMinQuality)).", valueName: "dB"), transform: DecimalOption.double)
    var minQuality: Double?

    var enabled: Bool { targetKbps != nil || bandwidth != nil }

    func validate() throws {
        guard !(targetKbps != nil && bandwidth != nil) else { throw ValidationError("choose one of --target-kbps and --bandwidth") }
        if !enabled && (bufferSeconds != nil || minQuality != nil) {
            throw ValidationError("--buffer-seconds and --min-quality need rate control (--target-kbps or --bandwidth)")
        }
        if let targetKbps {
            do { _ = try BandwidthTrace(kilobitsPerSecond: targetKbps) } catch let invalid as BandwidthTrace.Invalid { throw ValidationError(invalid.description) }
        }
    }

    /// Throws when the trace `bandwidth` and the video `input` would both be read from standard
    /// input: `-`, or a name of it (`/dev/stdin`, `/dev/fd/0`) while it is a pipe (that read the
    /// trace, then failed on the video as "not a video container"; found by outside testing).
    static func refuseSharedStandardInput(bandwidth: String?, input: String) throws {
        guard let bandwidth else { return }
        /// `-`, or a name of standard input while it is a stream (a regular file may be read twice).
        func readsStandardInput(_ path: String) -> Bool {
            var named = stat(), standard = stat()
            return path == "-" || (stat(path, &named) == 0 && fstat(STDIN_FILENO, &standard) == 0 && named.st_dev == standard.st_dev
                                   && named.st_ino == standard.st_ino && standard.st_mode & S_IFMT != S_IFREG)
        }
        if readsStandardInput(bandwidth) && ([input] + OutputFile.localFiles(of: input)).contains(where: readsStandardInput) {
            throw ValidationError("--bandwidth \(bandwidth) and the input \(input) cannot both be standard input")
        }
    }

    /// The numeric settings against a ceiling of `maxQuality` (from --quality), before the trace
    /// file is read (`settings` reads it, once).
    func check(maxQuality: Double) throws {
        var s = RateSettings(trace: try BandwidthTrace(kilobitsPerSecond: 1))
        apply(to: &s, maxQuality: maxQuality)
        do { try s.validate() } catch let invalid as CodingSettings.Invalid { throw ValidationError(invalid.description) }
    }

    /// The rate settings (nil without --target-kbps or --bandwidth); `maxQuality` from --quality.
    /// Reads the trace file (at most 16 MiB).
    func settings(maxQuality: Double) throws -> RateSettings? {
        let trace: BandwidthTrace
        if let targetKbps {
            trace = try BandwidthTrace(kilobitsPerSecond: targetKbps)
        } else if let bandwidth {
            trace = try BandwidthTrace.read(bandwidth)
        } else {
            return nil
        }
        var s = RateSettings(trace: trace)
        apply(to: &s, maxQuality: maxQuality)
        try s.validate()
        return s
    }

    /// The options given, over `settings`' defaults.
    private func apply(to settings: inout RateSettings, maxQuality: Double) {
        if let bufferSeconds { settings.bufferSeconds = bufferSeconds }
        if let minQuality { settings.minQuality = minQuality }
        settings.maxQuality = maxQuality
    }
}
