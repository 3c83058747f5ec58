import FeatCodec
import Foundation

/// Builds a `LayerGraph` from PyTorch parameter names, folding batch norm into convolutions.
/// Without a checkpoint it builds shapes only and records which parameters (and shapes) the
/// architecture expects, so a checkpoint can be checked before anything is loaded.
final class GraphBuilder {
    enum Padding {
        /// PyTorch's symmetric zero padding.
        case symmetric(Int)
        /// TensorFlow's "SAME": output = ceil(input / stride), the odd pixel at the bottom/right.
        case same
    }

    private let checkpoint: Checkpoint?
    /// Parameter-name prefixes the checkpoint may lack (the classifier of a backbone-only
    /// checkpoint): those layers get no weights and cannot run.
    var optionalPrefixes: [String] = []
    private(set) var graph = LayerGraph()
    /// Parameters the architecture reads, in order, with their shapes.
    private(set) var expected: [(key: String, shape: [Int])] = []

    init(checkpoint: Checkpoint?) { self.checkpoint = checkpoint }

    private func add(_ name: String, _ operation: Operation, _ inputs: [Int], _ shape: FeatureShape) -> Int {
        graph.nodes.append(.init(name: name, operation: operation, inputs: inputs, shape: shape))
        return graph.nodes.count - 1
    }

    func shape(_ node: Int) -> FeatureShape { graph.nodes[node].shape }

    private func parameter(_ key: String, _ shape: [Int]) throws -> [Float] {
        expected.append((key, shape))
        guard let checkpoint else { return [] }
        if checkpoint.shape(of: key) == nil, optionalPrefixes.contains(where: key.hasPrefix) { return [] }
        return try checkpoint.tensor(key, shape: shape).values
    }

    func input(_ shape: FeatureShape) -> Int { add("input", .input, [], shape) }

    /// A convolution `prefix`.weight (+ `prefix`.bias), optionally followed by the batch norm
    /// `batchNorm`.{weight,bias,running_mean,running_var}, folded in here.
    @discardableResult
    func convolution(
        _ name: String, _ input: Int, weight: String, bias: String? = nil, batchNorm: String? = nil,
        epsilon: Double = 1e-5, out: Int, kernel: Int, stride: Int = 1, padding: Padding = .symmetric(0),
        groups: Int = 1, activations: [Activation] = []
    ) throws -> Int {
        let source = shape(input)
        let weightShape = [out, source.channels / groups, kernel, kernel]
        var weights = try parameter(weight, weightShape)
        var biases = try bias.map { try parameter($0, [out]) } ?? []
        if let bn = batchNorm {
            let gamma = try parameter(bn + ".weight", [out]), beta = try parameter(bn + ".bias", [out])
            let mean = try parameter(bn + ".running_mean", [out]), variance = try parameter(bn + ".running_var", [out])
            if checkpoint != nil {
                let perOutput = weights.count / out
                if biases.isEmpty { biases = [Float](repeating: 0, count: out) }
                for o in 0..<out {
                    let scale = Double(gamma[o]) / (Double(variance[o]) + epsilon).squareRoot()
                    for i in (o * perOutput)..<((o + 1) * perOutput) { weights[i] = Float(Double(weights[i]) * scale) }
                    biases[o] = Float(Double(beta[o]) + (Double(biases[o]) - Double(mean[o])) * scale)
                }
            }
        }
        let (top, bottom, outHeight) = GraphBuilder.pad(source.height, kernel: kernel, stride: stride, padding)
        let (left, right, outWidth) = GraphBuilder.pad(source.width, kernel: kernel, stride: stride, padding)
        let parameters = Convolution(
            weights: weights, weightShape: weightShape, bias: biases, stride: (stride, stride),
            padding: (top, left, bottom, right), dilation: (1, 1), groups: groups, activations: activations)
        return add(name, .convolution(parameters), [input], FeatureShape(channels: out, height: outHeight, width: outWidth))
    }

    private static func pad(_ size: Int, kernel: Int, stride: Int, _ padding: Padding) -> (Int, Int, Int) {
        switch padding {
        case .symmetric(let p):
            return (p, p, (size + 2 * p - kernel) / stride + 1)
        case .same:
            let out = (size + stride - 1) / stride
            let total = max((out - 1) * stride + kernel - size, 0)
            return (total / 2, total - total / 2, out)
        }
    }

    /// Max pooling; `ceil` as PyTorch's ceil_mode (a last window may overhang the edge, but
    /// must start inside the input or its left padding).
    func maxPool(_ name: String, _ input: Int, kernel: Int, stride: Int, padding: Int = 0, ceil: Bool = false) -> Int {
        let source = shape(input)
        func size(_ n: Int) -> (Int, Int) {
            var out = ceil ? (n + 2 * padding - kernel + stride - 1) / stride + 1 : (n + 2 * padding - kernel) / stride + 1
            if ceil && (out - 1) * stride >= n + padding { out -= 1 }
            let extra = max((out - 1) * stride + kernel - n - 2 * padding, 0)
            return (out, padding + extra)
        }
        let (h, bottom) = size(source.height), (w, right) = size(source.width)
        let pooling = Pooling(kind: .max, kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding, bottom, right))
        return add(name, .pooling(pooling), [input], FeatureShape(channels: source.channels, height: h, width: w))
    }

    func globalAveragePool(_ name: String, _ input: Int) -> Int {
        let source = shape(input)
        let pooling = Pooling(kind: .average, kernel: (source.height, source.width), stride: (1, 1), padding: (0, 0, 0, 0))
        return add(name, .pooling(pooling), [input], FeatureShape(channels: source.channels, height: 1, width: 1))
    }

    func add(_ name: String, _ a: Int, _ b: Int, activations: [Activation] = []) -> Int {
        add(name, .add(activations), [a, b], shape(a))
    }

    func scale(_ name: String, _ input: Int, by factors: Int) -> Int {
        add(name, .scale, [input, factors], shape(input))
    }

    func concat(_ name: String, _ inputs: [Int]) -> Int {
        let first = shape(inputs[0])
        let channels = inputs.reduce(0) { $0 + shape($1).channels }
        return add(name, .concat, inputs, FeatureShape(channels: channels, height: first.height, width: first.width))
    }

    func linear(_ name: String, _ input: Int, weight: String, bias: String, out: Int, activations: [Activation] = []) throws -> Int {
        let weightShape = [out, shape(input).count]
        let parameters = Linear(
            weights: try parameter(weight, weightShape), weightShape: weightShape,
            bias: try parameter(bias, [out]), activations: activations)
        return add(name, .linear(parameters), [input], FeatureShape(channels: out, height: 1, width: 1))
    }

    func activation(_ name: String, _ input: Int, _ activations: [Activation]) -> Int {
        add(name, .activation(activations), [input], shape(input))
    }

    /// Gives the node that ends a PyTorch module its module name (a split point).
    func name(_ node: Int, _ name: String) -> Int {
        let old = graph.nodes[node]
        graph.nodes[node] = .init(name: name, operation: old.operation, inputs: old.inputs, shape: old.shape)
        return node
    }
}
