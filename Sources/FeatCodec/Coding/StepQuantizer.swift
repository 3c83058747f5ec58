import Foundation

/// Step mode's scalar quantizer: level q stands for q x step, zero is exact (mid-tread).
enum StepQuantizer {
    /// The step that gives a uniform quantizer about `quality` dB of SNR at high rate on a tensor
    /// whose values have root-mean-square `rms`: noise step^2 / 12 against rms^2.
    static func step(quality: Double, rms: Float) -> Float {
        let s = Float(Double(rms) * (12.0).squareRoot() * pow(10, -quality / 20))
        // A step the decoder accepts (finite, normal) even for absurd tensors.
        return s.isFinite && s >= Float.leastNormalMagnitude ? s : (s.isFinite ? Float.leastNormalMagnitude : 1)
    }

    /// Root-mean-square of `values`, in double precision (only the encoder computes it: the
    /// step it gives is in the stream).
    static func rms(_ values: ArraySlice<Float>) -> Float {
        guard !values.isEmpty else { return 0 }
        let total = values.withUnsafeBufferPointer { sum($0) { Double($0) * Double($0) } }
        return Float((total / Double(values.count)).squareRoot())
    }

    /// The sum of `f` over `values` in double precision, in four partial sums (one chain of
    /// additions through every value is slow), always added in the same order.
    @inline(__always)
    static func sum(_ values: UnsafeBufferPointer<Float>, _ f: (Float) -> Double) -> Double {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
        let lanes = values.count & ~3
        var i = 0
        while i < lanes {
            s0 += f(values[i])
            s1 += f(values[i &+ 1])
            s2 += f(values[i &+ 2])
            s3 += f(values[i &+ 3])
            i &+= 4
        }
        var total = (s0 + s1) + (s2 + s3)
        for j in lanes..<values.count { total += f(values[j]) }
        return total
    }

    /// `nearest`, without a call to libm for the usual magnitudes (below 2^22): adding and
    /// taking away 1.5 x 2^23 rounds to the nearest integer, ties to even, in float arithmetic.
    @inline(__always)
    static func fastNearest(_ scaled: Float) -> Int32 {
        guard abs(scaled) < 4_194_304 else { return nearest(scaled) }
        return Int32((scaled + 12_582_912) - 12_582_912)
    }

    /// The nearest level (ties to even).
    @inline(__always)
    static func nearest(_ scaled: Float) -> Int32 {
        guard scaled.isFinite else { return 0 }
        return Int32(max(-1e9, min(1e9, scaled.rounded(.toNearestOrEven))))
    }
}
