/// Step mode (`CodingSettings.Precision.steps`, `tabledSteps` and `transformedSteps`): one
/// frame's channels quantized with a uniform step (per channel: step x weight), every level
/// coded through one context-modelled range coder (`LevelModel`, format 1.2) or one rANS stream
/// with learnt tables (`TabledLevelCoder`, format 1.5). Transformed step mode (format 1.8) codes
/// each channel's weighted 7x7-tile DCT (`TileTransform`) the same way: there "values" and
/// "reconstruction" below are coefficients, and only the output is transformed back; from
/// format 1.9 a P-frame's channel may instead be predicted in values (`Mode.inValues`), where a
/// change confined to a few positions stays a few levels. In a P-frame each channel is skipped
/// (the previous reconstruction stands), predicted from the previous reconstruction (closed
/// loop) with a weight of 1, 3/4 or 1/2, or coded alone, whichever costs least in distortion +
/// lambda x rate: an unchanged channel
/// costs one bit, and a channel that changed much keeps only part of its past (the weights save
/// 1.4 % of the bytes at 18 dB and 0.6 % at 30 dB on bikes at 5 fps).
///
/// Payload: the frame's step (f32), then one stream holding, channel after channel, its mode
/// (P-frames), its offset (coded alone) and its levels (docs/FORMAT.md, "Step mode" and
/// "Table-coded step mode"). Both coders code the same decisions.
///
/// Tried and removed (bench-codec --rd, bikes 5 fps, every grid frame): the same choice per
/// 7x7 tile instead of per channel saved 0.3 % at 30 dB and cost 0.2 % at 18 dB; rate-distortion optimised quantization (greedy, lambda 0.1 to 0.6 against this
/// model's costs) saved nothing at lambda 0.1 and cost up to 6 % more bytes at equal SNR above.
struct StepCoder {
    /// How a channel is coded.
    enum Mode: Equatable {
        /// The previous reconstruction stands (P-frames).
        case skip
        /// Alone, around an offset (its mean in steps), as every channel of an I-frame.
        case alone
        /// The difference from `weights[k]` x the previous reconstruction (P-frames).
        case predicted(Int)
        /// Transformed mode's P-frames (format 1.9): the difference from `weights[k]` x the
        /// previous frame's values, in values (`StepCoder.mixed`).
        case inValues(Int)

        /// The weights on the previous reconstruction a prediction may use.
        static let weights: [Float] = [1, 0.75, 0.5]

        /// Its place in `EncodedFrame.channelModes`.
        var channelMode: ChannelMode {
            switch self {
            case .skip: return .skip
            case .alone: return .intra
            case .predicted, .inValues: return .inter
            }
        }

        /// Its token in `TabledLevelCoder`: skip 0, alone 1, predicted with weight k 2 + k, in
        /// values with weight k 5 + k.
        var token: Int {
            switch self {
            case .skip: return 0
            case .alone: return 1
            case .predicted(let k): return 2 + k
            case .inValues(let k): return 2 + Mode.weights.count + k
            }
        }

        /// The mode of a token (0 ..< `TabledLevelCoder.modeTokens(mixed: true)`).
        init(token: Int) {
            let k = token - 2
            self = token == 0 ? .skip : token == 1 ? .alone : k < Mode.weights.count ? .predicted(k) : .inValues(k - Mode.weights.count)
        }

        /// The contexts its levels are coded in: 0 alone, 1 predicted, 2 in values; nil when
        /// skipped.
        var modeSet: Int? {
            switch self {
            case .skip: return nil
            case .alone: return 0
            case .predicted: return 1
            case .inValues: return 2
            }
        }
    }

    /// Rate-distortion trade-off of the mode decisions, in squared steps per bit: the slope of a
    /// uniform quantizer's distortion against its rate at high rate (2 ln 2 / 12).
    static let lambda: Float = 0.1155

    let shape: [Int]
    let channelWeights: [Float]?
    var channels: Int { shape[0] }
    var height: Int { shape[1] }
    var width: Int { shape[2] }
    var plane: Int { shape[1] * shape[2] }

