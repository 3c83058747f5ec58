/// Codes a sequence of C x H x W tensors frame by frame: quantization, temporal prediction
/// in the quantized domain (closed loop: the reference is exactly what the decoder holds, so
/// nothing drifts), and per-channel entropy coding into one sub-stream per channel.
public final class FrameEncoder {
    /// `--fp16`: values beyond float16's range coded as ±65504 so far (`HalfFloat`).
    public private(set) var saturatedValues = 0
    /// How every frame is coded.
    public let settings: CodingSettings
    /// C, H, W of every tensor, in elements.
    public let shape: [Int]
    private var quantizers: [ChannelQuantizer] = []
    /// The previous frame as the decoder holds it: quantized levels, or raw bits (lossless).
    private var previous: [Int32]?
    private var lastIntraSeconds = -Double.infinity
    /// Step mode: its coder, and the previous reconstruction it predicts from (transformed
    /// mode: its coefficients).
    private let steps: StepCoder?
    private var previousValues: [Float]?
    /// Transformed step mode: the previous reconstruction's values (`previousValues` holds its coefficients).
    private var previousDecoded: [Float]?
    /// Table-coded step mode: what the previous frame's tables ended with.
    private var previousStatistics: TabledLevelCoder.Statistics?
    /// Layered step mode: the previous frame's refinement layers (1 ... N-1), references of the same layers.
    private var previousLayers: [[Float]] = []
    /// Where the previous frame's refinement layers left their models (format 1.6).
    private var previousLayerStates: [LevelModel.State?] = []

    /// `shape` is C x H x W.
    public init(settings: CodingSettings, shape: [Int]) {
        precondition(shape.count == 3)
        self.settings = settings
        self.shape = shape
        steps = settings.quality == nil ? nil : StepCoder(settings: settings, shape: shape)
    }

    var channels: Int { shape[0] }
    var plane: Int { shape[1] * shape[2] }

    /// Step mode: codes one frame at `quality` without taking it as the reference, so a rate
    /// controller can try several qualities and `accept` the one it sends. Layered step mode:
    /// `quality` is what every layer gives together; the base layer has `layerGain` dB less per
    /// refinement layer.
    public func trial(_ tensor: Tensor, seconds: Double, forceIntra: Bool, quality: Double) -> EncodedFrame {
        precondition(tensor.shape == shape || tensor.shape == [1] + shape)
        guard let steps else { preconditionFailure("trial encoding is for step mode") }
        let intra = forceIntra || settings.intraOnly || previousValues == nil || seconds - lastIntraSeconds >= settings.gopSeconds
        let layers = settings.layers
        let baseQuality = quality - Double(layers - 1) * CodingSettings.layerGain
        let frameStep = StepQuantizer.step(quality: baseQuality, rms: StepQuantizer.rms(tensor.values[...]))
        let base = steps.encode(tensor.values, previous: intra ? nil : previousValues, previousDecoded: previousDecoded, step: frameStep,
                                statistics: previousStatistics)
        guard layers > 1 else { return base }
        let refiner = RefinementCoder(steps: steps, precision: settings.precision)
        var refinements: [EncodedLayer] = []
        var below = base.reconstruction.values
        for k in 1..<layers {
            let layer = refiner.encode(tensor.values, below: below, previous: intra ? nil : previousLayers[k - 1],
                                       step: RefinementCoder.step(base: frameStep, layer: k), start: intra ? nil : previousLayerStates[k - 1])
            refinements.append(EncodedLayer(payload: layer.payload, reconstruction: Tensor(shape: shape, values: layer.reconstruction),
                                            channelModes: layer.channelModes, modelState: layer.state))
            below = layer.reconstruction
        }
        return EncodedFrame(type: base.type, payload: base.payload, reconstruction: Tensor(shape: shape, values: below),
                            channelModes: base.channelModes, codedSymbols: base.codedSymbols, refinements: refinements,
                            compactRefinements: settings.precision.compactRefinements, baseLayer: base.reconstruction)
    }

    /// Step mode: whether the frame at `seconds` must be an I-frame although it is not a cut
    /// (no reference yet, or the group is over), so a rate controller sends it like one.
    public func refreshDue(seconds: Double) -> Bool {
        !settings.intraOnly && (previousValues == nil || seconds - lastIntraSeconds >= settings.gopSeconds)
    }

