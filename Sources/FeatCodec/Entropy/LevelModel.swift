import Foundation

/// Step mode's context model: the adaptive probabilities for a whole frame's levels, which go
/// through one range coder channel after channel, so what is learnt in one channel serves the
/// next (a fresh model per channel, as `SymbolModel` has, spends most of a 784-value channel
/// learning). A level q is binarised as
/// - zero or not, in a context of the local activity (below) and of the channel's mode;
/// - its sign, in a context of the left and upper neighbours' signs;
/// - m = |q| - 1 as an Exp-Golomb code: the bit length of m + 1 in unary, each unary bin with its
///   own probability per activity context and mode, then the bits below the top one, the first
///   two adaptive (per length), the rest at one bit each.
/// The activity of a position is 2|left| + 2|up| + |up-left| + |up-right| + 2|same position in
/// the channel coded before|, bucketed by bit length: it predicts the magnitude's scale, which is
/// where most of the bits of a fine step go.
struct LevelModel: ~Copyable {
    static let buckets = 14
    static let lengthBins = 16
    /// Mode sets: 0 coded alone, 1 predicted (base layer); 2 refined from the layer below,
    /// 3 predicted from the same layer of the previous frame, 4 and 5 refined where the
    /// previous frame's layer lies below or above the middle of the bin, 6 and 7 predicted
    /// where the layers below moved the value by about one step or by two or more (refinement
    /// layers; 3 where they did not, 1.6).
    static let modes = 8
    /// Sign contexts: 3 (sign(left) + 1) + (sign(up) + 1), or the same with another sign for
    /// up (`RefinementCoder`); 9 more for the direction the layers below moved a value (1.6).
    static let signContexts = 18

    // Every probability in one allocation, addressed by these offsets: no copy-on-write or
    // bounds checks in the innermost loop (decoding went from 58 to 69 MB/s at 30 dB, bench-codec).
    private static let zero = 0
    private static let sign = zero + modes * buckets
    private static let length = sign + signContexts
    private static let mantissa = length + modes * buckets * lengthBins
    /// A channel's offset (intra: its mean, in levels): sign and bit length.
    private static let offsetSign = mantissa + 2 * 33
    private static let offsetLength = offsetSign + 1
    private static let count = offsetLength + 33
    private let models: UnsafeMutablePointer<BitModel>

    init() { self.init(nil) }

    deinit { models.deallocate() }

    /// Every probability: what a refinement layer's model ends a frame with, and the next
    /// frame's same layer starts from (1.6).
    struct State: Sendable {
        fileprivate let models: [BitModel]
    }

    /// A model that starts from `state` (nil: fresh).
    init(_ state: State?) {
        models = .allocate(capacity: LevelModel.count)
        if let state { models.initialize(from: state.models, count: LevelModel.count) } else { models.initialize(repeating: BitModel(), count: LevelModel.count) }
    }

    /// Where the model stands now.
    var state: State { State(models: Array(UnsafeBufferPointer(start: models, count: LevelModel.count))) }

    /// The bits `code` would spend on q now, without learning from it: an encoder's estimate
    /// for choosing among ways to code a channel.
    func cost(_ q: Int32, mode: Int, bucket: Int, signContext: Int) -> Float {
        var bits = LevelModel.cost(q != 0, models[LevelModel.zero + mode * LevelModel.buckets + bucket])
        guard q != 0 else { return bits }
        bits += LevelModel.cost(q < 0, models[LevelModel.sign + signContext])
        let v = UInt32(q.magnitude)
        let length = 32 - v.leadingZeroBitCount
        let row = LevelModel.length + (mode * LevelModel.buckets + bucket) * LevelModel.lengthBins
        for j in 0..<(length - 1) { bits += LevelModel.cost(true, models[row + min(j, LevelModel.lengthBins - 1)]) }
        bits += LevelModel.cost(false, models[row + min(length - 1, LevelModel.lengthBins - 1)])
        // The bits below the top one, as if at one bit each.
        return bits + Float(length - 1)
    }

    /// -log2 of the probability `model` gives `bit`, from a table of 1024 probabilities.
    @inline(__always)
    private static func cost(_ bit: Bool, _ model: BitModel) -> Float {
        let zero = Int(model.zero) >> 6
        return costs[bit ? 1023 - min(zero, 1023) : zero]
    }

    /// -log2((i + 0.5) / 1024) for i in 0 ..< 1024.
    private static let costs: [Float] = (0..<1024).map { -log2((Float($0) + 0.5) / 1024) }

    /// The activity bucket of position (y, x) of a `width`-wide channel `q`; `before` is the
    /// channel coded before it (nil for the first).
    @inline(__always)
    static func bucket(_ q: UnsafePointer<Int32>, _ before: UnsafePointer<Int32>?, y: Int, x: Int, width: Int) -> Int {
        // Wrapping arithmetic: levels are below 2^31, so the sum cannot overflow, and the
        // innermost loop of both coders keeps no overflow checks.
        let i = y &* width &+ x
        var a = 0
        if x > 0 { a &+= 2 &* Int(q[i &- 1].magnitude) }
        if y > 0 {
            a &+= 2 &* Int(q[i &- width].magnitude)
            if x > 0 { a &+= Int(q[i &- width &- 1].magnitude) }
            if x &+ 1 < width { a &+= Int(q[i &- width &+ 1].magnitude) }
        }
        if let before { a &+= 2 &* Int(before[i].magnitude) }
        return bucket(activity: a)
    }

