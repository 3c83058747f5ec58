import FeatCodec

/// One calibration picture's features and logits, and the noise the sensitivities add to them:
/// a tenth of the tensor's RMS, small enough to stay near-linear, large enough to stand out of
/// float rounding.
struct TailProbe {
    let model: Model
    let features: Tensor
    let clean: [Float]
    let sigma: Float

    init(_ model: Model, rgb: [UInt8]) throws {
        self.model = model
        features = try model.features(rgb: rgb)
        clean = try model.logits(features: features)
        let rms = (features.values.reduce(0) { $0 + Double($1) * Double($1) } / Double(features.count)).squareRoot()
        sigma = Float(max(rms, 1e-6) * 0.1)
    }

    /// The squared change of the logits `noisy` features give, per unit of noise variance on
    /// each of the `perturbed` values the noise was added to.
    func change(_ noisy: Tensor, perturbed: Int) throws -> Double {
        let logits = try model.logits(features: noisy)
        var change = 0.0
        for (a, b) in zip(clean, logits) { change += Double(a - b) * Double(a - b) }
        return change / (Double(sigma) * Double(sigma) * Double(perturbed))
    }
}
