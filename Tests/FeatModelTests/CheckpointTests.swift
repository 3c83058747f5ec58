import FeatCodec
@testable import FeatModel
import Foundation
import TestSupport
import Testing

@Suite struct CheckpointTests {
    static var mobileNet: String { Fixtures.home + "/weights/mobilenet_v2-b0353104.pth" }
    static var randomSqueezeNet: String { Fixtures.home + "/weights/random/squeezenet1_0.pth" }

    let scratch = ScratchFolder()

    func temporary(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = scratch.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsLegacyAndZipFormats() throws {
        let legacy = try Checkpoint(path: Self.mobileNet)
        #expect(legacy.names.count == 314)
        #expect(legacy.shape(of: "features.0.0.weight") == [32, 3, 3, 3])
        let zip = try Checkpoint(path: Self.randomSqueezeNet)
        #expect(zip.shape(of: "classifier.1.weight") == [1000, 512, 1, 1])
        // The generator's first parameter is SplitMix64 of (1 << 32) + index, scaled: check a value.
        let weight = try zip.tensor("features.0.weight", shape: [96, 3, 7, 7])
        #expect(weight.count == 96 * 3 * 7 * 7)
        #expect(weight.values.allSatisfy { abs($0) <= (3.0 * 2.0 / 147.0).squareRoot() })
    }

    @Test func refusesCode() throws {
        // pickle of os.system("ls"): GLOBAL, a string, TUPLE1, REDUCE.
        let evil: [UInt8] = [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x58, 2, 0, 0, 0] + Array("ls".utf8) + [0x85, 0x52, 0x2E]
        let path = try temporary("evil.pth", evil)
        #expect(throws: CheckpointError.forbidden(path, what: "global os.system")) { try Checkpoint(path: path) }
        // An opcode a state_dict never uses (INST).
        let inst = try temporary("inst.pth", [0x80, 0x02, 0x69] + Array("os\nsystem\n".utf8) + [0x2E])
        #expect {
            try Checkpoint(path: inst)
        } throws: { error in
            if case .forbidden(_, let what) = error as? CheckpointError { return what.hasPrefix("pickle opcode 0x69") }
            return false
        }
    }

    @Test func reportsTruncationAndCorruption() throws {
        let legacy = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.mobileNet)))
        let half = try temporary("half.pth", Array(legacy.prefix(legacy.count / 2)))
        #expect(throws: CheckpointError.truncated(half)) { try Checkpoint(path: half) }
        let tiny = try temporary("tiny.pth", Array(legacy.prefix(40)))
        #expect(throws: CheckpointError.truncated(tiny)) { try Checkpoint(path: tiny) }

        let text = try temporary("text.pth", Array("not a checkpoint".utf8))
        #expect { try Checkpoint(path: text) } throws: { error in
            if case .corrupted(_, let reason) = error as? CheckpointError { return reason.hasPrefix("not a PyTorch checkpoint") }
            return false
        }
        #expect(throws: CheckpointError.unreadable("/no/such.pth", reason: "no such file")) { try Checkpoint(path: "/no/such.pth") }

        // A flipped byte inside a zip entry fails its CRC-32 when the tensor is read.
        var zip = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.randomSqueezeNet)))
        zip[zip.count / 2] ^= 0xFF
        let flipped = try temporary("flipped.pth", zip)
        #expect(throws: CheckpointError.self) {
            let checkpoint = try Checkpoint(path: flipped)
            for (name, shape) in checkpoint.shapes where !name.hasSuffix("num_batches_tracked") {
                _ = try checkpoint.tensor(name, shape: shape)
            }
        }
        let cut = try temporary("cut.pth", Array(zip.prefix(zip.count - 100)))
        #expect(throws: CheckpointError.self) { try Checkpoint(path: cut) }
    }

    @Test func checksKeysShapesAndArchitecture() throws {
        let spec = try ModelZoo.spec(named: "mobilenet_v2")
        let checkpoint = try Checkpoint(path: Self.mobileNet)
        // MobileNetV2's weights are not EfficientNet-Lite0's.
        #expect(throws: CheckpointError.wrongArchitecture(
            Self.mobileNet, model: "EfficientNet-Lite0", missing: 247, example: "_conv_stem.weight", found: "features.0.0.weight")
        ) { try Model(spec: try ModelZoo.spec(named: "efficientnet_lite0"), weights: Self.mobileNet) }

        let missing = ModelSpec(name: "t", title: "T", defaultSplit: "x", splitPoints: ["x"], standardSplits: [], mean: [0, 0, 0],
                                std: [1, 1, 1], weights: spec.weights, classifierPrefix: "classifier.", layers: MissingKey.self)
        #expect(throws: CheckpointError.missingKey(Self.mobileNet, key: "features.99.weight")) { try Model.check(checkpoint, against: missing) }

        let wrongShape = ModelSpec(name: "t", title: "T", defaultSplit: "x", splitPoints: ["x"], standardSplits: [], mean: [0, 0, 0],
                                   std: [1, 1, 1], weights: spec.weights, classifierPrefix: "classifier.", layers: WrongShape.self)
        #expect(throws: CheckpointError.wrongShape(Self.mobileNet, key: "features.0.0.weight", expected: [16, 3, 3, 3], found: [32, 3, 3, 3])) {
            try Model.check(checkpoint, against: wrongShape)
        }
    }

    @Test func npyRoundTrip() throws {
        let tensor = Tensor(shape: [2, 3, 4], values: (0..<24).map { Float($0) * 0.5 - 3 })
        let path = scratch.file("x.npy")
        try NpyWriter.write(tensor, to: path)
        #expect(try NpyReader.read(path) == tensor)
    }
}

/// A network asking for a parameter MobileNetV2's checkpoint lacks.
private enum MissingKey: Architecture {
    static func build(_ b: GraphBuilder) throws -> Int {
        let x = b.input(FeatureShape(channels: 3, height: 8, width: 8))
        let y = try b.convolution("x", x, weight: "features.0.0.weight", out: 32, kernel: 3)
        return try b.convolution("z", y, weight: "features.99.weight", out: 1, kernel: 1)
    }
}

/// A network expecting another shape of MobileNetV2's first weight.
private enum WrongShape: Architecture {
    static func build(_ b: GraphBuilder) throws -> Int {
        try b.convolution("x", b.input(FeatureShape(channels: 3, height: 8, width: 8)), weight: "features.0.0.weight", out: 16, kernel: 3)
    }
}
