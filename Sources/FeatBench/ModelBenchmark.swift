import FeatCodec
import FeatModel
import Foundation

/// Head speed per model and split, against oneDNN's best case measured in the same run, on the
/// instruction set oneDNN uses here; or on each of several instruction sets, one child process
/// each (oneDNN fixes its ISA once per process, from ONEDNN_MAX_CPU_ISA).
public enum ModelBenchmark {
    /// One head (model and split point), timed at each thread count.
    public struct Row: Codable, Sendable {
        /// Model name, e.g. "mobilenet_v2".
        public let model: String
        /// Split point the head ends at, e.g. "features.6".
        public let split: String
        /// Multiply-accumulates of one head run (one frame).
        public let multiplyAccumulates: Int
        /// Median milliseconds per frame, one per entry of `Report.threads`.
        public let milliseconds: [Double]
        /// Per-frame steps that run on a oneDNN reference kernel, the most over the thread
        /// counts (0 unless something is wrong).
        public let referenceKernels: Int
    }

    /// Achieved GFLOP/s of `multiplyAccumulates` (2 FLOPs each) in `milliseconds`; 0 without a time.
    public static func gigaflops(_ multiplyAccumulates: Int, milliseconds: Double) -> Double {
        milliseconds > 0 ? 2 * Double(multiplyAccumulates) / (milliseconds / 1000) / 1e9 : 0
    }

    /// Milliseconds and share of the run time of one kind of layer (a profile line).
    public struct KindTiming: Codable, Sendable {
        /// Layer kind, as `LayerTiming.kind` names it; "other" for memory-bound steps.
        public let kind: String
        /// Per-frame steps of this kind.
        public let steps: Int
        /// Their medians summed, in milliseconds per frame.
        public let milliseconds: Double
        /// Their multiply-accumulates per frame.
        public let multiplyAccumulates: Int
    }

    /// Everything one run measures; Codable, so a run capped to another instruction set
    /// (`runCapped`) hands it back as JSON.
    public struct Report: Codable, Sendable {
        /// The instruction set oneDNN ran on, e.g. "avx2".
        public let isa: String
        /// oneDNN thread counts measured, in order; `Row.milliseconds` and `referenceGigaflops` follow it.
        public let threads: [Int]
        /// oneDNN's 3x3 convolution 64 -> 64 at 112 x 112, GFLOP/s, per entry of `threads`.
        public let referenceGigaflops: [Double]
        /// One row per (model, split); models without weights are left out.
        public let rows: [Row]
        /// The default MobileNetV2 head on one thread, by layer kind (empty without its weights).
        public let profile: [KindTiming]
    }

    /// Times the head of every (model, split) whose weights are found: the cached pretrained
    /// file, else `randomWeights/<model>.pth` (speed does not depend on the values).
    public static func run(
        models: [(ModelSpec, [String])], randomWeights: String, threads: [Int], repeats: Int, rgb: [UInt8]
    ) throws -> Report {
        var reference: [Double] = []
        for count in threads {
            Model.setThreads(count)
            reference.append(try Model.referenceConvolutionGigaflops(repeats: repeats))
        }
        var rows: [Row] = []
        for (spec, splits) in models {
            let path = FileManager.default.fileExists(atPath: spec.cachedWeightsPath)
                ? spec.cachedWeightsPath : randomWeights + "/\(spec.name).pth"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            for split in splits {
                var times: [Double] = []
                var macs = 0, references = 0
                for count in threads {
                    let model = try Model(spec: spec, split: split, weights: path, threads: count)
                    macs = model.headMultiplyAccumulates
                    references = max(references, try model.kernels(splits: [split]).filter { $0.part == "head" && $0.isReference }.count)
                    times.append(1000 * (try median(repeats: repeats) { _ = try model.features(rgb: rgb) }))
                }
                rows.append(Row(model: spec.name, split: split, multiplyAccumulates: macs, milliseconds: times,
                                referenceKernels: references))
            }
        }
        return Report(isa: Model.instructionSet.name, threads: threads, referenceGigaflops: reference, rows: rows,
                      profile: try profile(repeats: repeats, rgb: rgb))
    }

    /// Where the default MobileNetV2 head's time goes, by layer kind, on one thread.
    static func profile(repeats: Int, rgb: [UInt8]) throws -> [KindTiming] {
        let spec = try ModelZoo.spec(named: "mobilenet_v2")
        guard FileManager.default.fileExists(atPath: spec.cachedWeightsPath) else { return [] }
        let model = try Model(spec: spec, threads: 1)
        let timings = try model.profileHead(rgb: rgb, repeats: repeats)
        return Dictionary(grouping: timings) { $0.kind.isEmpty ? "other" : $0.kind }.map { kind, rows in
            KindTiming(kind: kind, steps: rows.count, milliseconds: 1000 * rows.reduce(0) { $0 + $1.seconds },
                       multiplyAccumulates: rows.reduce(0) { $0 + $1.multiplyAccumulates })
        }.sorted { $0.kind < $1.kind }
    }

    /// The same benchmark in a child process of `executable` (featstream) with oneDNN capped at
    /// `isa` (ONEDNN_MAX_CPU_ISA, e.g. "AVX2"); `arguments` must make it print its report as JSON.
    public static func runCapped(isa: String, executable: String, arguments: [String]) throws -> Report {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["ONEDNN_MAX_CPU_ISA": isa]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let stopped = ChildProcesses.stopWithThisProcess(process.processIdentifier)
        defer { ChildProcesses.release(stopped) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let report = try? JSONDecoder().decode(Report.self, from: data) else {
            throw BenchmarkError("the benchmark capped at \(isa) failed (exit \(process.terminationStatus))")
        }
        return report
    }

    /// Median seconds of `body` over `repeats` runs (at least one) after ten warm-up runs.
    public static func median(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for i in 0..<(max(repeats, 1) + 10) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            if i >= 10 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        }
        return times.sorted()[times.count / 2]
    }
}

/// A benchmark that could not run, as one line.
public struct BenchmarkError: Error, CustomStringConvertible {
    /// What went wrong, as one line.
    public let description: String
    /// An error with the message `description`.
    public init(_ description: String) { self.description = description }
}