    /// Whether the levels go through `TabledLevelCoder` (format 1.5) instead of `LevelModel`.
    let tabled: Bool
    /// Transformed step mode (format 1.8): what the channels are coded in, instead of values.
    let transform: TileTransform?
    /// Whether a P-frame's channel may be coded in values instead (`Mode.inValues`, format 1.9).
    let mixed: Bool

    init(settings: CodingSettings, shape: [Int]) {
        self.shape = shape
        channelWeights = settings.channelWeights
        switch settings.precision {
        case .tabledSteps:
            (tabled, transform) = (true, nil)
        case .transformedSteps, .transformedSteps18:
            (tabled, transform) = (true, TileTransform(height: shape[1], width: shape[2], frequencyWeights: settings.frequencyWeights))
        default:
            (tabled, transform) = (false, nil)
        }
        mixed = settings.precision.transformed == .mixed
    }

    /// Channel c's step for a frame step.
    @inline(__always)
    func step(_ frameStep: Float, channel c: Int) -> Float { frameStep * (channelWeights?[c] ?? 1) }

    /// Codes `values` with the frame step `frameStep`; `previous` is the last frame's
    /// `EncodedFrame.predictionReference` (nil: an I-frame), `previousDecoded` its
    /// reconstruction's values if the caller holds them (transformed mode: spares an inverse
    /// transform per trial), and `statistics` what the previous frame's tables ended with
    /// (table-coded P-frames).
    func encode(_ values: [Float], previous: [Float]?, previousDecoded: [Float]? = nil, step frameStep: Float,
                statistics: TabledLevelCoder.Statistics? = nil) -> EncodedFrame {
        let input = values
        let values = transform?.forward(values) ?? values
        // What a channel coded in values predicts from: the previous frame's values.
        let previousValues = mixed ? previous.map { previousDecoded ?? transform!.inverse($0) } : nil
        var inValues = [Int32](repeating: 0, count: previousValues == nil ? 0 : plane)
        var levels = [Int32](repeating: 0, count: values.count)
        var reconstruction = [Float](repeating: 0, count: values.count)
        var counts = [0, 0, 0, 0]
        var alone = [Int32](repeating: 0, count: plane)
        var trial = [Int32](repeating: 0, count: plane)
        var predicted = [Int32](repeating: 0, count: plane)
        var modes: [Mode] = [], offsets: [Int32] = []
        values.withUnsafeBufferPointer { all in
            for c in 0..<channels {
                let base = c * plane, s = step(frameStep, channel: c)
                let x = UnsafeBufferPointer(rebasing: all[base..<(base + plane)])
                var offset = StepQuantizer.nearest(StepCoder.mean(x) / s)
                var best = (mode: Mode.alone, cost: quantize(x, minus: nil, weight: 0, step: s, offset: offset, into: &alone))
                if tabled {
                    // Any offset rebuilds the same values; the cheapest makes the most common
                    // level 0: the mean's, or 0, the lowest or the highest where values pile
                    // up (a ReLU's zeros, a ReLU6's sixes). 1.2's step mode keeps the mean's.
                    let (low, high) = StepCoder.range(x)
                    for candidate in [0, StepQuantizer.nearest(low / s), StepQuantizer.nearest(high / s)] where candidate != offset {
                        let cost = quantize(x, minus: nil, weight: 0, step: s, offset: candidate, into: &trial)
                        if cost < best.cost {
                            best.cost = cost
                            offset = candidate
                            swap(&trial, &alone)
                        }
                    }
                }
                if let previous {
                    previous.withUnsafeBufferPointer { p in
                        let p = UnsafeBufferPointer(rebasing: p[base..<(base + plane)])
                        for (k, w) in Mode.weights.enumerated() {
                            let cost = quantize(x, minus: p, weight: w, step: s, offset: 0, into: &trial)
                            if cost < best.cost {
                                best = (.predicted(k), cost)
                                swap(&trial, &predicted)
                            }
                        }
                    }
                    if let previousValues {
                        // Errors in steps of `valueStep`, comparable with the coefficients'.
                        input.withUnsafeBufferPointer { v in
                            previousValues.withUnsafeBufferPointer { p in
                                let (v, p) = (UnsafeBufferPointer(rebasing: v[base..<(base + plane)]), UnsafeBufferPointer(rebasing: p[base..<(base + plane)]))
                                for (k, w) in Mode.weights.enumerated() {
                                    let cost = quantize(v, minus: p, weight: w, step: s * transform!.valueStep, offset: 0, into: &trial)
                                    if cost < best.cost {
                                        best = (.inValues(k), cost)
                                        swap(&trial, &inValues)
                                    }
                                }
                            }
                        }
                    }
                    previous.withUnsafeBufferPointer { p in
                        let p = UnsafeBufferPointer(rebasing: p[base..<(base + plane)])
                        if StepCoder.squaredError(x, p, step: s) <= best.cost { best.mode = .skip }
                    }
                }
                switch best.mode {
                case .alone: levels.replaceSubrange(base..<(base + plane), with: alone)
                case .predicted: levels.replaceSubrange(base..<(base + plane), with: predicted)
                case .inValues: levels.replaceSubrange(base..<(base + plane), with: inValues)
                case .skip: break
                }
                modes.append(best.mode)
                offsets.append(best.mode == .alone ? offset : 0)
                counts[Int(best.mode.channelMode.rawValue)] += 1
                rebuild(&reconstruction, levels, channel: c, mode: best.mode, offset: offset, previous: previous, previousValues: previousValues, step: s)
            }
        }
        var writer = ByteWriter()
        writer.f32(frameStep)
        var carried: TabledLevelCoder.Statistics?
        if tabled {
            let coded = TabledLevelCoder(height: height, width: width, bands: transform?.bands, mixed: mixed).encode(levels, modes: modes, offsets: offsets, predicted: previous != nil,
                                                                             start: previous == nil ? nil : statistics)
            writer.append(coded.bytes)
            carried = coded.statistics
        } else {
            writer.append(codeAdaptively(levels, modes: modes, offsets: offsets, predicted: previous != nil))
        }
        var frame = EncodedFrame(type: previous == nil ? .intra : .predicted, payload: writer.bytes,
                                 reconstruction: Tensor(shape: shape, values: transform?.inverse(reconstruction) ?? reconstruction),
                                 channelModes: counts, codedSymbols: levels, levelStatistics: carried)
        if transform != nil { frame.transformed = reconstruction }
        return frame
    }

