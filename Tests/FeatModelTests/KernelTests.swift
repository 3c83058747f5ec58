import FeatCodec
import FeatModel
import Foundation
import TestSupport
import Testing

/// No model, at any split point, head or tail, built for one or two threads, runs a step on
/// oneDNN's reference kernels (`ref:any` is hundreds of times slower; `ref_fused_convolution`
/// has given wrong values at one thread). `make test` runs this suite and the golden one again
/// under ONEDNN_MAX_CPU_ISA=AVX2 and SSE41, so the ISAs users have are covered on any machine.
@Suite(.serialized) struct KernelTests {
    /// oneDNN honours the cap the test plan sets; otherwise the AVX2 and SSE4.1 runs would
    /// silently test this machine's ISA again.
    @Test func runsOnTheInstructionSetAskedFor() {
        let isa = Model.instructionSet
        print("oneDNN instruction set: \(isa.name), \(isa.channelBlock)-channel blocks")
        switch ProcessInfo.processInfo.environment["ONEDNN_MAX_CPU_ISA"]?.uppercased() {
        case "AVX2": #expect(isa.name == "avx2" && isa.channelBlock == 8)
        case "SSE41": #expect(isa.name == "sse41" && isa.channelBlock == 8)
        case .some(let other): Issue.record("the test plan does not know ONEDNN_MAX_CPU_ISA=\(other)")
        case nil: #expect(isa.channelBlock == (isa.name.hasPrefix("avx512") ? 16 : 8))
        }
    }

    @Test(arguments: ModelZoo.names)
    func noReferenceKernels(name: String) throws {
        let spec = try ModelZoo.spec(named: name)
        let kind = spec.weights.fileName.contains("mobilenet_v2") || name == "efficientnet_lite0" ? "pretrained" : "random"
        let weights = Golden.weights(model: name, kind: kind, pretrainedFile: spec.weights.fileName)
        for threads in [1, 2] {
            let model = try Model(spec: spec, weights: weights, threads: threads)
            let kernels = try model.kernels()
            #expect(Set(kernels.map(\.split)) == Set(spec.splitPoints))
            #expect(kernels.filter { $0.part == "tail" }.count > 0, "\(name): no tail compiled")
            // Nor a head on oneDNN's `simple` kernels, which are not JIT either: SqueezeNet's
            // concatenations ran on `simple:any` copies, a quarter of its head (now in place).
            // (Tails have a few: the logits' 1,000-value output, a pooling that starts one.)
            for kernel in kernels where kernel.isReference || (kernel.part == "head" && kernel.implementation.hasPrefix("simple")) {
                Issue.record("\(name) split \(kernel.split) \(kernel.part), \(threads) thread(s): \(kernel.step) runs on \(kernel.implementation) (\(Model.instructionSet))")
            }
            let counts = Dictionary(grouping: kernels, by: \.implementation).mapValues(\.count)
            print("\(name), \(threads) thread(s), \(Model.instructionSet): \(kernels.count) steps over \(spec.splitPoints.count) splits: "
                  + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }
}
