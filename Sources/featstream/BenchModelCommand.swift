import ArgumentParser
import FeatModel
import FeatStream
import FeatVideo
import Foundation

struct BenchModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-model",
        abstract: "Benchmark: head milliseconds per frame and GFLOP/s, against oneDNN's best 3x3 convolution.")

    @Option(help: "Runs per measurement (median).")
    var repeats = 50

    @Option(help: "An image or video whose first frame is the input (default: a generated one).")
    var input: String?

    func run() throws {
        try Terminal.reportingErrors {
            var rgb = (0..<(224 * 224 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
            if let input {
                VideoReader.setFFmpegLogging(verbose: false)
                if let frame = try VideoReader(input).next() { rgb = frame.rgb }
            }
            var reference: [Int: Double] = [:]
            for threads in [1, 2] {
                Model.setThreads(threads)
                reference[threads] = try Model.referenceConvolutionGigaflops(repeats: repeats)
            }
            print(String(format: "reference: oneDNN 3x3 convolution 64->64 at 112x112: %.1f GFLOP/s on 1 thread, %.1f on 2",
                         reference[1]!, reference[2]!))
            print("model               split         MMAC   1 thread: ms  GFLOP/s  of ref   2 threads: ms  GFLOP/s  of ref")
            let models = ModelZoo.all.map { spec in
                (spec, [spec.defaultSplit] + spec.standardSplits.map(\.split).filter { $0 != spec.defaultSplit })
            }
            try ModelBenchmark.run(
                models: models, randomWeights: ModelSpec.home + "/weights/random", threads: [1, 2], repeats: repeats, rgb: rgb
            ) { row in
                var line = row.model.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + row.split.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: "%7d", row.multiplyAccumulates / 1_000_000)
                for threads in [1, 2] {
                    let ms = row.milliseconds[threads]!
                    let gflops = 2 * Double(row.multiplyAccumulates) / (ms / 1000) / 1e9
                    line += String(format: "   %11.2f  %7.1f  %5.0f %%", ms, gflops, 100 * gflops / reference[threads]!)
                }
                print(line)
            }
            // Where the default head's time goes, by layer kind, on one thread.
            Model.setThreads(1)
            let spec = try ModelZoo.spec(named: "mobilenet_v2")
            if FileManager.default.fileExists(atPath: spec.cachedWeightsPath) {
                let model = try Model(spec: spec, threads: 1)
                let timings = try model.profileHead(rgb: rgb, repeats: repeats)
                let total = timings.reduce(0) { $0 + $1.seconds }
                print(String(format: "\nMobileNetV2 head (features.6), 1 thread, by layer kind (sum of per-step medians %.2f ms):", 1000 * total))
                for kind in Set(timings.map { $0.kind.isEmpty ? "other" : $0.kind }).sorted() {
                    let rows = timings.filter { ($0.kind.isEmpty ? "other" : $0.kind) == kind }
                    let seconds = rows.reduce(0) { $0 + $1.seconds }, macs = rows.reduce(0) { $0 + $1.multiplyAccumulates }
                    let gflops = seconds > 0 ? 2 * Double(macs) / seconds / 1e9 : 0
                    print(String(format: "  %-14@ %3d steps  %6.3f ms (%4.1f %%)  %6.1f GFLOP/s  %4.0f %% of ref",
                                 kind, rows.count, 1000 * seconds, 100 * seconds / total, gflops, 100 * gflops / reference[1]!))
                }
            }
        }
    }
}
