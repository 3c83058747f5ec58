import Foundation

/// How tensors are coded: the quantizer and the coding tools.
public struct CodingSettings: Codable, Sendable, Equatable, CustomStringConvertible {
    /// What a decoded value can be: a quantizer level, or exact float16 or float32 bits.
    public enum Precision: Codable, Sendable, Equatable {
        /// Per-channel uniform quantizer with this many levels over each channel's range (2^bits
        /// for --bits): the simple fixed-level mode.
        case quantized(levels: Int)
        /// One uniform step for the whole tensor (scaled per channel by `channelWeights`), set
        /// from a quality in dB: the step a uniform quantizer needs for that feature SNR at high
        /// rate (`StepQuantizer.step`). Levels are unbounded integers, zero is exact, temporal
        /// prediction works on values, and a frame may carry its own quality (rate control).
        case steps(quality: Double)
        /// Step mode with the frame coded as tokens through rANS, with tables learnt as the
        /// stream goes (`TabledLevelCoder`, format 1.5): the same quantizer and channel modes as
        /// `steps`, 1.5-3x faster to decode at the same size (README, "Feature codec").
        case tabledSteps(quality: Double)
        /// Table-coded step mode on each channel's 7x7-tile DCT (`TileTransform`): each
        /// frequency's step scaled by `frequencyWeights`, prediction and skipping in the
        /// transformed domain, and (format 1.9, `"transformedMixed"`) a P-frame's channel coded
        /// in values instead where that costs less (`StepCoder.Mode.inValues`).
        case transformedSteps(quality: Double)
        /// `transformedSteps` as format 1.8 (`"transformed"`) coded it, every channel in the
        /// transformed domain: read and written only for such files.
        case transformedSteps18(quality: Double)
        /// Step mode in `layers` layers (`--layers`): a base layer coded as `steps`, then
        /// refinement layers, each with a third of the step before (+9.54 dB), so a reader may
        /// stop after any layer. `quality` is what all the layers give together. Format 1.6
        /// (`"layeredCarried"`): in P-frames a refinement layer's context model starts from
        /// where the same layer of the previous frame left it, and a channel predicted from
        /// that layer codes its levels in contexts of how far the layers below moved each value
        /// (`RefinementCoder`). Format 1.7 (`"layeredCompact"`): the refinement layers' packets
        /// have compact headers and the index lists base layers only (docs/FORMAT.md).
        case layeredSteps(quality: Double, layers: Int)
        /// `layeredSteps` as format 1.6 (`"layeredCarried"`) wrote it: the same coding, every
        /// refinement packet with a full header and an index entry. Read, extracted and written
        /// only for such files.
        case layeredSteps16(quality: Double, layers: Int)
        /// `layeredSteps` as format 1.4 (`"layered"`) coded it: every refinement layer's model
        /// fresh, predicted levels in plain contexts. Read, extracted and written only for such files.
        case layeredSteps14(quality: Double, layers: Int)
        /// `layeredSteps` as format 1.3 (`"layeredSteps"`) coded it, also without the previous
        /// frame in the refined levels' contexts: read, extracted and written only for such files.
        case layeredSteps13(quality: Double, layers: Int)
        /// Exact float16 round trip.
        case float16
        /// Bit-exact float32.
        case float32

        /// The parameter set's keys; 1.3's, 1.4's and 1.6's layered files keep theirs.
        enum CodingKeys: String, CodingKey {
            case quantized, steps, tabledSteps, transformedSteps = "transformedMixed", transformedSteps18 = "transformed", layeredSteps = "layeredCompact", layeredSteps16 = "layeredCarried", layeredSteps14 = "layered"
            case layeredSteps13 = "layeredSteps"
            case float16, float32
        }

        /// Step mode as `encode --quality` writes it by default: table-coded (`tabledSteps`).
        public static func stepMode(quality: Double) -> Precision { .tabledSteps(quality: quality) }

        /// What a transformed form codes a P-frame's channel in: always its DCT (format 1.8), or
        /// its DCT or its values (1.9); nil for the other forms.
        public enum Transformed: Sendable { case always, mixed }

        /// Which transformed form this is; nil for the others.
        public var transformed: Transformed? {
            switch self {
            case .transformedSteps: return .mixed
            case .transformedSteps18: return .always
            default: return nil
            }
        }

        /// Quality and layer count of either layered form; nil otherwise.
        public var layering: (quality: Double, layers: Int)? {
            switch self {
            case .layeredSteps(let quality, let layers), .layeredSteps16(let quality, let layers), .layeredSteps14(let quality, let layers),
                 .layeredSteps13(let quality, let layers):
                return (quality, layers)
            default: return nil
            }
        }

