@testable import FeatCodec
import Foundation
import TestSupport
import Testing

/// Step mode, with either coder: the encoder's reconstruction is the decoder's, bit for bit, in
/// every channel mode; the quality knob sets the SNR; channel weights scale the steps; damage
/// throws.
@Suite struct StepCoderTests {
    /// Step mode with the adaptive coder (1.2) or table-coded (1.5), or on 7x7 DCT tiles with
    /// `frequencies` as its weights (1.9; `mixed` false: 1.8, every channel in coefficients).
    static func settings(quality: Double, weights: [Float]? = nil, tabled: Bool = false, frequencies: [Float]? = nil, mixed: Bool = true) -> CodingSettings {
        var s = CodingSettings()
        s.precision = frequencies == nil ? tabled ? .tabledSteps(quality: quality) : .steps(quality: quality)
            : mixed ? .transformedSteps(quality: quality) : .transformedSteps18(quality: quality)
        s.channelWeights = weights
        s.frequencyWeights = frequencies
        s.gopSeconds = 1000
        return s
    }

    /// Values uniform in [-1, 1] (dense: no exact zeros to flatter the SNR).
    static func dense(channels: Int = 8, side: Int = 16, seed: UInt64 = 3) -> Tensor {
        var random = SplitMix(state: seed)
        let n = channels * side * side
        return Tensor(shape: [channels, side, side], values: (0..<n).map { _ in Float(Double.random(in: -1...1, using: &random)) })
    }

    static func snr(_ reference: Tensor, _ decoded: Tensor) -> Double { snrDecibels(reference.values, decoded.values) }

    /// A sequence that takes every mode: channel 0 never changes (skip), channel 1 jumps by a
    /// large offset at frame 20 (coded alone), channel 2 halves at frame 30 (prediction with a
    /// weight), channel 3 moves far each frame (predicted), channel 4 is still but for a small
    /// spot that moves (coded in values, 1.9), the rest drift; the quality changes from frame
    /// to frame.
    static func everyMode(count: Int = 40) -> [Tensor] {
        let frames = featureFrames(count: count, channels: 8, side: 14)
        let plane = 14 * 14
        return frames.enumerated().map { t, frame in
            var v = frame.values
            for i in 0..<plane { v[i] = frames[0].values[i] }
            if t >= 20 { for i in plane..<(2 * plane) { v[i] += 40 } }
            if t >= 30 { for i in (2 * plane)..<(3 * plane) { v[i] = frames[29].values[i] * 0.5 } }
            for i in (3 * plane)..<(4 * plane) { v[i] += Float(t) * 10 * sin(Float(i) * 0.37) }
            for i in (4 * plane)..<(5 * plane) { v[i] = frames[0].values[i] }
            // (Not in frame 0, which `LayerTests` repeats as a still scene.)
            if t > 0 { for spot in [0, 1, 14, 15] { v[4 * plane + (t * 5 + spot) % plane] += 8 } }
            return Tensor(shape: frame.shape, values: v)
        }
    }

    /// The channel modes of table-coded P-frame `t` of `encoded`, read back from its payload.
    static func modes(_ encoded: [EncodedFrame], _ t: Int, settings: CodingSettings) throws -> [StepCoder.Mode] {
        let shape = encoded[t].reconstruction.shape
        let coder = StepCoder(settings: settings, shape: shape)
        var levels = [Int32](repeating: 0, count: shape.reduce(1, *))
        return try TabledLevelCoder(height: shape[1], width: shape[2], bands: coder.transform?.bands, mixed: coder.mixed)
            .decode(encoded[t].payload[4...], channels: shape[0], predicted: true, start: encoded[t - 1].levelStatistics, into: &levels).modes
    }

