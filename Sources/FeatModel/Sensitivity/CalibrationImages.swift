import Foundation

/// Deterministic pictures to measure a model on without any footage: colour noise whose
/// amplitude falls as 1/frequency over six octaves (the spectrum of natural images), each
/// picture from its own seed. The same bytes on every machine (integer generator, float
/// arithmetic in a fixed order).
public enum CalibrationImages {
    /// `count` 224 x 224 RGB24 pictures.
    public static func make(count: Int) -> [[UInt8]] {
        (0..<count).map { picture(seed: UInt64($0) &+ 1) }
    }

    static func picture(seed: UInt64) -> [UInt8] {
        let size = 224
        var random = SplitMix(seed: seed)
        var sum = [Float](repeating: 0, count: size * size * 3)
        var cell = 112
        var amplitude: Float = 1
        while cell >= 3 {
            // A grid of random colours every `cell` pixels, bilinearly interpolated.
            let n = size / cell + 2
            let grid = (0..<(n * n * 3)).map { _ in random.unit() * 2 - 1 }
            for y in 0..<size {
                let gy = Float(y) / Float(cell), y0 = Int(gy), fy = gy - Float(y0)
                for x in 0..<size {
                    let gx = Float(x) / Float(cell), x0 = Int(gx), fx = gx - Float(x0)
                    for k in 0..<3 {
                        let a = grid[(y0 * n + x0) * 3 + k], b = grid[(y0 * n + x0 + 1) * 3 + k]
                        let c = grid[((y0 + 1) * n + x0) * 3 + k], d = grid[((y0 + 1) * n + x0 + 1) * 3 + k]
                        let top = a + (b - a) * fx, bottom = c + (d - c) * fx
                        sum[(y * size + x) * 3 + k] += amplitude * (top + (bottom - top) * fy)
                    }
                }
            }
            cell /= 2
            amplitude *= 0.5
        }
        return sum.map { UInt8(max(0, min(255, 128 + 64 * $0))) }
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// Standard normal (Box-Muller).
    mutating func gaussian() -> Float {
        let u = max(unit(), 1e-7), v = unit()
        return Float((-2 * log(Double(u))).squareRoot() * cos(2 * Double.pi * Double(v)))
    }
}
