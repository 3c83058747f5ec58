/// Table-coded step mode (`CodingSettings.Precision.tabledSteps`, format 1.5): one rANS stream
/// per frame holding, channel after channel, its mode (P-frames), its offset (coded alone) and
/// its levels as `LevelToken`s. Levels are coded in contexts of the channel's mode set (coded
/// alone or predicted) and of `LevelModel.bucket`'s activity, their signs in contexts of the
/// left and upper neighbours' signs (as `LevelModel.signContext`), their low bits raw. Every
/// table learns from the tokens coded so far (`TokenTables`); a P-frame's tables start from
/// what its reference frame's ended with (`Statistics`), an I-frame's from nothing. Where
/// `LevelModel` spends an adaptive binary decision on each bin of a level's binarisation, this
/// decodes one token per level, plus a sign when it is not zero.
///
/// Tried and removed (bikes, pan and walker at 20-40 dB): two rANS lanes, one per half of each
/// channel, decoded in turn (so that two chains of dependent levels overlap) cost 0.3 % more
/// bytes and decoded no faster; tokens for the top three bits instead of two cost 0.7 % more
/// (slower learning). Kept because they paid: 15-bit tables instead of 12 (-0.25 to -3.9 %:
/// the slot every unseen token keeps), counts carried into P-frames instead of tables learnt
/// afresh (-0.6 to -6 %), walker the most (README, "What each tool of step mode pays").
/// Decoding is bound by the chain from a level to the next (its magnitude is the next one's
/// context); three rANS states split by symbol kind decoded only 1.07-1.16x faster, and 300
/// MB/s came only from signed tokens with static tables, at +1.7-3.7 % bytes (README, "Speed is
/// still the weak point").
struct TabledLevelCoder {
    static let modeSets = 2
    /// Channel modes as tokens: skip, alone, then predicted with each of `StepCoder.Mode.weights`
    /// (and in values with each, `mixed`).
    static func modeTokens(mixed: Bool) -> Int { 2 + StepCoder.Mode.weights.count * (mixed ? 2 : 1) }

    /// The counts a P-frame's tables start from: those its reference frame's ended with, scaled
    /// down (`TokenTables.carried`).
    struct Statistics: Sendable, Equatable {
        var levels: [UInt32]
        var signs: [UInt32]
        var modes: [UInt32]
        var offsets: [UInt32]
    }

    /// A frame's tables; `bands` frequency bands of level contexts (transformed mode: 4).
    private struct Tables {
        let levels: TokenTables
        let signs: TokenTables
        let modes: TokenTables
        let offsets: TokenTables

        init(_ start: Statistics?, bands: Int, mixed: Bool) {
            // A level's magnitude seldom exceeds 5x its neighbourhood's (about 2^bucket / 5):
            // the prior covers the tokens up to 2^bucket. Levels coded in values (`mixed`) have
            // one band of contexts of their own, after the others.
            let contexts = (TabledLevelCoder.modeSets * bands + (mixed ? 1 : 0)) * LevelModel.buckets
            levels = TokenTables(contexts: contexts, counts: start?.levels) { k in
                LevelToken.token(magnitude: 1 << UInt32(k % LevelModel.buckets)) + 1
            }
            signs = TokenTables(contexts: 9, tokens: 2, counts: start?.signs)
            modes = TokenTables(contexts: 1, tokens: TabledLevelCoder.modeTokens(mixed: mixed), counts: start?.modes)
            offsets = TokenTables(contexts: 1, counts: start?.offsets)
        }

        var carried: Statistics {
            Statistics(levels: levels.carried(), signs: signs.carried(), modes: modes.carried(), offsets: offsets.carried())
        }
    }

    let height: Int
    let width: Int
    var plane: Int { height * width }
    /// Transformed mode: each position's frequency band (`TileTransform.bands`), a context of
    /// its level; nil: one band.
    let bands: [Int]?
    let bandCount: Int
    /// Whether a channel's mode may be `StepCoder.Mode.inValues` (format 1.9).
    let mixed: Bool

