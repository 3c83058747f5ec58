@testable import FeatCodec
import Foundation
import TestSupport
import Testing

/// Feature-like frames: ReLU of a smooth per-channel pattern that drifts over time, plus noise.
func featureFrames(count: Int, channels: Int = 8, side: Int = 14, drift: Float = 0.02, seed: UInt64 = 5) -> [Tensor] {
    var random = SplitMix(state: seed)
    let plane = side * side
    let base = (0..<(channels * plane)).map { i -> Float in
        let c = i / plane, y = (i % plane) / side, x = i % side
        return sin(Float(x) * 0.5 + Float(c)) * cos(Float(y) * 0.3) * Float(c + 1) - 0.3
    }
    return (0..<count).map { t in
        Tensor(shape: [channels, side, side], values: base.indices.map { i in
            let noise = Float(Double.random(in: -0.02...0.02, using: &random))
            return max(0, base[i] + drift * Float(t) * sin(Float(i)) + noise)
        })
    }
}

@Suite struct FrameCoderTests {
    func roundTrip(_ frames: [Tensor], _ settings: CodingSettings) throws -> (encoded: [EncodedFrame], decoded: [Tensor]) {
        let encoder = FrameEncoder(settings: settings, shape: frames[0].shape)
        let decoder = FrameDecoder(settings: settings, shape: frames[0].shape)
        var encoded: [EncodedFrame] = [], decoded: [Tensor] = []
        for (t, frame) in frames.enumerated() {
            let e = encoder.encode(frame, seconds: Double(t) / 5)
            encoded.append(e)
            decoded.append(try decoder.decode(e.payload[...], type: e.type))
        }
        return (encoded, decoded)
    }

