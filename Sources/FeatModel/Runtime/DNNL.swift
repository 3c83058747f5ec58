import CDNNL
import Foundation

// The one place featstream talks to oneDNN's C API (2.x). oneDNN 3.0 replaced the operation
// descriptors with direct primitive-descriptor constructors; a port changes this file only.

/// A failure inside oneDNN, with the call that failed.
struct DNNLFailure: Error, CustomStringConvertible {
    let call: String
    let status: dnnl_status_t
    var description: String { "oneDNN \(call) failed (status \(status.rawValue))" }
}

@inline(__always)
func dnnl(_ call: String, _ status: dnnl_status_t) throws {
    if status != dnnl_success { throw DNNLFailure(call: call, status: status) }
}

/// The CPU engine and an in-order stream; one per model.
final class Engine {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    init() throws {
        var engine: dnnl_engine_t?
        try dnnl("engine_create", dnnl_engine_create(&engine, dnnl_cpu, 0))
        var stream: dnnl_stream_t?
        try dnnl("stream_create", dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue))
        self.engine = engine!
        self.stream = stream!
    }

    deinit {
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }

    /// e.g. "2.6.3".
    static var version: String {
        let v = dnnl_version().pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// oneDNN's OpenMP threads for every primitive run after this call (0: one per core).
    static func setThreads(_ threads: Int) {
        // 0 must undo an earlier model's count, not keep it.
        _ = fs_omp_set_num_threads(Int32(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount))
    }
}

/// The instruction set oneDNN's kernels use on this CPU (or the one `ONEDNN_MAX_CPU_ISA` caps
/// it to), and the channel block its JIT kernels for blocked feature maps are written for.
public struct InstructionSet: Sendable, Equatable, CustomStringConvertible {
    /// e.g. "avx512_core", "avx2", "sse41".
    public let name: String
    /// Channels per block of oneDNN's blocked layout: 16 on AVX-512, 8 below it. oneDNN 2.6 has
    /// JIT kernels for 16-channel blocks only on AVX-512; a 16-channel map on AVX2 or SSE4.1 runs
    /// on its reference kernels, hundreds of times slower.
    public let channelBlock: Int

    /// The name, e.g. "avx2".
    public var description: String { name }

    /// What oneDNN will use, read once (oneDNN fixes it at its first ISA query).
    public static let current: InstructionSet = {
        let isa = dnnl_get_effective_cpu_isa()
        let name: String
        switch isa {
        case dnnl_cpu_isa_sse41: name = "sse41"
        case dnnl_cpu_isa_avx: name = "avx"
        case dnnl_cpu_isa_avx2: name = "avx2"
        case dnnl_cpu_isa_avx2_vnni: name = "avx2_vnni"
        case dnnl_cpu_isa_avx512_mic: name = "avx512_mic"
        case dnnl_cpu_isa_avx512_mic_4ops: name = "avx512_mic_4ops"
        case dnnl_cpu_isa_avx512_core: name = "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: name = "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: name = "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: name = "avx512_core_amx"
        default: name = "isa 0x" + String(isa.rawValue, radix: 16)
        }
        // Every AVX-512 level carries the avx512_mic (0x8) or avx512_core (0x20) bit.
        let avx512 = isa.rawValue & 0x28 != 0
        return InstructionSet(name: name, channelBlock: avx512 ? 16 : 8)
    }()

    /// oneDNN's tag for a 4-d map with `channelBlock` channels per block.
    var blockedTag: dnnl_format_tag_t { channelBlock == 16 ? dnnl_aBcd16b : dnnl_aBcd8b }
}

/// A memory descriptor: dimensions, data type (always f32 here) and layout.
struct MemoryDescriptor {
    var raw = dnnl_memory_desc_t()

    /// A plain layout (`dnnl_nchw`, `dnnl_oihw`, `dnnl_goihw`, `dnnl_nc`, `dnnl_oi`, `dnnl_x`),
    /// or `dnnl_format_tag_any` to let the primitive choose.
    init(_ dims: [Int], _ tag: dnnl_format_tag_t) throws {
        let d = dims.map(Int64.init)
        try dnnl("memory_desc_init_by_tag", dnnl_memory_desc_init_by_tag(&raw, Int32(d.count), d, dnnl_f32, tag))
    }

    init(raw: dnnl_memory_desc_t) { self.raw = raw }

    var dims: [Int] {
        var copy = raw.dims
        return withUnsafeBytes(of: &copy) { Array($0.bindMemory(to: Int64.self).prefix(Int(raw.ndims))).map(Int.init) }
    }

    var byteSize: Int {
        var copy = raw
        return dnnl_memory_desc_get_size(&copy)
    }

    func sameLayout(as other: MemoryDescriptor) -> Bool {
        var a = raw, b = other.raw
        return dnnl_memory_desc_equal(&a, &b) != 0
    }
}

/// A buffer oneDNN owns, described by a memory descriptor.
final class Memory {
    let handle: dnnl_memory_t
    let descriptor: MemoryDescriptor

    init(_ descriptor: MemoryDescriptor, _ engine: Engine) throws {
        var memory: dnnl_memory_t?
        var raw = descriptor.raw
        try dnnl("memory_create", dnnl_memory_create(&memory, &raw, engine.engine, FS_DNNL_MEMORY_ALLOCATE))
        handle = memory!
        self.descriptor = descriptor
    }

    deinit { dnnl_memory_destroy(handle) }

    var pointer: UnsafeMutablePointer<Float> {
        var data: UnsafeMutableRawPointer?
        dnnl_memory_get_data_handle(handle, &data)
        return data!.assumingMemoryBound(to: Float.self)
    }
}

