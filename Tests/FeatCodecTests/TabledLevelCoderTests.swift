@testable import FeatCodec
import Foundation
import TestSupport
import Testing

/// Table-coded step mode's parts: the encoder's reciprocals divide exactly, level tokens round
/// trip, rANS round trips symbols and raw bits, the frame coder round trips every mode, shape
/// and extreme level with the tables the decoder learns, and it costs no more than the
/// adaptive coder on dense and on sparse sequences.
@Suite struct TabledLevelCoderTests {
    /// `encode`'s multiply by a reciprocal is the division it replaces, for every frequency a
    /// table can hold and states across the whole range an encoder keeps (below 2^63).
    @Test func reciprocalsDivideExactly() {
        var random = SplitMix(state: 21)
        for f in 1...UInt32(TokenTables.total) {
            var states: [UInt64] = [0, 1, UInt64(f) - 1, UInt64(f), (1 << 63) - 1, ((1 << 63) - 1) / UInt64(f) * UInt64(f)]
            for _ in 0..<8 { states.append(random.next() >> (1 + random.next() % 40)) }
            for x in states where RansEncoder.quotient(x, f) != x / UInt64(f) {
                Issue.record("\(x) / \(f): \(RansEncoder.quotient(x, f)), not \(x / UInt64(f))")
                return
            }
        }
    }

    /// Every magnitude below 2^30 is a token below `LevelToken.count` and its low bits, and back.
    @Test func levelTokensRoundTrip() {
        var magnitudes = Array(UInt32(0)...4100)
        for b in 2...30 { magnitudes += [UInt32(1) << (b - 1), (UInt32(1) << b) - 1, (UInt32(1) << (b - 1)) | (UInt32(1) << (b - 2))] }
        for a in magnitudes {
            let t = LevelToken.token(magnitude: a)
            let low = LevelToken.lowBits(t)
            #expect(t < LevelToken.count && LevelToken.magnitude(t, low: a & ((1 << UInt32(low)) - 1)) == a, "\(a)")
        }
        #expect(LevelToken.token(magnitude: (1 << 30) - 1) == LevelToken.count - 1)
        #expect((0...15).allSatisfy { LevelToken.token(magnitude: $0) == Int($0) })
        #expect([16, 23, 24, 31, 32, 47, 48].map { LevelToken.token(magnitude: $0) } == [16, 16, 17, 17, 18, 18, 19])
    }

    /// rANS returns what was pushed, symbols of any frequency and raw bits of 0 to 31, and ends
    /// intact; one word fewer is not intact.
    @Test func ransRoundTripsSymbolsAndRawBits() {
        var random = SplitMix(state: 5)
        enum Item: Equatable { case symbol(start: UInt32, frequency: UInt32), bits(UInt32, count: UInt32) }
        let items: [Item] = (0..<20_000).map { i in
            if i % 3 == 0 {
                let count = UInt32(random.next() % 32)
                return .bits(UInt32(truncatingIfNeeded: random.next()) & UInt32((UInt64(1) << count) - 1), count: count)
            }
            let frequency = i % 5 == 0 ? 1 : UInt32(1 + random.next() % UInt64(TokenTables.total))
            return .symbol(start: UInt32(random.next() % UInt64(TokenTables.total - Int(frequency) + 1)), frequency: frequency)
        }
        let symbols = items.map { item -> RansEncoder.Symbol in
            switch item {
            case .symbol(let start, let frequency): return RansEncoder.Symbol(start: start, frequency: frequency, scaleBits: TokenTables.scaleBits)
            case .bits(let value, let count): return .bits(value, count: count)
            }
        }
        let bytes = symbols.withUnsafeBufferPointer { RansEncoder.encode($0) }
        #expect(bytes.count % 4 == 0)
        for drop in [0, 4] {
            let intact = bytes.dropLast(drop).withUnsafeBufferPointer { data -> Bool in
                var words = RansWords(data)
                var decoder = RansDecoder(&words)
                for item in items {
                    switch item {
                    case .symbol(let start, let frequency):
                        let slot = decoder.slot(scaleBits: TokenTables.scaleBits)
                        if drop == 0 && !(start..<(start + frequency)).contains(slot) { return false }
                        decoder.advance(start: start, frequency: frequency, scaleBits: TokenTables.scaleBits, &words)
                    case .bits(let value, let count):
                        let read = decoder.bits(count: count, &words)
                        if drop == 0 && read != value { return false }
                    }
                }
                return decoder.intact && words.consumed
            }
            #expect(intact == (drop == 0), "dropping \(drop) bytes")
        }
    }

