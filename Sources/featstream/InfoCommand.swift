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

    @Flag(help: "List the kbit/s of every 1 s window (by presentation time), not only their range.")
    var windows = false

    @OptionGroup(title: "Limits") var limits: FrameLimitOptions

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
            // The frames counted above are packets; those that do not decode are said here too
            // (only --json listed them, found by outside testing).
            if !info.lost.isEmpty { print("lost:      \(info.lost.count) frames do not decode (damaged, or predicted from what was): \(info.lost)") }
            print(String(format: "size:      %ld bytes (payload %ld), %.0f bytes per frame, %.3f bits per element", s.fileBytes, s.payloadBytes,
                         s.bytesPerFrame ?? 0, s.bitsPerElement ?? 0)
                  + (s.kilobitsPerSecond.map { String(format: ", %.1f kbit/s over %.2f s of source", $0, s.sourceSeconds!) } ?? ""))
            if !info.layerReadings.isEmpty {
                let most = info.layerReadings.count < p.coding.layers ? " (no frame has more than \(info.layerReadings.count))" : ""
                print("layers:    \(p.coding.layers)\(most), in \(s.deliveryOrder ?? "frames") order; the file a reader of the first K of each frame gets (extract --layers K):")
                for r in info.layerReadings {
                    print(String(format: "  K = %d: %5.1f dB nominal, %6d packets, %9ld bytes, %7.0f bytes per frame", r.layers,
                                 p.coding.quality(ofLayers: r.layers) ?? 0, r.packets, r.fileBytes, r.bytesPerFrame ?? 0)
                          + (r.kilobitsPerSecond.map { String(format: ", %.1f kbit/s", $0) } ?? ""))
                }
            }
            // A 1.7 layered file's index lists its base layers only: say so, beside packet counts that include every layer.
            let listed = p.coding.precision.compactRefinements ? " (base layers; refinements are not indexed)" : ""
            print("index:     " + (info.indexEntries.map { "\($0) entries\(listed)" } ?? "none (read front to back)"))
            let windows = s.windowKilobitsPerSecond
            if !windows.isEmpty {
                let sorted = windows.sorted()
                print(String(format: "rate:      per %g s window: min %.1f, median %.1f, max %.1f kbit/s", StreamStatistics.windowSeconds,
                             sorted[0], sorted[sorted.count / 2], sorted[sorted.count - 1]))
                if self.windows {
                    for (k, rate) in windows.enumerated() {
                        print(String(format: "  %6.1f s  %9.1f kbit/s", s.windowStartSeconds + Double(k) * StreamStatistics.windowSeconds, rate))
                    }
                }
            }
            for problem in info.problems { Terminal.warn("\(input): \(problem)") }
            if info.omittedProblems > 0 { Terminal.warn("\(input): \(info.omittedProblems) more problems not shown") }
        }
    }
}