    func roundTrip(_ frames: [Tensor], _ settings: CodingSettings, quality: (Int) -> Double? = { _ in nil })
        throws -> (encoded: [EncodedFrame], decoded: [Tensor]) {
        let encoder = FrameEncoder(settings: settings, shape: frames[0].shape)
        let decoder = FrameDecoder(settings: settings, shape: frames[0].shape)
        var encoded: [EncodedFrame] = [], decoded: [Tensor] = []
        for (t, frame) in frames.enumerated() {
            let e = encoder.encode(frame, seconds: Double(t) / 5, forceIntra: t == 35, quality: quality(t))
            encoded.append(e)
            decoded.append(try decoder.decode(e.payload[...], type: e.type))
        }
        return (encoded, decoded)
    }

    @Test(arguments: [10.0, 18, 30, 55], [false, true])
    func closedLoopIsBitExactInEveryMode(quality: Double, tabled: Bool) throws {
        for weights in [nil, [0.5, 1, 2, 0.8, 1.25, 1, 3, 0.3] as [Float]?] {
            try closedLoopIsBitExact(quality: quality, weights: weights, tabled: tabled)
        }
    }

    /// The same on 7x7 DCT tiles (format 1.8), with frequency weights from 1/4 to 4: the
    /// decoder's output, and the coefficients the next frame predicts from, are the encoder's.
    /// Transformed step mode, 1.9 and 1.8 (`mixed` false).
    @Test(arguments: zip([10.0, 30, 55], [true, false, true]))
    func transformedClosedLoopIsBitExactInEveryMode(quality: Double, mixed: Bool) throws {
        let frequencies = (0..<TileTransform.frequencies).map { Float(0.25 * pow(16, Double($0) / 48)) }
        try closedLoopIsBitExact(quality: quality, weights: [0.5, 1, 2, 0.8, 1.25, 1, 3, 0.3], tabled: true, frequencies: frequencies, mixed: mixed)
    }

    func closedLoopIsBitExact(quality: Double, weights: [Float]?, tabled: Bool, frequencies: [Float]? = nil, mixed: Bool = true) throws {
        let frames = Self.everyMode()
        let settings = Self.settings(quality: quality, weights: weights, tabled: tabled, frequencies: frequencies, mixed: mixed)
        let (encoded, decoded) = try roundTrip(frames, settings) { t in
            t % 3 == 0 ? nil : quality + Double(t % 5) - 2
        }
        for (t, (e, d)) in zip(encoded, decoded).enumerated() {
            #expect(e.reconstruction.values.map(\.bitPattern) == d.values.map(\.bitPattern), "frame \(t)")
        }
        #expect(encoded.map(\.type) == (0..<40).map { $0 == 0 || $0 == 35 ? .intra : .predicted })
        let p = encoded.filter { $0.type == .predicted }
        #expect(p.allSatisfy { $0.channelModes[Int(ChannelMode.skip.rawValue)] >= 1 }, "the unchanged channel is skipped")
        if frequencies == nil {
            #expect(encoded[20].channelModes[Int(ChannelMode.intra.rawValue)] >= 1, "the channel that jumped is coded alone")
        } else {
            // On DCT tiles a jump by a constant moves the DC coefficients only, which prediction
            // may code as cheaply as coding alone: the jump must arrive either way.
            let plane = frames[0].count / 8
            let jump = (plane..<(2 * plane)).reduce(0.0) { $0 + Double(decoded[20].values[$1] - decoded[19].values[$1]) } / Double(plane)
            #expect(abs(jump - 40) < 1, "channel 1 moved \(jump)")
            // 1.9 codes the channel with the moving spot in values in some P-frames; 1.8 cannot.
            let inValues = try (1..<40).filter { encoded[$0].type == .predicted }.filter { t in
                if case .inValues = try Self.modes(encoded, t, settings: settings)[4] { return true }
                return false
            }
            #expect(mixed ? !inValues.isEmpty : inValues.isEmpty, "\(inValues.count) frames")
        }
        #expect(p.contains { $0.channelModes[Int(ChannelMode.inter.rawValue)] >= 1 })
    }

