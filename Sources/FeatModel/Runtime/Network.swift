import CDNNL
import Dispatch

/// A piece of a `LayerGraph` (from one node to another) compiled into oneDNN primitives once,
/// then run per frame. Intermediate feature maps stay in the layouts oneDNN prefers (channels in
/// blocks of 16 on AVX-512, 8 on AVX2 and SSE4.1); only the input and the output are plain C x H x W.
final class Network {
    let engine: Engine
    let inputShape: FeatureShape
    let outputShape: FeatureShape
    let input: Memory
    /// Set once compiling is done (compiling needs `self` to collect steps).
    private(set) var output: Memory!
    private(set) var steps: [Step] = []
    /// Multiply-accumulates per run, for GFLOP/s figures.
    let multiplyAccumulates: Int
    /// Networks with depthwise convolutions or concatenations keep feature maps in oneDNN's
    /// blocked layout, with the block its JIT kernels use on this CPU
    /// (`InstructionSet.channelBlock`): the fused pointwise+depthwise primitives want it, and one
    /// layout means no reorders (MobileNetV2 head 2.8 ms against 3.6-4.3 ms with layouts left
    /// free); a concatenation of blocked maps is a view (`inPlaceConcat`). Others let oneDNN
    /// choose. Nil: layouts left to oneDNN.
    private let mapLayout: dnnl_format_tag_t?
    /// Maps whose buffer stays where it is: the parts of a concatenation made in place
    /// (`inPlaceConcat`) and the whole, which its parts point into.
    private var placed = Set<ObjectIdentifier>()

    /// `inputLayout`: `dnnl_nchw` for tensors, `dnnl_nhwc` for images (pixels interleave channels).
    init(graph: LayerGraph, from first: Int, to last: Int, inputLayout: dnnl_format_tag_t = dnnl_nchw, engine: Engine) throws {
        self.engine = engine
        // The nodes `last` depends on, stopping at `first`.
        var members = Set<Int>(), pending = [last]
        while let node = pending.popLast() {
            guard members.insert(node).inserted, node != first else { continue }
            pending += graph.nodes[node].inputs
        }
        guard members.contains(first), members.allSatisfy({ $0 >= first }) else {
            throw ModelError.cannotSplit(graph.nodes[first].name)
        }
        let ordered = members.sorted()
        let depthwise = ordered.contains { index in
            if case .convolution(let c) = graph.nodes[index].operation { return c.groups > 1 }
            return false
        }
        let concatenates = ordered.contains { index in
            if case .concat = graph.nodes[index].operation { return true }
            return false
        }
        mapLayout = depthwise || concatenates ? InstructionSet.current.blockedTag : nil
        multiplyAccumulates = graph.multiplyAccumulates(in: ordered.filter { $0 != first })
        inputShape = graph.nodes[first].shape
        outputShape = graph.nodes[last].shape

        input = try Memory(MemoryDescriptor([1] + inputShape.dims, inputLayout), engine)
        var memories: [Int: Memory] = [first: input]
        // A tail starts from a plain C x H x W map: reorder it once into the blocked layout, so
        // no primitive meets two layouts (a residual add of plain and blocked maps is ref:any).
        if let maps = mapLayout, inputShape.channels > 4 {
            memories[first] = try conform(input, to: try MemoryDescriptor([1] + inputShape.dims, maps), "input")
        }
        var consumers: [Int: [Int]] = [:]
        for index in ordered { for source in graph.nodes[index].inputs { consumers[source, default: []].append(index) } }
        var done = Set<Int>()
        for index in ordered where index != first && !done.contains(index) {
            let node = graph.nodes[index]
            let sources = node.inputs.map { memories[$0]! }
            // A 1x1 convolution feeding only a depthwise 3x3 one runs as one primitive.
            if index != last, let partner = consumers[index], partner.count == 1,
               let fused = try fusedPair(node, graph.nodes[partner[0]], sources[0]) {
                memories[partner[0]] = fused
                done.insert(partner[0])
                continue
            }
            memories[index] = try compile(node, sources)
        }
        let result = memories[last]!
        let plain = result.descriptor.dims.count == 2 ? dnnl_nc : dnnl_nchw
        output = try Memory(MemoryDescriptor(result.descriptor.dims, plain), engine)
        steps.append(try reorder(result, into: output, name: "output"))
    }