        /// This form with `layers` layers of `quality` (step mode for one layer), keeping an
        /// older file's coding of the refinements.
        public func relayered(quality: Double, layers: Int) -> Precision {
            if layers == 1 { return .steps(quality: quality) }
            switch self {
            case .layeredSteps13: return .layeredSteps13(quality: quality, layers: layers)
            case .layeredSteps14: return .layeredSteps14(quality: quality, layers: layers)
            case .layeredSteps16: return .layeredSteps16(quality: quality, layers: layers)
            default: return .layeredSteps(quality: quality, layers: layers)
            }
        }

        /// Whether refinement layers are sent in compact packets, not indexed (format 1.7):
        /// a 52-byte header and a 24-byte index entry per refinement were 1.4 of the 10.8 %
        /// three layers cost at 25 fps (README, "Progressive (layered) files").
        public var compactRefinements: Bool {
            if case .layeredSteps = self { return true }
            return false
        }
    }

    /// The quantizer or float precision; 256 levels (8 bits) by default.
    public var precision: Precision = .quantized(levels: 256)
    /// Extra half-width of the bin around zero, in steps (0: plain rounding).
    public var deadZone: Float = 0
    /// Per-channel range: this percentage of values is clipped off each tail of the I-frame.
    public var clipPercent: Double = 0.1
    /// An I-frame at least this often (random access). 10 s, like a long streaming segment:
    /// at 2 s every heartbeat of a static scene (one per 2 s by default) would be an I-frame.
    public var gopSeconds: Double = 10
    /// Code every frame alone (no temporal prediction).
    public var intraOnly = false
    /// Step mode: relative step per channel (nil: every channel alike, plain MSE); from the
    /// model's tail sensitivity with `--weighting task`. Their geometric mean is 1.
    public var channelWeights: [Float]?
    /// Transformed step mode: relative step per DCT frequency (`TileTransform.frequencies`, u
    /// major), from the tail's sensitivity (`FrequencySensitivity`, `TaskWeights`).
    public var frequencyWeights: [Float]?

    /// The defaults: 256 levels, no dead zone, 0.1 % clipped, an I-frame at least every 10 s.
    public init() {}

    /// The nominal quality of step mode (of every layer together); nil otherwise.
    public var quality: Double? {
        switch precision {
        case .steps(let quality), .tabledSteps(let quality), .transformedSteps(let quality), .transformedSteps18(let quality): return quality
        default: return precision.layering?.quality
        }
    }

    /// Layers each frame is coded in: 1 unless layered step mode.
    public var layers: Int {
        precision.layering?.layers ?? 1
    }

    /// The most layers a stream may have.
    public static let maxLayers = 8

    /// What one refinement layer adds to the quality: its step is a third of the step before.
    public static let layerGain = 20 * log10(Double(RefinementCoder.divisor))

    /// How many layers `quality` can have, as an error says it: "at most 2 layers at 19.08
    /// dB" (with one decimal, 19.0849 read 19.1, where 3 layers fit).
    static func layerLimit(_ quality: Double) -> String {
        let most = 1 + Int(quality / layerGain)
        return String(format: "at most %d %@ at %.2f dB: each adds %.2f dB", most, most == 1 ? "layer" : "layers", quality, layerGain)
    }

    /// The nominal quality of the first `count` layers of layered step mode (of step mode for 1).
    public func quality(ofLayers count: Int) -> Double? {
        quality.map { $0 - Double(layers - count) * CodingSettings.layerGain }
    }

    /// The quantizer's level count; nil for float16 and float32.
    public var levels: Int? {
        if case .quantized(let levels) = precision { return levels }
        return nil
    }

    /// One line, as `encode` and `info` print it.
    public var description: String {
        let precision: String
        // A layer's quality read alone (an extracted file) is not a round figure: 10.915... dB.
        func dB(_ quality: Double) -> Double { (quality * 100).rounded() / 100 }
        switch self.precision {
        case .quantized(let levels): precision = "\(levels) levels per channel, clip \(clipPercent) %, dead zone \(deadZone)"
        case .steps(let quality):
            precision = "steps for \(dB(quality)) dB" + (channelWeights == nil ? ", mse" : ", task-weighted")
        case .tabledSteps(let quality):
            precision = "steps for \(dB(quality)) dB, table-coded" + (channelWeights == nil ? ", mse" : ", task-weighted")
        case .transformedSteps(let quality), .transformedSteps18(let quality):
            precision = "steps for \(dB(quality)) dB on 7x7 DCT tiles" + (self.precision.transformed == .mixed ? " or values" : "") + ", table-coded" + (channelWeights == nil ? ", mse" : ", task-weighted")
                + (frequencyWeights == nil ? "" : ", frequency-weighted")
        case .layeredSteps(let quality, let layers), .layeredSteps16(let quality, let layers), .layeredSteps14(let quality, let layers),
             .layeredSteps13(let quality, let layers):
            let each = (1...layers).map { String(format: "%.1f", self.quality(ofLayers: $0)!) }.joined(separator: ", ")
            precision = "steps for \(dB(quality)) dB in \(layers) layers (\(each) dB)" + (channelWeights == nil ? ", mse" : ", task-weighted")
        case .float16: precision = "float16"
        case .float32: precision = "lossless float32"
        }
        return precision + "; " + (intraOnly ? "intra only" : "I-frame at least every \(gopSeconds) s")
    }

