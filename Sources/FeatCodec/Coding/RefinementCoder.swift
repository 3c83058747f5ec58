/// Layered step mode (`--layers`, format 1.3; its contexts 1.4): refinement layer k >= 1 of a frame narrows what
/// layers 0 ..< k gave. Its step is a third of the step below, so a value that the layer below
/// rounded to its nearest level is refined to -1, 0 or +1: the bins nest, so nothing is coded
/// twice. What layers cost beyond one layer of the same final quality is the temporal
/// prediction a refinement cannot share with the base (README, "Progressive files").
///
/// Per channel, by distortion + lambda x rate, as `StepCoder` decides:
/// - inherit: the layer below stands (one bit);
/// - refine: levels of the difference from the layer below;
/// - skip (P-frames): this layer of the previous frame stands;
/// - predicted (P-frames): levels of the difference from this layer of the previous frame, so
///   the fine detail of a still region is not sent again every frame.
///
/// A reader that holds layers 0 ... k of every frame has both references; one that stops below
/// k never needs them. So a file cut after any layer, or without its upper layers, decodes
/// without drift.
struct RefinementCoder {
    /// How a channel of a refinement layer is coded.
    enum Mode: Equatable {
        case inherit, refine, skip, predicted

        /// Its place in `EncodedFrame.channelModes` (skip, intra, inter, refresh).
        var channelMode: ChannelMode {
            switch self {
            case .inherit, .skip: return .skip
            case .refine: return .intra
            case .predicted: return .inter
            }
        }
    }

    /// Each refinement layer's step is the step below over this: refined levels are -1, 0, +1.
    static let divisor: Float = 3

    /// The frame step of refinement layer `layer` for a base layer's step.
    static func step(base: Float, layer: Int) -> Float {
        var s = base
        for _ in 0..<layer { s /= divisor }
        return s
    }

    /// The base layer's coder: shape, channel weights and the level coding are shared.
    let steps: StepCoder
    /// Whether a refined level's contexts in a P-frame include this layer of the previous frame
    /// (format 1.4); 1.3 files were coded without.
    let previousInContexts: Bool

    /// Refinements of `steps`' base layer, as `precision` (a layered form) codes them.
    init(steps: StepCoder, precision: CodingSettings.Precision) {
        self.steps = steps
        if case .layeredSteps13 = precision { previousInContexts = false } else { previousInContexts = true }
    }

    /// Codes one refinement layer of `values`. `below`: the frame's reconstruction from the
    /// layers under this one; `previous`: this layer of the previous frame (nil in an I-frame).
    func encode(_ values: [Float], below: [Float], previous: [Float]?, step frameStep: Float)
        -> (payload: [UInt8], reconstruction: [Float], channelModes: [Int]) {
        let plane = steps.plane
        var model = LevelModel()
        var coder = RangeEncoder()
        var modes = RefinementModeModel()
        var levels = [Int32](repeating: 0, count: values.count)
        var reconstruction = [Float](repeating: 0, count: values.count)
        var counts = [0, 0, 0, 0]
        var refined = [Int32](repeating: 0, count: plane)
        var predicted = [Int32](repeating: 0, count: plane)
        values.withUnsafeBufferPointer { all in
            below.withUnsafeBufferPointer { lower in
                for c in 0..<steps.channels {
                    let span = (c * plane)..<((c + 1) * plane)
                    let s = steps.step(frameStep, channel: c)
                    let x = UnsafeBufferPointer(rebasing: all[span]), b = UnsafeBufferPointer(rebasing: lower[span])
                    // The cheapest in distortion + lambda x rate; a mode without levels wins ties.
                    var best = (mode: Mode.inherit, cost: StepCoder.squaredError(x, b, step: s))
                    let refining = steps.quantize(x, minus: b, weight: 1, step: s, offset: 0, into: &refined)
                    if refining < best.cost { best = (.refine, refining) }
                    if let previous {
                        previous.withUnsafeBufferPointer { p in
                            let p = UnsafeBufferPointer(rebasing: p[span])
                            let keeping = StepCoder.squaredError(x, p, step: s)
                            if keeping <= best.cost { best = (.skip, keeping) }
                            let predicting = steps.quantize(x, minus: p, weight: 1, step: s, offset: 0, into: &predicted)
                            if predicting < best.cost { best = (.predicted, predicting) }
                        }
                    }
                    modes.code(best.mode, intra: previous == nil, &coder)
                    switch best.mode {
                    case .refine: levels.replaceSubrange(span, with: refined)
                    case .predicted: levels.replaceSubrange(span, with: predicted)
                    case .inherit, .skip: break
                    }
                    if best.mode == .refine || best.mode == .predicted {
                        if best.mode == .refine {
                            codeRefined(levels, channel: c, below: below, previous: previousInContexts ? previous : nil, step: s,
                                        model: &model, coder: &coder)
                        } else {
                            steps.code(levels, channel: c, modeSet: 3, model: &model, coder: &coder)
                        }
                    }
                    counts[Int(best.mode.channelMode.rawValue)] += 1
                    RefinementCoder.rebuild(&reconstruction, span, levels, best.mode, below: below, previous: previous, step: s)
                }
            }
        }
        var writer = ByteWriter()
        writer.f32(frameStep)
        writer.append(coder.finish())
        return (writer.bytes, reconstruction, counts)
    }

