/// How `TabledLevelCoder` splits a level q into one table-coded token and raw bits: token 0 is
/// zero, 1 is |q| = 1, and from 2 on each bit length of |q| has two tokens, for the bit below
/// the top one (|q| = 2, 3, 4-5, 6-7, 8-11, 12-15, ...). The raw bits are the sign, then the
/// bits of |q| below those two. Levels stay below 2^30 in magnitude (`StepQuantizer.nearest`),
/// so there are 60 tokens and at most 29 raw bits.
enum LevelToken {
    static let count = 60

    /// The token of a level of magnitude `a` (below 2^30).
    @inline(__always)
    static func token(magnitude a: UInt32) -> Int {
        guard a > 1 else { return Int(a) }
        let length = 32 - a.leadingZeroBitCount
        return 2 * length - 2 + Int((a >> UInt32(length - 2)) & 1)
    }

    /// How many bits of the magnitude lie below a token's two (0 for tokens 0 and 1).
    @inline(__always)
    static func lowBits(_ token: Int) -> Int { token < 2 ? 0 : token / 2 - 1 }

    /// The magnitude of a token with `low` as its bits below the top two.
    @inline(__always)
    static func magnitude(_ token: Int, low: UInt32) -> UInt32 {
        guard token > 1 else { return UInt32(token) }
        return UInt32(2 | (token & 1)) << UInt32(lowBits(token)) | low
    }
}
