import ArgumentParser
import FeatCodec
import Foundation

struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Write a smaller .fst from a layered one without re-encoding: fewer layers, or the base layers first.",
        discussion: """
            The payloads are copied as they are. With --order layers every frame's base layer \
            comes first, then every frame's first refinement, and so on: a receiver that reads it \
            as it arrives has the whole clip at the base quality early, and a file cut anywhere \
            decodes at the quality that arrived. Damaged packets are reported and left out.
            """)

    @Argument(help: "The layered .fst file.")
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output .fst, or '-' for standard output.", valueName: "file"))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the first K layers of each frame (default: all).", valueName: "K"))
    var layers: Int?

    @Option(help: "Packet order: 'frames' (frame after frame, as encode writes) or 'layers' (all base layers first).")
    var order = DeliveryOrder.frames

    @OptionGroup(title: "Limits") var limits: FrameLimitOptions

    @Flag(name: .shortAndLong, help: "No summary line (warnings still go to stderr).")
    var quiet = false

    func validate() throws {
        if let layers, layers < 1 { throw ValidationError("--layers: \(layers) is out of range (1 or more)") }
    }

    func run() throws {
        try Terminal.reportingErrors {
            let reader = try ContainerReader(path: input, limits: limits.limits)
            let check = StreamDecoder(reader, limits: limits.limits).check()
            // As decode: a damaged input with nothing intact gives no file (an empty stream would look valid).
            if check.decoded == 0 && !check.problems.isEmpty {
                throw ContainerError.unreadable(input, reason: "no frame could be extracted (\(check.problems[0]))")
            }
            for problem in check.problems { Terminal.warn("\(input): \(problem)") }
            let file = try OutputFile(output, defaultName: OutputFile.defaultName(for: input, extension: "fst"), input: input)
            let summary = try StreamExtractor.extract(reader, layers: layers, order: order, to: file)
            try file.commit()
            let available = reader.parameters.coding.layers
            let kept = min(layers ?? available, available)
            let say: (String) -> Void = file.path == "-" ? { Terminal.note($0) } : { print(Terminal.printable($0)) }
            if summary.framesLeftOut + summary.refinementsLeftOut > 0 {
                // Frames whose refinements were left out keep fewer layers than the others, which
                // readers of the output report (the output looked damaged without a word here).
                let fewer = summary.refinementsLeftOut > 0 ? "; the frames without them have fewer layers, as readers of the output will say" : ""
                Terminal.warn("\(input): left out \(summary.framesLeftOut) frames and \(summary.refinementsLeftOut) refinement packets that would not decode "
                              + "(damaged, or predicted from what was)" + fewer)
            }
            if quiet { return }
            say("wrote \(summary.frames) frames, \(kept) of \(available) layers (\(summary.packets) packets in \(order.rawValue) order), "
                + "\(summary.fileBytes) bytes of \(reader.bytes.count) to \(file.path)")
        }
    }
}

extension DeliveryOrder: ExpressibleByArgument {}
