import FeatCodec
import Foundation

/// How much each spatial frequency of the split tensor's 7x7 tiles matters to the model's
/// tail: the mean squared change of the logits per unit of noise variance added to that DCT
/// frequency of every tile of every channel (finite differences with Gaussian noise, on
/// calibration pictures, as `ChannelSensitivity`). Transformed step mode weighs its steps by it.
public enum FrequencySensitivity {
    /// `TileTransform.frequencies` values (u major) for `model`'s head output on `pictures`
    /// (224 x 224 RGB24); nil for a frequency no position of the map has (a map under 7 wide).
    /// Throws `ModelError.noClassifier` for a backbone-only checkpoint.
    public static func measure(_ model: Model, pictures: [[UInt8]]) throws -> [Double?] {
        let shape = model.featureShape.dims
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        let transform = TileTransform(height: height, width: width, frequencyWeights: nil)
        let frequencyOf = TileTransform.frequencyIndex(height: height, width: width)
        let positionsOf = (0..<TileTransform.frequencies).map { k in frequencyOf.indices.filter { frequencyOf[$0] == k } }
        var sensitivity = [Double](repeating: 0, count: TileTransform.frequencies)
        var random = SplitMix(seed: 0xF5EED)
        for rgb in pictures {
            let probe = try TailProbe(model, rgb: rgb)
            for k in 0..<TileTransform.frequencies {
                let positions = positionsOf[k]
                guard !positions.isEmpty else { continue }
                var noise = [Float](repeating: 0, count: probe.features.count)
                for c in 0..<channels {
                    for p in positions { noise[c * height * width + p] = probe.sigma * random.gaussian() }
                }
                var noisy = probe.features
                for (i, n) in transform.inverse(noise).enumerated() { noisy.values[i] += n }
                sensitivity[k] += try probe.change(noisy, perturbed: channels * positions.count)
            }
        }
        return sensitivity.enumerated().map { positionsOf[$0.offset].isEmpty ? nil : $0.element / Double(max(pictures.count, 1)) }
    }
}
