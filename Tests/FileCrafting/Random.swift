/// SplitMix64: every case is reproducible from the seed and the case number.
public struct Random: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64, case index: Int) { state = seed &* 0x2545_F491_4F6C_DD1D ^ UInt64(index) &* 0x9E37_79B9_7F4A_7C15 }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    public mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }

    /// A value a crafted file would use for an integer field: edges, small, huge, random.
    public mutating func edgeInteger(near value: Int64 = 0) -> Int64 {
        pick([0, 1, -1, 2, value &- 1, value &+ 1, value &* 2, Int64(Int32.max), Int64(UInt32.max), 1 << 31, 1 << 32,
              1 << 61, 1 << 62, Int64.max, Int64.min, Int64.max - 15, Int64(bitPattern: next()), Int64(below(1000)), 1_000_000])
    }

    public mutating func edgeDouble() -> Double {
        pick([.nan, .infinity, -.infinity, 0, -0.0, 1e308, -1e308, .leastNonzeroMagnitude, 1e-300, 1e-9, -1, 9_007_199_254_740_992,
              Double(bitPattern: next())])
    }
}

/// Little-endian reading and writing of fixed-size fields.
extension Array where Element == UInt8 {
    public func le(_ offset: Int, _ size: Int) -> UInt64 {
        (0..<size).reduce(UInt64(0)) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) }
    }

    public mutating func putLE(_ value: UInt64, _ offset: Int, _ size: Int) {
        for i in 0..<size { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    public mutating func appendLE(_ value: UInt64, _ size: Int) {
        for i in 0..<size { append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}
