import ArgumentParser
import FeatCodec
import Foundation

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a .fst stream: parameter set, frames, sizes, bitrate, index.")

    @Argument(help: "The .fst file.")
    var input: String

    @Flag(help: "Print JSON on stdout.")
    var json = false

    @OptionGroup(title: "Limits") var limits: LimitOptions

    struct Info: Encodable {
        let version: String
        let parameters: ParameterSet
        let fileBytes: Int
        let frames: Int
        let intraFrames: Int
        let predictedFrames: Int
        let payloadBytes: Int
        let firstSeconds: Double?
        let lastSeconds: Double?
        let kilobitsPerSecond: Double?
        let bytesPerFrame: Double?
        let bitsPerElement: Double?
        let indexEntries: Int?
        let lost: LostFrames
        let problems: [String]
    }

    func run() throws {
        try Terminal.reportingErrors {
            let reader = try ContainerReader(path: input, limits: limits.limits)
            var intra = 0, predicted = 0, payload = 0
            var first: Double?, last: Double?
            reader.walk { event in
                if case .packet(let header, let bytes, _) = event {
                    if header.type == .intra { intra += 1 } else { predicted += 1 }
                    payload += bytes.count
                    first = first ?? header.seconds
                    last = header.seconds
                }
                return true
            }
            let check = StreamDecoder(reader, limits: limits.limits).check()
            let problems = check.problems.map(\.description) + (check.omittedProblems > 0 ? ["\(check.omittedProblems) more problems"] : [])
            let frames = intra + predicted
            let elements = reader.parameters.shape.reduce(1, *)
            // The stream covers the time from its first frame to one mean frame interval past its last.
            var kbps: Double?
            if let first, let last, frames > 1, last > first {
                kbps = Double(reader.bytes.count) * 8 / ((last - first) * Double(frames) / Double(frames - 1)) / 1000
            }
            let info = Info(
                version: "\(reader.version.major).\(reader.version.minor)", parameters: reader.parameters,
                fileBytes: reader.bytes.count, frames: frames, intraFrames: intra, predictedFrames: predicted, payloadBytes: payload,
                firstSeconds: first, lastSeconds: last, kilobitsPerSecond: kbps,
                bytesPerFrame: frames > 0 ? Double(payload) / Double(frames) : nil,
                bitsPerElement: frames > 0 ? Double(payload * 8) / Double(frames * elements) : nil,
                indexEntries: reader.index?.count, lost: check.lost, problems: problems)
            if json {
                try Terminal.printJSON(info)
                return
            }
            let p = reader.parameters
            // Names in the header come from the file: shown with control characters escaped.
            func print(_ line: String) { Swift.print(Terminal.printable(line)) }
            print("\(input): featstream format \(info.version), written by \(p.encoder)")
            print("model:     \(p.model.name) split at \(p.model.split), tensor \(p.shape.map(String.init).joined(separator: "x")) \(p.elementType)")
            print("weights:   sha256 \(p.model.checkpointSHA256)")
            let precision: String
            switch p.coding.precision {
            case .quantized(let levels): precision = "\(levels) levels per channel, clip \(p.coding.clipPercent) %, dead zone \(p.coding.deadZone)"
            case .float16: precision = "float16"
            case .float32: precision = "lossless float32"
            }
            print("coding:    \(precision); " + (p.coding.intraOnly ? "intra only" : "I-frame at least every \(p.coding.gopSeconds) s"))
            print("source:    \(p.source.name), \(p.source.width)x\(p.source.height), \(p.source.frameRate ?? "variable") fps, selection at \(p.selection.fps) fps")
            print("frames:    \(frames) (\(intra) I, \(predicted) P)" + (first.map { String(format: ", %.3f to %.3f s", $0, last!) } ?? ""))
            print(String(format: "size:      %d bytes (payload %d), %.0f bytes per frame, %.3f bits per element", info.fileBytes, payload,
                         info.bytesPerFrame ?? 0, info.bitsPerElement ?? 0) + (kbps.map { String(format: ", %.1f kbit/s", $0) } ?? ""))
            print("index:     " + (reader.index.map { "\($0.count) entries" } ?? "none (read front to back)"))
            for problem in problems { Terminal.warn("\(input): \(problem)") }
        }
    }
}
