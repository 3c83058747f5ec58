/// EfficientNet-Lite0 in EfficientNet-PyTorch's parameter names: MBConv blocks without
/// squeeze-and-excitation, ReLU6, TensorFlow "SAME" padding, batch norm epsilon 1e-3.
enum EfficientNetLite0: Architecture {
    /// expansion, kernel, first stride, input, output, repeats.
    static let stages = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
                         (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]
    static let epsilon = 1e-3

    static var splitPoints: [String] {
        ["_conv_stem"] + (0..<stages.reduce(0) { $0 + $1.5 }).map { "_blocks.\($0)" } + ["_conv_head"]
    }

    static func build(_ b: GraphBuilder) throws -> Int {
        var x = b.input(FeatureShape(channels: 3, height: 224, width: 224))
        x = try b.convolution("_conv_stem", x, weight: "_conv_stem.weight", batchNorm: "_bn0", epsilon: epsilon,
                              out: 32, kernel: 3, stride: 2, padding: .same, activations: [.relu6])
        var index = 0
        for (expansion, kernel, firstStride, _, out, repeats) in stages {
            for r in 0..<repeats {
                let p = "_blocks.\(index)", stride = r == 0 ? firstStride : 1
                let inputChannels = b.shape(x).channels, hidden = inputChannels * expansion
                var y = x
                if expansion != 1 {
                    y = try b.convolution(p + "._expand_conv", y, weight: p + "._expand_conv.weight", batchNorm: p + "._bn0",
                                          epsilon: epsilon, out: hidden, kernel: 1, padding: .same, activations: [.relu6])
                }
                y = try b.convolution(p + "._depthwise_conv", y, weight: p + "._depthwise_conv.weight", batchNorm: p + "._bn1",
                                      epsilon: epsilon, out: hidden, kernel: kernel, stride: stride, padding: .same,
                                      groups: hidden, activations: [.relu6])
                y = try b.convolution(p + "._project_conv", y, weight: p + "._project_conv.weight", batchNorm: p + "._bn2",
                                      epsilon: epsilon, out: out, kernel: 1, padding: .same)
                x = stride == 1 && inputChannels == out ? b.add(p, x, y) : b.name(y, p)
                index += 1
            }
        }
        x = try b.convolution("_conv_head", x, weight: "_conv_head.weight", batchNorm: "_bn1", epsilon: epsilon,
                              out: 1280, kernel: 1, padding: .same, activations: [.relu6])
        x = b.globalAveragePool("avgpool", x)
        return try b.linear("_fc", x, weight: "_fc.weight", bias: "_fc.bias", out: 1000)
    }
}
