@testable import FeatCodec
import Foundation
import TestSupport
import Testing

extension SplitMix {
    /// Laplace-distributed integers with scale `b`, `zeros` of them forced to 0.
    mutating func laplace(_ count: Int, scale b: Double, zeros: Double) -> [Int32] {
        (0..<count).map { _ in
            if Double.random(in: 0..<1, using: &self) < zeros { return 0 }
            let u = Double.random(in: -0.5..<0.5, using: &self)
            return Int32((-b * (u < 0 ? -1 : 1) * log(1 - 2 * abs(u))).rounded())
        }
    }
}

func entropyBits(_ values: [Int32]) -> Double {
    var counts: [Int32: Int] = [:]
    for v in values { counts[v, default: 0] += 1 }
    let n = Double(values.count)
    return counts.values.reduce(0) { $0 - Double($1) * log2(Double($1) / n) }
}

@Suite struct EntropyTests {
    @Test func rangeCoderRoundTripsBitsAndDirectBits() {
        var random = SplitMix(state: 1)
        let bits = (0..<20_000).map { i in Double.random(in: 0..<1, using: &random) < (i % 7 == 0 ? 0.5 : 0.05) }
        var encoder = RangeEncoder()
        var models = [BitModel](repeating: BitModel(), count: 7)
        for (i, bit) in bits.enumerated() {
            encoder.encode(bit, &models[i % 7])
            if i % 1000 == 0 { encoder.encodeDirect(UInt32(i), count: 17) }
        }
        let bytes = encoder.finish()
        var decoder = RangeDecoder(bytes[...])
        models = [BitModel](repeating: BitModel(), count: 7)
        for (i, bit) in bits.enumerated() {
            #expect(decoder.decode(&models[i % 7]) == bit)
            if i % 1000 == 0 { #expect(decoder.decodeDirect(count: 17) == UInt32(i)) }
        }
        #expect(decoder.overrun == 0)
    }

    /// Laplace symbols with many zeros, as feature residuals are: exact round trip, and no more
    /// than 2 % over their order-0 entropy (no context helps on independent symbols), plus a
    /// fixed 128 bits (the coder's 5-byte flush and the models' first lessons).
    @Test(arguments: [(0.7, 0.6), (3.0, 0.3), (40.0, 0.1), (0.2, 0.95)])
    func symbolsRoundTripNearEntropy(scale: Double, zeros: Double) {
        var random = SplitMix(state: UInt64(scale * 1000))
        let values = random.laplace(28 * 28 * 32, scale: scale, zeros: zeros)
        let bytes = SymbolModel.encode(values, width: 28)
        #expect(SymbolModel.decode(bytes[...], count: values.count, width: 28, limit: 1 << 16) == values)
        #expect(Double(bytes.count * 8) <= 1.02 * entropyBits(values) + 128,
                "scale \(scale): \(bytes.count * 8) bits, entropy \(entropyBits(values))")
    }

    @Test func extremeSymbolsRoundTrip() {
        let values: [Int32] = [0, 65535, -65535, 1, -1, 14, 15, 16, -14, -15, 300, 0, 0, 32767]
        let bytes = SymbolModel.encode(values, width: 7)
        #expect(SymbolModel.decode(bytes[...], count: values.count, width: 7, limit: 65536) == values)
    }

    @Test func bytePlanesRoundTrip() {
        var random = SplitMix(state: 9)
        let words = (0..<5000).map { _ in Float(Double.random(in: -3...3, using: &random)).bitPattern }
        let bytes = ByteModel.encode(words, planes: 4)
        #expect(ByteModel.decode(bytes[...], count: words.count, planes: 4) == words)
        let halves = words.map { UInt32(Float16(Float(bitPattern: $0)).bitPattern) }
        #expect(ByteModel.decode(ByteModel.encode(halves, planes: 2)[...], count: halves.count, planes: 2) == halves)
    }

    @Test func damagedStreamsFailCleanly() {
        var random = SplitMix(state: 3)
        let values = random.laplace(4096, scale: 2, zeros: 0.5)
        let bytes = SymbolModel.encode(values, width: 64)
        var failures = 0
        for trial in 0..<300 {
            var damaged = bytes
            damaged[Int(random.next() % UInt64(damaged.count))] ^= UInt8(1 << (trial % 8))
            if trial % 3 == 0 { damaged.removeLast(Int(random.next() % UInt64(damaged.count))) }
            // Either a clean failure or some decode: never a crash or a hang.
            if SymbolModel.decode(damaged[...], count: values.count, width: 64, limit: 256) == nil { failures += 1 }
        }
        #expect(failures > 0)
    }
}
