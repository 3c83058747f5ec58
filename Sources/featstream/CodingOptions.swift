import ArgumentParser
import FeatCodec

/// Quantizer and coding-tool options of `encode`.
struct CodingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Quantizer bits per value (2-16): 2^bits levels per channel.", valueName: "bits"))
    var bits: Int?

    @Option(help: ArgumentHelp("Quantizer levels per channel (2-65536), a finer control than --bits.", valueName: "levels"))
    var quality: Int?

    @Flag(help: "Bit-exact float32 (no quantization).")
    var lossless = false

    @Flag(help: "Exact float16 values (no further quantization).")
    var fp16 = false

    @Option(help: "Dead zone: extra half-width of the bin at zero, in steps (0-1).")
    var deadZone: Float = 0

    @Option(help: "Per-channel range: percent of values clipped off each tail of an I-frame.")
    var clip: Double = CodingSettings().clipPercent

    @Option(help: "An I-frame at least every this many seconds (random access).")
    var gop: Double = CodingSettings().gopSeconds

    @Flag(help: "Code every frame alone: no temporal prediction.")
    var intraOnly = false

    func validate() throws {
        let modes = [bits != nil, quality != nil, lossless, fp16].filter { $0 }.count
        guard modes <= 1 else { throw ValidationError("choose one of --bits, --quality, --lossless, --fp16") }
        if let bits, !(2...16).contains(bits) { throw ValidationError("--bits: \(bits) is out of range (2 to 16)") }
        do { try settings.validate() } catch let invalid as CodingSettings.Invalid { throw ValidationError(invalid.description) }
    }

    var settings: CodingSettings {
        var s = CodingSettings()
        if lossless {
            s.precision = .float32
        } else if fp16 {
            s.precision = .float16
        } else {
            s.precision = .quantized(levels: quality ?? (1 << (bits ?? 8)))
        }
        s.deadZone = deadZone
        s.clipPercent = clip
        s.gopSeconds = gop
        s.intraOnly = intraOnly
        return s
    }
}
