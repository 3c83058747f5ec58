/// Layered step mode (`--layers`, format 1.3; its contexts 1.4 and 1.6): refinement layer k >= 1 of a frame narrows what
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
///
/// Format 1.6 (3 layers to 30 dB at 25 fps, bikes: +17.5 % over one layer before, +10.8 % with
/// all three, +9.8 % with 1.7's compact refinement packets; README, "Progressive (layered) files"):
/// - in a P-frame, a layer's context model starts where the same layer of the previous frame
///   left it, instead of fresh (a reader of k layers has decoded that layer of every frame);
/// - a predicted level's contexts say how far, in this layer's steps, the layers below moved the
///   value from this layer of the previous frame: where they moved it, the level follows;
/// - the encoder chooses each channel's mode by the model's own bit costs, not by a rough count.
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
    /// (format 1.4 on); 1.3 files were coded without.
    let previousInContexts: Bool
    /// Format 1.6: models carried from frame to frame, predicted levels in contexts of the move
    /// below, modes chosen by the model's costs (1.3 and 1.4 files were coded without).
    let carried: Bool

    /// Refinements of `steps`' base layer, as `precision` (a layered form) codes them.
    init(steps: StepCoder, precision: CodingSettings.Precision) {
        self.steps = steps
        switch precision {
        case .layeredSteps13: (previousInContexts, carried) = (false, false)
        case .layeredSteps14: (previousInContexts, carried) = (true, false)
        default: (previousInContexts, carried) = (true, true)
        }
    }

    /// Codes one refinement layer of `values`. `below`: the frame's reconstruction from the
    /// layers under this one; `previous`: this layer of the previous frame (nil in an I-frame);
    /// `start`: where this layer's model ended the previous frame (1.6 P-frames). Returns where
    /// the model ends this frame (1.6).
    func encode(_ values: [Float], below: [Float], previous: [Float]?, step frameStep: Float, start: LevelModel.State? = nil)
        -> (payload: [UInt8], reconstruction: [Float], channelModes: [Int], state: LevelModel.State?) {
        let plane = steps.plane
        var model = LevelModel(carried && previous != nil ? start : nil)
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
                    let inheriting = StepCoder.squaredError(x, b, step: s)
                    var best = (mode: Mode.inherit, cost: inheriting)
                    let refining = steps.quantize(x, minus: b, weight: 1, step: s, offset: 0, into: &refined)
                    if refining < best.cost { best = (.refine, refining) }
                    if let previous {
                        previous.withUnsafeBufferPointer { p in
                            let p = UnsafeBufferPointer(rebasing: p[span])
                            let keeping = StepCoder.squaredError(x, p, step: s)
                            if keeping <= best.cost { best = (.skip, keeping) }
                            let predicting = steps.quantize(x, minus: p, weight: 1, step: s, offset: 0, into: &predicted)
                            if predicting < best.cost { best = (.predicted, predicting) }
                            if carried {
                                best.mode = cheapest(x, below: b, previous: (p, keeping), step: s, inheriting: inheriting, refined: refined,
                                                     predicted: predicted, channel: c, levels: levels, model: model)
                            }
                        }
                    } else if carried {
                        best.mode = cheapest(x, below: b, previous: nil, step: s, inheriting: inheriting, refined: refined, predicted: predicted,
                                             channel: c, levels: levels, model: model)
                    }
                    modes.code(best.mode, intra: previous == nil, &coder)
                    switch best.mode {
                    case .refine: levels.replaceSubrange(span, with: refined)
                    case .predicted: levels.replaceSubrange(span, with: predicted)
                    case .inherit, .skip: break
                    }
                    if best.mode == .refine || best.mode == .predicted {
                        if best.mode == .refine {
                            let reference = previousInContexts ? previous : nil
                            code(levels, channel: c, model: &model, coder: &coder) { q, before, i, y, x in
                                refinedContexts(q, before, below: below[i], step: s, y: y, x: x, previous: reference?[i])
                            }
                        } else if carried {
                            code(levels, channel: c, model: &model, coder: &coder) { q, before, i, y, x in
                                predictedContexts(q, before, below: below[i], previous: previous![i], step: s, y: y, x: x)
                            }
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
        return (writer.bytes, reconstruction, counts, carried ? model.state : nil)
    }

    /// The mode of least distortion + lambda x the bits the model would spend now (1.6), among
    /// inherit, refine with `refined` and, in P-frames, skip and predicted with `predicted`
    /// (the channel's candidate levels). `inheriting` and `previous.keeping`: the squared
    /// errors of inherit and skip, already measured. `levels` holds the channels before this one.
    private func cheapest(_ x: UnsafeBufferPointer<Float>, below b: UnsafeBufferPointer<Float>,
                          previous: (values: UnsafeBufferPointer<Float>, keeping: Float)?, step s: Float, inheriting: Float,
                          refined: [Int32], predicted: [Int32], channel c: Int, levels: [Int32], model: borrowing LevelModel) -> Mode {
        let lambda = StepCoder.lambda, plane = steps.plane, width = steps.width
        let p = previous?.values
        // The mode's own bits, roughly: inherit and refine 1, skip and predicted 2.
        var best = (mode: Mode.inherit, cost: inheriting + lambda)
        levels.withUnsafeBufferPointer { all in
            let before = c > 0 ? all.baseAddress! + (c - 1) * plane : nil
            /// Squared error in steps of `reference` + `q` x s, and the bits of `q` in `contexts`.
            func cost(_ q: [Int32], from reference: UnsafeBufferPointer<Float>,
                      _ contexts: (UnsafePointer<Int32>, Int, Int, Int) -> (set: Int, bucket: Int, sign: Int)) -> Float {
                q.withUnsafeBufferPointer { qq in
                    let q = qq.baseAddress!
                    var error: Float = 0, bits: Float = 0
                    for y in 0..<steps.height {
                        for x0 in 0..<width {
                            let i = y * width + x0
                            let k = contexts(q, y, x0, i)
                            bits += model.cost(q[i], mode: k.set, bucket: k.bucket, signContext: k.sign)
                            let d = (x[i] - reference[i]) / s - Float(q[i])
                            error += d * d
                        }
                    }
                    return error + lambda * bits
                }
            }
            let refining = cost(refined, from: b) { q, y, x0, i in
                refinedContexts(q, before, below: b[i], step: s, y: y, x: x0, previous: p?[i])
            } + lambda
            if refining < best.cost { best = (.refine, refining) }
            guard let p, let previous else { return }
            let keeping = previous.keeping + 2 * lambda
            if keeping < best.cost { best = (.skip, keeping) }
            let predicting = cost(predicted, from: p) { q, y, x0, i in
                predictedContexts(q, before, below: b[i], previous: p[i], step: s, y: y, x: x0)
            } + 2 * lambda
            if predicting < best.cost { best = (.predicted, predicting) }
        }
        return best.mode
    }

    /// Decodes one refinement layer's payload over `below` (this frame's lower layers);
    /// `previous` is this layer of the previous frame, nil in an I-frame, and `start` where this
    /// layer's model ended that frame (1.6). Returns the values and where the model ends (1.6).
    func decode(_ payload: ArraySlice<UInt8>, below: [Float], previous: [Float]?,
                start: LevelModel.State? = nil) throws -> (values: [Float], state: LevelModel.State?) {
        let plane = steps.plane
        var reader = ByteReader(payload)
        let frameStep = try reader.f32()
        guard frameStep.isFinite, frameStep > 0 else { throw FrameDecoder.Failure.damaged("bad step \(frameStep)") }
        var coder = RangeDecoder(payload[(payload.startIndex + 4)...])
        var model = LevelModel(carried && previous != nil ? start : nil)
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
                    let reference = previousInContexts ? previous : nil
                    try decode(into: &levels, channel: c, model: &model, coder: &coder) { q, before, i, y, x in
                        refinedContexts(q, before, below: below[i], step: s, y: y, x: x, previous: reference?[i])
                    }
                } else if carried {
                    try decode(into: &levels, channel: c, model: &model, coder: &coder) { q, before, i, y, x in
                        predictedContexts(q, before, below: below[i], previous: previous![i], step: s, y: y, x: x)
                    }
                } else {
                    try steps.decodeLevels(into: &levels, channel: c, modeSet: 3, model: &model, coder: &coder)
                }
            }
            RefinementCoder.rebuild(&reconstruction, span, levels, mode, below: below, previous: previous, step: s)
        }
        guard coder.consumedExactly else {
            throw FrameDecoder.Failure.damaged(coder.overrun > 0 ? "the stream ends early" : "the stream does not end where it should")
        }
        guard reconstruction.allSatisfy(\.isFinite) else { throw FrameDecoder.Failure.damaged("values out of range") }
        return (reconstruction, carried ? model.state : nil)
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

    /// A level's contexts (mode set, bucket, sign model), from the channel's levels so far `q`,
    /// the channel before, the value's index in the frame, and its row and column.
    typealias Contexts = (_ q: UnsafePointer<Int32>, _ before: UnsafePointer<Int32>?, _ i: Int, _ y: Int, _ x: Int) -> (set: Int, bucket: Int, sign: Int)

    /// Codes channel c's levels in raster order, each in the contexts `contexts` gives.
    @inline(__always)
    private func code(_ levels: [Int32], channel c: Int, model: inout LevelModel, coder: inout RangeEncoder, contexts: Contexts) {
        let plane = steps.plane, width = steps.width
        levels.withUnsafeBufferPointer { all in
            let q = all.baseAddress! + c * plane
            let before = c > 0 ? q - plane : nil
            for y in 0..<steps.height {
                for x in 0..<width {
                    let k = contexts(q, before, c * plane + y * width + x, y, x)
                    model.code(q[y * width + x], mode: k.set, bucket: k.bucket, signContext: k.sign, &coder)
                }
            }
        }
    }

    /// Decodes what `code` coded in the same contexts into channel c of `levels`.
    @inline(__always)
    private func decode(into levels: inout [Int32], channel c: Int, model: inout LevelModel, coder: inout RangeDecoder, contexts: Contexts) throws {
        let plane = steps.plane, width = steps.width
        try levels.withUnsafeMutableBufferPointer { all in
            let q = all.baseAddress! + c * plane
            let before = c > 0 ? UnsafePointer(q - plane) : nil
            for y in 0..<steps.height {
                for x in 0..<width {
                    let k = contexts(q, before, c * plane + y * width + x, y, x)
                    guard let level = model.decode(mode: k.set, bucket: k.bucket, signContext: k.sign, &coder) else {
                        throw FrameDecoder.Failure.damaged("channel \(c): undecodable")
                    }
                    q[y * width + x] = level
                }
            }
        }
    }

    /// The contexts of a predicted level at (y, x) (1.6): how far the layers below moved the
    /// value from this layer of the previous frame, e = (below - previous) / step. The mode set
    /// is 3 where |e| < 1/2, 6 where it is under 3/2, 7 beyond; the sign model pairs the left
    /// neighbour's sign with e's (its sign beyond 1/4). With no context for the move, a
    /// predicted channel paid again for what the base had sent (3 layers at 25 fps, 30 dB: its
    /// first refinement 5 % smaller with them).
    @inline(__always)
    private func predictedContexts(_ q: UnsafePointer<Int32>, _ before: UnsafePointer<Int32>?, below: Float, previous: Float, step: Float,
                                   y: Int, x: Int) -> (set: Int, bucket: Int, sign: Int) {
        let width = steps.width
        // Comparisons only, so a NaN (a damaged file's step of 0) gives set 3 instead of trapping.
        let e = (below - previous) / step
        let set = e >= 1.5 || e <= -1.5 ? 7 : e >= 0.5 || e <= -0.5 ? 6 : 3
        let moved = e > 0.25 ? 2 : e < -0.25 ? 0 : 1
        let left = x > 0 ? Int(q[y * width + x - 1].signum()) + 1 : 1
        return (set, LevelModel.bucket(q, before, y: y, x: x, width: width), 9 + left * 3 + moved)
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
