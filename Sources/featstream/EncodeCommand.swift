import ArgumentParser
import FeatCodec
import FeatStream
import Foundation

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Run the whole pipeline and write the feature stream (.fst).",
        discussion: """
            Video -> frame selection -> model head -> quantizer (--quality: one step per frame, \
            task-weighted; --bits/--levels: levels over each channel's range) -> temporal \
            prediction -> entropy coding -> .fst (docs/FORMAT.md). I-frames at the first frame, at \
            every cut and at least every --gop seconds. With --target-kbps or --bandwidth a rate \
            controller chooses each frame's quality and the frame rate so that every frame \
            reaches the receiver within --buffer-seconds. The file appears only when the encode \
            succeeds.
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Frame selection") var gate: GateOptions
    @OptionGroup(title: "Coding") var coding: CodingOptions
    @OptionGroup(title: "Rate control") var rate: RateOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Output .fst file, or '-' for standard output (default: INPUT's name with .fst).", valueName: "file"))
    var output: String?

    @Flag(name: .shortAndLong, help: "No progress on stderr.")
    var quiet = false

    @Flag(help: "Print the summary and every admitted frame's fate (quality, bytes, link buffer fullness, frame rate, why dropped), and the unchanged frames rate control sent, as JSON.")
    var json = false

    func validate() throws {
        if json && output == "-" { throw ValidationError("--json prints to standard output: give -o a file") }
        try RateOptions.refuseSharedStandardInput(bandwidth: rate.bandwidth, input: input.input)
        if rate.enabled && (coding.bits != nil || coding.levels != nil || coding.lossless || coding.fp16) {
            throw ValidationError("rate control codes in step mode: use --quality (the highest quality it spends), not --bits, --levels, --lossless or --fp16")
        }
        if rate.enabled, let option = coding.levelOption {
            throw ValidationError("\(option): shapes level mode's bins (--bits, --levels); rate control codes in step mode")
        }
        if rate.enabled && coding.layers != nil {
            throw ValidationError("--layers is for delivery that is not real time: rate control (--target-kbps, --bandwidth) sends one layer")
        }
        // After the check above, which names the real conflict when both are given (found by outside testing).
        if coding.layers != nil && coding.quality == nil { throw ValidationError("--layers: layered coding is step mode (give --quality)") }
        if rate.enabled { try rate.check(maxQuality: coding.quality ?? RateSettings.defaultMaxQuality) }
        if coding.entropy != nil && coding.quality == nil && !rate.enabled {
            throw ValidationError("--entropy: chooses the coder of single-layer step mode (--quality or rate control, without --layers)")
        }
        // (Alone it fell through to 8-bit level mode, measuring frequency weights for nothing; found by review.)
        if coding.transform == .dct && coding.quality == nil && !rate.enabled {
            throw ValidationError("--transform dct: codes single-layer step mode (--quality or rate control, without --layers or --entropy adaptive)")
        }
    }

    func run() throws {
        try Terminal.reportingErrors {
            let network = try model.load()
            let reader = try input.open()
            let path = output ?? OutputFile.defaultName(for: input.input, extension: "fst")
            let file = try OutputFile(path, defaultName: OutputFile.defaultName(for: input.input, extension: "fst"), input: input.input,
                                      alsoReading: [rate.bandwidth, network.weightsPath].compactMap { $0 })
            var progress = Progress(quiet: quiet, duration: reader.info.durationSeconds)
            var settings = try coding.settings(for: network)
            let rateSettings = try rate.settings(maxQuality: coding.quality ?? RateSettings.defaultMaxQuality)
            if let rateSettings, settings.quality == nil {
                var stepped = coding
                stepped.quality = rateSettings.maxQuality
                settings = try stepped.settings(for: network)
            }
            let summary = try FeatureEncoding.run(reader, gate: gate.settings, model: network, coding: settings, rate: rateSettings,
                                                  output: file) { selected in
                progress.update(frames: selected.frame.index + 1, seconds: selected.frame.seconds)
            }
            progress.finish()
            try file.commit()
            for warning in summary.warnings { Terminal.note("warning: " + warning) }
            if json { return try Terminal.printJSON(EncodeReport(summary: summary, settings: settings, rate: rateSettings, path: file.path)) }
            let (s, stream) = (summary.selection, summary.stream)
            // With -o - the stream is on stdout: the summary goes to stderr.
            let say: (String) -> Void = path == "-" ? { Terminal.note($0) } : { print(Terminal.printable($0)) }
            say("\(network.spec.title) at \(network.split), \(network.featureShape) per frame; \(settings)")
            if let rateSettings { say(rateSettings.description) }
            let unchanged = summary.unchangedSent > 0 ? " (\(summary.unchangedSent) of them unchanged, sent by rate control)" : ""
            say("decoded \(s.decoded) frames, admitted \(s.admitted) (\(s.cuts) cut), coded \(stream.frames): \(stream.intraFrames) I + \(stream.predictedFrames) P\(unchanged)")
            say(String(format: "%@: %ld bytes, %@ over %.2f s of source, %.0f bytes per frame, %.3f bits per element",
                       file.path, stream.fileBytes, summary.kilobitsPerSecond.map { String(format: "%.1f kbit/s", $0) } ?? "- kbit/s",
                       s.sourceSeconds ?? 0, summary.bytesPerFrame, summary.bitsPerElement))
            say(String(format: "%.2f s wall, %.0f decoded frames/s", s.wallSeconds, s.framesPerSecond))
            Terminal.warnAboutInput(reader)
        }
    }
}

/// What `encode --json` prints.
struct EncodeReport: Encodable {
    let output: String
    let coding: String
    let rateControl: String?
    let kilobitsPerSecond: Double?
    let fileBytes: Int
    let decodedFrames: Int
    let admittedFrames: Int
    let sentFrames: Int
    /// Of `sentFrames`, those the gate held back as unchanged and rate control sent.
    let unchangedSentFrames: Int
    let warnings: [String]
    let frames: [RateController.Entry]

    init(summary: FeatureEncoding.Summary, settings: CodingSettings, rate: RateSettings?, path: String) {
        output = path
        coding = settings.description
        rateControl = rate?.description
        kilobitsPerSecond = summary.kilobitsPerSecond
        fileBytes = summary.stream.fileBytes
        decodedFrames = summary.selection.decoded
        admittedFrames = summary.selection.admitted
        sentFrames = summary.stream.frames
        unchangedSentFrames = summary.unchangedSent
        warnings = summary.warnings
        frames = summary.log
    }
}
