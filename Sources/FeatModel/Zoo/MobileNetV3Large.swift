/// torchvision's MobileNetV3-Large: inverted residuals with squeeze-and-excitation and
/// hard-swish, batch norm epsilon 1e-3.
enum MobileNetV3Large: Architecture {
    /// input, kernel, expanded, output, squeeze-and-excite, hard-swish, stride.
    static let blocks: [(Int, Int, Int, Int, Bool, Bool, Int)] = [
        (16, 3, 16, 16, false, false, 1), (16, 3, 64, 24, false, false, 2), (24, 3, 72, 24, false, false, 1),
        (24, 5, 72, 40, true, false, 2), (40, 5, 120, 40, true, false, 1), (40, 5, 120, 40, true, false, 1),
        (40, 3, 240, 80, false, true, 2), (80, 3, 200, 80, false, true, 1), (80, 3, 184, 80, false, true, 1),
        (80, 3, 184, 80, false, true, 1), (80, 3, 480, 112, true, true, 1), (112, 3, 672, 112, true, true, 1),
        (112, 5, 672, 160, true, true, 2), (160, 5, 960, 160, true, true, 1), (160, 5, 960, 160, true, true, 1),
    ]
    static let epsilon = 1e-3

    /// torchvision's _make_divisible(v, 8).
    static func divisible(_ v: Int) -> Int {
        var result = max(8, (v + 4) / 8 * 8)
        if Double(result) < 0.9 * Double(v) { result += 8 }
        return result
    }

    static func build(_ b: GraphBuilder) throws -> Int {
        var x = b.input(FeatureShape(channels: 3, height: 224, width: 224))
        x = try b.convolution("features.0", x, weight: "features.0.0.weight", batchNorm: "features.0.1", epsilon: epsilon,
                              out: 16, kernel: 3, stride: 2, padding: .symmetric(1), activations: [.hardswish])
        for (i, (input, kernel, expanded, out, se, hs, stride)) in blocks.enumerated() {
            let name = "features.\(i + 1)", p = "features.\(i + 1).block"
            let act: Activation = hs ? .hardswish : .relu
            var y = x, j = 0
            if expanded != input {
                y = try b.convolution("\(p).0", y, weight: "\(p).0.0.weight", batchNorm: "\(p).0.1", epsilon: epsilon,
                                      out: expanded, kernel: 1, activations: [act])
                j = 1
            }
            y = try b.convolution("\(p).\(j)", y, weight: "\(p).\(j).0.weight", batchNorm: "\(p).\(j).1", epsilon: epsilon,
                                  out: expanded, kernel: kernel, stride: stride, padding: .symmetric((kernel - 1) / 2),
                                  groups: expanded, activations: [act])
            j += 1
            if se {
                let s = "\(p).\(j)"
                var f = b.globalAveragePool(s + ".avgpool", y)
                f = try b.convolution(s + ".fc1", f, weight: s + ".fc1.weight", bias: s + ".fc1.bias",
                                      out: divisible(expanded / 4), kernel: 1, activations: [.relu])
                f = try b.convolution(s + ".fc2", f, weight: s + ".fc2.weight", bias: s + ".fc2.bias",
                                      out: expanded, kernel: 1, activations: [.hardsigmoid])
                y = b.scale(s, y, by: f)
                j += 1
            }
            y = try b.convolution("\(p).\(j)", y, weight: "\(p).\(j).0.weight", batchNorm: "\(p).\(j).1", epsilon: epsilon,
                                  out: out, kernel: 1)
            x = stride == 1 && input == out ? b.add(name, x, y) : b.name(y, name)
        }
        x = try b.convolution("features.16", x, weight: "features.16.0.weight", batchNorm: "features.16.1", epsilon: epsilon,
                              out: 960, kernel: 1, activations: [.hardswish])
        x = b.globalAveragePool("avgpool", x)
        x = try b.linear("classifier.0", x, weight: "classifier.0.weight", bias: "classifier.0.bias", out: 1280,
                         activations: [.hardswish])
        return try b.linear("classifier.3", x, weight: "classifier.3.weight", bias: "classifier.3.bias", out: 1000)
    }
}
