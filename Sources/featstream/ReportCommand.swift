import ArgumentParser
import FeatCodec
import FeatModel
import FeatStream
import FeatVideo
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Sweep frame rate x quantizer: bitrate, feature SNR and task fidelity, beside sending the pixels.",
        discussion: """
            For every --fps, --bits setting (temporal and intra-only), --quality (step mode, on \
            values and with --transform dct on DCT tiles) and \
            lossless, and each --target-kbps under rate control (on the grid of the highest \
            --fps, with the first --change-threshold): frames admitted and cuts, kbit/s (the whole stream over the source seconds), bytes per frame, \
            bits per element, feature SNR against the lossless tensors, and top-1 / top-5 \
            agreement of the model's tail on the decoded tensors with the tail on the lossless \
            ones. Writes DIR/report.csv, DIR/report.json, DIR/bitrate-vs-fps.svg, \
            DIR/rate-vs-accuracy.svg and DIR/report.html, and prints a table. The pixel lines: the \
            same admitted frames sent through each --pixel-codec (libavcodec's libx264 by default, \
            its zero-latency 'realtime' and its 'medium' preset) at each --crf, decoded and run \
            through the whole network.
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Model") var model: ModelOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Frame rates to sweep, comma-separated ('source' keeps every frame).", valueName: "list"))
    var fps = "1,2,5,10,15,30"

    @Option(parsing: .unconditional, help: ArgumentHelp("Gate change thresholds to sweep, comma-separated (the features' local change; 0 sends every grid frame).", valueName: "list"))
    var changeThreshold = "\(GateSettings().changeThreshold)"

    @Option(parsing: .unconditional, help: ArgumentHelp("Quantizer bits to sweep, comma-separated (2-16).", valueName: "list"))
    var bits = "8,6,4,3,2"

    @Option(parsing: .unconditional, help: ArgumentHelp("Step-mode qualities to sweep (dB, task-weighted), comma-separated, or 'none'.", valueName: "list"))
    var quality = "40,30,22,16"

    @Option(parsing: .unconditional, help: ArgumentHelp("What each --quality codes, comma-separated: 'none' the values (encode --quality), 'dct' 7x7 DCT tiles (encode --transform dct). Layered and rate-controlled points code the values.", valueName: "list"))
    var transform = "none"

    @Option(parsing: .unconditional, help: ArgumentHelp("Also code each --quality in N layers (encode --layers) and measure the first 1, 2, ... N of them (decode --layers).", valueName: "N"))
    var layers = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Link rates for rate-controlled points (kbit/s), comma-separated, or 'none': encode --target-kbps on the grid of the highest --fps.", valueName: "list"))
    var targetKbps = "none"

    @Option(parsing: .unconditional, help: ArgumentHelp("Rate control's --min-quality (dB) for --target-kbps and --bandwidth (default \(RateSettings.defaultMinQuality)).", valueName: "dB"), transform: DecimalOption.double)
    var minQuality: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Rate control's --buffer-seconds for --target-kbps and --bandwidth (default 1).", valueName: "seconds"), transform: DecimalOption.double)
    var bufferSeconds: Double?

    @Option(help: ArgumentHelp("A link to follow under rate control (CSV 'seconds,kbit_s', 0 for an outage): writes link-rate.svg, link-fps.svg and link-top1.svg (rate, frames sent and receiver top-1 over time).", valueName: "file"))
    var bandwidth: String?

    @Option(help: ArgumentHelp("Pixel codecs of the pixel line, comma-separated: x264:realtime, x264:medium, x265:medium, ENCODER:PRESET:TUNE (tune psnr, ssim...).", valueName: "list"))
    var pixelCodec = "x264:realtime,x264:medium"

    @Option(parsing: .unconditional, help: ArgumentHelp("CRF values of the pixel line, comma-separated (0-51), or 'none'.", valueName: "list"))
    var crf = "18,23,28,33,38,43"

    @Option(help: ArgumentHelp("Output folder.", valueName: "dir"))
    var out = "report"

    @Flag(name: .shortAndLong, help: "No progress on stderr.")
    var quiet = false

    /// The sweep, from the comma-separated lists.
    var options: ReportSweep.Options {
        get throws {
            var o = ReportSweep.Options()
            o.rates = try list(fps, "--fps", "a positive rate or 'source'") { FrameRate(parsing: $0) }
            o.changeThresholds = try list(changeThreshold, "--change-threshold", "numbers 0 to 1000") { DecimalText.float($0).flatMap { $0.isFinite && (0...1000).contains($0) ? $0 : nil } }
            o.bits = try list(bits, "--bits", "numbers 2 to 16") { Int($0).flatMap { (2...16).contains($0) ? $0 : nil } }
            o.qualities = quality == "none" ? [] : try list(quality, "--quality", "numbers 0 to 120, or 'none'") { DecimalText.double($0).flatMap { $0.isFinite && (0...120).contains($0) ? $0 : nil } }
            let transforms = try list(transform, "--transform", "'none' or 'dct'") { CodingOptions.Transform(rawValue: $0) }
            (o.onValues, o.onTiles) = (transforms.contains(.none), transforms.contains(.dct))
            // Options that would do nothing are refused, as `encode` refuses them (they were
            // silently dropped; found by outside testing).
            if o.onTiles && o.qualities.isEmpty { throw ValidationError("--transform dct codes the --quality points: give --quality values") }
            o.targets = targetKbps == "none" ? [] : try list(targetKbps, "--target-kbps", "numbers from 1 to 10000000, or 'none'") {
                DecimalText.double($0).flatMap { $0.isFinite && $0 >= 1 && $0 <= 1e7 ? $0 : nil }
            }
            if let minQuality {
                guard minQuality.isFinite, (0...RateSettings.defaultMaxQuality).contains(minQuality) else {
                    throw ValidationError("--min-quality: \(minQuality) is out of range (0 to \(RateSettings.defaultMaxQuality) dB, rate control's ceiling)")
                }
                o.minQuality = minQuality
            }
            if let bufferSeconds { o.bufferSeconds = bufferSeconds }
            // The buffer's range is rate control's own, as `encode` checks it.
            do { try o.rateSettings(try BandwidthTrace(kilobitsPerSecond: 1)).validate() } catch let invalid as CodingSettings.Invalid {
                throw ValidationError(invalid.description)
            }
            if (minQuality != nil || bufferSeconds != nil) && o.targets.isEmpty && bandwidth == nil {
                throw ValidationError("--buffer-seconds and --min-quality need rate control (--target-kbps or --bandwidth)")
            }
            guard (1...CodingSettings.maxLayers).contains(layers) else {
                throw ValidationError("--layers: \(layers) is out of range (1 to \(CodingSettings.maxLayers))")
            }
            o.layers = layers
            // Layers refine step mode's rows: without --quality there is nothing to layer.
            if layers > 1 && o.qualities.isEmpty { throw ValidationError("--layers \(layers) needs --quality values (layers refine step mode)") }
            if layers > 1 && !o.onValues { throw ValidationError("--layers \(layers) layers the values, not DCT tiles: add 'none' to --transform") }
            o.pixelCodecs = try list(pixelCodec, "--pixel-codec", "codecs such as x264:realtime, x264:medium, x265:medium") { PixelCodec.Variant(parsing: $0) }
            o.crfs = crf == "none" ? [] : try list(crf, "--crf", "numbers 0 to 51, or 'none'") { Int($0).flatMap { (0...51).contains($0) ? $0 : nil } }
            return o
        }
    }

    /// The values of a comma-separated list, each once, in the order given (`--bits 8,8` ran
    /// and printed every setting twice; found by outside testing).
    private func list<T: Equatable>(_ text: String, _ option: String, _ expected: String, _ parse: (String) -> T?) throws -> [T] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let values = items.compactMap(parse)
        guard !items.isEmpty, values.count == items.count else { throw ValidationError("\(option) takes \(expected), comma-separated (got '\(text)')") }
        return values.enumerated().filter { k, v in !values[..<k].contains(v) }.map(\.element)
    }

    func validate() throws {
        _ = try options
        try RateOptions.refuseSharedStandardInput(bandwidth: bandwidth, input: input.input)
    }

    func run() throws {
        try Terminal.reportingErrors {
            // Made (or refused) before the sweep, which may take minutes; removed if it fails.
            let madeFolders = try ReportDocuments.prepareFolder(out, reading: OutputFile.localFiles(of: input.input) + [bandwidth, model.weights].compactMap { $0 })
            do { try sweepAndWrite() } catch {
                OutputFile.removeDirectories(madeFolders)
                throw error
            }
        }
    }

    /// The sweep, the report's files in `out`, and the table on stdout.
    private func sweepAndWrite() throws {
        let network = try model.load()
        let reader = try input.open()
        var progress = Progress(quiet: quiet, duration: reader.info.durationSeconds)
        var sweep = try options
        sweep.bandwidth = try bandwidth.map(BandwidthTrace.read)  // read once: it may be a pipe
        if !sweep.onValues && (!sweep.targets.isEmpty || sweep.bandwidth != nil) {
            Terminal.warn("rate-controlled points code the values (step mode), not DCT tiles: README, \"Fitting a link\"")
        }
        let (samples, timeline, leftOut) = try ReportSweep.sweep(reader, model: network, options: sweep) {
            progress.update(frames: $0.index + 1, seconds: $0.seconds)
        }
        progress.finish()
        for line in leftOut { Terminal.warn(line) }
        Terminal.warnAboutInput(reader)
        var report = ReportDocuments.Report(
            command: CommandLine.arguments, ffmpeg: VideoReader.ffmpegVersions, oneDNN: Model.runtimeVersion,
            isa: Model.instructionSet.name, input: reader.name, model: network.spec.name, split: network.split, points: samples)
        report.linkTimeline = timeline
        report.sourceFramesPerSecond = reader.info.framesPerSecond
        (report.damagedFrames, report.rejectedPackets, report.timestampJumps) = (reader.damagedFrames, reader.rejectedPackets, reader.timestampJumps)
        let title = "featstream report: \(URL(fileURLWithPath: reader.name).lastPathComponent), \(network.spec.title) at \(network.split)"
        try ReportDocuments.write(report, title: title, to: out)
        if !network.hasTail {
            Terminal.warn("\(network.weightsPath) has no classifier: feature fidelity only, no task fidelity and no pixel line")
        }
        print(Terminal.printable("\(reader.name): \(network.spec.title) at \(network.split); wrote \(ReportDocuments.files.joined(separator: ", ")) in \(out)"))
        print("   fps  change  setting                       sent  kbit/s  bytes/frame   SNR dB  top-1 %   grid top-1  source top-1  source top-5")
        for s in samples { print(row(s)) }
        if !timeline.isEmpty {
            print("\nfollowing --bandwidth (also link-rate.svg, link-fps.svg, link-top1.svg):\n  time s  link kbit/s  achieved  frames/s  top-1 %")
            for w in timeline {
                print(String(format: "  %6.1f  %11.1f  %8.1f  %8.1f  ", w.start, w.linkKilobitsPerSecond, w.achievedKilobitsPerSecond, w.framesPerSecond)
                      + (w.top1.map { String(format: "%7.1f", $0) } ?? "      -"))
            }
        }
    }

    private func row(_ s: Sample) -> String {
        let setting = (s.setting.description).padding(toLength: 28, withPad: " ", startingAt: 0)
        let size = String(format: "  %5d  %6.1f  %11.0f  ", s.admitted, s.kilobitsPerSecond, s.bytesPerFrame)
        let percent = { (v: Double?, width: Int) in v.map { String(format: "%\(width).1f", $0) } ?? String(repeating: " ", count: width - 1) + "-" }
        let snr = s.sent.snr.map { String(format: "%7.2f", $0) } ?? "  exact"
        return s.frameRate.description.leftPadded(6) + String(format: "  %6.2f  ", s.changeThreshold) + setting + size + snr
            + "  " + percent(s.sent.top1, 7) + "  " + percent(s.grid.top1, 11) + "  " + percent(s.source.top1, 12) + "  " + percent(s.source.top5, 12)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
