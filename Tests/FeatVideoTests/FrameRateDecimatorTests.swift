import FeatVideo
import TestSupport
import Testing

/// An independent statement of the rule: every grid point anchor + k / rate (up to half a
/// frame past the last frame) picks the frame nearest to it, the earlier one on a tie.
private func nearestToGrid(_ pts: [Int64], timeBase: Rational, rate: Rational) -> Set<Int> {
    // Scale so grid points and timestamps are integers: unit = 1 / (rate * timeBase * den stuff).
    let a = Int128(timeBase.numerator), b = Int128(timeBase.denominator)
    let p = Int128(rate.numerator), q = Int128(rate.denominator)
    let times = pts.map { Int128($0) * a * p * 2 }           // 2 * t * (a p) in pts units
    let step = 2 * b * q                                      // 2 / rate in the same units
    let lastEnd = pts.count > 1 ? times.last! + (times.last! - times[times.count - 2]) / 2 : times.last!
    var kept = Set<Int>()
    var grid = times[0]
    while grid <= lastEnd {
        var best = 0
        for i in pts.indices where abs(times[i] - grid) < abs(times[best] - grid) { best = i }
        kept.insert(best)
        grid += step
    }
    return kept
}

private func decimate(_ pts: [Int64], timeBase: Rational, rate: Rational?) -> [Int] {
    var decimator = FrameRateDecimator(rate: rate, timeBase: timeBase)
    return pts.indices.filter { i in
        decimator.keeps(pts: pts[i], previous: i > 0 ? pts[i - 1] : nil, next: i + 1 < pts.count ? pts[i + 1] : nil)
    }
}

@Suite struct FrameRateDecimatorTests {
    @Test func thirtyToTenKeepsEveryThirdFrame() {
        for (timeBase, step) in [(Rational(1, 30), Int64(1)), (Rational(1, 15360), Int64(512)), (Rational(1, 90000), Int64(3000))] {
            let pts = (0..<90).map { Int64($0) * step }
            #expect(decimate(pts, timeBase: timeBase, rate: Rational(10)) == Array(stride(from: 0, to: 90, by: 3)))
        }
    }

    @Test func sourceRateKeepsEverything() {
        let pts = (0..<100).map { Int64($0) * 1001 }
        #expect(decimate(pts, timeBase: Rational(1, 30000), rate: nil) == Array(0..<100))
        #expect(decimate(pts, timeBase: Rational(1, 30000), rate: Rational(30000, 1001)) == Array(0..<100))
    }

    @Test func twelveOfThirtyTakesNearestAndEarlierOnTies() {
        let pts = (0..<60).map { Int64($0) }
        let kept = decimate(pts, timeBase: Rational(1, 30), rate: Rational(12))
        // Grid 0, 2.5, 5, 7.5, ... frames: ties at x.5 go to the earlier frame.
        #expect(kept == [0, 2, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 30, 32, 35, 37, 40, 42, 45, 47, 50, 52, 55, 57])
        #expect(Set(kept) == nearestToGrid(pts, timeBase: Rational(1, 30), rate: Rational(12)))
    }

    @Test func neverMoreThanTheRateInAnySecond() {
        let pts = (0..<300).map { Int64($0) * 1001 }
        for rate in [Rational(5), Rational(25, 2), Rational(12), Rational(24000, 1001)] {
            let kept = decimate(pts, timeBase: Rational(1, 30000), rate: rate)
            let seconds = kept.map { Double(pts[$0]) / 30000 }
            for start in seconds {
                let inWindow = seconds.filter { $0 >= start && $0 < start + 1 - 1e-9 }.count
                #expect(Double(inWindow) <= rate.doubleValue.rounded(.up), "rate \(rate)")
            }
        }
    }

    @Test func variableFrameRateFollowsTimestamps() {
        var generator = SplitMix(state: 7)
        for _ in 0..<20 {
            var pts: [Int64] = [0]
            for _ in 1..<200 { pts.append(pts.last! + Int64.random(in: 5...120, using: &generator)) }
            for rate in [Rational(1), Rational(10), Rational(25, 2), Rational(30000, 1001)] {
                let kept = decimate(pts, timeBase: Rational(1, 1000), rate: rate)
                #expect(Set(kept) == nearestToGrid(pts, timeBase: Rational(1, 1000), rate: rate), "rate \(rate)")
                #expect(kept.count == Set(kept).count)
            }
        }
    }

    @Test func anchorPlacesTheGrid() {
        var first = FrameRateDecimator(rate: Rational(10), timeBase: Rational(1, 30))
        #expect([0, 1, 2, 3].map { first.keeps(pts: $0, previous: $0 - 1, next: $0 + 1) } == [true, false, false, true])
        var anchored = FrameRateDecimator(rate: Rational(10), timeBase: Rational(1, 30), anchor: 4)
        #expect((5...10).map { anchored.keeps(pts: Int64($0), previous: Int64($0) - 1, next: Int64($0) + 1) } == [false, false, true, false, false, true])
    }
}
