import ArgumentParser
import FeatCodec
import Foundation

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a .fst stream: parameter set, frames, sizes, bitrate, index, damage.")

    @Argument(help: "The .fst file.")
    var input: String

    @Flag(help: "Print JSON on stdout.")
    var json = false

    @OptionGroup(title: "Limits") var limits: LimitOptions

    func run() throws {
        try Terminal.reportingErrors {
            let info = try StreamInfo(path: input, limits: limits.limits)
            if json {
                try Terminal.printJSON(info)
                return
            }
            let (p, s) = (info.parameters, info.statistics)
            // Names in the header come from the file: shown with control characters escaped.
            func print(_ line: String) { Swift.print(Terminal.printable(line)) }
            print("\(input): featstream format \(info.version), written by \(p.encoder)")
            print("model:     \(p.model.name) split at \(p.model.split), tensor \(p.shape.map(String.init).joined(separator: "x")) \(p.elementType)")
            print("weights:   sha256 \(p.model.checkpointSHA256)")
            print("coding:    \(p.coding)")
            print("source:    \(p.source.name), \(p.source.width)x\(p.source.height), \(p.source.frameRate ?? "variable") fps")
            print("selection: \(p.selection)")
            print("frames:    \(s.frames) (\(s.intraFrames) I, \(s.predictedFrames) P)"
                  + (s.firstSeconds.map { String(format: ", %.3f to %.3f s", $0, s.lastSeconds!) } ?? ""))
            print(String(format: "size:      %d bytes (payload %d), %.0f bytes per frame, %.3f bits per element", s.fileBytes, s.payloadBytes,
                         s.bytesPerFrame ?? 0, s.bitsPerElement ?? 0)
                  + (s.kilobitsPerSecond.map { String(format: ", %.1f kbit/s over %.2f s of source", $0, s.sourceSeconds!) } ?? ""))
            print("index:     " + (info.indexEntries.map { "\($0) entries" } ?? "none (read front to back)"))
            for problem in info.problems { Terminal.warn("\(input): \(problem)") }
            if info.omittedProblems > 0 { Terminal.warn("\(input): \(info.omittedProblems) more problems not shown") }
        }
    }
}
