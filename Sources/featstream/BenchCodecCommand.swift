import ArgumentParser
import FeatBench
import FeatStream
import Foundation

struct BenchCodecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-codec",
        abstract: "Benchmark: the codec at every setting on one input's head tensors.",
        discussion: """
            Runs the model head once on the frames the gate admits, then codes those tensors with
            --bits 8, 6, 4, 3, 2 (temporal and intra-only), --fp16 and --lossless, and prints bits
            per element, feature SNR against the lossless tensors, the order-0 entropy of the coded
            symbols, zstd -19 of the same symbols, and codec speed in MB of tensor per second.
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Frame selection") var gate: GateOptions

    func run() throws {
        try Terminal.reportingErrors {
            let network = try model.load()
            let reader = try input.open()
            let (frames, summary) = try CodecBenchmark.frames(reader, gate: gate.settings, model: network)
            guard !frames.isEmpty else { throw BenchmarkError("\(reader.name): no frame admitted") }
            print("\(reader.name): \(summary.admitted) of \(summary.decoded) frames at --fps \(gate.fps), \(network.spec.name) \(network.split) \(network.featureShape)")
            print("setting             I/frames   bits/elem  bytes/frame   SNR dB   H0 bits/elem  zstd-19 bits/elem  enc MB/s  dec MB/s")
            for (label, settings) in CodecBenchmark.standardSettings {
                let parameters = FeatureEncoding.parameters(reader, gate: gate.settings, model: network, coding: settings)
                let r = try CodecBenchmark.run(frames, label: label, parameters: parameters)
                let zstd = r.zstdBitsPerElement.map { String(format: "%17.3f", $0) } ?? String(repeating: " ", count: 14) + "  -"
                print(label.padding(toLength: 18, withPad: " ", startingAt: 0)
                      + String(format: "%4d/%-4d  %9.3f  %11.0f  ", r.intraFrames, r.frames, r.bitsPerElement, r.bytesPerFrame)
                      + (r.snr.map { String(format: "%7.2f", $0) } ?? "  exact") + String(format: "  %12.3f", r.entropyBitsPerElement)
                      + zstd + String(format: "  %8.1f  %8.1f", r.encodeMBps, r.decodeMBps))
            }
        }
    }
}
