import CDNNL

/// Which oneDNN kernel runs each per-frame step: the check that no model, at any split point,
/// runs on oneDNN's reference kernels on the CPU at hand (tests, `featstream bench-model`).
extension Model {
    /// One per-frame oneDNN primitive and the implementation oneDNN chose for it.
    public struct Kernel: Sendable {
        /// The split point the head and tail were compiled for.
        public let split: String
        /// "head" or "tail".
        public let part: String
        /// The layer (or layers, for a fused pair) the step computes.
        public let step: String
        /// e.g. "jit_1x1:avx2", "jit_dw:avx512_core", "gemm:jit"; "ref:any" would be a failure.
        public let implementation: String

        /// oneDNN's reference kernels (`ref:any`, `ref_fused_convolution:...`).
        public var isReference: Bool { implementation.hasPrefix("ref") }
    }

    /// The instruction set oneDNN runs on here, e.g. "avx2".
    public static var instructionSet: InstructionSet { InstructionSet.current }

    /// Compiles the head and (when the checkpoint has a classifier) the tail at each of `splits`
    /// (default: every split point) for the thread count set now, and lists every step's kernel.
    public func kernels(splits: [String]? = nil) throws -> [Kernel] {
        var kernels: [Kernel] = []
        for split in splits ?? spec.splitPoints {
            guard let node = graph.index(of: split) else {
                throw ModelError.unknownSplit(model: spec.name, split: split, known: spec.splitPoints)
            }
            var parts = [("head", try Network(graph: graph, from: 0, to: node, inputLayout: dnnl_nhwc, engine: engine))]
            if hasTail { parts.append(("tail", try Network(graph: graph, from: node, to: logitsNode, engine: engine))) }
            for (part, network) in parts {
                kernels += network.implementations.map { Kernel(split: split, part: part, step: $0.step, implementation: $0.implementation) }
            }
        }
        return kernels
    }
}
