/// How `TabledLevelCoder` splits a level q into one table-coded token and raw bits: tokens 0
/// to 15 are |q| = 0 to 15 exactly, and from 16 on each bit length of |q| has two tokens, for
/// the bit below the top one (16-23, 24-31, 32-47, ...); the raw bits are the bits of |q| below
/// those two. Levels stay below 2^30 in magnitude (`StepQuantizer.nearest`), so there are 68
/// tokens and at most 28 raw bits.
enum LevelToken {
    static let count = 68
    /// Magnitudes below this are tokens of their own.
    private static let exact = 16

    /// The token of a level of magnitude `a` (below 2^30).
    @inline(__always)
    static func token(magnitude a: UInt32) -> Int {
        guard a >= exact else { return Int(a) }
        let length = 32 &- a.leadingZeroBitCount
        return 2 &* length &+ 6 &+ Int((a >> UInt32(length &- 2)) & 1)
    }

    /// How many bits of the magnitude lie below a token's two (0 for the exact tokens).
    @inline(__always)
    static func lowBits(_ token: Int) -> Int { token < exact ? 0 : token / 2 &- 5 }

    /// The magnitude of a token with `low` as its bits below the top two.
    @inline(__always)
    static func magnitude(_ token: Int, low: UInt32) -> UInt32 {
        guard token >= exact else { return UInt32(token) }
        return UInt32(2 | (token & 1)) << UInt32(lowBits(token)) | low
    }
}
