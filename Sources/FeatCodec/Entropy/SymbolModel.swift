/// Context models for one channel of signed integer symbols in raster order (H x W): the
/// quantized values of an intra channel (relative to the zero level) or the temporal residuals
/// of an inter channel. Feature maps are mostly zero after ReLU and smooth in space, so:
/// - "zero?" is coded in one of 3 contexts: how many of the left and upper neighbours are non-zero;
/// - the sign in one of 3 contexts: the left neighbour's sign;
/// - the magnitude as 4 unary bins (each bin its own context, split by whether a neighbour is
///   non-zero), then an Exp-Golomb escape whose length and first mantissa bit are adaptive.
///   Few contexts on purpose: each channel's sub-stream is short (784 values at 28 x 28) and
///   every context has to be learnt afresh in it (14 unary bins cost 1 % more at 8 bits).
/// A fresh model per channel and frame keeps every channel's sub-stream decodable alone.
struct SymbolModel {
    static let unaryBins = 4
    static let escapeBins = 24

    var zero = [BitModel](repeating: BitModel(), count: 3)
    var sign = [BitModel](repeating: BitModel(), count: 3)
    var magnitude = [BitModel](repeating: BitModel(), count: 2 * unaryBins)
    var escape = [BitModel](repeating: BitModel(), count: escapeBins)
    /// The bit below the top bit of an escaped value, one model per bit length.
    var mantissa = [BitModel](repeating: BitModel(), count: escapeBins)

    /// The context index from the already-coded neighbours.
    @inline(__always)
    static func context(_ values: UnsafeBufferPointer<Int32>, _ i: Int, width: Int) -> (Int, Int) {
        let x = i % width
        let left = x > 0 ? values[i - 1] : 0
        let up = i >= width ? values[i - width] : 0
        let nonZero = (left != 0 ? 1 : 0) + (up != 0 ? 1 : 0)
        let signContext = left > 0 ? 1 : left < 0 ? 2 : 0
        return (nonZero, signContext)
    }
}

extension SymbolModel {
    /// Codes `values` (row-major, `width` wide) into a fresh range-coded sub-stream.
    static func encode(_ values: [Int32], width: Int) -> [UInt8] {
        var model = SymbolModel()
        var coder = RangeEncoder()
        values.withUnsafeBufferPointer { v in
            for i in 0..<v.count {
                let (nonZero, signContext) = context(v, i, width: width)
                let value = v[i]
                coder.encode(value != 0, &model.zero[nonZero])
                guard value != 0 else { continue }
                coder.encode(value < 0, &model.sign[signContext])
                let m = Int(value.magnitude) - 1
                let row = min(nonZero, 1) * unaryBins
                var k = 0
                while k < unaryBins {
                    coder.encode(m > k, &model.magnitude[row + k])
                    if m == k { break }
                    k += 1
                }
                if k == unaryBins { model.encodeEscape(UInt32(m - unaryBins), &coder) }
            }
        }
        return coder.finish()
    }

    /// Decodes `count` symbols; nil when the stream is inconsistent (damaged data).
    static func decode(_ bytes: ArraySlice<UInt8>, count: Int, width: Int, limit: Int32) -> [Int32]? {
        var model = SymbolModel()
        var coder = RangeDecoder(bytes)
        var values = [Int32](repeating: 0, count: count)
        let ok = values.withUnsafeMutableBufferPointer { v -> Bool in
            for i in 0..<count {
                let (nonZero, signContext) = context(UnsafeBufferPointer(v), i, width: width)
                guard coder.decode(&model.zero[nonZero]) else { continue }
                let negative = coder.decode(&model.sign[signContext])
                let row = min(nonZero, 1) * unaryBins
                var m = 0
                while m < unaryBins && coder.decode(&model.magnitude[row + m]) { m += 1 }
                if m == unaryBins {
                    guard let extra = model.decodeEscape(&coder) else { return false }
                    m += Int(extra)
                }
                guard m < Int(limit) else { return false }
                v[i] = negative ? -Int32(m + 1) : Int32(m + 1)
            }
            return true
        }
        return ok && coder.consumedExactly ? values : nil
    }

    /// Exp-Golomb: the bit length in adaptive unary, then the bits below the top one directly.
    private mutating func encodeEscape(_ value: UInt32, _ coder: inout RangeEncoder) {
        let v = value + 1
        let length = 32 - v.leadingZeroBitCount  // 1...32
        for k in 0..<(length - 1) { coder.encode(true, &escape[min(k, SymbolModel.escapeBins - 1)]) }
        coder.encode(false, &escape[min(length - 1, SymbolModel.escapeBins - 1)])
        guard length > 1 else { return }
        coder.encode((v >> UInt32(length - 2)) & 1 == 1, &mantissa[min(length - 1, SymbolModel.escapeBins - 1)])
        coder.encodeDirect(v, count: length - 2)
    }

    private mutating func decodeEscape(_ coder: inout RangeDecoder) -> UInt32? {
        var length = 1
        while coder.decode(&escape[min(length - 1, SymbolModel.escapeBins - 1)]) {
            length += 1
            if length > 31 { return nil }
        }
        guard length > 1 else { return 0 }
        let second: UInt32 = coder.decode(&mantissa[min(length - 1, SymbolModel.escapeBins - 1)]) ? 1 : 0
        let rest = coder.decodeDirect(count: length - 2)
        return ((2 | second) << UInt32(length - 2) | rest) - 1
    }
}