    /// The bucket of an activity: its bit length, at most `buckets - 1`.
    @inline(__always)
    static func bucket(activity a: Int) -> Int { min(Int.bitWidth &- a.leadingZeroBitCount, buckets &- 1) }

    /// The sign context: the left and upper neighbours' signs.
    @inline(__always)
    static func signContext(_ q: UnsafePointer<Int32>, y: Int, x: Int, width: Int) -> Int {
        let i = y * width + x
        let left = x > 0 ? q[i - 1].signum() + 1 : 1
        let up = y > 0 ? q[i - width].signum() + 1 : 1
        return Int(left * 3 + up)
    }

    /// Codes level `q` in contexts (`mode` set 0 to 5, `bucket`, `signContext`).
    @inline(__always)
    mutating func code(_ q: Int32, mode: Int, bucket: Int, signContext: Int, _ coder: inout RangeEncoder) {
        coder.encode(q != 0, &models[LevelModel.zero + mode * LevelModel.buckets + bucket])
        guard q != 0 else { return }
        coder.encode(q < 0, &models[LevelModel.sign + signContext])
        let v = UInt32(q.magnitude)  // m + 1
        let bits = 32 - v.leadingZeroBitCount
        let row = LevelModel.length + (mode * LevelModel.buckets + bucket) * LevelModel.lengthBins
        for j in 0..<(bits - 1) { coder.encode(true, &models[row + min(j, LevelModel.lengthBins - 1)]) }
        coder.encode(false, &models[row + min(bits - 1, LevelModel.lengthBins - 1)])
        codeMantissa(v, bits: bits, &coder)
    }

    /// The bits of `v` below its top bit (`bits` long): two adaptive, the rest direct.
    @inline(__always)
    private mutating func codeMantissa(_ v: UInt32, bits: Int, _ coder: inout RangeEncoder) {
        if bits >= 2 { coder.encode((v >> UInt32(bits - 2)) & 1 == 1, &models[LevelModel.mantissa + bits]) }
        if bits >= 3 { coder.encode((v >> UInt32(bits - 3)) & 1 == 1, &models[LevelModel.mantissa + 33 + bits]) }
        if bits >= 4 { coder.encodeDirect(v, count: bits - 3) }
    }

    /// Decodes a level coded by `code` in the same contexts; nil when it cannot be a level.
    @inline(__always)
    mutating func decode(mode: Int, bucket: Int, signContext: Int, _ coder: inout RangeDecoder) -> Int32? {
        guard coder.decode(&models[LevelModel.zero + mode * LevelModel.buckets + bucket]) else { return 0 }
        let negative = coder.decode(&models[LevelModel.sign + signContext])
        let row = LevelModel.length + (mode * LevelModel.buckets + bucket) * LevelModel.lengthBins
        var bits = 1
        while coder.decode(&models[row + min(bits - 1, LevelModel.lengthBins - 1)]) {
            bits += 1
            if bits > 31 { return nil }
        }
        let v = decodeMantissa(bits: bits, &coder)
        return negative ? -Int32(v) : Int32(v)
    }

    @inline(__always)
    private mutating func decodeMantissa(bits: Int, _ coder: inout RangeDecoder) -> UInt32 {
        var v: UInt32 = 1
        if bits >= 2 { v = v << 1 | (coder.decode(&models[LevelModel.mantissa + bits]) ? 1 : 0) }
        if bits >= 3 { v = v << 1 | (coder.decode(&models[LevelModel.mantissa + 33 + bits]) ? 1 : 0) }
        if bits >= 4 { v = v << UInt32(bits - 3) | coder.decodeDirect(count: bits - 3) }
        return v
    }

    /// Codes a channel's offset (a signed integer of at most 31 bits).
    mutating func codeOffset(_ offset: Int32, _ coder: inout RangeEncoder) {
        coder.encode(offset < 0, &models[LevelModel.offsetSign])
        let v = UInt32(offset.magnitude) + 1
        let bits = 32 - v.leadingZeroBitCount
        for j in 0..<(bits - 1) { coder.encode(true, &models[LevelModel.offsetLength + j]) }
        coder.encode(false, &models[LevelModel.offsetLength + bits - 1])
        if bits >= 2 { coder.encodeDirect(v, count: bits - 1) }
    }

    mutating func decodeOffset(_ coder: inout RangeDecoder) -> Int32? {
        let negative = coder.decode(&models[LevelModel.offsetSign])
        var bits = 1
        while coder.decode(&models[LevelModel.offsetLength + bits - 1]) {
            bits += 1
            if bits > 31 { return nil }
        }
        let v = bits >= 2 ? (1 << UInt32(bits - 1)) | coder.decodeDirect(count: bits - 1) : 1
        let magnitude = Int32(v - 1)
        return negative ? -magnitude : magnitude
    }
}
