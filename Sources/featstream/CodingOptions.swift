import ArgumentParser
import FeatCodec
import FeatModel
import FeatStream

/// Quantizer and coding-tool options of `encode`.
struct CodingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Quantizer bits per value (2-16): 2^bits levels per channel.", valueName: "bits"))
    var bits: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Quantizer levels per channel (2-65536), a finer control than --bits.", valueName: "levels"))
    var levels: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Step mode: one continuous knob, the feature SNR aimed at in dB (0-120); sets one quantizer step for the tensor.",
        valueName: "dB"), transform: DecimalOption.double)
    var quality: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Step mode: code each frame as a base layer and N-1 refinement layers (1-8; 1 is plain step mode), each +9.5 dB, so a reader can stop after any layer; --quality is what all of them give.",
        valueName: "N"))
    var layers: Int?

    /// What step mode's distortion weighs.
    enum Weighting: String, ExpressibleByArgument, CaseIterable {
        case task, mse
    }

    @Option(help: "Step mode: 'task' scales each channel's step by how much the model's tail notices it (measured once per checkpoint), 'mse' treats channels alike. (default: task)")
    var weighting: Weighting?

    /// What step mode codes: the values, or their 7x7-tile DCT.
    enum Transform: String, ExpressibleByArgument, CaseIterable {
        case none, dct
    }

    @Option(help: "Step mode: 'dct' codes each channel's 7x7-tile DCT with a step per frequency, scaled by how much the model's tail notices it (measured once per checkpoint; format 1.9), 'none' the values. (default: none)")
    var transform: Transform?

    /// How step mode codes its levels.
    enum Entropy: String, ExpressibleByArgument, CaseIterable {
        case tables, adaptive
    }

    @Option(help: "Step mode's entropy coder: 'tables' (rANS with tables learnt as the stream goes; format 1.5) or 'adaptive' (a binary range coder, about half as fast to decode, for readers before 1.5; layered files always use it).")
    var entropy: Entropy?

    @Flag(help: "Bit-exact float32 (no quantization).")
    var lossless = false

    @Flag(help: "Exact float16 values (no further quantization); values beyond ±65504 become ±65504, with a warning.")
    var fp16 = false

    @Option(parsing: .unconditional, help: "Level mode (--bits, --levels): extra half-width of the bin at zero, in steps (0-1; default 0).", transform: DecimalOption.float)
    var deadZone: Float?

    @Option(parsing: .unconditional, help: "Level mode (--bits, --levels): percent of values clipped off each tail of a channel's range in an I-frame (default \(CodingSettings().clipPercent)).", transform: DecimalOption.double)
    var clip: Double?

    @Option(parsing: .unconditional, help: "An I-frame at least every this many seconds (random access; default: \(CodingSettings().gopSeconds)).", transform: DecimalOption.double)
    var gop: Double = CodingSettings().gopSeconds

    @Flag(help: "Code every frame alone: no temporal prediction.")
    var intraOnly = false

    /// `--dead-zone` or `--clip` when given: they shape level mode's bins only.
    var levelOption: String? { deadZone != nil ? "--dead-zone" : clip != nil ? "--clip" : nil }

    func validate() throws {
        let modes = [bits != nil, levels != nil, quality != nil, lossless, fp16].filter { $0 }.count
        guard modes <= 1 else { throw ValidationError("choose one of --bits, --levels, --quality, --lossless, --fp16") }
        if transform == .dct && (modes > 0 && quality == nil || (layers ?? 1) > 1 || entropy == .adaptive) {
            throw ValidationError("--transform dct: codes single-layer step mode (--quality or rate control, without --layers or --entropy adaptive)")
        }
        if entropy != nil && (modes > 0 && quality == nil || (layers ?? 1) > 1) {
            throw ValidationError("--entropy: chooses the coder of single-layer step mode (--quality or rate control, without --layers)")
        }
        // Accepted and ignored before (found by outside testing).
        if weighting != nil && modes > 0 && quality == nil { throw ValidationError("--weighting: weighs step mode's distortion (--quality or rate control)") }
        if let levelOption, quality != nil || lossless || fp16 {
            throw ValidationError("\(levelOption): shapes level mode's bins (--bits, --levels), not --quality, --lossless or --fp16")
        }
        if let layers, !(1...CodingSettings.maxLayers).contains(layers) {
            throw ValidationError("--layers: \(layers) is out of range (1 to \(CodingSettings.maxLayers) layers)")
        }
        if let bits, !(2...16).contains(bits) { throw ValidationError("--bits: \(bits) is out of range (2 to 16)") }
        do { try settings.validate() } catch let invalid as CodingSettings.Invalid { throw ValidationError(invalid.description) }
    }

    /// The settings for `model`'s features: with `--weighting task` in step mode, its channel
    /// weights (a one-line notice and plain MSE for a checkpoint without a classifier).
    func settings(for model: Model) throws -> CodingSettings {
        var s = settings
        if transform == .dct, (weighting ?? .task) == .task {
            let measuring = { Terminal.note("measuring how much \(model.spec.name)'s tail notices each DCT frequency of \(model.split), once for this checkpoint (cached)") }
            let uncached = { (reason: String) in Terminal.warn("the frequency sensitivity is not cached, so every run measures it again: \(reason)") }
            s.frequencyWeights = try TaskWeights.frequencyWeights(for: model, measuring: measuring, uncached: uncached)
        }
        guard s.quality != nil, (weighting ?? .task) == .task else { return s }
        let measuring = { Terminal.note("measuring how much \(model.spec.name)'s tail notices each channel of \(model.split), once for this checkpoint (cached)") }
        let uncached = { (reason: String) in Terminal.warn("the channel sensitivity is not cached, so every run measures it again: \(reason)") }
        if let weights = try TaskWeights.weights(for: model, measuring: measuring, uncached: uncached) {
            s.channelWeights = weights
        } else {
            Terminal.note("\(model.weightsPath) has no classifier to measure channel sensitivity with: --weighting mse")
        }
        return s
    }

    var settings: CodingSettings {
        var s = CodingSettings()
        if lossless {
            s.precision = .float32
        } else if fp16 {
            s.precision = .float16
        } else if let quality {
            if let layers, layers > 1 {
                s.precision = .layeredSteps(quality: quality, layers: layers)
            } else {
                s.precision = transform == .dct ? .transformedSteps(quality: quality)
                    : entropy == .adaptive ? .steps(quality: quality) : .stepMode(quality: quality)
            }
        } else {
            s.precision = .quantized(levels: levels ?? (1 << (bits ?? 8)))
        }
        s.deadZone = deadZone ?? 0
        s.clipPercent = clip ?? CodingSettings().clipPercent
        s.gopSeconds = gop
        s.intraOnly = intraOnly
        return s
    }
}
