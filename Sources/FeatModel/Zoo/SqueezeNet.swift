/// torchvision's SqueezeNet 1.0: fire modules (squeeze 1x1, expand 1x1 and 3x3, concatenated)
/// and ceil-mode max pooling. A ReLU is fused into the convolution before it, so split points
/// name the ReLU's index (features.1), not the convolution's.
enum SqueezeNet: Architecture {
    static let splitPoints = (1...12).map { "features.\($0)" }

    static func build(_ b: GraphBuilder) throws -> Int {
        var x = b.input(FeatureShape(channels: 3, height: 224, width: 224))
        x = try b.convolution("features.1", x, weight: "features.0.weight", bias: "features.0.bias",
                              out: 96, kernel: 7, stride: 2, activations: [.relu])
        func fire(_ index: Int, _ squeeze: Int, _ expand: Int) throws {
            let p = "features.\(index)"
            let s = try b.convolution(p + ".squeeze", x, weight: p + ".squeeze.weight", bias: p + ".squeeze.bias",
                                      out: squeeze, kernel: 1, activations: [.relu])
            let e1 = try b.convolution(p + ".expand1x1", s, weight: p + ".expand1x1.weight", bias: p + ".expand1x1.bias",
                                       out: expand, kernel: 1, activations: [.relu])
            let e3 = try b.convolution(p + ".expand3x3", s, weight: p + ".expand3x3.weight", bias: p + ".expand3x3.bias",
                                       out: expand, kernel: 3, padding: .symmetric(1), activations: [.relu])
            x = b.concat(p, [e1, e3])
        }
        x = b.maxPool("features.2", x, kernel: 3, stride: 2, ceil: true)
        try fire(3, 16, 64)
        try fire(4, 16, 64)
        try fire(5, 32, 128)
        x = b.maxPool("features.6", x, kernel: 3, stride: 2, ceil: true)
        try fire(7, 32, 128)
        try fire(8, 48, 192)
        try fire(9, 48, 192)
        try fire(10, 64, 256)
        x = b.maxPool("features.11", x, kernel: 3, stride: 2, ceil: true)
        try fire(12, 64, 256)
        x = try b.convolution("classifier.2", x, weight: "classifier.1.weight", bias: "classifier.1.bias",
                              out: 1000, kernel: 1, activations: [.relu])
        return b.globalAveragePool("classifier.3", x)
    }
}
