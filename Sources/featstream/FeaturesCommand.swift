import ArgumentParser
import FeatCodec
import FeatModel
import FeatStream
import FeatVideo
import Foundation

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Write the raw head tensors of the frames the gate admits, as NumPy .npy.",
        discussion: """
            OUT.npy holds N x C x H x W float32 (N admitted frames); OUT.timestamps.json beside it \
            gives each frame's sourceFrame, pts, time and decision. This is the uncompressed reference the \
            codec and the reports compare against. Files appear only when the run succeeds.
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Frame selection") var gate: GateOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Output .npy, a directory to put INPUT.npy in, or '-' for standard output (default: INPUT's name with .npy).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("The timestamps JSON (default: beside the output, OUT.timestamps.json; none for -o -).", valueName: "file"))
    var timestamps: String?

    @Flag(name: .shortAndLong, help: "No progress on stderr.")
    var quiet = false

    func run() throws {
        try Terminal.reportingErrors {
            let network = try model.load()
            let reader = try input.open()
            let path = output ?? OutputFile.defaultName(for: input.input, extension: "npy")
            var progress = Progress(quiet: quiet, duration: reader.info.durationSeconds)
            let summary = try FeatureExport.run(
                reader, gate: gate.settings, model: network, output: path,
                timestampsPath: timestamps ?? OutputFile.companion(of: path, input: input.input, suffix: ".timestamps.json")
            ) { selected in progress.update(frames: selected.frame.index + 1, seconds: selected.frame.seconds) }
            progress.finish()
            let s = summary.selection, shape = network.featureShape
            let say: (String) -> Void = path == "-" ? { Terminal.note($0) } : { print(Terminal.printable($0)) }
            say("\(network.spec.title) split at \(network.split): \(shape) = \(shape.count) values per frame")
            say(String(format: "decoded %d frames, admitted %d (%d cut); wrote %d x %@ float32 to %@",
                       s.decoded, s.admitted, s.cuts, summary.frames, shape.description, summary.outputPath))
            say(String(format: "%.2f s wall, %.0f decoded frames/s; head %.2f ms per run",
                       s.wallSeconds, s.framesPerSecond, summary.headMilliseconds))
            Terminal.warnAboutInput(reader)
        }
    }
}