    /// Each per-frame step's name and the oneDNN implementation it runs on.
    var implementations: [(step: String, implementation: String)] { steps.map { ($0.name, $0.implementation) } }

    /// Runs every step on the values already in `input`; the result is in `output`.
    func run() throws {
        for step in steps { try step.run(engine) }
        try dnnl("stream_wait", dnnl_stream_wait(engine.stream))
    }

    /// Runs the steps one at a time, `repeats` times, and returns each one's median seconds.
    func profile(repeats: Int) throws -> [LayerTiming] {
        var samples = [[Double]](repeating: [], count: steps.count)
        for _ in 0..<repeats {
            for (i, step) in steps.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                try step.run(engine)
                try dnnl("stream_wait", dnnl_stream_wait(engine.stream))
                samples[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        return zip(steps, samples).map { step, times in
            LayerTiming(name: step.name, kind: step.kind, seconds: times.sorted()[times.count / 2],
                        multiplyAccumulates: step.multiplyAccumulates)
        }
    }

    // MARK: compiling nodes

    private func compile(_ node: LayerGraph.Node, _ sources: [Memory]) throws -> Memory {
        let out = node.shape
        switch node.operation {
        case .input:
            throw ModelError.cannotSplit(node.name)
        case .convolution(let c):
            return try convolution(c, sources[0], out, node.name)
        case .pooling(let p):
            var description = dnnl_pooling_v2_desc_t()
            var source = sources[0].descriptor.raw
            var destination = try MemoryDescriptor([1] + out.dims, dnnl_format_tag_any).raw
            let algorithm = p.kind == .max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding
            try dnnl("pooling_v2_forward_desc_init", dnnl_pooling_v2_forward_desc_init(
                &description, dnnl_forward_inference, algorithm, &source, &destination,
                [Int64(p.stride.0), Int64(p.stride.1)], [Int64(p.kernel.0), Int64(p.kernel.1)], [0, 0],
                [Int64(p.padding.0), Int64(p.padding.1)], [Int64(p.padding.2), Int64(p.padding.3)]))
            let pd = try PrimitiveDescriptor(&description, nil, engine, "pooling (\(node.name))")
            return try bind(pd, [(FS_DNNL_ARG_SRC, sources[0])], node.name)
        case .add(let activations):
            return try binary(dnnl_binary_add, sources, activations, node.name)
        case .scale:
            return try binary(dnnl_binary_mul, sources, [], node.name)
        case .concat:
            if let view = try inPlaceConcat(sources, out) { return view }
            var descriptors = sources.map(\.descriptor.raw)
            var pd: dnnl_primitive_desc_t?
            try dnnl("concat (\(node.name))", dnnl_concat_primitive_desc_create(
                &pd, nil, Int32(sources.count), 1, &descriptors, nil, engine.engine))
            let descriptor = PrimitiveDescriptor(owning: pd!)
            let arguments = sources.enumerated().map { (fs_dnnl_arg_multiple_src(Int32($0.offset)), $0.element) }
            return try bind(descriptor, arguments, node.name)
        case .linear(let l):
            return try linear(l, sources[0], node.name)
        case .activation(let activations):
            var current = sources[0]
            for (algorithm, alpha, beta) in activations.flatMap(\.eltwise) {
                var description = dnnl_eltwise_desc_t()
                var data = current.descriptor.raw
                try dnnl("eltwise_forward_desc_init", dnnl_eltwise_forward_desc_init(
                    &description, dnnl_forward_inference, algorithm, &data, alpha, beta))
                let pd = try PrimitiveDescriptor(&description, nil, engine, "eltwise (\(node.name))")
                current = try bind(pd, [(FS_DNNL_ARG_SRC, current)], node.name)
            }
            return current
        }
    }

    private func convolution(_ c: Convolution, _ source: Memory, _ out: FeatureShape, _ name: String) throws -> Memory {
        let s = source.descriptor.dims
        let o = c.weightShape[0], perGroup = c.weightShape[1], kh = c.weightShape[2], kw = c.weightShape[3]
        let weightDims = c.groups > 1 ? [c.groups, o / c.groups, perGroup, kh, kw] : [o, perGroup, kh, kw]
        let maps = mapLayout ?? dnnl_format_tag_any
        var src = try MemoryDescriptor(s, s[1] > 4 ? maps : dnnl_format_tag_any).raw
        var weights = try MemoryDescriptor(weightDims, dnnl_format_tag_any).raw
        var bias = try MemoryDescriptor([o], dnnl_x).raw
        var dst = try MemoryDescriptor([1] + out.dims, maps).raw
        var description = dnnl_convolution_desc_t()
        let hasBias = !c.bias.isEmpty
        try withUnsafeMutablePointer(to: &bias) { biasPointer in
            try dnnl("convolution_forward_desc_init (\(name))", dnnl_dilated_convolution_forward_desc_init(
                &description, dnnl_forward_inference, dnnl_convolution_direct, &src, &weights,
                hasBias ? biasPointer : nil, &dst,
                [Int64(c.stride.0), Int64(c.stride.1)], [Int64(c.dilation.0 - 1), Int64(c.dilation.1 - 1)],
                [Int64(c.padding.0), Int64(c.padding.1)], [Int64(c.padding.2), Int64(c.padding.3)]))
        }
        let pd = try PrimitiveDescriptor(&description, try Attributes(activations: c.activations), engine, "convolution (\(name))")
        let input = try conform(source, to: pd.descriptor(dnnl_query_src_md), name)
        let plainWeights = try MemoryDescriptor(weightDims, c.groups > 1 ? dnnl_goihw : dnnl_oihw)
        var arguments = [
            (FS_DNNL_ARG_SRC, input),
            (FS_DNNL_ARG_WEIGHTS, try constant(c.weights, plainWeights, as: pd.descriptor(dnnl_query_weights_md))),
        ]
        if hasBias { arguments.append((FS_DNNL_ARG_BIAS, try constant(c.bias, try MemoryDescriptor([o], dnnl_x), as: nil))) }
        let result = try bind(pd, arguments, name)
        steps.last!.multiplyAccumulates = out.count * perGroup * kh * kw
        steps.last!.kind = (c.groups > 1 && perGroup == 1 ? "depthwise " : "conv ") + "\(kh)x\(kw)"
        return result
    }

    /// The pointwise-then-depthwise pair as one oneDNN convolution with a depthwise post-op,
    /// or nil when the pair does not have that form or oneDNN has no JIT kernel for it: then the
    /// two run as separate primitives. Where jit_1x1 cannot take the post-op itself (channel-last
    /// maps; some shapes and thread counts even in blocked layout, e.g. MobileNetV2's 24 -> 144
    /// pairs at one thread on AVX-512), oneDNN 2.6 falls back to ref_fused_convolution, whose
    /// values are wrong and differ from run to run at one thread (the golden tests caught it).
    private func fusedPair(_ first: LayerGraph.Node, _ second: LayerGraph.Node, _ source: Memory) throws -> Memory? {
        guard case .convolution(let pointwise) = first.operation, case .convolution(let depthwise) = second.operation,
              pointwise.weightShape[2] == 1, pointwise.weightShape[3] == 1, pointwise.groups == 1,
              pointwise.stride == (1, 1), pointwise.padding == (0, 0, 0, 0),
              depthwise.weightShape[1] == 1, depthwise.groups == depthwise.weightShape[0],
              depthwise.weightShape[2] == 3, depthwise.weightShape[3] == 3, depthwise.padding == (1, 1, 1, 1),
              depthwise.stride.0 == depthwise.stride.1, depthwise.stride.0 <= 2, depthwise.dilation == (1, 1),
              !depthwise.bias.isEmpty, !pointwise.bias.isEmpty
        else { return nil }
        let s = source.descriptor.dims, o = pointwise.weightShape[0]
        guard let maps = mapLayout else { return nil }
        var src = try MemoryDescriptor(s, maps).raw
        var weights = try MemoryDescriptor([o, s[1], 1, 1], dnnl_format_tag_any).raw
        var bias = try MemoryDescriptor([o], dnnl_x).raw
        var dst = try MemoryDescriptor([1] + first.shape.dims, maps).raw
        var description = dnnl_convolution_desc_t()
        try dnnl("convolution_forward_desc_init (\(first.name))", dnnl_dilated_convolution_forward_desc_init(
            &description, dnnl_forward_inference, dnnl_convolution_direct, &src, &weights, &bias, &dst,
            [1, 1], [0, 0], [0, 0], [0, 0]))
        let attributes = try Attributes(
            activations: pointwise.activations,
            depthwise: .init(stride: depthwise.stride.0, activations: depthwise.activations))
        let pd: PrimitiveDescriptor
        do {
            pd = try PrimitiveDescriptor(&description, attributes, engine, "convolution (\(first.name) + \(second.name))")
        } catch let failure as DNNLFailure where failure.status == dnnl_unimplemented {
            return nil
        }
        guard !pd.isReference, pd.descriptor(dnnl_query_dst_md).dims == [1] + second.shape.dims else { return nil }
        let input = try conform(source, to: pd.descriptor(dnnl_query_src_md), first.name)
        let channels = depthwise.weightShape[0]
        let result = try bind(pd, [
            (FS_DNNL_ARG_SRC, input),
            (FS_DNNL_ARG_WEIGHTS, try constant(pointwise.weights, try MemoryDescriptor([o, s[1], 1, 1], dnnl_oihw),
                                               as: pd.descriptor(dnnl_query_weights_md))),
            (FS_DNNL_ARG_BIAS, try constant(pointwise.bias, try MemoryDescriptor([o], dnnl_x), as: nil)),
            (FS_DNNL_ARG_DW_WEIGHTS, try constant(depthwise.weights, try MemoryDescriptor([channels, 1, 1, 3, 3], dnnl_goihw),
                                                  as: pd.descriptor(argument: FS_DNNL_ARG_DW_WEIGHTS))),
            (FS_DNNL_ARG_DW_BIAS, try constant(depthwise.bias, try MemoryDescriptor([channels], dnnl_x),
                                               as: pd.descriptor(argument: FS_DNNL_ARG_DW_BIAS))),
        ], second.name)
        steps.last!.multiplyAccumulates = first.shape.count * s[1] + second.shape.count * 9
        steps.last!.kind = "conv 1x1 + depthwise 3x3"
        return result
    }

    private func linear(_ l: Linear, _ source: Memory, _ name: String) throws -> Memory {
        let s = source.descriptor.dims
        let o = l.weightShape[0]
        let weightDims = [o] + Array(s.dropFirst())
        var src = source.descriptor.raw
        var weights = try MemoryDescriptor(weightDims, dnnl_format_tag_any).raw
        var bias = try MemoryDescriptor([o], dnnl_x).raw
        var dst = try MemoryDescriptor([1, o], dnnl_format_tag_any).raw
        var description = dnnl_inner_product_desc_t()
        try dnnl("inner_product_forward_desc_init (\(name))", dnnl_inner_product_forward_desc_init(
            &description, dnnl_forward_inference, &src, &weights, &bias, &dst))
        let pd = try PrimitiveDescriptor(&description, try Attributes(activations: l.activations), engine, "inner product (\(name))")
        let input = try conform(source, to: pd.descriptor(dnnl_query_src_md), name)
        let plainWeights = try MemoryDescriptor(weightDims, weightDims.count == 2 ? dnnl_oi : dnnl_oihw)
        let result = try bind(pd, [
            (FS_DNNL_ARG_SRC, input),
            (FS_DNNL_ARG_WEIGHTS, try constant(l.weights, plainWeights, as: pd.descriptor(dnnl_query_weights_md))),
            (FS_DNNL_ARG_BIAS, try constant(l.bias, try MemoryDescriptor([o], dnnl_x), as: nil)),
        ], name)
        steps.last!.multiplyAccumulates = l.weightShape.reduce(1, *)
        steps.last!.kind = "linear"
        return result
    }

    /// An element-wise add or multiply (the squeeze-and-excitation scale broadcasts a C x 1 x 1
    /// vector). Both operands in the first one's layout; where oneDNN has only a reference kernel
    /// for that (a broadcast over blocked maps on SSE4.1), in plain C x H x W, reordered there and back.
    private func binary(_ algorithm: dnnl_alg_kind_t, _ sources: [Memory], _ activations: [Activation], _ name: String) throws -> Memory {
        let first = sources[0].descriptor, second = sources[1].descriptor
        let sameShape = first.dims == second.dims
        let candidates = [
            (first, sameShape ? first : second),
            (try MemoryDescriptor(first.dims, dnnl_nchw), try MemoryDescriptor(second.dims, dnnl_nchw)),
        ]
        var chosen: (PrimitiveDescriptor, MemoryDescriptor, MemoryDescriptor)?
        for (a, b) in candidates {
            var description = dnnl_binary_desc_t()
            var src0 = a.raw, src1 = b.raw, dst = a.raw
            try dnnl("binary_desc_init (\(name))", dnnl_binary_desc_init(&description, algorithm, &src0, &src1, &dst))
            let pd = try PrimitiveDescriptor(&description, try Attributes(activations: activations), engine, "binary (\(name))")
            chosen = (pd, a, b)
            if !pd.isReference { break }
        }
        let (pd, a, b) = chosen!
        let operands = [(FS_DNNL_ARG_SRC, try conform(sources[0], to: a, name)), (FS_DNNL_ARG_SRC_1, try conform(sources[1], to: b, name))]
        return try bind(pd, operands, name)
    }

    /// A concatenation with no copy: the map of the whole, into which the steps that make its
    /// parts write directly. In the blocked layout of one frame (channel blocks, then rows, then
    /// columns, then the block's channels) a part whose channels fill whole blocks is one
    /// contiguous run of the whole. oneDNN's concat of SqueezeNet's fire modules ran on its
    /// `simple:any` copy at about 4 GB/s, 25-29 % of the head on AVX2 (found by outside testing).
    /// Nil when the parts do not allow it (not blocked, a partial block, a map already placed).
    private func inPlaceConcat(_ sources: [Memory], _ out: FeatureShape) throws -> Memory? {
        guard let maps = mapLayout else { return nil }
        let block = InstructionSet.current.channelBlock
        let parts = try sources.map { source -> Int? in
            let dims = source.descriptor.dims
            guard dims.count == 4, dims[0] == 1, dims[1] % block == 0, source !== input, !placed.contains(ObjectIdentifier(source)),
                  source.descriptor.sameLayout(as: try MemoryDescriptor(dims, maps)) else { return nil }
            return dims[1]
        }
        guard parts.allSatisfy({ $0 != nil }), Set(sources.map(ObjectIdentifier.init)).count == sources.count else { return nil }
        let whole = try Memory(try MemoryDescriptor([1] + out.dims, maps), engine)
        var offset = 0
        for (source, channels) in zip(sources, parts) {
            try dnnl("memory_set_data_handle", dnnl_memory_set_data_handle(source.handle, whole.pointer + offset))
            placed.insert(ObjectIdentifier(source))
            offset += channels! * out.height * out.width
        }
        placed.insert(ObjectIdentifier(whole))
        return whole
    }

    /// Creates the destination of `pd`, adds the step that fills it, and returns it.
    private func bind(_ pd: PrimitiveDescriptor, _ arguments: [(Int32, Memory)], _ name: String) throws -> Memory {
        let destination = try Memory(pd.descriptor(dnnl_query_dst_md), engine)
        steps.append(try Step(pd, arguments + [(FS_DNNL_ARG_DST, destination)], name: name))
        return destination
    }

    /// `source` itself when it already has the layout a primitive wants, else a reordered copy
    /// made by an extra step.
    private func conform(_ source: Memory, to wanted: MemoryDescriptor, _ name: String) throws -> Memory {
        if source.descriptor.sameLayout(as: wanted) { return source }
        let copy = try Memory(wanted, engine)
        steps.append(try reorder(source, into: copy, name: name + " (reorder)"))
        return copy
    }

    /// Weights: copied into a plain buffer, then reordered once, now, into the layout wanted.
    private func constant(_ values: [Float], _ plain: MemoryDescriptor, as wanted: MemoryDescriptor?) throws -> Memory {
        let memory = try Memory(plain, engine)
        guard plain.byteSize == values.count * MemoryLayout<Float>.size else {
            throw ModelError.runtime("weights of \(values.count) values do not fill \(plain.dims)")
        }
        values.withUnsafeBufferPointer { memory.pointer.update(from: $0.baseAddress!, count: values.count) }
        guard let wanted, !plain.sameLayout(as: wanted) else { return memory }
        let converted = try Memory(wanted, engine)
        try reorder(memory, into: converted, name: "weights").run(engine)
        try dnnl("stream_wait", dnnl_stream_wait(engine.stream))
        return converted
    }

    private func reorder(_ source: Memory, into destination: Memory, name: String) throws -> Step {
        var pd: dnnl_primitive_desc_t?
        var from = source.descriptor.raw, to = destination.descriptor.raw
        try dnnl("reorder (\(name))", dnnl_reorder_primitive_desc_create(&pd, &from, engine.engine, &to, engine.engine, nil))
        return try Step(PrimitiveDescriptor(owning: pd!), [(FS_DNNL_ARG_FROM, source), (FS_DNNL_ARG_TO, destination)], name: name)
    }
}