    /// Step mode: takes a frame from `trial` as sent (the next frame predicts from it).
    public func accept(_ frame: EncodedFrame, seconds: Double) {
        if frame.type == .intra { lastIntraSeconds = seconds }
        previousValues = frame.predictionReference
        previousDecoded = frame.transformed == nil ? nil : frame.reconstruction.values
        previousStatistics = frame.levelStatistics
        previousLayers = frame.refinements.map(\.reconstruction.values)
        previousLayerStates = frame.refinements.map(\.modelState)
    }

    /// Codes one frame. `forceIntra`: a cut or the caller's choice. An I-frame is also coded
    /// when the group (`gopSeconds`) is over, and whenever every channel of a P-frame would be
    /// coded alone anyway (intra is no more expensive there, and it restarts the ranges).
    /// `quality` (step mode): this frame's quality in dB instead of the settings'.
    public func encode(_ tensor: Tensor, seconds: Double, forceIntra: Bool = false, quality: Double? = nil) -> EncodedFrame {
        precondition(tensor.shape == shape || tensor.shape == [1] + shape)
        if steps != nil {
            let frame = trial(tensor, seconds: seconds, forceIntra: forceIntra, quality: quality ?? settings.quality!)
            accept(frame, seconds: seconds)
            return frame
        }
        let wantIntra = forceIntra || settings.intraOnly || previous == nil || seconds - lastIntraSeconds >= settings.gopSeconds
        let saturatedBefore = saturatedValues
        if !wantIntra, let predicted = codePredicted(tensor.values),
           predicted.channelModes[Int(ChannelMode.intra.rawValue)] + predicted.channelModes[Int(ChannelMode.refresh.rawValue)] < channels {
            return predicted
        }
        saturatedValues = saturatedBefore  // the P-frame attempt's values are counted again below
        lastIntraSeconds = seconds
        return codeIntra(tensor.values)
    }

    private func codeIntra(_ values: [Float]) -> EncodedFrame {
        var writer = ByteWriter()
        var coded: [Int32] = []
        var symbols = [Int32](repeating: 0, count: values.count)
        if let levels = settings.levels {
            quantizers = (0..<channels).map {
                ChannelQuantizer(fitting: values[($0 * plane)..<(($0 + 1) * plane)], levels: levels,
                                 clipPercent: settings.clipPercent, deadZone: settings.deadZone)
            }
        }
        for c in 0..<channels {
            writeAlone(c, values, .intra, &symbols, &writer, &coded)
        }
        previous = symbols
        return EncodedFrame(type: .intra, payload: writer.bytes, reconstruction: reconstruct(symbols),
                            channelModes: [0, channels, 0, 0], codedSymbols: coded)
    }

    /// A P-frame, or nil without a reference.
    private func codePredicted(_ values: [Float]) -> EncodedFrame? {
        guard let previous else { return nil }
        var writer = ByteWriter()
        var symbols = [Int32](repeating: 0, count: values.count)
        var modes = [0, 0, 0, 0]
        var coded: [Int32] = []
        for c in 0..<channels {
            let range = (c * plane)..<((c + 1) * plane)
            if let levels = settings.levels, leavesRange(values[range], quantizers[c]) {
                // Clipping would cost more than a new range: code the channel alone with one.
                quantizers[c] = ChannelQuantizer(fitting: values[range], levels: levels, clipPercent: settings.clipPercent,
                                                 deadZone: settings.deadZone)
                writeAlone(c, values, .refresh, &symbols, &writer, &coded)
                modes[Int(ChannelMode.refresh.rawValue)] += 1
                continue
            }
            symbol(values, range, into: &symbols)
            var residual = [Int32](repeating: 0, count: plane)
            var allZero = true
            for i in 0..<plane {
                let r = settings.levels != nil ? symbols[range.lowerBound + i] &- previous[range.lowerBound + i]
                                               : symbols[range.lowerBound + i] ^ previous[range.lowerBound + i]
                residual[i] = r
                if r != 0 { allZero = false }
            }
            if allZero {
                writer.u8(ChannelMode.skip.rawValue)
                modes[0] += 1
                continue
            }
            let inter = codeResidual(residual)
            let alone = codeAlone(symbols[range], channel: c)
            let mode: ChannelMode = alone.count < inter.count ? .intra : .inter
            let data = mode == .intra ? alone : inter
            coded += mode == .intra ? aloneSymbols(symbols[range], channel: c) : residual
            writer.u8(mode.rawValue)
            writer.u32(UInt32(data.count))
            writer.append(data)
            modes[Int(mode.rawValue)] += 1
        }
        self.previous = symbols
        return EncodedFrame(type: .predicted, payload: writer.bytes, reconstruction: reconstruct(symbols), channelModes: modes,
                            codedSymbols: coded)
    }

