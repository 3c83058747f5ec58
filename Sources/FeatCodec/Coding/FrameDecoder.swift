/// Rebuilds tensors from frame payloads: the exact inverse of `FrameEncoder`.
public final class FrameDecoder {
    /// Why a payload cannot be decoded; the stream decoder then skips to the next I-frame.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        /// A P-frame arrived without the frame it predicts from (after a loss, or a seek).
        case noReference
        case damaged(String)

        /// One line, as problem reports print it.
        public var description: String {
            switch self {
            case .noReference: return "P-frame without its reference frame"
            case .damaged(let what): return "damaged frame data (\(what))"
            }
        }
    }

    /// How the frames were coded (the stream's `ParameterSet.coding`).
    public let settings: CodingSettings
    /// C, H, W of every tensor, in elements.
    public let shape: [Int]
    /// The group's quantizers, from its I-frame.
    private(set) var quantizers: [ChannelQuantizer] = []
    private var previous: [Int32]?
    /// Step mode: its coder, and the previous reconstruction it predicts from (transformed
    /// mode: its coefficients).
    private let steps: StepCoder?
    private var previousValues: [Float]?
    /// Table-coded step mode: what the previous frame's tables ended with.
    private var previousStatistics: TabledLevelCoder.Statistics?
    /// Layered step mode: the layers of the frame being decoded so far, and those the previous
    /// frame had (base first; empty while an I-frame is decoded: its refinements predict from nothing).
    private var currentLayers: [[Float]] = []
    private var previousLayers: [[Float]] = []
    /// Where each refinement layer's model ended, beside `currentLayers` and `previousLayers`
    /// (format 1.6; nil for the base layer and older formats).
    private var currentStates: [LevelModel.State?] = []
    private var previousStates: [LevelModel.State?] = []

    /// A decoder for C x H x W tensors coded with `settings`; it starts without a reference frame.
    public init(settings: CodingSettings, shape: [Int]) {
        self.settings = settings
        self.shape = shape
        steps = settings.quality == nil ? nil : StepCoder(settings: settings, shape: shape)
    }

    var channels: Int { shape[0] }
    var plane: Int { shape[1] * shape[2] }

    /// Forgets the reference (after a lost frame: the next P-frames cannot be decoded).
    public func reset() {
        previous = nil
        previousValues = nil
        previousStatistics = nil
        currentLayers = []
        previousLayers = []
        currentStates = []
        previousStates = []
    }

    /// Decodes one frame's payload into a C x H x W tensor and keeps it as the next reference.
    /// Throws `Failure`, leaving the reference as it was.
    public func decode(_ payload: ArraySlice<UInt8>, type: FrameType) throws -> Tensor {
        do {
            return try decodeChecked(payload, type: type)
        } catch is ByteReader.OutOfData {
            throw Failure.damaged("payload ends early")
        }
    }

    /// Layered step mode: decodes refinement layer `layer` (1 ... N-1) of the frame whose lower
    /// layers were decoded last, and returns what the layers so far give. Throws `Failure`
    /// (`noReference` when the layer below, or this layer of the previous frame, is missing),
    /// leaving the frame at the layers it had.
    public func refine(_ payload: ArraySlice<UInt8>, layer: Int, type: FrameType) throws -> Tensor {
        guard let steps, (1..<settings.layers).contains(layer) else { throw Failure.damaged("layer \(layer) in a stream of \(settings.layers)") }
        guard currentLayers.count == layer else { throw Failure.noReference }
        if type == .predicted && previousLayers.count <= layer { throw Failure.noReference }
        let reference = type == .intra ? nil : previousLayers[layer]
        do {
            let (values, state) = try RefinementCoder(steps: steps, precision: settings.precision)
                .decode(payload, below: currentLayers[layer - 1], previous: reference, start: type == .intra ? nil : previousStates[layer])
            currentLayers.append(values)
            currentStates.append(state)
            return Tensor(shape: shape, values: values)
        } catch is ByteReader.OutOfData {
            throw Failure.damaged("payload ends early")
        }
    }

    private func decodeChecked(_ payload: ArraySlice<UInt8>, type: FrameType) throws -> Tensor {
        if let steps {
            if type == .predicted && previousValues == nil { throw Failure.noReference }
            let (values, reference, statistics) = try steps.decode(payload, type: type, previous: type == .intra ? nil : previousValues,
                                                                   statistics: previousStatistics)
            previousValues = reference
            previousStatistics = statistics
            // The previous frame's layers become the references of the same layers.
            previousLayers = type == .intra ? [] : currentLayers
            previousStates = type == .intra ? [] : currentStates
            currentLayers = [values]
            currentStates = [nil]
            return Tensor(shape: shape, values: values)
        }
        if type == .predicted && previous == nil { throw Failure.noReference }
        var reader = ByteReader(payload)
        var symbols = [Int32](repeating: 0, count: channels * plane)
        var fresh: [ChannelQuantizer] = []
        var refreshed: [Int: ChannelQuantizer] = [:]
        for c in 0..<channels {
            let range = (c * plane)..<((c + 1) * plane)
            guard let mode = ChannelMode(rawValue: try reader.u8()), type == .predicted || mode == .intra else {
                throw Failure.damaged("channel \(c): bad mode")
            }
            if type == .intra || mode == .refresh, let levels = settings.levels {
                let low = try reader.f32(), step = try reader.f32()
                guard low.isFinite, step.isFinite, step > 0 else { throw Failure.damaged("channel \(c): bad range") }
                let quantizer = ChannelQuantizer(low: low, step: step, levels: levels, deadZone: settings.deadZone)
                if type == .intra { fresh.append(quantizer) } else { refreshed[c] = quantizer }
            } else if mode == .refresh {
                throw Failure.damaged("channel \(c): range refresh in a lossless stream")
            }
            if mode == .skip {
                for i in range { symbols[i] = previous![i] }
                continue
            }
            let length = Int(try reader.u32())
            let data = try reader.take(length)
            var zero: Int32 = 0  // the level intra symbols are coded from (lossless: none)
            if settings.levels != nil {
                let group = quantizers.indices.contains(c) ? quantizers[c] : nil
                guard let active = type == .intra ? fresh.last : refreshed[c] ?? group else {
                    throw Failure.damaged("channel \(c): no quantizer range")
                }
                zero = active.zeroLevel
            }
            let decoded = try channel(data, mode: mode, zero: zero, channel: c)
            for i in 0..<plane {
                let value = mode == .inter ? combine(previous![range.lowerBound + i], decoded[i]) : decoded[i]
                if let levels = settings.levels, value < 0 || value >= Int32(levels) {
                    throw Failure.damaged("channel \(c): level out of range")
                }
                symbols[range.lowerBound + i] = value
            }
        }
        guard reader.remaining == 0 else { throw Failure.damaged("\(reader.remaining) stray bytes") }
        if type == .intra { quantizers = fresh }
        for (c, quantizer) in refreshed { quantizers[c] = quantizer }
        previous = symbols
        return Tensor(shape: shape, values: FrameDecoder.values(of: symbols, precision: settings.precision, quantizers: quantizers, plane: plane))
    }

    private func combine(_ reference: Int32, _ residual: Int32) -> Int32 {
        settings.levels != nil ? reference &+ residual : reference ^ residual
    }

    /// The channel's symbols: levels (intra, quantized), residuals (inter) or raw bits.
    private func channel(_ data: ArraySlice<UInt8>, mode: ChannelMode, zero: Int32, channel c: Int) throws -> [Int32] {
        switch settings.precision {
        case .steps, .tabledSteps, .transformedSteps, .transformedSteps18, .layeredSteps, .layeredSteps16, .layeredSteps14, .layeredSteps13: preconditionFailure("step mode is decoded by StepCoder")
        case .quantized(let levels):
            guard let decoded = SymbolModel.decode(data, count: plane, width: shape[2], limit: Int32(levels)) else {
                throw Failure.damaged("channel \(c): undecodable")
            }
            return mode == .inter ? decoded : decoded.map { $0 &+ zero }
        case .float16, .float32:
            let planes = settings.precision == .float16 ? 2 : 4
            guard let words = ByteModel.decode(data, count: plane, planes: planes) else {
                throw Failure.damaged("channel \(c): undecodable")
            }
            return words.map { Int32(bitPattern: $0) }
        }
    }

    /// Symbols back to values; shared with the encoder so both rebuild identical tensors.
    static func values(of symbols: [Int32], precision: CodingSettings.Precision, quantizers: [ChannelQuantizer], plane: Int) -> [Float] {
        switch precision {
        case .steps, .tabledSteps, .transformedSteps, .transformedSteps18, .layeredSteps, .layeredSteps16, .layeredSteps14, .layeredSteps13: preconditionFailure("step mode is decoded by StepCoder")
        case .quantized:
            var values = [Float](repeating: 0, count: symbols.count)
            for (c, q) in quantizers.enumerated() {
                for i in (c * plane)..<((c + 1) * plane) { values[i] = q.dequantize(symbols[i]) }
            }
            return values
        case .float16:
            return symbols.map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) }
        case .float32:
            return symbols.map { Float(bitPattern: UInt32(bitPattern: $0)) }
        }
    }
}