/// A primitive descriptor: the implementation oneDNN picked, and the layouts it wants.
final class PrimitiveDescriptor {
    let handle: dnnl_primitive_desc_t

    /// From an operation descriptor (`dnnl_convolution_desc_t`, ...) and post-op attributes.
    init<Operation>(_ operation: inout Operation, _ attributes: Attributes?, _ engine: Engine, _ what: String) throws {
        var pd: dnnl_primitive_desc_t?
        try withUnsafePointer(to: &operation) { op in
            try dnnl(what, dnnl_primitive_desc_create(&pd, op, attributes?.handle, engine.engine, nil))
        }
        handle = pd!
    }

    init(owning handle: dnnl_primitive_desc_t) { self.handle = handle }

    /// The implementation oneDNN chose, e.g. "jit_1x1:avx2", "jit_dw:avx512_core" or "ref:any".
    var implementation: String {
        var text: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(handle, dnnl_query_impl_info_str, 0, &text) == dnnl_success, let text else { return "unknown" }
        return String(cString: text)
    }

    /// oneDNN's reference kernels: plain loops, hundreds of times slower than its JIT ones, and
    /// (ref_fused_convolution, at one thread) wrong from run to run. Never used per frame.
    var isReference: Bool { implementation.hasPrefix("ref") }

    deinit { dnnl_primitive_desc_destroy(handle) }

    func descriptor(_ query: dnnl_query_t) -> MemoryDescriptor {
        MemoryDescriptor(raw: dnnl_primitive_desc_query_md(handle, query, 0).pointee)
    }

    /// The layout of an execution argument such as the depthwise post-op's weights.
    func descriptor(argument: Int32) -> MemoryDescriptor {
        MemoryDescriptor(raw: dnnl_primitive_desc_query_md(handle, dnnl_query_exec_arg_md, argument).pointee)
    }
}

/// Post-ops fused into a primitive: element-wise activations after it runs.
final class Attributes {
    let handle: dnnl_primitive_attr_t

    /// A depthwise 3x3 convolution run on the primitive's output before it is stored
    /// (oneDNN's "dw" post-op: the 1x1-then-depthwise pair never writes its large middle map).
    struct Depthwise {
        let stride: Int
        let activations: [Activation]
    }

    init(activations: [Activation], depthwise: Depthwise? = nil) throws {
        var attr: dnnl_primitive_attr_t?
        try dnnl("primitive_attr_create", dnnl_primitive_attr_create(&attr))
        handle = attr!
        var ops: dnnl_post_ops_t?
        try dnnl("post_ops_create", dnnl_post_ops_create(&ops))
        defer { dnnl_post_ops_destroy(ops) }
        func append(_ activations: [Activation]) throws {
            for (algorithm, alpha, beta) in activations.flatMap(\.eltwise) {
                try dnnl("post_ops_append_eltwise", dnnl_post_ops_append_eltwise(ops, 1, algorithm, alpha, beta))
            }
        }
        try append(activations)
        if let depthwise {
            try dnnl("post_ops_append_dw", dnnl_post_ops_append_dw(
                ops, dnnl_f32, dnnl_f32, dnnl_f32, 3, Int64(depthwise.stride), 1, 0, 0, nil))
            try append(depthwise.activations)
        }
        try dnnl("primitive_attr_set_post_ops", dnnl_primitive_attr_set_post_ops(handle, ops))
    }

    deinit { dnnl_primitive_attr_destroy(handle) }
}

/// A ready-to-run primitive with its arguments bound.
final class Step {
    let handle: dnnl_primitive_t
    var arguments: [dnnl_exec_arg_t]
    /// Kept alive as long as the step: the memories its arguments point to.
    private let retained: [Memory]
    let name: String
    /// The implementation oneDNN chose for it (`PrimitiveDescriptor.implementation`).
    let implementation: String
    /// Multiply-accumulates per run (convolutions and linear layers; 0 for the rest).
    var multiplyAccumulates = 0
    /// What it is, for profiles: "conv 3x3", "conv 1x1", "depthwise 3x3", "pool", ...
    var kind = ""

    init(_ descriptor: PrimitiveDescriptor, _ arguments: [(Int32, Memory)], name: String) throws {
        var primitive: dnnl_primitive_t?
        try dnnl("primitive_create (\(name))", dnnl_primitive_create(&primitive, descriptor.handle))
        handle = primitive!
        self.arguments = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        retained = arguments.map(\.1)
        self.name = name
        implementation = descriptor.implementation
    }

    deinit { dnnl_primitive_destroy(handle) }

    func run(_ engine: Engine) throws {
        try dnnl("primitive_execute (\(name))",
                 dnnl_primitive_execute(handle, engine.stream, Int32(arguments.count), arguments))
    }
}

extension Activation {
    /// The oneDNN element-wise operations that compute this activation, in order.
    var eltwise: [(dnnl_alg_kind_t, Float, Float)] {
        switch self {
        case .relu: return [(dnnl_eltwise_relu, 0, 0)]
        case .relu6: return [(dnnl_eltwise_clip, 0, 6)]
        case .hardswish: return [(dnnl_eltwise_hardswish, 0, 0)]
        // hardsigmoid(x) = clip(x / 6 + 1/2, 0, 1); oneDNN 2.6 has no single op for it.
        case .hardsigmoid: return [(dnnl_eltwise_linear, 1.0 / 6.0, 0.5), (dnnl_eltwise_clip, 0, 1)]
        case .sigmoid: return [(dnnl_eltwise_logistic, 0, 0)]
        }
    }
}
