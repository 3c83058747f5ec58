import Foundation
import TestSupport
import Testing

/// `featstream models` and `featstream features` as a user runs them.
@Suite struct ModelCommandTests {
    func featstream(_ arguments: String...) throws -> (status: Int32, out: String, err: String) {
        let result = try Fixtures.run(Fixtures.featstream, arguments)
        return (result.status, String(decoding: result.out, as: UTF8.self), result.err)
    }

    let scratch = ScratchFolder()

    /// The six split points of the 3GPP table, each found by its shape.
    @Test func modelsListTheStandardSplitPoints() throws {
        let result = try featstream("models", "--json")
        #expect(result.status == 0, "\(result.err)")
        let models = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]])
        var standard: [String: (String, [Int], Int)] = [:]
        for model in models {
            for point in model["splitPoints"] as? [[String: Any]] ?? [] {
                if let label = point["standard"] as? String {
                    standard[label] = (point["layer"] as! String, point["shape"] as! [Int], point["values"] as! Int)
                }
            }
        }
        #expect(standard["SqueezeNet maxpool4"]! == ("features.6", [256, 27, 27], 186_624))
        #expect(standard["SqueezeNet maxpool8"]! == ("features.11", [512, 13, 13], 86_528))
        #expect(standard["MobileNetV3 layer 7"]! == ("features.6", [40, 28, 28], 31_360))
        #expect(standard["MobileNetV3 layer 14"]! == ("features.12", [112, 14, 14], 21_952))
        #expect(standard["VGG layer 6"]! == ("features.6", [128, 112, 112], 1_605_632))
        #expect(standard["VGG layer 12"]! == ("features.22", [512, 28, 28], 401_408))
        let mobileNet = try #require(models.first { $0["name"] as? String == "mobilenet_v2" })
        #expect(mobileNet["defaultSplit"] as? String == "features.6")
        let text = try featstream("models")
        #expect(text.out.contains("*features.6     32x28x28              25,088      100,352       50,176       25,088"))
    }

    @Test func featuresWritesTensorsAndTimestamps() throws {
        let dir = scratch.path
        let out = dir + "/scenes.npy"
        let result = try featstream("features", Fixtures.path("scenes.mp4"), "--fps", "5", "-o", out, "--quiet")
        #expect(result.status == 0, "\(result.err)")
        let frames = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: dir + "/scenes.timestamps.json"))) as? [String: Any])
        let list = try #require(frames["frames"] as? [[String: Any]])
        #expect(list.compactMap { $0["decision"] as? String }.filter { $0 == "cut" }.count == 4)
        #expect(frames["shape"] as? [Int] == [list.count, 32, 28, 28])
        // NumPy reads it with the right shape, and the values are finite.
        let check = try Fixtures.run(Fixtures.which("python3"), ["-c", """
            import numpy, sys
            a = numpy.load(sys.argv[1])
            print(a.shape, a.dtype, bool(numpy.isfinite(a).all()))
            """, out])
        #expect(String(decoding: check.out, as: UTF8.self) == "(\(list.count), 32, 28, 28) float32 True\n", "\(check.err)")
        #expect(!FileManager.default.fileExists(atPath: out + ".partial"))
    }

    @Test func badModelInputsFailCleanly() throws {
        let dir = scratch.path
        let out = dir + "/x.npy"
        let cases: [([String], String)] = [
            (["--model", "resnet50"], "unknown model 'resnet50'"),
            (["--split", "features.99"], "mobilenet_v2 has no split point 'features.99'"),
            (["--weights", Fixtures.path("bad/text.mp4")], "checkpoint is corrupted (not a PyTorch checkpoint"),
            (["--weights", "/no/such.pth"], "/no/such.pth: no such file"),
            (["--model", "vgg16", "--weights", Fixtures.home + "/weights/mobilenet_v2-b0353104.pth"], "not a VGG16 checkpoint"),
        ]
        for (options, message) in cases {
            let result = try Fixtures.run(Fixtures.featstream, ["features", Fixtures.path("ntsc.mp4"), "-o", out] + options)
            #expect(result.status == 1)
            #expect(result.err.split(separator: "\n").count == 1 && result.err.contains(message), "\(options): \(result.err)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        // A model whose weights are not installed says how to get them.
        let noWeights = try Fixtures.run(Fixtures.featstream, ["features", Fixtures.path("ntsc.mp4"), "-o", out, "--model", "squeezenet1_0"],
                                         environment: ["FEATSTREAM_HOME": dir])
        #expect(noWeights.status == 1 && noWeights.err.contains("pass --weights FILE (torchvision's squeezenet1_0-b66bff10.pth)"), "\(noWeights.err)")
    }
}