    init(height: Int, width: Int, bands: [Int]? = nil, mixed: Bool = false) {
        (self.height, self.width, self.bands, self.mixed) = (height, width, bands, mixed)
        bandCount = bands == nil ? 1 : TileTransform.bandCount
        precondition(bands == nil || bands!.count == height * width)
    }

    /// The first level context of mode set `set` at each position of a row (`bucket` is added).
    private func rowContexts(set: Int, y: Int, into contexts: UnsafeMutablePointer<Int>) {
        guard set < TabledLevelCoder.modeSets else {
            // Levels coded in values: one band.
            return contexts.update(repeating: TabledLevelCoder.modeSets &* bandCount &* LevelModel.buckets, count: width)
        }
        for x in 0..<width { contexts[x] = (set &* bandCount &+ (bands?[y &* width &+ x] ?? 0)) &* LevelModel.buckets }
    }

    /// Codes a frame: each channel's mode (`predicted`: a P-frame; an I-frame's are all
    /// `alone`), the offset of each channel coded alone, and the levels of every channel not
    /// skipped; the tables start from `start`. Returns the bytes and what the next P-frame
    /// starts from.
    func encode(_ levels: [Int32], modes: [StepCoder.Mode], offsets: [Int32], predicted: Bool,
                start: Statistics?) -> (bytes: [UInt8], statistics: Statistics) {
        let tables = Tables(start, bands: bandCount, mixed: mixed)
        // What the decoder will read, in its order, with each symbol's interval as its tables
        // will give it (at most a token, a sign and raw bits per value); rANS then pushes them
        // in reverse.
        var pushes = Pushes(capacity: 3 * (levels.count + 2 * modes.count))
        defer { pushes.buffer.deallocate() }
        levels.withUnsafeBufferPointer { all in
            tokenize(all.baseAddress!, modes: modes, offsets: offsets, predicted: predicted, tables: tables, into: &pushes)
        }
        return (RansEncoder.encode(UnsafeBufferPointer(rebasing: pushes.buffer[..<pushes.count])), tables.carried)
    }

    /// `encode`'s symbols in the decoder's order. (A function of its own with the pushes
    /// `inout`: captured by nested functions, every access to their count was checked at run
    /// time.)
    private func tokenize(_ all: UnsafePointer<Int32>, modes: [StepCoder.Mode], offsets: [Int32], predicted: Bool, tables: Tables,
                          into pushes: inout Pushes) {
        let above = UnsafeMutablePointer<Int>.allocate(capacity: width), contexts = UnsafeMutablePointer<Int>.allocate(capacity: width)
        defer { above.deallocate(); contexts.deallocate() }
        for (c, mode) in modes.enumerated() {
            if predicted { pushes.token(mode.token, in: tables.modes) }
            if mode == .alone {
                let t = LevelToken.token(magnitude: offsets[c].magnitude)
                pushes.token(t, in: tables.offsets)
                if t > 0 { pushes.bits(offsets[c].magnitude << 1 | (offsets[c] < 0 ? 1 : 0), count: LevelToken.lowBits(t) + 1) }
            }
            guard let set = mode.modeSet else { continue }
            let q = all + c * plane
            let before = c > 0 ? q - plane : nil
            for y in 0..<height {
                TabledLevelCoder.activityAbove(q, before, y: y, width: width, into: above)
                rowContexts(set: set, y: y, into: contexts)
                let row = q + y &* width
                for x in 0..<width {
                    let left = x > 0 ? row[x &- 1] : 0, level = row[x]
                    let t = LevelToken.token(magnitude: level.magnitude)
                    pushes.token(t, in: tables.levels, context: contexts[x] &+ LevelModel.bucket(activity: above[x] &+ 2 &* Int(left.magnitude)))
                    guard t > 0 else { continue }
                    pushes.token(level < 0 ? 1 : 0, in: tables.signs, context: TabledLevelCoder.signContext(left: left, up: y > 0 ? row[x &- width] : 0))
                    pushes.bits(level.magnitude, count: LevelToken.lowBits(t))
                }
            }
        }
    }

