import Foundation

/// How much each channel of the split tensor matters to the model's tail: the mean squared
/// change of the logits per unit of noise variance added to that channel alone (finite
/// differences with Gaussian noise, on calibration pictures). A codec that weighs its
/// distortion by these spends its bits where the task looks.
public enum ChannelSensitivity {
    /// One value per channel, for `model`'s head output on `pictures` (224 x 224 RGB24).
    /// Throws `ModelError.noClassifier` for a backbone-only checkpoint.
    public static func measure(_ model: Model, pictures: [[UInt8]]) throws -> [Double] {
        let shape = model.featureShape.dims
        let channels = shape[0], plane = shape[1] * shape[2]
        var sensitivity = [Double](repeating: 0, count: channels)
        var random = SplitMix(seed: 0x5EED)
        for rgb in pictures {
            let probe = try TailProbe(model, rgb: rgb)
            for c in 0..<channels {
                var noisy = probe.features
                for i in (c * plane)..<((c + 1) * plane) { noisy.values[i] += probe.sigma * random.gaussian() }
                sensitivity[c] += try probe.change(noisy, perturbed: plane)
            }
        }
        return sensitivity.map { $0 / Double(max(pictures.count, 1)) }
    }
}
