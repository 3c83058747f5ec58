import FeatModel
import TestSupport
import Testing

/// The head refuses a frame that is not 224 x 224 RGB24 in one error (it would read past the
/// frame or leave the input half stale).
@Suite struct ModelInputTests {
    @Test(arguments: [0, 224 * 224 * 3 - 1, 224 * 224 * 3 + 3, 224 * 224])
    func wrongSizedFramesAreRefused(bytes: Int) throws {
        let model = try GoldenTests.model("mobilenet_v2", weights: "pretrained", threads: 1)
        #expect(throws: ModelError.self) { try model.features(rgb: [UInt8](repeating: 0, count: bytes)) }
        #expect(try model.features(rgb: [UInt8](repeating: 128, count: 224 * 224 * 3)).count == model.featureShape.count)
    }
}
