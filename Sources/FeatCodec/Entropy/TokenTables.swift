/// The probabilities of tokens (`LevelToken`s, signs, channel modes) in each context, learnt
/// from the tokens coded so far (encoder and decoder count alike, so no table is ever sent).
/// A context's table is rebuilt from its counts whenever they have doubled since the last build
/// (from 8 tokens on): early tokens teach fast, later tables change rarely and cost little
/// time. Each table gives its tokens frequencies out of 2^15, at least 1 each (any token stays
/// codable; with 2^12 the slots of unseen tokens cost up to 3.9 % more, on walker), from
/// counts x 8 plus a prior of 1 over the tokens a context can expect.
final class TokenTables {
    static let scaleBits: UInt32 = 15
    static let total = 1 << 15
    /// Slots per entry of the coarse index that starts a symbol's search.
    private static let coarseShift = 8
    let contexts: Int
    /// The alphabet's size (at most 256).
    let tokens: Int
    private let counts: UnsafeMutablePointer<UInt32>
    /// Tokens counted since each context's table was built, and how many it was built from.
    private let fresh: UnsafeMutablePointer<UInt32>
    private let built: UnsafeMutablePointer<UInt32>
    /// Per context: tokens + 1 cumulative frequencies (start of each token, then the total).
    private let starts: UnsafeMutablePointer<UInt16>
    /// Per context: for each run of 2^`coarseShift` slots, the token owning its first slot.
    private let coarse: UnsafeMutablePointer<UInt8>

    /// The prior of context k covers at least its first `priorSpans[k]` tokens.
    private let priorSpans: [Int]

    /// Tables for `contexts` contexts of `tokens` tokens, starting from `counts` (contexts x
    /// tokens, from `carried`) or from nothing; context k's prior covers at least its first
    /// `priorSpan(k)` tokens (all by default).
    init(contexts: Int, tokens: Int = LevelToken.count, counts start: [UInt32]? = nil, priorSpan: (Int) -> Int = { _ in .max }) {
        self.contexts = contexts
        self.tokens = tokens
        priorSpans = (0..<contexts).map { min(tokens, priorSpan($0)) }
        let n = tokens
        precondition(start == nil || start!.count == contexts * n)
        counts = .allocate(capacity: contexts * n)
        counts.initialize(repeating: 0, count: contexts * n)
        fresh = .allocate(capacity: contexts)
        fresh.initialize(repeating: 0, count: contexts)
        built = .allocate(capacity: contexts)
        built.initialize(repeating: 0, count: contexts)
        starts = .allocate(capacity: contexts * (n + 1))
        coarse = .allocate(capacity: contexts << (Int(TokenTables.scaleBits) - TokenTables.coarseShift))
        if let start {
            for k in 0..<contexts {
                for t in 0..<n { counts[k * n + t] = start[k * n + t] }
                fresh[k] = start[(k * n)..<((k + 1) * n)].reduce(0, +)
            }
        }
        for k in 0..<contexts { rebuild(k) }
    }

    /// The counts the next frame starts from: each context's, halved until they total at most
    /// `TokenTables.carriedTotal`, so the next frame's own tokens soon outweigh them.
    func carried() -> [UInt32] {
        var result = [UInt32](repeating: 0, count: contexts * tokens)
        for k in 0..<contexts {
            let c = counts + k * tokens
            var total = (0..<tokens).reduce(0) { $0 + UInt64(c[$1]) }, shift: UInt32 = 0
            while total > TokenTables.carriedTotal {
                shift += 1
                total = (0..<tokens).reduce(0) { $0 + UInt64(c[$1] >> shift) }
            }
            for t in 0..<tokens { result[k * tokens + t] = c[t] >> shift }
        }
        return result
    }

    static let carriedTotal: UInt64 = 1024

    deinit {
        counts.deallocate()
        fresh.deallocate()
        built.deallocate()
        starts.deallocate()
        coarse.deallocate()
    }

    /// Token `t`'s first slot and slot count in context `k`.
    @inline(__always)
    func interval(_ t: Int, context k: Int) -> (start: UInt32, frequency: UInt32) {
        let s = starts + (k &* (tokens &+ 1) &+ t)
        return (UInt32(s[0]), UInt32(s[1] &- s[0]))
    }

    /// The token owning `slot` in context `k`.
    @inline(__always)
    func token(slot: UInt32, context k: Int) -> Int {
        let s = starts + k &* (tokens &+ 1)
        var t = Int(coarse[(k << (Int(TokenTables.scaleBits) - TokenTables.coarseShift)) | Int(slot >> UInt32(TokenTables.coarseShift))])
        while UInt32(s[t &+ 1]) <= slot { t &+= 1 }
        return t
    }

    /// `token(slot:context:)` and `interval` at once for a two-token alphabet, without branches.
    @inline(__always)
    func binary(slot: UInt32, context k: Int) -> (token: Int, start: UInt32, frequency: UInt32) {
        let zero = UInt32(starts[k &* 3 &+ 1])
        let one = slot >= zero
        return (one ? 1 : 0, one ? zero : 0, one ? UInt32(TokenTables.total) &- zero : zero)
    }

    /// Counts token `t` in context `k`, rebuilding the table when its counts have doubled.
    @inline(__always)
    func count(_ t: Int, context k: Int) {
        counts[k &* tokens &+ t] &+= 1
        fresh[k] &+= 1
        if fresh[k] >= max(8, built[k]) { rebuild(k) }
    }

    /// Context k's frequencies from its counts: (count x 8 + prior) scaled to 2^15 slots, at
    /// least one each, the rounding left over given to the most frequent token.
    private func rebuild(_ k: Int) {
        let n = tokens
        let c = counts + k * n
        built[k] += fresh[k]
        fresh[k] = 0
        // The prior (1 against 8 per token counted) goes to the context's prior span and the
        // tokens up to two above the largest seen; those further up keep only their one slot
        // (a first token far above the rest costs 15 bits; a prior over every token cost 0.05 to
        // 0.2 % more on bikes and pan, 0.4 to 0.7 % on walker, at 20-40 dB).
        var top = -1
        for t in 0..<n where c[t] > 0 { top = t }
        let priors = min(n, max(top + 3, priorSpans[k]))
        // 2^(32 + scaleBits) / (8 x counted + priors): one division per table, a multiply per token.
        let scale = (1 << (32 + UInt64(TokenTables.scaleBits))) / (8 * UInt64(built[k]) + UInt64(priors))
        let s = starts + k * (n + 1)
        // Frequencies first (in the starts' places), then their running sums.
        var sum: UInt32 = 0, largest = 0
        for t in 0..<n {
            let f = max(1, UInt32(truncatingIfNeeded: ((UInt64(c[t]) &* 8 &+ (t < priors ? 1 : 0)) &* scale) >> 32))
            s[t] = UInt16(f)
            sum += f
            if f > UInt32(s[largest]) { largest = t }
        }
        s[largest] = UInt16(UInt32(s[largest]) + UInt32(TokenTables.total) - sum)
        var start: UInt16 = 0
        for t in 0..<n {
            let f = s[t]
            s[t] = start
            start += f
        }
        s[n] = start
        let runs = 1 << (Int(TokenTables.scaleBits) - TokenTables.coarseShift)
        var t = 0
        for j in 0..<runs {
            let first = UInt16(j << TokenTables.coarseShift)
            while s[t + 1] <= first { t += 1 }
            coarse[k * runs + j] = UInt8(t)
        }
    }
}