    /// Decodes one refinement layer's payload over `below` (this frame's lower layers);
    /// `previous` is this layer of the previous frame, nil in an I-frame.
    func decode(_ payload: ArraySlice<UInt8>, below: [Float], previous: [Float]?) throws -> [Float] {
        let plane = steps.plane
        var reader = ByteReader(payload)
        let frameStep = try reader.f32()
        guard frameStep.isFinite, frameStep > 0 else { throw FrameDecoder.Failure.damaged("bad step \(frameStep)") }
        var coder = RangeDecoder(payload[(payload.startIndex + 4)...])
        var model = LevelModel()
        var modes = RefinementModeModel()
        var levels = [Int32](repeating: 0, count: below.count)
        var reconstruction = [Float](repeating: 0, count: below.count)
        for c in 0..<steps.channels {
            let span = (c * plane)..<((c + 1) * plane)
            let mode = modes.decode(intra: previous == nil, &coder)
            let s = steps.step(frameStep, channel: c)
            guard s > 0 else { throw FrameDecoder.Failure.damaged("channel \(c): step \(s)") }
            if mode == .refine || mode == .predicted {
                if mode == .refine {
                    try decodeRefined(into: &levels, channel: c, below: below, previous: previousInContexts ? previous : nil, step: s,
                                      model: &model, coder: &coder)
                } else {
                    try steps.decodeLevels(into: &levels, channel: c, modeSet: 3, model: &model, coder: &coder)
                }
            }
            RefinementCoder.rebuild(&reconstruction, span, levels, mode, below: below, previous: previous, step: s)
        }
        guard coder.overrun == 0 else { throw FrameDecoder.Failure.damaged("the stream ends early") }
        guard reconstruction.allSatisfy(\.isFinite) else { throw FrameDecoder.Failure.damaged("values out of range") }
        return reconstruction
    }

    /// The contexts of a refined level at `i`: the bucket pairs the neighbours' activity with
    /// whether the layer below left the value at zero (its nearest level 0, within 1.5 of this
    /// layer's steps), where values crowd around the middle; the sign context pairs the sign of
    /// the value below (a value in a bin away from zero lies more often on the side nearer
    /// zero) with the left neighbour's sign. With `previous` (this layer of the previous frame,
    /// P-frames of format 1.4) its level in this bin, -1, 0 or +1 (clamped), picks the mode set
    /// and replaces the left sign: where the scene holds still the level repeats, and the
    /// refinement costs a fraction of a bit (3 layers at 25 fps, 30 dB: +21 % over one layer
    /// before, +17 % with it).
    @inline(__always)
    private func refinedContexts(_ q: UnsafePointer<Int32>, _ before: UnsafePointer<Int32>?, below: Float, step: Float,
                                 y: Int, x: Int, previous: Float?) -> (set: Int, bucket: Int, sign: Int) {
        let width = steps.width
        let activity = min(LevelModel.bucket(q, before, y: y, x: x, width: width), 6)
        let bucket = activity * 2 + (below.magnitude < step * (RefinementCoder.divisor / 2) ? 0 : 1)
        let side = below > 0 ? 2 : below < 0 ? 0 : 1
        if let previous {
            // round((p - b) / s) clamped to -1 ... 1, written so that a NaN (a damaged file's
            // step of 0) gives 0 instead of trapping.
            let offset = (previous - below) / step
            let held = offset >= 0.5 ? 1 : offset <= -0.5 ? -1 : 0
            return (held < 0 ? 4 : held > 0 ? 5 : 2, bucket, side * 3 + held + 1)
        }
        let left = x > 0 ? Int(q[y * width + x - 1].signum()) + 1 : 1
        return (2, bucket, side * 3 + left)
    }

