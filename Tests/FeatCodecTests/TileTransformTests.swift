@testable import FeatCodec
import Foundation
import TestSupport
import Testing

/// Transformed step mode's 7x7-tile DCT: orthonormal, inverted by `inverse` on any map size
/// (partial edge tiles included), weighted per frequency, each tile's coefficients in its place, and built from
/// a basis that every libm gives the same floats.
@Suite struct TileTransformTests {
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix(state: seed)
        return (0..<count).map { _ in Float(Double.random(in: -3...3, using: &random)) }
    }

    /// `inverse(forward(x))` is x to float rounding, and without weights the energy is kept,
    /// on maps of whole tiles, partial tiles, and under one tile.
    @Test(arguments: [[2, 28, 28], [1, 13, 13], [3, 5, 9], [1, 1, 1], [2, 27, 55], [1, 14, 7]])
    func inverseUndoesForward(shape: [Int]) {
        let x = Self.values(shape.reduce(1, *), seed: UInt64(shape.reduce(0, +)))
        let weights = (0..<TileTransform.frequencies).map { Float(0.3 + Double($0 % 5)) }
        for table in [nil, weights] {
            let t = TileTransform(height: shape[1], width: shape[2], frequencyWeights: table)
            let y = t.forward(x), back = t.inverse(y)
            let error = zip(x, back).map { abs($0 - $1) }.max()!
            #expect(error < 1e-5, "\(shape) weighted \(table != nil): \(error)")
            if table == nil {
                let (ex, ey) = (x.reduce(0) { $0 + Double($1 * $1) }, y.reduce(0) { $0 + Double($1 * $1) })
                #expect(abs(ex - ey) / ex < 1e-5, "energy \(ex) vs \(ey)")
            }
        }
    }

    /// A plane that is one cosine of tile frequency (u, v) has its energy in that frequency
    /// only, divided by its weight: coefficient (u, v) of each tile sits u rows and v columns
    /// into the tile.
    @Test func oneFrequencyLandsInItsPlace() {
        let (u, v) = (2, 5)
        var weights = [Float](repeating: 1, count: TileTransform.frequencies)
        weights[u * 7 + v] = 4
        let t = TileTransform(height: 28, width: 28, frequencyWeights: weights)
        let x = (0..<(28 * 28)).map { i -> Float in
            let (y, x) = (i / 28 % 7, i % 28 % 7)
            return Float(cos(Double.pi * Double((2 * y + 1) * u) / 14) * cos(Double.pi * Double((2 * x + 1) * v) / 14))
        }
        let y = t.forward(x)
        // The 7-point basis has norm sqrt(7 / 2) per axis at u > 0: coefficient 3.5 / 4.
        for row in 0..<28 {
            for column in 0..<28 {
                let inBand = row % 7 == u && column % 7 == v
                #expect(abs(y[row * 28 + column] - (inBand ? 0.875 : 0)) < 1e-5, "(\(row), \(column)): \(y[row * 28 + column])")
            }
        }
    }

    /// Partial tiles take the weight of the 7-point frequency of the same period: frequency u
    /// of an m-point tile looks up round(7u / m).
    @Test func partialTilesLookUpTheNearestPeriod() {
        #expect(TileTransform.frequencyIndex(height: 7, width: 7) == Array(0..<49))
        // 10 = a tile of 7 and one of 3; frequency 1 and 2 of the 3-point tile are 7-point 2 and 5.
        let rows = TileTransform.layout(10).map { TileTransform.nominal($0) }
        #expect(rows == [0, 1, 2, 3, 4, 5, 6, 0, 2, 5])
    }

    /// Every basis value is a multiple of 2^-24 and more than 10^-6 of a rounding unit from a
    /// tie, so a cosine off by a few ulps in any libm rounds to the same float.
    @Test func basisRoundsTheSameEverywhere() {
        for m in 1...TileTransform.side {
            for k in 0..<(m * m) {
                let (u, j) = (k / m, k % m)
                let exact = ((u == 0 ? 1.0 : 2.0) / Double(m)).squareRoot() * cos(Double.pi * Double((2 * j + 1) * u) / Double(2 * m)) * 16_777_216
                let fraction = abs(exact - exact.rounded(.down) - 0.5)
                #expect(fraction > 1e-6, "size \(m), (\(u), \(j)) is near a tie")
                #expect(Double(TileTransform.basis[m][k]) * 16_777_216 == exact.rounded())
            }
        }
    }
}