    /// What `decode` gives back besides the levels.
    struct Decoded {
        var modes: [StepCoder.Mode]
        var offsets: [Int32]
        var statistics: Statistics
    }

    /// Decodes what `encode` wrote for `channels` channels with the same `predicted` and
    /// `start` into `levels` (zeros on entry). Throws `FrameDecoder.Failure.damaged` unless the
    /// stream is intact.
    func decode(_ bytes: ArraySlice<UInt8>, channels: Int, predicted: Bool, start: Statistics?, into levels: inout [Int32]) throws -> Decoded {
        let tables = Tables(start, bands: bandCount, mixed: mixed)
        var modes: [StepCoder.Mode] = [], offsets: [Int32] = []
        let intact = bytes.withUnsafeBufferPointer { data in
            levels.withUnsafeMutableBufferPointer { all in
                decode(data, channels: channels, predicted: predicted, tables: tables, into: all.baseAddress!, modes: &modes, offsets: &offsets)
            }
        }
        guard intact else { throw FrameDecoder.Failure.damaged("the level stream does not end where it should") }
        return Decoded(modes: modes, offsets: offsets, statistics: tables.carried)
    }

    /// `decode` on pointers, with the coder local (so it can live in registers, where a
    /// closure's capture keeps it in memory); returns whether the stream was intact.
    private func decode(_ data: UnsafeBufferPointer<UInt8>, channels: Int, predicted: Bool, tables: Tables,
                        into levels: UnsafeMutablePointer<Int32>, modes: inout [StepCoder.Mode], offsets: inout [Int32]) -> Bool {
        var words = RansWords(data)
        var decoder = RansDecoder(&words)
        let above = UnsafeMutablePointer<Int>.allocate(capacity: width), contexts = UnsafeMutablePointer<Int>.allocate(capacity: width)
        defer { above.deallocate(); contexts.deallocate() }
        for c in 0..<channels {
            let mode = predicted ? StepCoder.Mode(token: TabledLevelCoder.decodeToken(&decoder, &words, tables.modes, context: 0)) : .alone
            modes.append(mode)
            var offset: Int32 = 0
            if mode == .alone {
                let t = TabledLevelCoder.decodeToken(&decoder, &words, tables.offsets, context: 0)
                if t > 0 {
                    let bits = decoder.bits(count: UInt32(LevelToken.lowBits(t) + 1), &words)
                    let magnitude = Int32(LevelToken.magnitude(t, low: bits >> 1))
                    offset = bits & 1 == 1 ? -magnitude : magnitude
                }
            }
            offsets.append(offset)
            guard let set = mode.modeSet else { continue }
            let q = levels + c * plane
            let before = c > 0 ? UnsafePointer(q - plane) : nil
            for y in 0..<height {
                TabledLevelCoder.activityAbove(q, before, y: y, width: width, into: above)
                rowContexts(set: set, y: y, into: contexts)
                let row = q + y &* width
                var left: Int32 = 0
                for x in 0..<width {
                    let k = contexts[x] &+ LevelModel.bucket(activity: above[x] &+ 2 &* Int(left.magnitude))
                    let sk = TabledLevelCoder.signContext(left: left, up: y > 0 ? row[x &- width] : 0)
                    left = TabledLevelCoder.decodeLevel(&decoder, &words, tables.levels, tables.signs, context: k, signContext: sk)
                    row[x] = left
                }
            }
        }
        return decoder.intact && words.consumed
    }

