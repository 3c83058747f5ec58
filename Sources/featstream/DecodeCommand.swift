import ArgumentParser
import FeatCodec
import FeatStream
import Foundation

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a .fst stream back to tensors (NumPy .npy) and timestamps.",
        discussion: """
            OUT.npy holds N x C x H x W; OUT.timestamps.json beside it gives each frame's sequence \
            number, source frame, pts, time, frame type and decision (why the frame was sent), and lists frames lost to \
            damage (as [first, last] ranges). A range seeks through the index and decodes from the \
            I-frame before it only. Damaged packets are reported on stderr and skipped; decoding \
            resumes at the next I-frame. With -o - the array goes to standard output and the \
            timestamps only to --timestamps FILE.
            """)

    @Argument(help: "The .fst file.")
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output .npy, a directory to put INPUT.npy in, or '-' for standard output (default: INPUT's name with .npy).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("The timestamps JSON (default: beside the output, OUT.timestamps.json; none for -o -).", valueName: "file"))
    var timestamps: String?

    @Option(help: "Element type of the output: float32 or float16.")
    var dtype = "float32"

    @Option(parsing: .unconditional, help: ArgumentHelp("Coded frames A:B (A included, B not; either may be left out).", valueName: "A:B"))
    var frames: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Frames with T0 <= time < T1, in seconds.", valueName: "T0:T1"))
    var time: String?

    @Option(help: ArgumentHelp("Also write each frame as DIR/frame-NNNNNN.npy (NNNNNN: sequence number).", valueName: "dir"))
    var perFrame: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Layered streams: decode only the first K layers of each frame (default: every layer that arrived).", valueName: "K"))
    var layers: Int?

    @OptionGroup(title: "Limits") var limits: LimitOptions

    @Flag(name: .shortAndLong, help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        guard ["float32", "float16"].contains(dtype) else { throw ValidationError("--dtype must be float32 or float16") }
        if let layers, layers < 1 { throw ValidationError("--layers: \(layers) is out of range (1 or more)") }
        guard frames == nil || time == nil else { throw ValidationError("choose --frames or --time, not both") }
        _ = try range()
    }

    private func range() throws -> StreamDecoder.Range {
        do {
            if let frames { return try .init(frames: frames) }
            if let time { return try .init(time: time) }
            return .all
        } catch let invalid as StreamDecoder.Range.Invalid {
            throw ValidationError(invalid.description)
        }
    }

    func run() throws {
        try Terminal.reportingErrors {
            let path = output ?? OutputFile.defaultName(for: input, extension: "npy")
            var options = FeatureDecoding.Options()
            options.range = try range()
            options.element = dtype == "float16" ? .float16 : .float32
            options.perFrameDirectory = perFrame
            options.timestampsPath = timestamps ?? OutputFile.companion(of: path, input: input, suffix: ".timestamps.json")
            options.limits = limits.limits
            options.limits.outputBytesPerValue = options.element == .float16 ? 2 : 4
            options.layers = layers
            var progress = Progress(quiet: quiet, duration: nil)
            let summary = try FeatureDecoding.run(input: input, output: path, options: options) { progress.update(frames: $0, seconds: $1) }
            progress.finish()
            let report = summary.report
            for problem in report.problems { Terminal.warn("\(input): \(problem)") }
            // An empty array is a valid answer to a range past the end, but not a silent one.
            if report.decoded == 0 && report.problems.isEmpty, let range = frames.map({ "--frames \($0)" }) ?? time.map({ "--time \($0)" }) {
                Terminal.warn("\(input): \(range) selects no frame of the stream")
            }
            if report.omittedProblems > 0 { Terminal.warn("\(input): \(report.omittedProblems) more problems not shown") }
            if let warning = HalfFloat.warning(summary.saturatedValues, "written") { Terminal.warn("\(input): " + warning) }
            // With -o - the array is on stdout: the summary goes to stderr.
            let say: (String) -> Void = path == "-" ? { Terminal.note($0) } : { print(Terminal.printable($0)) }
            let shape = summary.shape.map(String.init).joined(separator: "x")
            say("decoded \(report.decoded) frames of \(shape) (\(dtype)) to \(summary.outputPath)"
                + (report.lost.isEmpty ? "" : "; lost \(report.lost.count): \(report.lost)"))
            let total = report.layersDecoded.count
            let counts = report.layersDecoded.enumerated().filter { $0.element > 0 }.map { "\($0.element) with \($0.offset + 1) of \(total)" }
            // (Without a frame decoded the line said "layers decoded per frame: " and nothing.)
            if total > 1 && !counts.isEmpty { say("layers decoded per frame: " + counts.joined(separator: ", ")) }
            // The speed counts the tensors as float32 whatever --dtype writes (decoding makes them
            // so; "MB of tensors as float32" read as the file's type with --dtype float16).
            say(String(format: "%.3f s, %.0f MB/s of decoded tensor counted as float32 (%.1f MB)", summary.seconds,
                       summary.seconds > 0 ? summary.megabytes / summary.seconds : 0, summary.megabytes))
        }
    }
}

/// The bound on what a .fst file may make featstream allocate (`info`, `extract`).
struct FrameLimitOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Refuse files whose tensors have more elements than this per frame.")
    var maxFrameElements = DecodeLimits().maxFrameElements

    func validate() throws {
        guard maxFrameElements > 0 else { throw ValidationError("--max-frame-elements must be positive") }
    }

    var limits: DecodeLimits {
        var l = DecodeLimits()
        l.maxFrameElements = maxFrameElements
        return l
    }
}

/// Bounds on what a .fst file may make `decode` allocate or write.
struct LimitOptions: ParsableArguments {
    @OptionGroup var frame: FrameLimitOptions

    @Option(parsing: .unconditional, help: "Refuse to write more than this many bytes of decoded tensors (the frames decoded, at --dtype's size).")
    var maxOutputBytes = DecodeLimits().maxOutputBytes

    func validate() throws {
        guard maxOutputBytes > 0 else { throw ValidationError("--max-output-bytes must be positive") }
    }

    var limits: DecodeLimits {
        var l = frame.limits
        l.maxOutputBytes = maxOutputBytes
        return l
    }
}