    /// A setting outside its range, named as the command line names it.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        /// The command-line option, without its dashes, e.g. "clip".
        public let option: String
        /// The value given, as text.
        public let value: String
        /// The valid range, in words, e.g. "0 to 1 steps".
        public let expected: String
        /// "--OPTION: VALUE is out of range (EXPECTED)".
        public var description: String { "--\(option): \(value) is out of range (\(expected))" }

        /// `option` without its dashes; `value` as given; `expected` the range in words.
        public init(option: String, value: String, expected: String) {
            (self.option, self.value, self.expected) = (option, value, expected)
        }
    }

    /// The valid ranges (finite numbers only), checked before anything runs.
    public func validate() throws {
        try validateDecoding()
        guard deadZone.isFinite, (0...1).contains(deadZone) else { throw Invalid(option: "dead-zone", value: "\(deadZone)", expected: "0 to 1 steps") }
        guard clipPercent.isFinite, (0..<50).contains(clipPercent) else {
            throw Invalid(option: "clip", value: "\(clipPercent)", expected: "0 to under 50 percent")
        }
        guard gopSeconds.isFinite, gopSeconds > 0, gopSeconds <= 86400 else {
            throw Invalid(option: "gop", value: "\(gopSeconds)", expected: "over 0, up to 86400 seconds")
        }
    }

    /// `validate`, and the channel weights (if any) one per channel of `channels`.
    public func validate(channels: Int) throws {
        try validate()
        try validateDecoding(channels: channels)
    }

    /// What a decoder needs to hold, checked on reading a file: the precision and the channel
    /// weights (one per channel of `channels`, when given). The encoder-only settings (dead
    /// zone, clip, group length) are records, and older files wrote them under looser rules.
    public func validateDecoding(channels: Int? = nil) throws {
        if case .quantized(let levels) = precision, !(2...65536).contains(levels) {
            throw Invalid(option: "levels", value: "\(levels)", expected: "2 to 65536 levels")
        }
        if let quality, !(quality.isFinite && (0...120).contains(quality)) {
            throw Invalid(option: "quality", value: "\(quality)", expected: "0 to 120 dB")
        }
        if let (quality, layers) = precision.layering {
            guard (1...CodingSettings.maxLayers).contains(layers) else {
                throw Invalid(option: "layers", value: "\(layers)", expected: "1 to \(CodingSettings.maxLayers) layers")
            }
            // The base layer's quality must be one step mode can code.
            guard let base = self.quality(ofLayers: 1), base >= 0 else {
                throw Invalid(option: "layers", value: "\(layers)", expected: CodingSettings.layerLimit(quality))
            }
        }
        if let weights = channelWeights {
            guard quality != nil else { throw Invalid(option: "weighting", value: "task", expected: "step mode (--quality) only") }
            if let bad = weights.first(where: { !($0.isFinite && (0.001...1000).contains($0)) }) {
                throw Invalid(option: "weighting", value: "channel weight \(bad)", expected: "0.001 to 1000")
            }
            if let channels, weights.count != channels {
                throw Invalid(option: "weighting", value: "\(weights.count) channel weights", expected: "one per channel, \(channels)")
            }
        }
        if let weights = frequencyWeights {
            guard precision.transformed != nil else { throw Invalid(option: "transform", value: "frequency weights", expected: "--transform dct only") }
            if let bad = weights.first(where: { !($0.isFinite && (0.001...1000).contains($0)) }) {
                throw Invalid(option: "transform", value: "frequency weight \(bad)", expected: "0.001 to 1000")
            }
            guard weights.count == TileTransform.frequencies else {
                throw Invalid(option: "transform", value: "\(weights.count) frequency weights", expected: "\(TileTransform.frequencies)")
            }
        }
    }
}
