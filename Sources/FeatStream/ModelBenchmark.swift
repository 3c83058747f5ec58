import FeatModel
import Foundation

/// Head speed per model and split, against oneDNN's best case measured in the same run.
public enum ModelBenchmark {
    public struct Row: Sendable {
        public let model: String
        public let split: String
        public let multiplyAccumulates: Int
        /// Median milliseconds per frame, by thread count.
        public let milliseconds: [Int: Double]
    }

    /// Times the head of every (model, split) whose weights are found: the cached pretrained
    /// file, else `randomWeights/<model>.pth` (speed does not depend on the values).
    public static func run(
        models: [(ModelSpec, [String])], randomWeights: String, threads: [Int], repeats: Int, rgb: [UInt8],
        report: (Row) -> Void
    ) throws {
        for (spec, splits) in models {
            let path = FileManager.default.fileExists(atPath: spec.cachedWeightsPath)
                ? spec.cachedWeightsPath : randomWeights + "/\(spec.name).pth"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            for split in splits {
                var times: [Int: Double] = [:]
                var macs = 0
                for count in threads {
                    let model = try Model(spec: spec, split: split, weights: path, threads: count)
                    macs = model.headMultiplyAccumulates
                    times[count] = 1000 * (try median(repeats: repeats) { _ = try model.features(rgb: rgb) })
                }
                report(Row(model: spec.name, split: split, multiplyAccumulates: macs, milliseconds: times))
            }
        }
    }

    /// Median seconds of `body` over `repeats` runs after ten warm-up runs.
    public static func median(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for i in 0..<(repeats + 10) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            if i >= 10 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        }
        return times.sorted()[times.count / 2]
    }
}
