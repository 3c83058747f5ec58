import FeatCodec

/// A feature map's shape for batch 1: channels x height x width (a vector is C x 1 x 1).
public struct FeatureShape: Equatable, Sendable, CustomStringConvertible {
    /// Channels (C).
    public let channels: Int
    /// Height (H), in elements.
    public let height: Int
    /// Width (W), in elements.
    public let width: Int
    /// Elements: C x H x W.
    public var count: Int { channels * height * width }
    /// [C, H, W], as `Tensor.shape` and `ParameterSet.shape` hold it.
    public var dims: [Int] { [channels, height, width] }
    /// "CxHxW", e.g. "32x28x28".
    public var description: String { "\(channels)x\(height)x\(width)" }
}

/// A network as a list of nodes in an order where every node comes after its inputs.
/// Batch norm is already folded into convolutions; dropout is gone (inference only).
public struct LayerGraph: Sendable {
    /// One node: a layer (or the input), its inputs, and its output shape.
    public struct Node: Sendable {
        /// PyTorch module path, e.g. "features.6" or "features.6.conv.1"; split points are
        /// looked up by it.
        public let name: String
        let operation: Operation
        let inputs: [Int]
        /// Shape of the node's output.
        public let shape: FeatureShape
    }

    /// Every node, each after its inputs; node 0 is the input.
    public internal(set) var nodes: [Node] = []

    /// Index of the last node named `name`, or nil.
    public func index(of name: String) -> Int? { nodes.lastIndex { $0.name == name } }

    /// Multiply-accumulates of the nodes `members` (convolutions and linear layers; other nodes count 0).
    func multiplyAccumulates(in members: [Int]) -> Int {
        members.reduce(0) { total, i in
            let node = nodes[i]
            switch node.operation {
            case .convolution(let c):
                return total + node.shape.count * c.weightShape[1] * c.weightShape[2] * c.weightShape[3]
            case .linear(let l):
                return total + l.weightShape.reduce(1, *)
            default:
                return total
            }
        }
    }
}

enum Operation: Sendable {
    /// The graph's input (the normalised image, or the split tensor for a tail).
    case input
    case convolution(Convolution)
    case pooling(Pooling)
    /// inputs[0] + inputs[1], then activations.
    case add([Activation])
    /// inputs[0] scaled per channel by inputs[1] (C x 1 x 1), as in squeeze-and-excitation.
    case scale
    /// Channel concatenation of all inputs.
    case concat
    /// Fully connected layer on the flattened input.
    case linear(Linear)
    case activation([Activation])
}

struct Convolution: Sendable {
    /// [out, in / groups, kh, kw], PyTorch's order; empty when the graph is built for shapes only.
    var weights: [Float]
    var weightShape: [Int]
    var bias: [Float]
    var stride: (Int, Int)
    /// Top, left, bottom, right (TF "SAME" padding is asymmetric).
    var padding: (Int, Int, Int, Int)
    var dilation: (Int, Int)
    var groups: Int
    var activations: [Activation]
}

struct Pooling: Sendable {
    enum Kind: Sendable { case max, average }
    var kind: Kind
    var kernel: (Int, Int)
    var stride: (Int, Int)
    /// Top, left, bottom, right; ceil mode shows up as extra bottom/right padding.
    var padding: (Int, Int, Int, Int)
}

struct Linear: Sendable {
    /// [out, in] with `in` = C * H * W of the input, flattened in C, H, W order.
    var weights: [Float]
    var weightShape: [Int]
    var bias: [Float]
    var activations: [Activation]
}