    /// Writes channel `c` coded alone (intra, or refresh with its new range), with its range
    /// when quantized, and records its symbols.
    private func writeAlone(_ c: Int, _ values: [Float], _ mode: ChannelMode, _ symbols: inout [Int32],
                            _ writer: inout ByteWriter, _ coded: inout [Int32]) {
        let range = (c * plane)..<((c + 1) * plane)
        symbol(values, range, into: &symbols)
        writer.u8(mode.rawValue)
        if !quantizers.isEmpty {
            writer.f32(quantizers[c].low)
            writer.f32(quantizers[c].step)
        }
        let data = codeAlone(symbols[range], channel: c)
        coded += aloneSymbols(symbols[range], channel: c)
        writer.u32(UInt32(data.count))
        writer.append(data)
    }

    /// Whether clipping a channel to its quantizer's range would cost more than a quarter of its
    /// quantization noise (step^2 / 12 per value): then a new range is worth its 8 bytes and the
    /// intra coding. Small excursions are clipped instead.
    private func leavesRange(_ values: ArraySlice<Float>, _ q: ChannelQuantizer) -> Bool {
        let low = q.low, high = q.dequantize(q.levels - 1)
        var clipping: Float = 0
        for x in values {
            let excess = x < low ? low - x : x > high ? x - high : 0
            clipping += excess * excess
        }
        return clipping > 0.25 * Float(values.count) * q.step * q.step / 12
    }

    /// Quantized levels, or the raw bits of float32 / float16 values.
    private func symbol(_ values: [Float], _ range: Range<Int>, into symbols: inout [Int32]) {
        let c = range.lowerBound / plane
        switch settings.precision {
        case .quantized:
            let q = quantizers[c]
            for i in range { symbols[i] = q.quantize(values[i]) }
        case .steps, .tabledSteps, .transformedSteps, .transformedSteps18, .layeredSteps, .layeredSteps16, .layeredSteps14, .layeredSteps13: preconditionFailure("step mode is coded by StepCoder")
        case .float16:
            for i in range { symbols[i] = Int32(HalfFloat.bits(values[i], saturated: &saturatedValues)) }
        case .float32:
            for i in range { symbols[i] = Int32(bitPattern: values[i].bitPattern) }
        }
    }

    /// The symbols an intra-coded channel hands the entropy coder.
    private func aloneSymbols(_ symbols: ArraySlice<Int32>, channel: Int) -> [Int32] {
        guard settings.levels != nil else { return Array(symbols) }
        let zero = quantizers[channel].zeroLevel
        return symbols.map { $0 - zero }
    }

    private func codeAlone(_ symbols: ArraySlice<Int32>, channel: Int) -> [UInt8] {
        switch settings.precision {
        case .steps, .tabledSteps, .transformedSteps, .transformedSteps18, .layeredSteps, .layeredSteps16, .layeredSteps14, .layeredSteps13: preconditionFailure("step mode is coded by StepCoder")
        case .quantized:
            return SymbolModel.encode(aloneSymbols(symbols, channel: channel), width: shape[2])
        case .float16: return ByteModel.encode(symbols.map { UInt32(bitPattern: $0) }, planes: 2)
        case .float32: return ByteModel.encode(symbols.map { UInt32(bitPattern: $0) }, planes: 4)
        }
    }

    private func codeResidual(_ residual: [Int32]) -> [UInt8] {
        switch settings.precision {
        case .steps, .tabledSteps, .transformedSteps, .transformedSteps18, .layeredSteps, .layeredSteps16, .layeredSteps14, .layeredSteps13: preconditionFailure("step mode is coded by StepCoder")
        case .quantized: return SymbolModel.encode(residual, width: shape[2])
        case .float16: return ByteModel.encode(residual.map { UInt32(bitPattern: $0) }, planes: 2)
        case .float32: return ByteModel.encode(residual.map { UInt32(bitPattern: $0) }, planes: 4)
        }
    }

    private func reconstruct(_ symbols: [Int32]) -> Tensor {
        Tensor(shape: shape, values: FrameDecoder.values(of: symbols, precision: settings.precision, quantizers: quantizers, plane: plane))
    }
}