    /// Codes channel c's refined levels (mode sets 2, 4 and 5) in raster order; `previous`: this
    /// layer of the previous frame, when it is in the contexts.
    private func codeRefined(_ levels: [Int32], channel c: Int, below: [Float], previous: [Float]?, step: Float, model: inout LevelModel,
                             coder: inout RangeEncoder) {
        let plane = steps.plane, width = steps.width
        levels.withUnsafeBufferPointer { all in
            let q = all.baseAddress! + c * plane
            let before = c > 0 ? q - plane : nil
            for y in 0..<steps.height {
                for x in 0..<width {
                    let i = y * width + x
                    let context = refinedContexts(q, before, below: below[c * plane + i], step: step, y: y, x: x, previous: previous?[c * plane + i])
                    model.code(q[i], mode: context.set, bucket: context.bucket, signContext: context.sign, &coder)
                }
            }
        }
    }

    /// Decodes what `codeRefined` coded into channel c of `levels`.
    private func decodeRefined(into levels: inout [Int32], channel c: Int, below: [Float], previous: [Float]?, step: Float, model: inout LevelModel,
                               coder: inout RangeDecoder) throws {
        let plane = steps.plane, width = steps.width
        try levels.withUnsafeMutableBufferPointer { all in
            let q = all.baseAddress! + c * plane
            let before = c > 0 ? UnsafePointer(q - plane) : nil
            for y in 0..<steps.height {
                for x in 0..<width {
                    let i = y * width + x
                    let context = refinedContexts(q, before, below: below[c * plane + i], step: step, y: y, x: x, previous: previous?[c * plane + i])
                    guard let level = model.decode(mode: context.set, bucket: context.bucket, signContext: context.sign, &coder) else {
                        throw FrameDecoder.Failure.damaged("channel \(c): undecodable")
                    }
                    q[i] = level
                }
            }
        }
    }

    /// One channel's reconstruction from its mode and levels, as encoder and decoder compute it.
    private static func rebuild(_ r: inout [Float], _ span: Range<Int>, _ levels: [Int32], _ mode: Mode, below: [Float], previous: [Float]?, step: Float) {
        switch mode {
        case .inherit: for i in span { r[i] = below[i] }
        case .refine: for i in span { r[i] = below[i] + Float(levels[i]) * step }
        case .skip: for i in span { r[i] = previous![i] }
        case .predicted: for i in span { r[i] = previous![i] + Float(levels[i]) * step }
        }
    }
}

/// The adaptive code of a refinement layer channel's mode: inherit?, then in P-frames whether
/// it refers to the previous frame, and if so skip?
private struct RefinementModeModel {
    private var bits = [BitModel](repeating: BitModel(), count: 3)

    mutating func code(_ mode: RefinementCoder.Mode, intra: Bool, _ coder: inout RangeEncoder) {
        coder.encode(mode == .inherit, &bits[0])
        guard mode != .inherit, !intra else { return }
        coder.encode(mode == .skip || mode == .predicted, &bits[1])
        if mode == .skip || mode == .predicted { coder.encode(mode == .skip, &bits[2]) }
    }

    mutating func decode(intra: Bool, _ coder: inout RangeDecoder) -> RefinementCoder.Mode {
        if coder.decode(&bits[0]) { return .inherit }
        guard !intra, coder.decode(&bits[1]) else { return .refine }
        return coder.decode(&bits[2]) ? .skip : .predicted
    }
}