    /// A small object moving before a still background (the walker fixture's P-frames) costs
    /// far less with channels coded in values (1.9) than in DCT coefficients (1.8), which
    /// spread each changed value over its tile, at the same fidelity (measured: 0.50x).
    @Test func aSmallMovingObjectIsCheaperInValues() throws {
        let still = Self.dense(channels: 8, side: 28)
        let frames = (0..<6).map { t in
            var v = still.values
            for c in 0..<8 { for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] { v[c * 784 + (10 + dy) * 28 + 3 + 4 * t + dx] += 2 } }
            return Tensor(shape: still.shape, values: v)
        }
        let frequencies = (0..<TileTransform.frequencies).map { Float(0.5 * pow(4, Double($0 % 7 + $0 / 7) / 12)) }
        var bytes: [Bool: Int] = [:]
        for mixed in [false, true] {
            let (encoded, decoded) = try roundTrip(frames, Self.settings(quality: 30, frequencies: frequencies, mixed: mixed))
            bytes[mixed] = encoded.dropFirst().reduce(0) { $0 + $1.payload.count }
            for t in 1..<6 { #expect(Self.snr(frames[t], decoded[t]) > 28, "mixed \(mixed), frame \(t)") }
        }
        #expect(bytes[true]! * 5 < bytes[false]! * 3, "P-frames: \(bytes[true]!) bytes in values or coefficients, \(bytes[false]!) in coefficients")
    }

    /// A frame that is exactly half the one before costs a fraction of an I-frame: the
    /// prediction weight 1/2 leaves nothing to code (weight 1 would leave the whole frame).
    @Test(arguments: [false, true])
    func halvedFrameIsPredictedWithAWeight(tabled: Bool) throws {
        let a = Self.dense()
        let half = Tensor(shape: a.shape, values: a.values.map { $0 * 0.5 })
        let (encoded, decoded) = try roundTrip([a, half], Self.settings(quality: 30, tabled: tabled))
        #expect(encoded[1].type == .predicted)
        #expect(encoded[1].payload.count * 10 < encoded[0].payload.count, "\(encoded[1].payload.count) vs \(encoded[0].payload.count)")
        #expect(Self.snr(half, decoded[1]) > 29)
    }

    /// At high rate a uniform step gives the SNR asked for: noise step^2 / 12 against the rms.
    @Test(arguments: [30.0, 40, 60])
    func qualityIsTheSNR(quality: Double) throws {
        let frame = Self.dense()
        let (_, decoded) = try roundTrip([frame], Self.settings(quality: quality))
        let snr = Self.snr(frame, decoded[0])
        #expect(abs(snr - quality) < 0.3, "quality \(quality): SNR \(snr)")
    }

    /// A channel with weight w has w times the step: its error power is w^2 times another's.
    @Test func channelWeightsScaleTheSteps() throws {
        let frame = Self.dense(channels: 2, side: 32)
        let (_, decoded) = try roundTrip([frame], Self.settings(quality: 35, weights: [0.5, 2]))
        let plane = 32 * 32
        func noise(_ c: Int) -> Double {
            (c * plane..<(c + 1) * plane).reduce(0.0) { $0 + Double(frame.values[$1] - decoded[0].values[$1]) * Double(frame.values[$1] - decoded[0].values[$1]) }
        }
        let ratio = noise(0) / noise(1)
        #expect(ratio > 1.0 / 20 && ratio < 1.0 / 13, "error power ratio \(ratio), expected 1/16")
    }

