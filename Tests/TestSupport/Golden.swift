import FeatVideo
import Foundation

/// Tests/Golden/golden.json: outputs of PyTorch (Tools/golden/make-golden) to compare with.
public enum Golden {
    public static let directory = Fixtures.root.appendingPathComponent("Tests/Golden")

    public struct Head: Decodable, Sendable {
        public let model: String
        public let weights: String
        public let split: String
        public let input: String
        public let shape: [Int]
        /// The file holds every `stride`-th value of the flattened tensor.
        public let stride: Int
        public let file: String
        public let maxAbs: Float
    }

    public struct Logits: Decodable, Sendable {
        public let model: String
        public let weights: String
        public let input: String
        /// [class, logit] pairs, best first.
        public let top5: [[Double]]
    }

    struct Manifest: Decodable {
        let heads: [Head]
        let logits: [Logits]
    }

    static let manifest: Manifest = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("golden.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data)
    }()

    public static var heads: [Head] { manifest.heads }
    public static var logits: [Logits] { manifest.logits }

    /// The 224 x 224 RGB input a golden entry was computed on, decoded by featstream's reader.
    public static func input(_ name: String) throws -> [UInt8] {
        let path: String, index: Int
        switch name {
        case "scenes-40": (path, index) = (Fixtures.path("scenes.mp4"), 40)
        default: (path, index) = (Fixtures.footage + "/\(name).png", 0)
        }
        VideoReader.setFFmpegLogging(verbose: false)
        let reader = try VideoReader(path)
        while let frame = try reader.next() {
            if frame.index == index { return frame.rgb }
        }
        throw NSError(domain: "Golden", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(name): no frame \(index)"])
    }

    /// Weights a golden entry used: the fetched pretrained file, or the seeded random one.
    public static func weights(model: String, kind: String, pretrainedFile: String) -> String {
        kind == "random" ? Fixtures.home + "/weights/random/\(model).pth" : Fixtures.home + "/weights/" + pretrainedFile
    }
}
