import ArgumentParser
import FeatBench
import FeatCodec
import FeatModel
import FeatStream
import FeatVideo
import Foundation

struct BenchCodecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-codec",
        abstract: "Benchmark: the codec at every setting on one input's head tensors.",
        discussion: """
            Runs the model head once on the frames the gate admits, then codes those tensors with \
            --bits 8, 6, 4, 3, 2 (temporal and intra-only), --quality 40, 30, 20 (--weighting mse, \
            table-coded and adaptive), --fp16, --lossless and --quality 40, 30, 20 --transform dct \
            (--weighting mse for the channels), and prints bits per element, feature \
            SNR against the lossless tensors, the order-0 entropy of the coded symbols, zstd -19 of \
            the same symbols, and codec speed in MB of tensor per second (the fastest of up to \
            three trials, as zstd's own benchmark, the reference, gives).
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Frame selection") var gate: GateOptions

    @Flag(help: "Rate against fidelity instead: each method swept over its knob, with the bytes per frame at top-1 >= 99 %, >= 90 % and SNR >= 30 dB, and the mean top-1 over a range of rates (use --change-threshold 0 to code every grid frame).")
    var rd = false

    func run() throws {
        try Terminal.reportingErrors {
            let network = try model.load()
            let reader = try input.open()
            let (frames, summary) = try CodecBenchmark.frames(reader, gate: gate.settings, model: network)
            Terminal.warnAboutInput(reader)
            guard !frames.isEmpty else { throw BenchmarkError("\(reader.name): no frame admitted") }
            if rd { return try rateDistortion(frames, reader: reader, network: network, summary: summary) }
            print("\(reader.name): \(summary.admitted) of \(summary.decoded) frames at --fps \(gate.fps), \(network.spec.name) \(network.split) \(network.featureShape)"
                  + "; --quality rows with --weighting mse")
            let reference = CodecBenchmark.zstdSpeed(frames)
            func speedRatios(_ r: CodecBenchmark.Row) -> String {
                reference.map { String(format: "  %5.2fx  %5.2fx", r.encodeMBps / $0.encodeMBps, r.decodeMBps / $0.decodeMBps) } ?? ""
            }
            print("setting                   I/frames   bits/elem  bytes/frame   SNR dB   H0 bits/elem  zstd-19 bits/elem  enc MB/s  dec MB/s"
                  + (reference == nil ? "" : "  enc/zstd-3  dec/zstd-3"))
            // Transformed step mode with the model's frequency weights (channels alike, as the rows above).
            let frequencyWeights = try TaskWeights.frequencyWeights(for: network)
            let transformed = [40.0, 30, 20].map { quality -> (label: String, settings: CodingSettings) in
                var s = CodingSettings()
                s.precision = .transformedSteps(quality: quality)
                s.frequencyWeights = frequencyWeights
                return ("--quality \(Int(quality)) dct", s)
            }
            for (label, settings) in CodecBenchmark.standardSettings + transformed {
                let parameters = FeatureEncoding.parameters(reader, gate: gate.settings, model: network, coding: settings)
                let r = try CodecBenchmark.run(frames, label: label, parameters: parameters)
                let zstd = r.zstdBitsPerElement.map { String(format: "%17.3f", $0) } ?? String(repeating: " ", count: 14) + "  -"
                print(label.padding(toLength: 24, withPad: " ", startingAt: 0)
                      + String(format: "%4d/%-4d  %9.3f  %11.0f  ", r.intraFrames, r.frames, r.bitsPerElement, r.bytesPerFrame)
                      + (r.snr.map { String(format: "%7.2f", $0) } ?? "  exact") + String(format: "  %12.3f", r.entropyBitsPerElement)
                      + zstd + String(format: "  %8.1f  %8.1f", r.encodeMBps, r.decodeMBps) + speedRatios(r))
            }
            if let reference { print(String(format: "zstd -3 on the float32 tensors (one core): enc %.1f MB/s, dec %.1f MB/s", reference.encodeMBps, reference.decodeMBps)) }
        }
    }

    /// The methods, their curves, and the bytes at each level against the baseline's.
    func rateDistortion(_ frames: [CodecTrial.Frame], reader: VideoReader, network: Model, summary: SelectionSummary) throws {
        print("\(reader.name): \(summary.admitted) of \(summary.decoded) frames at --fps \(gate.fps), \(network.spec.name) \(network.split) \(network.featureShape)")
        let classes = try RateDistortionBenchmark.classes(frames.map(\.tensor), model: network)
        let parameters = FeatureEncoding.parameters(reader, gate: gate.settings, model: network, coding: CodingSettings())
        var curves: [(String, [RateDistortionBenchmark.Point])] = []
        func sweep(_ name: String, _ points: () throws -> [RateDistortionBenchmark.Point]) rethrows {
            let list = try points()
            print("\n\(name)\n  setting      bytes/frame   SNR dB   top-1 %   enc MB/s  dec MB/s")
            for p in list {
                print("  " + p.label.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + String(format: "  %11.0f  %7.2f  %8.1f  %9.1f  %8.1f", p.bytesPerFrame, p.snr, p.top1, p.encodeMBps, p.decodeMBps))
            }
            curves.append((name, list))
        }
        try sweep("baseline: min-max per tensor, delta, zstd -19") {
            try (2...10).compactMap { try RateDistortionBenchmark.baseline(frames, bits: $0, classes: classes, model: network) }
        }
        try sweep("--bits (levels over each channel's range)") {
            try (2...8).map { bits in
                var s = CodingSettings()
                s.precision = .quantized(levels: 1 << bits)
                return try RateDistortionBenchmark.point(frames, label: "\(bits) bits", coding: s, parameters: parameters, classes: classes, model: network)
            }
        }
        let taskWeights = try TaskWeights.weights(for: network)
        let frequencyWeights = try TaskWeights.frequencyWeights(for: network)
        let methods: [(String, [Float]?, [Float]?)] = [("--quality --weighting mse", nil, nil), ("--quality (task-weighted)", taskWeights, nil),
                                                       ("--quality --transform dct", taskWeights, frequencyWeights)]
        for (name, weights, frequencies) in methods {
            try sweep(name) {
                try stride(from: 6.0, through: 56, by: 2).map { q in
                    var s = CodingSettings()
                    s.precision = frequencies == nil ? .stepMode(quality: q) : .transformedSteps(quality: q)
                    s.channelWeights = weights
                    s.frequencyWeights = frequencies
                    return try RateDistortionBenchmark.point(frames, label: "q \(Int(q))", coding: s, parameters: parameters, classes: classes, model: network)
                }
            }
        }
        let baseline = curves[0].1
        print("\nbytes per frame at each level (x the baseline's)")
        print("method".padding(toLength: 48, withPad: " ", startingAt: 0) + RateDistortionBenchmark.Level.allCases.map { "\($0)".padding(toLength: 22, withPad: " ", startingAt: 0) }.joined())
        for (name, points) in curves {
            var line = name.padding(toLength: 48, withPad: " ", startingAt: 0)
            for level in RateDistortionBenchmark.Level.allCases {
                let bytes = RateDistortionBenchmark.bytes(at: level, on: points)
                let reference = RateDistortionBenchmark.bytes(at: level, on: baseline)
                let cell = bytes.map { b in String(format: "%8.0f", b) + (reference.map { String(format: " (%.2fx)", b / $0) } ?? "") } ?? "       -"
                line += cell.padding(toLength: 22, withPad: " ", startingAt: 0)
            }
            print(line)
        }
        // Single top-1 levels move with one fragile frame; the mean over a range of rates is
        // steadier: from where task-weighted step mode first reaches 80 % top-1 to 40 dB.
        let task = curves.first { $0.0 == "--quality (task-weighted)" }!.1.sorted { $0.bytesPerFrame < $1.bytesPerFrame }
        if let low = task.first(where: { $0.top1 >= 80 })?.bytesPerFrame, let high = task.first(where: { $0.snr >= 40 })?.bytesPerFrame, low < high {
            print(String(format: "\nmean top-1 %% over %.0f to %.0f bytes per frame (log-spaced)", low, high))
            for (name, points) in curves {
                print(name.padding(toLength: 48, withPad: " ", startingAt: 0)
                      + String(format: "%6.1f", RateDistortionBenchmark.meanTop1(on: points, from: low, to: high)))
            }
        }
    }
}
