import FeatCodec
@testable import FeatModel
import Foundation
import TestSupport
import Testing

/// Every model's head and logits against PyTorch's (Tools/golden/make-golden), on a fixture
/// frame and two real photos: pretrained MobileNetV2 and EfficientNet-Lite0, seeded random
/// weights (torchvision's checkpoint format) for MobileNetV3-Large, SqueezeNet 1.0 and VGG16.
@Suite(.serialized) struct GoldenTests {
    static func model(_ name: String, weights kind: String, split: String? = nil, threads: Int = 0) throws -> Model {
        let spec = try ModelZoo.spec(named: name)
        return try Model(spec: spec, split: split, weights: Golden.weights(model: name, kind: kind, pretrainedFile: spec.weights.fileName),
                         threads: threads)
    }

    static let splits: [String] = Array(Set(Golden.heads.map { "\($0.model) \($0.split)" })).sorted()

    @Test(arguments: splits)
    func headMatchesPyTorch(modelAndSplit: String) throws {
        let parts = modelAndSplit.split(separator: " ").map(String.init)
        let entries = Golden.heads.filter { $0.model == parts[0] && $0.split == parts[1] }
        // Built for one and for two oneDNN threads: oneDNN picks implementations by thread count.
        for threads in [1, 2] {
          let model = try Self.model(parts[0], weights: entries[0].weights, split: parts[1], threads: threads)
          for entry in entries {
            let features = try model.features(rgb: try Golden.input(entry.input))
            #expect(features.shape == entry.shape)
            let golden = try NpyReader.read(Golden.directory.appendingPathComponent(entry.file).path)
            var worst: Float = 0
            for (i, expected) in golden.values.enumerated() {
                worst = max(worst, abs(features.values[i * entry.stride] - expected))
            }
            let bound = 1e-4 * entry.maxAbs
            print("\(entry.model) \(entry.split) \(entry.input), \(threads) thread(s): max abs error \(worst) (bound \(bound), max |x| \(entry.maxAbs))")
            #expect(worst <= bound, "\(entry.model) \(entry.split) \(entry.input), \(threads) thread(s): max abs error \(worst) > \(bound)")
          }
        }
    }

    @Test(arguments: Array(Set(Golden.logits.map(\.model))).sorted())
    func logitsMatchPyTorch(name: String) throws {
        let entries = Golden.logits.filter { $0.model == name }
        let model = try Self.model(name, weights: entries[0].weights)
        for entry in entries {
            let logits = try model.logits(features: try model.features(rgb: try Golden.input(entry.input)))
            let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
            let expected = entry.top5.map { Int($0[0]) }
            #expect(Array(top) == expected, "\(name) \(entry.input): top-5 \(Array(top)), PyTorch \(expected)")
            let scale = abs(entry.top5[0][1])
            for pair in entry.top5 {
                #expect(abs(Double(logits[Int(pair[0])]) - pair[1]) <= 1e-4 * max(scale, 1), "\(name) \(entry.input) class \(Int(pair[0]))")
            }
        }
    }

    /// The real photos give PyTorch's class with the real weights: espresso and a tabby cat... or
    /// an Egyptian cat, as PyTorch says.
    @Test(arguments: ["mobilenet_v2", "efficientnet_lite0"])
    func recognisesRealPhotos(name: String) throws {
        let model = try Self.model(name, weights: "pretrained")
        let coffee = try model.logits(features: try model.features(rgb: try Golden.input("coffee")))
        #expect(coffee.indices.max { coffee[$0] < coffee[$1] } == 967)  // espresso
        let cat = try model.logits(features: try model.features(rgb: try Golden.input("chelsea")))
        #expect(cat.indices.max { cat[$0] < cat[$1] } == 285)  // Egyptian cat, as PyTorch has it
    }
}
