/// torchvision's VGG16 (without batch norm). ReLUs are fused into the convolutions, so split
/// points name the ReLU's index (features.1, features.3, ...) and the pools' (features.4, ...).
enum VGG16: Architecture {
    /// Output channels per convolution; 0 is a 2x2 max pool.
    static let layers = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0]

    static var splitPoints: [String] {
        var names: [String] = [], index = 0
        for channels in layers {
            names.append("features.\(channels == 0 ? index : index + 1)")
            index += channels == 0 ? 1 : 2
        }
        return names
    }

    static func build(_ b: GraphBuilder) throws -> Int {
        var x = b.input(FeatureShape(channels: 3, height: 224, width: 224))
        var index = 0
        for channels in layers {
            if channels == 0 {
                x = b.maxPool("features.\(index)", x, kernel: 2, stride: 2)
                index += 1
            } else {
                x = try b.convolution("features.\(index + 1)", x, weight: "features.\(index).weight",
                                      bias: "features.\(index).bias", out: channels, kernel: 3, padding: .symmetric(1),
                                      activations: [.relu])
                index += 2
            }
        }
        // The adaptive 7x7 average pool is the identity on a 224 x 224 input's 7x7 map.
        x = try b.linear("classifier.1", x, weight: "classifier.0.weight", bias: "classifier.0.bias", out: 4096, activations: [.relu])
        x = try b.linear("classifier.4", x, weight: "classifier.3.weight", bias: "classifier.3.bias", out: 4096, activations: [.relu])
        return try b.linear("classifier.6", x, weight: "classifier.6.weight", bias: "classifier.6.bias", out: 1000)
    }
}