    /// Random levels, from sparse to huge (up to 2^30 - 1), every channel mode and extreme
    /// offsets, in shapes down to one value: the decoder gets the levels, modes, offsets and
    /// the statistics the encoder ended with, frame after frame with the statistics carried.
    @Test(arguments: [[3, 5, 7], [1, 1, 1], [2, 1, 9], [4, 6, 1], [5, 28, 28]])
    func framesRoundTripWithCarriedTables(shape: [Int]) throws {
        var random = SplitMix(state: UInt64(shape.reduce(1, *)))
        let coder = TabledLevelCoder(height: shape[1], width: shape[2])
        let plane = shape[1] * shape[2]
        var statistics: TabledLevelCoder.Statistics?
        for frame in 0..<8 {
            let predicted = frame % 4 != 0
            let modes: [StepCoder.Mode] = (0..<shape[0]).map { c in
                predicted ? StepCoder.Mode(token: Int(random.next() % UInt64(TabledLevelCoder.modeTokens(mixed: false)))) : .alone
            }
            var levels = [Int32](repeating: 0, count: shape[0] * plane)
            let offsets: [Int32] = modes.map { mode in
                guard mode == .alone else { return 0 }
                return [0, 1, -1, 1_000_000_000, -1_000_000_000, Int32(random.next() % 2001) - 1000][Int(random.next() % 6)]
            }
            for (c, mode) in modes.enumerated() where mode != .skip {
                let scale = [0.3, 3, 300, 3e6][Int(random.next() % 4)]
                let drawn = random.laplace(plane, scale: scale, zeros: [0.0, 0.5, 0.95][c % 3])
                for i in 0..<plane { levels[c * plane + i] = max(-(1 << 30) + 1, min((1 << 30) - 1, drawn[i])) }
                if c == 1 { levels[c * plane] = (1 << 30) - 1 }
            }
            let coded = coder.encode(levels, modes: modes, offsets: offsets, predicted: predicted, start: predicted ? statistics : nil)
            var decoded = [Int32](repeating: 0, count: levels.count)
            let result = try coder.decode(coded.bytes[...], channels: shape[0], predicted: predicted, start: predicted ? statistics : nil, into: &decoded)
            #expect(decoded == levels, "frame \(frame)")
            #expect(result.modes == modes && result.offsets == offsets && result.statistics == coded.statistics)
            // Decoded with tables that did not learn the frames before, the stream is not intact.
            if predicted && frame > 1 {
                var wrong = [Int32](repeating: 0, count: levels.count)
                let other = try? coder.decode(coded.bytes[...], channels: shape[0], predicted: true, start: nil, into: &wrong)
                #expect(other == nil || wrong != levels || other!.modes != modes, "frame \(frame) decoded without its reference's tables")
            }
            statistics = coded.statistics
        }
    }

    /// Carried counts are each context's halved until they total at most 1024, so a long
    /// stream's history weighs no more than about one frame of a busy context.
    @Test func carriedCountsAreBounded() {
        let tables = TokenTables(contexts: 2, tokens: 3, counts: [5000, 3000, 1, 7, 0, 2])
        #expect(tables.carried() == [625, 375, 0, 7, 0, 2])
    }

    /// The table coder costs no more than the adaptive coder (within 1.5 %) on dense frames and
    /// on sparse ones, where each frame alone is too short to learn 60-token tables and the
    /// carried counts do the teaching.
    @Test(arguments: [0.0, 0.9])
    func costsNoMoreThanTheAdaptiveCoder(stillFraction: Double) throws {
        var random = SplitMix(state: 8)
        let moving = featureFrames(count: 30, channels: 16, side: 20, drift: 0.05)
        let frames = moving.enumerated().map { t, frame in
            // Channels that mostly hold still but for a few moving values, as in a static scene.
            Tensor(shape: frame.shape, values: frame.values.enumerated().map { i, v in
                Double.random(in: 0..<1, using: &random) < stillFraction ? moving[0].values[i] : v
            })
        }
        func bytes(tabled: Bool) throws -> Int {
            var s = CodingSettings()
            s.precision = tabled ? .tabledSteps(quality: 30) : .steps(quality: 30)
            let encoder = FrameEncoder(settings: s, shape: frames[0].shape)
            return frames.enumerated().reduce(0) { $0 + encoder.encode($1.1, seconds: Double($1.0) / 5).payload.count }
        }
        let (tabled, adaptive) = (try bytes(tabled: true), try bytes(tabled: false))
        #expect(Double(tabled) < Double(adaptive) * 1.015, "tables \(tabled) bytes, adaptive \(adaptive)")
    }
}