    /// The range-coded stream of step mode (format 1.2): channel after channel, its mode
    /// (`predicted`: a P-frame), its offset (coded alone) and its levels (`LevelModel`).
    private func codeAdaptively(_ levels: [Int32], modes: [Mode], offsets: [Int32], predicted: Bool) -> [UInt8] {
        var model = LevelModel()
        var coder = RangeEncoder()
        var modeModel = ModeModel()
        for (c, mode) in modes.enumerated() {
            if predicted { modeModel.code(mode, &coder) }
            if mode == .alone { model.codeOffset(offsets[c], &coder) }
            if let set = mode.modeSet { code(levels, channel: c, modeSet: set, model: &model, coder: &coder) }
        }
        return coder.finish()
    }

    /// Nearest levels of (x - w p) / s - offset into `levels`; returns the squared error in steps
    /// plus lambda x a rough count of the bits they cost (the mode decision's measure): half a
    /// bit for a zero, 2.5 + 2 x its bit length for any other level.
    func quantize(_ x: UnsafeBufferPointer<Float>, minus p: UnsafeBufferPointer<Float>?, weight w: Float, step s: Float, offset: Int32,
                          into levels: inout [Int32]) -> Float {
        let inverse = 1 / s, o = Float(offset)
        // Eight values at a time, without a branch or a comparison per value (zero or not is
        // unpredictable, and vector comparisons compile to lane-by-lane code): the error in
        // eight partial sums, the bits counted exactly in half bits.
        var errors = SIMD8<Float>(), halfBits = SIMD8<Int32>(), outOfRange = SIMD8<Int32>()
        let lanes = x.count & ~7
        levels.withUnsafeMutableBufferPointer { out in
            var i = 0
            while i < lanes {
                var y = UnsafeRawPointer(x.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                if let p { y -= w * UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self) }
                y = y * inverse - o
                // y + 1.5 x 2^23 holds the nearest integer in its low mantissa bits while |y| < 2^22
                // (0x4a800000); a lane beyond, or NaN, marks the whole channel for `nearest`.
                let magnitude = unsafeBitCast(y, to: SIMD8<Int32>.self) & 0x7fff_ffff
                outOfRange |= ~(magnitude &- 0x4a80_0000)
                let shifted = y + 12_582_912, r = shifted - 12_582_912
                errors += (y - r) * (y - r)
                // The bit length of an integer |r| >= 1 is its float exponent + 1; 0 for 0.
                let exponent = ((unsafeBitCast(r, to: SIMD8<Int32>.self) & 0x7fff_ffff) &>> 23) &- 126
                let length = exponent & ~(exponent &>> 31)
                halfBits &+= length &* 4 &+ 1 &+ ((0 &- length) &>> 31) & 4
                UnsafeMutableRawPointer(out.baseAddress! + i).storeBytes(of: unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4b40_0000,
                                                                         as: SIMD8<Int32>.self)
                i += 8
            }
        }
        var error = errors.sum(), bits = Float(halfBits.wrappedSum()) / 2
        var start = lanes
        if (outOfRange &>> 31).wrappedSum() != 0 { (start, error, bits) = (0, 0, 0) }
        levels.withUnsafeMutableBufferPointer { out in
            for i in start..<x.count {
                let y = (p.map { x[i] - w * $0[i] } ?? x[i]) * inverse - o
                let q = StepQuantizer.fastNearest(y)
                error += (y - Float(q)) * (y - Float(q))
                bits += q == 0 ? 0.5 : 2.5 + 2 * Float(32 &- q.magnitude.leadingZeroBitCount)
                out[i] = q
            }
        }
        return error + StepCoder.lambda * bits
    }

