/// torchvision's MobileNetV2 (1.0 width): inverted residual blocks with linear bottlenecks.
enum MobileNetV2: Architecture {
    /// t (expansion), c (output channels), n (repeats), s (first stride), as in the paper.
    static let stages = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    static func build(_ b: GraphBuilder) throws -> Int {
        var x = b.input(FeatureShape(channels: 3, height: 224, width: 224))
        x = try b.convolution("features.0", x, weight: "features.0.0.weight", batchNorm: "features.0.1",
                              out: 32, kernel: 3, stride: 2, padding: .symmetric(1), activations: [.relu6])
        var index = 1
        for (t, c, n, s) in stages {
            for repeat_ in 0..<n {
                let stride = repeat_ == 0 ? s : 1
                let name = "features.\(index)", p = "features.\(index).conv"
                let inputChannels = b.shape(x).channels
                let hidden = inputChannels * t
                var y = x
                var next = 0  // index of the next module inside `conv`
                if t != 1 {
                    y = try b.convolution(p + ".0", y, weight: p + ".0.0.weight", batchNorm: p + ".0.1",
                                          out: hidden, kernel: 1, activations: [.relu6])
                    next = 1
                }
                y = try b.convolution("\(p).\(next)", y, weight: "\(p).\(next).0.weight", batchNorm: "\(p).\(next).1",
                                      out: hidden, kernel: 3, stride: stride, padding: .symmetric(1), groups: hidden,
                                      activations: [.relu6])
                y = try b.convolution("\(p).\(next + 1)", y, weight: "\(p).\(next + 1).weight", batchNorm: "\(p).\(next + 2)",
                                      out: c, kernel: 1)
                x = stride == 1 && inputChannels == c ? b.add(name, x, y) : b.name(y, name)
                index += 1
            }
        }
        x = try b.convolution("features.18", x, weight: "features.18.0.weight", batchNorm: "features.18.1",
                              out: 1280, kernel: 1, activations: [.relu6])
        x = b.globalAveragePool("avgpool", x)
        return try b.linear("classifier.1", x, weight: "classifier.1.weight", bias: "classifier.1.bias", out: 1000)
    }
}