    /// Damaged payloads are errors (or other values), never a crash; a bad step is refused.
    @Test(arguments: [false, true])
    func damageThrowsAndNeverCrashes(tabled: Bool) throws {
        let frames = Self.everyMode(count: 3)
        let settings = Self.settings(quality: 30, tabled: tabled)
        let encoder = FrameEncoder(settings: settings, shape: frames[0].shape)
        let encoded = frames.enumerated().map { encoder.encode($1, seconds: Double($0)) }
        var random = SplitMix(state: 9)
        for e in encoded {
            for trial in 0..<200 {
                var bytes = e.payload
                if trial % 2 == 0 {
                    bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
                } else {
                    bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(1 + random.next() % 255)
                }
                let decoder = FrameDecoder(settings: settings, shape: frames[0].shape)
                if e.type == .predicted { _ = try decoder.decode(encoded[0].payload[...], type: .intra) }
                if let tensor = try? decoder.decode(bytes[...], type: e.type) { #expect(tensor.values.count == e.reconstruction.values.count) }
            }
        }
        // A stream cut before its flush bytes (the range coder's 5, rANS's last word) is
        // damage, not a frame of zeros.
        for e in encoded {
            for cut in tabled ? [1, 4] : [5] {
                let decoder = FrameDecoder(settings: settings, shape: frames[0].shape)
                if e.type == .predicted { _ = try decoder.decode(encoded[0].payload[...], type: .intra) }
                #expect(throws: FrameDecoder.Failure.self) { try decoder.decode(e.payload.dropLast(cut), type: e.type) }
            }
        }
        // Bytes after a table-coded stream's end are damage too (its words are read to the
        // end: a payload that grew is not a frame).
        if tabled {
            for e in encoded {
                let decoder = FrameDecoder(settings: settings, shape: frames[0].shape)
                if e.type == .predicted { _ = try decoder.decode(encoded[0].payload[...], type: .intra) }
                #expect(throws: FrameDecoder.Failure.self) { try decoder.decode((e.payload + [0, 0, 0, 0])[...], type: e.type) }
            }
        }
        // A huge finite step turns the levels into infinities: damage, not values.
        var huge = encoded[0].payload
        huge.replaceSubrange(0..<4, with: withUnsafeBytes(of: Float(3e38).bitPattern.littleEndian, Array.init))
        #expect(throws: FrameDecoder.Failure.self) { try FrameDecoder(settings: settings, shape: frames[0].shape).decode(huge[...], type: .intra) }
        for step: Float in [0, -1, .nan, .infinity] {
            var bytes = encoded[0].payload
            bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: step.bitPattern.littleEndian, Array.init))
            #expect(throws: FrameDecoder.Failure.self) { try FrameDecoder(settings: settings, shape: frames[0].shape).decode(bytes[...], type: .intra) }
        }
    }

    /// The quantizer's rounding without libm is `nearest` everywhere: ties to even, across the
    /// edge of its exact range (2^22), beyond it, and for what is not finite.
    @Test func fastRoundingIsNearest() {
        var random = SplitMix(state: 12)
        var values: [Float] = [0, -0, 0.5, 1.5, 2.5, -0.5, -1.5, 4_194_303.5, 4_194_304, 4_194_304.5, 4_194_305.5, -4_194_305.5,
                               5_000_000.5, 8_388_609, 16_777_215, 3e9, -3e9, .nan, .infinity, -.infinity, .leastNonzeroMagnitude]
        for e in 0..<40 {
            for _ in 0..<50 { values.append(Float(Double.random(in: -1...1, using: &random) * pow(2, Double(e)))) }
            values.append(Float(1 << min(e, 30)) + 0.5)
        }
        for x in values { #expect(StepQuantizer.fastNearest(x) == StepQuantizer.nearest(x), "\(x)") }
    }

    /// The mode decision's quantizer (eight values at a time) gives each value its nearest
    /// level and the cost of them all, as one value at a time would: with a reference and a
    /// weight or alone around an offset, in lengths that leave a tail, and with a value beyond
    /// 2^22 steps (an odd integer below 2^23, which the rounding trick gets wrong; 10^8; NaN)
    /// that sends the whole channel through `nearest`.
    @Test(arguments: [8, 45, 196])
    func quantizerGivesTheNearestLevelsAndTheirCost(count: Int) {
        var random = SplitMix(state: UInt64(count))
        let coder = StepCoder(settings: Self.settings(quality: 30), shape: [1, 1, count])
        let x = (0..<count).map { i in Float(Double.random(in: -1...1, using: &random) * pow(10, Double(i % 5) - 1)) }
        let p = (0..<count).map { _ in Float(Double.random(in: -2...2, using: &random)) }
        for far: Float in [0, 4_194_305, 1e8, .nan] {
            var x = x
            if far != 0 { x[count / 2] = far }
            for (weight, offset, step): (Float, Int32, Float) in [(0, 0, 1), (0, 0, 0.01), (0, -7, 0.003), (0.75, 0, 0.02), (1, 3, 0.5)] {
                var levels = [Int32](repeating: 99, count: count)
                let cost = x.withUnsafeBufferPointer { xs in
                    p.withUnsafeBufferPointer { ps in
                        coder.quantize(xs, minus: weight == 0 ? nil : ps, weight: weight, step: step, offset: offset, into: &levels)
                    }
                }
                var error = 0.0, bits = 0.0
                var expected: [Int32] = []
                for i in 0..<count {
                    let y = (weight == 0 ? x[i] : x[i] - weight * p[i]) * (1 / step) - Float(offset)
                    let q = StepQuantizer.nearest(y)
                    expected.append(q)
                    if y.isFinite { error += Double(y - Float(q)) * Double(y - Float(q)) }
                    bits += q == 0 ? 0.5 : 2.5 + 2 * Double(32 - q.magnitude.leadingZeroBitCount)
                }
                #expect(levels == expected, "\(count) values, far \(far), weight \(weight), offset \(offset)")
                let reference = error + Double(StepCoder.lambda) * bits
                #expect(far.isNaN || abs(Double(cost) - reference) <= 1e-5 * reference, "cost \(cost), one by one \(reference)")
            }
        }
    }

    /// A rate controller's trials that are not sent leave no trace: the table-coded frames
    /// after them are those of an encoder that never tried (their tables start from what the
    /// frame sent ended with, not the last trial).
    @Test func trialsThatAreNotSentLeaveNoTrace() throws {
        let frames = Self.everyMode(count: 12)
        let settings = Self.settings(quality: 30, tabled: true)
        let tried = FrameEncoder(settings: settings, shape: frames[0].shape)
        let plain = FrameEncoder(settings: settings, shape: frames[0].shape)
        let decoder = FrameDecoder(settings: settings, shape: frames[0].shape)
        for (t, frame) in frames.enumerated() {
            let seconds = Double(t) / 5
            for q in [12.0, 48] { _ = tried.trial(frame, seconds: seconds, forceIntra: false, quality: q) }
            let sent = tried.trial(frame, seconds: seconds, forceIntra: false, quality: 30)
            tried.accept(sent, seconds: seconds)
            let reference = plain.encode(frame, seconds: seconds, quality: 30)
            #expect(sent.payload == reference.payload, "frame \(t)")
            let decoded = try decoder.decode(sent.payload[...], type: sent.type)
            #expect(decoded.values.map(\.bitPattern) == sent.reconstruction.values.map(\.bitPattern))
        }
    }

    /// Settings that cannot be coded are refused before anything runs.
    @Test func invalidSettingsAreRefused() {
        #expect(throws: CodingSettings.Invalid.self) { try Self.settings(quality: -1).validate() }
        #expect(throws: CodingSettings.Invalid.self) { try Self.settings(quality: .nan).validate() }
        #expect(throws: CodingSettings.Invalid.self) { try Self.settings(quality: 30, weights: [1, 0]).validate() }
        #expect(throws: CodingSettings.Invalid.self) { try Self.settings(quality: 30, weights: [1, .infinity]).validate() }
        #expect(throws: CodingSettings.Invalid.self) { try Self.settings(quality: 30, weights: [1, 1]).validate(channels: 3) }
        var levels = CodingSettings()
        levels.channelWeights = [1]
        #expect(throws: CodingSettings.Invalid.self) { try levels.validate() }
        #expect(throws: Never.self) { try Self.settings(quality: 120, weights: [1, 2, 3]).validate(channels: 3) }
        // A library user gets the same check from the stream encoder (the frames are 4 channels).
        #expect(throws: CodingSettings.Invalid.self) { try makeStream(count: 2, settings: Self.settings(quality: 30, weights: [1, 2, 3])) }
    }
}