    /// Squared error in steps of keeping `p` for `x`.
    static func squaredError(_ x: UnsafeBufferPointer<Float>, _ p: UnsafeBufferPointer<Float>, step s: Float) -> Float {
        // In eight partial sums, as `quantize`.
        var totals = SIMD8<Float>()
        let inverse = 1 / s, lanes = x.count & ~7
        for i in stride(from: 0, to: lanes, by: 8) {
            let d = (UnsafeRawPointer(x.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
                     - UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)) * inverse
            totals += d * d
        }
        var total = totals.sum()
        for i in lanes..<x.count {
            let d = (x[i] - p[i]) * inverse
            total += d * d
        }
        return total
    }

    /// The channel's lowest and highest value (in eight lanes: one chain of comparisons
    /// through every value cost a seventh of the encoder's time; the lane-wise comparisons
    /// written out, as `pointwiseMin` stayed a call).
    static func range(_ x: UnsafeBufferPointer<Float>) -> (low: Float, high: Float) {
        var lows = SIMD8<Float>(repeating: .infinity), highs = SIMD8<Float>(repeating: -.infinity)
        let lanes = x.count & ~7
        for i in stride(from: 0, to: lanes, by: 8) {
            let v = UnsafeRawPointer(x.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
            for j in 0..<8 {
                lows[j] = min(lows[j], v[j])
                highs[j] = max(highs[j], v[j])
            }
        }
        var (low, high) = (lows.min(), highs.max())
        for i in lanes..<x.count { (low, high) = (min(low, x[i]), max(high, x[i])) }
        return (low, high)
    }

    /// The channel's mean, in double precision (in four partial sums: one chain of additions
    /// through every value is slow).
    static func mean(_ x: UnsafeBufferPointer<Float>) -> Float {
        Float(StepQuantizer.sum(x) { Double($0) } / Double(max(x.count, 1)))
    }

    /// Codes channel c's levels in raster order, in the contexts of `modeSet` (`LevelModel`).
    func code(_ levels: [Int32], channel c: Int, modeSet m: Int, model: inout LevelModel, coder: inout RangeEncoder) {
        levels.withUnsafeBufferPointer { all in
            let q = all.baseAddress! + c * plane
            let before = c > 0 ? q - plane : nil
            for y in 0..<height {
                for x in 0..<width {
                    let bucket = LevelModel.bucket(q, before, y: y, x: x, width: width)
                    let sign = LevelModel.signContext(q, y: y, x: x, width: width)
                    model.code(q[y * width + x], mode: m, bucket: bucket, signContext: sign, &coder)
                }
            }
        }
    }

    /// Channel c's reconstruction from its levels, exactly as the decoder computes it;
    /// `previousValues` holds the previous frame's values (at least channel c's, for `.inValues`).
    private func rebuild(_ r: inout [Float], _ levels: [Int32], channel c: Int, mode: Mode, offset: Int32,
                         previous: [Float]?, previousValues: [Float]?, step: Float) {
        let base = c * plane, n = plane
        r.withUnsafeMutableBufferPointer { rebuilt in
            levels.withUnsafeBufferPointer { coded in
                let (r, q) = (rebuilt.baseAddress! + base, coded.baseAddress! + base)
                // On pointers, so the loops vectorize (no bounds checks).
                switch mode {
                case .skip: previous!.withUnsafeBufferPointer { r.update(from: $0.baseAddress! + base, count: n) }
                case .alone: for i in 0..<n { r[i] = Float(q[i] &+ offset) * step }
                case .predicted(let k):
                    let w = Mode.weights[k]
                    previous!.withUnsafeBufferPointer { p in
                        let p = p.baseAddress! + base
                        for i in 0..<n { r[i] = w * p[i] + Float(q[i]) * step }
                    }
                case .inValues(let k):
                    // The values, then their coefficients: what the next frame predicts from.
                    let (w, s) = (Mode.weights[k], step * transform!.valueStep)
                    let v = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n)
                    defer { v.deallocate() }
                    previousValues!.withUnsafeBufferPointer { p in
                        let p = p.baseAddress! + base
                        for i in 0..<n { v[i] = w * p[i] + Float(q[i]) * s }
                    }
                    transform!.forward(v, into: r, scratch: v + n)
                }
            }
        }
    }

