import ArgumentParser
import FeatCodec
import FeatStream
import Foundation

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Run the whole pipeline and write the feature stream (.fst).",
        discussion: """
            Video -> frame selection -> model head -> per-channel quantizer -> temporal prediction ->
            entropy coding -> .fst (docs/FORMAT.md). I-frames at the first frame, at every cut, at
            least every --gop seconds, and wherever coding a frame alone is no more expensive.
            The file appears only when the encode succeeds.
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Frame selection") var gate: GateOptions
    @OptionGroup(title: "Coding") var coding: CodingOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Output .fst file, or '-' for standard output (default: INPUT's name with .fst).", valueName: "file"))
    var output: String?

    @Flag(name: .shortAndLong, help: "No progress on stderr.")
    var quiet = false

    func run() throws {
        try Terminal.reportingErrors {
            let network = try model.load()
            let reader = try input.open()
            let path = output ?? FeaturesCommand.defaultOutput(for: input.input, extension: "fst")
            let stem = input.input == "-" ? "stdin" : URL(fileURLWithPath: input.input).deletingPathExtension().lastPathComponent
            let file = try OutputFile(path, defaultName: stem + ".fst")
            var progress = Progress(quiet: quiet, duration: reader.info.durationSeconds)
            let summary = try FeatureEncoding.run(
                reader, gate: gate.settings, model: network, coding: coding.settings, output: file.handle, outputName: path
            ) { selected in progress.update(frames: selected.frame.index + 1, seconds: selected.frame.seconds) }
            progress.finish()
            try file.commit()
            let s = summary.selection
            // With -o - the stream is on stdout: the summary goes to stderr.
            let say: (String) -> Void = path == "-" ? { Terminal.note($0) } : { print(Terminal.printable($0)) }
            say("\(network.spec.title) at \(network.split), \(network.featureShape) per frame; \(describe(coding.settings))")
            say("decoded \(s.decoded) frames, admitted \(s.admitted) (\(s.cuts) cut), coded \(summary.coded): \(summary.intra) I + \(summary.predicted) P")
            say(String(format: "%@: %llu bytes, %.1f kbit/s over %.2f s, %.0f bytes per frame, %.3f bits per element",
                       file.path, summary.fileBytes, summary.kilobitsPerSecond, s.videoSeconds, summary.bytesPerFrame, summary.bitsPerElement))
            say(String(format: "%.2f s wall, %.0f decoded frames/s", s.wallSeconds, s.framesPerSecond))
            Terminal.warnDamage(reader.name, damaged: s.damaged, rejected: s.rejectedPackets)
        }
    }

    private func describe(_ settings: CodingSettings) -> String {
        let precision: String
        switch settings.precision {
        case .quantized(let levels): precision = "\(levels) levels per channel"
        case .float16: precision = "float16"
        case .float32: precision = "lossless float32"
        }
        return precision + (settings.intraOnly ? ", intra only" : String(format: ", I-frame at least every %g s", settings.gopSeconds))
    }
}
