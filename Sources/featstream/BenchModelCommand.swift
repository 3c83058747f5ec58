import ArgumentParser
import FeatModel
import FeatBench
import FeatStream
import FeatVideo
import Foundation

struct BenchModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-model",
        abstract: "Benchmark: head milliseconds per frame and GFLOP/s, against oneDNN's best 3x3 convolution.",
        discussion: """
            Names the instruction set oneDNN runs on. --isa all runs the benchmark once per \
            instruction set users' CPUs have (this CPU's, AVX2, SSE4.1; oneDNN's \
            ONEDNN_MAX_CPU_ISA caps it, one child process each) and prints them side by side.
            """)

    @Option(parsing: .unconditional, help: "Runs per measurement (median).")
    var repeats = 50

    @Option(help: "An image or video whose first frame is the input (default: a generated one).")
    var input: String?

    @Option(help: ArgumentHelp("'current' (this CPU as oneDNN sees it) or 'all' (this CPU's, AVX2 and SSE4.1).", valueName: "isa"))
    var isa = "current"

    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    func validate() throws {
        guard ["current", "all"].contains(isa) else { throw ValidationError("--isa must be 'current' or 'all'") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
    }

    func run() throws {
        try Terminal.reportingErrors {
            if isa == "all" {
                let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
                var arguments = ["bench-model", "--json", "--repeats", "\(repeats)"]
                if let input { arguments += ["--input", input] }
                // This CPU's own ISA first (no cap), then the smaller ones unless it is one of them.
                var reports = [try ModelBenchmark.runCapped(isa: "ALL", executable: executable, arguments: arguments)]
                for cap in ["AVX2", "SSE41"] where !reports.contains(where: { $0.isa == cap.lowercased() }) {
                    reports.append(try ModelBenchmark.runCapped(isa: cap, executable: executable, arguments: arguments))
                }
                if json { try Terminal.printJSON(reports) } else { printSideBySide(reports) }
                return
            }
            var rgb = (0..<(224 * 224 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
            if let input {
                VideoReader.setFFmpegLogging(verbose: false)
                if let frame = try VideoReader(input).next() { rgb = frame.rgb }
            }
            let models = ModelZoo.all.map { spec in
                (spec, [spec.defaultSplit] + spec.standardSplits.map(\.split).filter { $0 != spec.defaultSplit })
            }
            let report = try ModelBenchmark.run(
                models: models, randomWeights: ModelSpec.home + "/weights/random", threads: [1, 2], repeats: repeats, rgb: rgb)
            if json { try Terminal.printJSON(report) } else { printReport(report) }
        }
    }

    private func printReport(_ report: ModelBenchmark.Report) {
        let reference = report.referenceGigaflops
        print("oneDNN \(Model.runtimeVersion) on \(report.isa)")
        print(String(format: "reference: oneDNN 3x3 convolution 64->64 at 112x112: %.1f GFLOP/s on 1 thread, %.1f on 2", reference[0], reference[1]))
        print("model               split         MMAC   1 thread: ms  GFLOP/s  of ref   2 threads: ms  GFLOP/s  of ref")
        for row in report.rows {
            var line = row.model.padding(toLength: 20, withPad: " ", startingAt: 0)
                + row.split.padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: "%7d", row.multiplyAccumulates / 1_000_000)
            for (i, ms) in row.milliseconds.enumerated() {
                let gflops = ModelBenchmark.gigaflops(row.multiplyAccumulates, milliseconds: ms)
                line += String(format: "   %11.2f  %7.1f  %5.0f %%", ms, gflops, 100 * gflops / reference[i])
            }
            print(line + (row.referenceKernels > 0 ? "  (\(row.referenceKernels) steps on reference kernels)" : ""))
        }
        guard !report.profile.isEmpty else { return }
        let total = report.profile.reduce(0) { $0 + $1.milliseconds }
        print(String(format: "\nMobileNetV2 head (features.6), 1 thread, by layer kind (sum of per-step medians %.2f ms):", total))
        for kind in report.profile {
            let gflops = ModelBenchmark.gigaflops(kind.multiplyAccumulates, milliseconds: kind.milliseconds)
            print(String(format: "  %@ %3d steps  %6.3f ms (%4.1f %%)  %6.1f GFLOP/s  %4.0f %% of ref",
                         kind.kind.padding(toLength: 26, withPad: " ", startingAt: 0), kind.steps, kind.milliseconds,
                         100 * kind.milliseconds / total, gflops, 100 * gflops / reference[0]))
        }
    }

    /// One line per model and split: milliseconds on 1 and 2 threads per instruction set.
    private func printSideBySide(_ reports: [ModelBenchmark.Report]) {
        print("oneDNN \(Model.runtimeVersion); head milliseconds per frame (median), 1 thread / 2 threads, and % of the same ISA's 3x3 reference on 1 thread")
        for report in reports {
            print(String(format: "  %@: reference %.1f GFLOP/s on 1 thread, %.1f on 2", report.isa, report.referenceGigaflops[0], report.referenceGigaflops[1]))
        }
        print("model               split       " + reports.map { $0.isa.padding(toLength: 24, withPad: " ", startingAt: 0) }.joined())
        for (i, row) in reports[0].rows.enumerated() {
            var line = row.model.padding(toLength: 20, withPad: " ", startingAt: 0) + row.split.padding(toLength: 12, withPad: " ", startingAt: 0)
            for report in reports where report.rows.indices.contains(i) {
                let r = report.rows[i], gflops = ModelBenchmark.gigaflops(r.multiplyAccumulates, milliseconds: r.milliseconds[0])
                let cell = String(format: "%.2f / %.2f (%.0f %%)", r.milliseconds[0], r.milliseconds[1], 100 * gflops / report.referenceGigaflops[0])
                line += cell.padding(toLength: 24, withPad: " ", startingAt: 0)
            }
            print(line)
        }
    }
}
