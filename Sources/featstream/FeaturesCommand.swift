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
            OUT.npy holds N x C x H x W float32 (N admitted frames); OUT.timestamps.json beside it
            gives each frame's index, pts, time and decision. This is the uncompressed reference the
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

    struct Timestamps: Encodable {
        struct Frame: Encodable {
            let index: Int
            let pts: Int64
            let timeBase: String
            let seconds: Double
            let decision: Decision
        }
        let input: String
        let model: String
        let split: String
        let shape: [Int]
        let frames: [Frame]
    }

    func run() throws {
        try Terminal.reportingErrors {
            let network = try model.load()
            let reader = try input.open()
            let path = output ?? FeaturesCommand.defaultOutput(for: input.input, extension: "npy")
            // Timestamps beside the array (decided before the array creates its file).
            let timestampsPath = timestamps ?? OutputFile.companion(of: path, input: input.input, suffix: ".timestamps.json")
            let stem = input.input == "-" ? "stdin" : URL(fileURLWithPath: input.input).deletingPathExtension().lastPathComponent
            let file = try OutputFile(path, defaultName: stem + ".npy", seekable: true)
            let writer = try NpyWriter(file, trailingShape: network.featureShape.dims)
            var frames: [Timestamps.Frame] = []
            var progress = Progress(quiet: quiet, duration: reader.info.durationSeconds)
            var modelSeconds = 0.0
            let summary = try FeatureExtraction.run(reader, settings: gate.settings, model: network, decided: { selected in
                progress.update(frames: selected.frame.index + 1, seconds: selected.frame.seconds)
            }, admitted: { selected, tensor in
                let f = selected.frame
                frames.append(.init(index: f.index, pts: f.pts, timeBase: f.timeBase.description, seconds: f.seconds,
                                    decision: selected.decision))
                try writer.append(tensor.values)
            }, modelTime: { modelSeconds += $0 })
            progress.finish()
            if let timestampsPath {
                try OutputFile.writeJSON(Timestamps(
                    input: reader.name, model: network.spec.name, split: network.split,
                    shape: [frames.count] + network.featureShape.dims, frames: frames), to: timestampsPath)
            }
            try writer.finish()
            let say: (String) -> Void = path == "-" ? { Terminal.note($0) } : { print(Terminal.printable($0)) }

            let shape = network.featureShape
            say("\(network.spec.title) split at \(network.split): \(shape) = \(shape.count) values per frame")
            say(String(format: "decoded %d frames, admitted %d (%d cut); wrote %d x %@ float32 to %@",
                         summary.decoded, summary.admitted, summary.cuts, frames.count, shape.description, file.path))
            say(String(format: "%.2f s wall, %.0f decoded frames/s; head %.2f ms per admitted frame",
                         summary.wallSeconds, summary.framesPerSecond,
                         frames.isEmpty ? 0 : 1000 * modelSeconds / Double(frames.count)))
            Terminal.warnDamage(reader.name, damaged: summary.damaged, rejected: summary.rejectedPackets)
        }
    }

    /// INPUT's file name with another extension, in the current directory ("stdin" for "-").
    static func defaultOutput(for input: String, extension: String) -> String {
        let base = input == "-" ? "stdin" : URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
        return base + "." + `extension`
    }
}
