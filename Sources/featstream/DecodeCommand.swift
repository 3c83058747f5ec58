import ArgumentParser
import FeatCodec
import Foundation

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a .fst stream back to tensors (NumPy .npy) and timestamps.",
        discussion: """
            OUT.npy holds N x C x H x W; OUT.timestamps.json beside it gives each frame's sequence
            number, source frame, pts, time, frame type and admission, and lists frames lost to
            damage. A range seeks through the index and decodes from the I-frame before it only.
            Damaged packets are reported on stderr and skipped; decoding resumes at the next I-frame.
            """)

    @Argument(help: "The .fst file.")
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output .npy (default: INPUT's name with .npy).", valueName: "file"))
    var output: String?

    @Option(help: "Element type of the output: float32 or float16.")
    var dtype = "float32"

    @Option(help: ArgumentHelp("Coded frames A:B (A included, B not; either may be left out).", valueName: "A:B"))
    var frames: String?

    @Option(help: ArgumentHelp("Frames with T0 <= time < T1, in seconds.", valueName: "T0:T1"))
    var time: String?

    @Option(help: ArgumentHelp("Also write each frame as DIR/frame-NNNNNN.npy (NNNNNN: sequence number).", valueName: "dir"))
    var perFrame: String?

    @Flag(name: .shortAndLong, help: "No progress on stderr.")
    var quiet = false

    struct Timestamps: Encodable {
        struct Frame: Encodable {
            let sequence: Int
            let sourceFrame: Int
            let pts: Int64
            let timeBase: String
            let seconds: Double
            let type: String
            let admission: String
        }
        let input: String
        let shape: [Int]
        let frames: [Frame]
        let lost: [Int]
        let problems: [String]
    }

    func validate() throws {
        guard ["float32", "float16"].contains(dtype) else { throw ValidationError("--dtype must be float32 or float16") }
        guard frames == nil || time == nil else { throw ValidationError("choose --frames or --time, not both") }
        if let frames { _ = try Self.range(frames, Int.init, "--frames") }
        if let time { _ = try Self.range(time, Double.init, "--time") }
    }

    static func range<T: Comparable>(_ text: String, _ parse: (String) -> T?, _ option: String) throws -> (T?, T?) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { throw ValidationError("\(option) takes A:B") }
        let a = parts[0].isEmpty ? nil : parse(parts[0]), b = parts[1].isEmpty ? nil : parse(parts[1])
        guard parts[0].isEmpty || a != nil, parts[1].isEmpty || b != nil else { throw ValidationError("\(option): cannot read '\(text)'") }
        if let a, let b, !(a < b) { throw ValidationError("\(option): the start must come before the end") }
        return (a, b)
    }

    func run() throws {
        try Terminal.reportingErrors {
            let start = Date()
            let reader = try ContainerReader(path: input)
            let parameters = reader.parameters
            var range = StreamDecoder.Range.all
            if let frames {
                let (a, b) = try Self.range(frames, Int.init, "--frames")
                range = .frames(a ?? 0, b ?? Int.max)
            } else if let time {
                let (a, b) = try Self.range(time, Double.init, "--time")
                range = .time(a ?? -.infinity, b ?? .infinity)
            }
            let path = output ?? URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent + ".npy"
            let stem = path.hasSuffix(".npy") ? String(path.dropLast(4)) : path
            let temporary = path + ".partial"
            defer { try? FileManager.default.removeItem(atPath: temporary) }
            let element: NpyWriter.Element = dtype == "float16" ? .float16 : .float32
            let writer = try NpyWriter(path: temporary, trailingShape: parameters.shape, element: element)
            if let perFrame { try FileManager.default.createDirectory(atPath: perFrame, withIntermediateDirectories: true) }
            var records: [Timestamps.Frame] = []
            var progress = Progress(quiet: quiet, duration: parameters.source.durationSeconds)
            defer { progress.finish() }
            let report = try StreamDecoder(reader).decode(range) { header, tensor in
                progress.update(frames: records.count + 1, seconds: header.seconds)
                try writer.append(tensor.values)
                if let perFrame {
                    let name = String(format: "%@/frame-%06d.npy", perFrame, Int(header.sequence))
                    let single = try NpyWriter(path: name, trailingShape: parameters.shape, element: element)
                    try single.append(tensor.values)
                    try single.finish()
                }
                records.append(.init(
                    sequence: Int(header.sequence), sourceFrame: Int(header.sourceFrame), pts: header.pts,
                    timeBase: "\(header.timeBaseNumerator)/\(header.timeBaseDenominator)", seconds: header.seconds,
                    type: header.type.letter, admission: "\(header.admission)"))
            }
            for problem in report.problems { Terminal.warn("\(input): \(problem)") }
            if report.decoded == 0 && !report.problems.isEmpty {
                throw CommandError("\(input): no frame could be decoded")
            }
            try writer.finish()
            try OutputFile.writeJSON(Timestamps(input: input, shape: [records.count] + parameters.shape, frames: records,
                                                lost: report.lost, problems: report.problems), to: stem + ".timestamps.json")
            try OutputFile.move(temporary, to: path)
            let shape = parameters.shape.map(String.init).joined(separator: "x")
            let seconds = Date().timeIntervalSince(start)
            let megabytes = Double(report.decoded * parameters.shape.reduce(1, *) * 4) / 1e6
            print("decoded \(report.decoded) frames of \(shape) (\(dtype)) to \(path)" + (report.lost.isEmpty ? "" : "; lost \(report.lost.count): \(report.lost)"))
            print(String(format: "%.3f s, %.1f MB of float32 tensors, %.0f MB/s", seconds, megabytes, seconds > 0 ? megabytes / seconds : 0))
        }
    }
}