    /// The next token of `table`'s context `k`.
    @inline(__always)
    private static func decodeToken(_ decoder: inout RansDecoder, _ words: inout RansWords, _ table: TokenTables, context k: Int) -> Int {
        let t = table.token(slot: decoder.slot(scaleBits: TokenTables.scaleBits), context: k)
        let (start, frequency) = table.interval(t, context: k)
        decoder.advance(start: start, frequency: frequency, scaleBits: TokenTables.scaleBits, &words)
        table.count(t, context: k)
        return t
    }

    /// One level: its token in context `k`, then its sign in context `sk` and its low bits.
    /// (`@_transparent`: `@inline(__always)` left it a call.)
    @_transparent
    private static func decodeLevel(_ decoder: inout RansDecoder, _ words: inout RansWords, _ tables: TokenTables,
                                    _ signs: TokenTables, context k: Int, signContext sk: Int) -> Int32 {
        let t = tables.token(slot: decoder.slot(scaleBits: TokenTables.scaleBits), context: k)
        let (start, frequency) = tables.interval(t, context: k)
        decoder.advance(start: start, frequency: frequency, scaleBits: TokenTables.scaleBits, &words)
        tables.count(t, context: k)
        guard t > 0 else { return 0 }
        let (negative, signStart, signFrequency) = signs.binary(slot: decoder.slot(scaleBits: TokenTables.scaleBits), context: sk)
        decoder.advance(start: signStart, frequency: signFrequency, scaleBits: TokenTables.scaleBits, &words)
        signs.count(negative, context: sk)
        let a = Int32(LevelToken.magnitude(t, low: decoder.bits(count: UInt32(LevelToken.lowBits(t)), &words)))
        return negative == 1 ? -a : a
    }

    /// The sign context: 3 (sign(left) + 1) + (sign(up) + 1), as `LevelModel.signContext`.
    @inline(__always)
    static func signContext(left: Int32, up: Int32) -> Int { Int(left.signum() &+ 1) &* 3 &+ Int(up.signum() &+ 1) }

    /// The part of `LevelModel.bucket`'s activity that does not depend on the left neighbour,
    /// for every position of row y: 2|U| + |UL| + |UR| + 2|B|. Computed ahead of the row, it
    /// leaves only the left neighbour on the path from one level to the next.
    static func activityAbove(_ q: UnsafePointer<Int32>, _ before: UnsafePointer<Int32>?, y: Int, width: Int, into above: UnsafeMutablePointer<Int>) {
        let i = y &* width
        if let before {
            for x in 0..<width { above[x] = 2 &* Int(before[i &+ x].magnitude) }
        } else {
            above.update(repeating: 0, count: width)
        }
        guard y > 0 else { return }
        let up = q + (i &- width)
        for x in 0..<width {
            var a = 2 &* Int(up[x].magnitude)
            if x > 0 { a &+= Int(up[x &- 1].magnitude) }
            if x &+ 1 < width { a &+= Int(up[x &+ 1].magnitude) }
            above[x] &+= a
        }
    }

    /// The encoder's pushes, in the decoder's order.
    private struct Pushes {
        let buffer: UnsafeMutableBufferPointer<RansEncoder.Symbol>
        var count = 0

        init(capacity: Int) { buffer = .allocate(capacity: capacity) }

        /// Token `t` of `table`'s context `k`, counted as the decoder will count it.
        @inline(__always)
        mutating func token(_ t: Int, in table: TokenTables, context k: Int = 0) {
            let (start, frequency) = table.interval(t, context: k)
            buffer[count] = RansEncoder.Symbol(start: start, frequency: frequency, scaleBits: TokenTables.scaleBits)
            count &+= 1
            table.count(t, context: k)
        }

        /// The low `bits` bits of `value`, raw (`RansEncoder.Symbol.bits`).
        @inline(__always)
        mutating func bits(_ value: UInt32, count bits: Int) {
            guard bits > 0 else { return }
            buffer[count] = RansEncoder.Symbol.bits(value, count: UInt32(bits))
            count &+= 1
        }
    }
}