    /// Decodes a payload; `previous` is the last frame's `reference` (nil before an I-frame),
    /// and `statistics` what its tables ended with (table-coded P-frames). Returns the values,
    /// what the next frame predicts from (the values, or transformed mode's coefficients), and
    /// what this frame's tables ended with (table-coded).
    func decode(_ payload: ArraySlice<UInt8>, type: FrameType, previous: [Float]?, statistics: TabledLevelCoder.Statistics? = nil) throws
        -> (values: [Float], reference: [Float], statistics: TabledLevelCoder.Statistics?) {
        var reader = ByteReader(payload)
        let frameStep = try reader.f32()
        guard frameStep.isFinite, frameStep > 0 else { throw FrameDecoder.Failure.damaged("bad step \(frameStep)") }
        var levels = [Int32](repeating: 0, count: channels * plane)
        var reconstruction = [Float](repeating: 0, count: channels * plane)
        let body = payload[(payload.startIndex + 4)...]
        var channelModes: [(mode: Mode, offset: Int32)] = []
        var carried: TabledLevelCoder.Statistics?
        if tabled {
            let decoded = try TabledLevelCoder(height: height, width: width, bands: transform?.bands, mixed: mixed).decode(body, channels: channels, predicted: type == .predicted,
                                                                                   start: type == .intra ? nil : statistics, into: &levels)
            channelModes = Array(zip(decoded.modes, decoded.offsets))
            carried = decoded.statistics
        } else {
            var coder = RangeDecoder(body)
            var model = LevelModel()
            var modes = ModeModel()
            for c in 0..<channels {
                let mode = type == .predicted ? modes.decode(&coder) : .alone
                var offset: Int32 = 0
                if mode == .alone {
                    guard let o = model.decodeOffset(&coder) else { throw FrameDecoder.Failure.damaged("channel \(c): bad offset") }
                    offset = o
                }
                if let set = mode.modeSet { try decodeLevels(into: &levels, channel: c, modeSet: set, model: &model, coder: &coder) }
                channelModes.append((mode, offset))
            }
            guard coder.consumedExactly else {
                throw FrameDecoder.Failure.damaged(coder.overrun > 0 ? "the stream ends early" : "the stream does not end where it should")
            }
        }
        var previousValues: [Float]?
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: plane)
        defer { scratch.deallocate() }
        for (c, (mode, offset)) in channelModes.enumerated() {
            if case .inValues = mode {
                // Only the channels coded in values need the previous frame's values.
                if previousValues == nil { previousValues = [Float](repeating: 0, count: channels * plane) }
                previous!.withUnsafeBufferPointer { p in
                    previousValues!.withUnsafeMutableBufferPointer { transform!.inverse(p.baseAddress! + c * plane, into: $0.baseAddress! + c * plane, scratch: scratch) }
                }
            }
            rebuild(&reconstruction, levels, channel: c, mode: mode, offset: offset, previous: previous, previousValues: previousValues,
                    step: step(frameStep, channel: c))
        }
        // The encoder's levels and steps always rebuild finite values.
        guard reconstruction.allSatisfy(\.isFinite) else { throw FrameDecoder.Failure.damaged("values out of range") }
        guard let transform else { return (reconstruction, reconstruction, carried) }
        let values = transform.inverse(reconstruction)
        // Finite coefficients can still sum beyond Float's range.
        guard values.allSatisfy(\.isFinite) else { throw FrameDecoder.Failure.damaged("values out of range") }
        return (values, reconstruction, carried)
    }
}

