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
            let features = try model.features(rgb: rgb)
            let clean = try model.logits(features: features)
            // Noise at a tenth of the tensor's RMS: small enough to stay near-linear, large
            // enough to stand out of float rounding.
            let rms = (features.values.reduce(0) { $0 + Double($1) * Double($1) } / Double(features.count)).squareRoot()
            let sigma = Float(max(rms, 1e-6) * 0.1)
            for c in 0..<channels {
                var noisy = features
                for i in (c * plane)..<((c + 1) * plane) { noisy.values[i] += sigma * random.gaussian() }
                let logits = try model.logits(features: noisy)
                var change = 0.0
                for (a, b) in zip(clean, logits) { change += Double(a - b) * Double(a - b) }
                sensitivity[c] += change / (Double(sigma) * Double(sigma) * Double(plane))
            }
        }
        return sensitivity.map { $0 / Double(max(pictures.count, 1)) }
    }
}
