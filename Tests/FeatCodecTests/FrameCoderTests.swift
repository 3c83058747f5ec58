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