    @Test func losslessIsBitExact() throws {
        var settings = CodingSettings()
        settings.precision = .float32
        let frames = featureFrames(count: 30)
        let (encoded, decoded) = try roundTrip(frames, settings)
        for (a, b) in zip(frames, decoded) { #expect(a.values.map(\.bitPattern) == b.values.map(\.bitPattern)) }
        #expect(encoded.filter { $0.type == .predicted }.count > 20)
    }

    @Test func float16IsExact() throws {
        var settings = CodingSettings()
        settings.precision = .float16
        let frames = featureFrames(count: 20)
        let (_, decoded) = try roundTrip(frames, settings)
        for (a, b) in zip(frames, decoded) { #expect(a.values.map { Float(Float16($0)) } == b.values) }
    }

    /// Quantized: every value inside its channel's range is within half a step; values outside
    /// are clipped to the range ends. The encoder's reconstruction is the decoder's, bit for bit,
    /// over a long run of P-frames.
    @Test(arguments: [256, 64, 16, 4])
    func quantizedErrorAndClosedLoop(levels: Int) throws {
        var settings = CodingSettings()
        settings.precision = .quantized(levels: levels)
        settings.gopSeconds = 1000
        let frames = featureFrames(count: 300)
        let encoder = FrameEncoder(settings: settings, shape: frames[0].shape)
        let decoder = FrameDecoder(settings: settings, shape: frames[0].shape)
        var predicted = 0
        for (t, frame) in frames.enumerated() {
            let e = encoder.encode(frame, seconds: Double(t) / 5)
            if e.type == .predicted { predicted += 1 }
            let d = try decoder.decode(e.payload[...], type: e.type)
            #expect(d.values.map(\.bitPattern) == e.reconstruction.values.map(\.bitPattern), "frame \(t)")
            let plane = 14 * 14
            for c in 0..<8 {
                let q = decoder.quantizers[c]
                let high = q.dequantize(q.levels - 1)
                for i in (c * plane)..<((c + 1) * plane) {
                    let x = frame.values[i], clipped = min(max(x, q.low), high)
                    #expect(abs(d.values[i] - clipped) <= q.step / 2 * 1.0001 + 1e-6, "frame \(t) channel \(c)")
                }
            }
        }
        #expect(predicted > 250)
    }

    /// The dead zone widens the bin of the level nearest zero to (0.5 + d) steps each side,
    /// boundary included; other values round to the nearest level.
    @Test func deadZoneWidensTheZeroBin() {
        // Levels at -2, -1.75, ..., 5.75: level 8 is 0 exactly; all values here are exact in binary.
        let plain = ChannelQuantizer(low: -2, step: 0.25, levels: 32, deadZone: 0)
        let wide = ChannelQuantizer(low: -2, step: 0.25, levels: 32, deadZone: 0.5)
        #expect(plain.zeroLevel == 8 && wide.zeroLevel == 8 && wide.dequantize(8) == 0)
        for (x, plainLevel, wideLevel) in [(Float(0.2), Int32(9), Int32(8)), (0.25, 9, 8), (-0.25, 7, 8), (0.3, 9, 9), (0.125, 9, 8),
                                           (-0.3, 7, 7), (1.0, 12, 12), (-0.1, 8, 8)] {
            #expect(plain.quantize(x) == plainLevel, "\(x) without dead zone")
            #expect(wide.quantize(x) == wideLevel, "\(x) with dead zone 0.5")
        }
    }

    /// A channel's range is its values less `clipPercent` % at each tail: with 100 values and
    /// 5 %, the 6th smallest to the 6th largest; 2^bits levels span it.
    @Test func rangeClipsEachTail() {
        let values = (0..<100).map { Float($0 * $0) / 100 }  // 0, 0.01, ..., 98.01: uneven spacing
        let q = ChannelQuantizer(fitting: values[...], levels: 16, clipPercent: 5, deadZone: 0)
        #expect(q.low == values[5])
        #expect(q.dequantize(15) == values[5] + 15 * q.step && abs(q.dequantize(15) - values[94]) < 1e-4)
        let whole = ChannelQuantizer(fitting: values[...], levels: 16, clipPercent: 0, deadZone: 0)
        #expect(whole.low == 0 && abs(whole.dequantize(15) - values[99]) < 1e-4)
    }

    /// A P-frame channel that leaves its range far is refreshed: coded alone with a new range,
    /// so its values come back within half a step, not clipped to the old range.
    @Test func channelLeavingItsRangeIsRefreshed() throws {
        var settings = CodingSettings()
        settings.precision = .quantized(levels: 64)
        settings.gopSeconds = 1000
        let frames = featureFrames(count: 2, drift: 0)
        var moved = frames[1].values
        let plane = 14 * 14
        for i in (3 * plane)..<(4 * plane) { moved[i] = moved[i] * 3 + 5 }  // channel 3 jumps out of its range
        let (encoded, decoded) = try roundTrip([frames[0], Tensor(shape: frames[1].shape, values: moved)], settings)
        #expect(encoded[1].type == .predicted && encoded[1].channelModes[Int(ChannelMode.refresh.rawValue)] == 1)
        let step = (moved[(3 * plane)..<(4 * plane)].max()! - moved[(3 * plane)..<(4 * plane)].min()!) / 63
        for i in (3 * plane)..<(4 * plane) { #expect(abs(decoded[1].values[i] - moved[i]) <= step * 0.5001 + 1e-5) }
    }

    @Test func staticFramesCostAlmostNothing() throws {
        let frame = featureFrames(count: 1)[0]
        let (encoded, _) = try roundTrip(Array(repeating: frame, count: 10), CodingSettings())
        #expect(encoded[0].type == .intra && encoded[0].payload.count > 200)
        for e in encoded.dropFirst() {
            #expect(e.type == .predicted && e.payload.count == 8)  // one skip flag per channel
        }
    }

    @Test func intraOnlyAndGroups() throws {
        var settings = CodingSettings()
        settings.intraOnly = true
        #expect(try roundTrip(featureFrames(count: 6), settings).encoded.allSatisfy { $0.type == .intra })
        settings.intraOnly = false
        settings.gopSeconds = 1  // frames are 0.2 s apart: an I-frame every 5
        let types = try roundTrip(featureFrames(count: 11), settings).encoded.map(\.type)
        #expect(types.enumerated().filter { $0.element == .intra }.map(\.offset) == [0, 5, 10])
    }

    @Test func sameInputSameBytes() throws {
        let frames = featureFrames(count: 8)
        let a = try roundTrip(frames, CodingSettings()).encoded.map(\.payload)
        let b = try roundTrip(frames, CodingSettings()).encoded.map(\.payload)
        #expect(a == b)
    }

    @Test func predictedFrameNeedsItsReference() throws {
        let frames = featureFrames(count: 2)
        let (encoded, _) = try roundTrip(frames, CodingSettings())
        let fresh = FrameDecoder(settings: CodingSettings(), shape: frames[0].shape)
        #expect(throws: FrameDecoder.Failure.noReference) { try fresh.decode(encoded[1].payload[...], type: .predicted) }
    }
}