extension StepCoder {
    /// Decodes channel c's levels, coded by `code` in the contexts of `modeSet`, into `levels`.
    func decodeLevels(into levels: inout [Int32], channel c: Int, modeSet m: Int, model: inout LevelModel, coder: inout RangeDecoder) throws {
        try levels.withUnsafeMutableBufferPointer { all in
            let q = all.baseAddress! + c * plane
            let before = c > 0 ? UnsafePointer(q - plane) : nil
            for y in 0..<height {
                for x in 0..<width {
                    let bucket = LevelModel.bucket(q, before, y: y, x: x, width: width)
                    let sign = LevelModel.signContext(q, y: y, x: x, width: width)
                    guard let level = model.decode(mode: m, bucket: bucket, signContext: sign, &coder) else {
                        throw FrameDecoder.Failure.damaged("channel \(c): undecodable")
                    }
                    q[y * width + x] = level
                }
            }
        }
    }
}

/// The adaptive code of a P-frame channel's mode: skip?, predicted?, then the weight (1? else
/// 3/4?, else 1/2).
private struct ModeModel {
    private var bits = [BitModel](repeating: BitModel(), count: 4)

    mutating func code(_ mode: StepCoder.Mode, _ coder: inout RangeEncoder) {
        coder.encode(mode == .skip, &bits[0])
        guard mode != .skip else { return }
        guard case .predicted(let k) = mode else { return coder.encode(false, &bits[1]) }
        coder.encode(true, &bits[1])
        coder.encode(k == 0, &bits[2])
        if k != 0 { coder.encode(k == 1, &bits[3]) }
    }

    mutating func decode(_ coder: inout RangeDecoder) -> StepCoder.Mode {
        if coder.decode(&bits[0]) { return .skip }
        guard coder.decode(&bits[1]) else { return .alone }
        if coder.decode(&bits[2]) { return .predicted(0) }
        return .predicted(coder.decode(&bits[3]) ? 1 : 2)
    }
}
