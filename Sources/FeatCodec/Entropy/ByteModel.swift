/// Context models for the lossless modes: each value's bytes (float32: 4, float16: 2) coded
/// as separate planes, each byte through a 255-node binary tree of adaptive probabilities
/// (order-0 per plane). The high bytes (sign, exponent) are very predictable in feature maps;
/// the low mantissa bytes are close to random and cost about 8 bits whatever is done.
struct ByteModel {
    private var trees: [[BitModel]]

    init(planes: Int) { trees = [[BitModel]](repeating: [BitModel](repeating: BitModel(), count: 256), count: planes) }

    /// Codes `words` (each `planes` bytes wide, little-endian) into a fresh sub-stream.
    static func encode(_ words: [UInt32], planes: Int) -> [UInt8] {
        var model = ByteModel(planes: planes)
        var coder = RangeEncoder()
        for word in words {
            for plane in stride(from: planes - 1, through: 0, by: -1) {
                let byte = Int((word >> UInt32(8 * plane)) & 0xFF)
                var node = 1
                for bit in stride(from: 7, through: 0, by: -1) {
                    let b = (byte >> bit) & 1
                    coder.encode(b == 1, &model.trees[plane][node])
                    node = node << 1 | b
                }
            }
        }
        return coder.finish()
    }

    static func decode(_ bytes: ArraySlice<UInt8>, count: Int, planes: Int) -> [UInt32]? {
        var model = ByteModel(planes: planes)
        var coder = RangeDecoder(bytes)
        var words = [UInt32](repeating: 0, count: count)
        for i in 0..<count {
            var word: UInt32 = 0
            for plane in stride(from: planes - 1, through: 0, by: -1) {
                var node = 1
                for _ in 0..<8 { node = node << 1 | (coder.decode(&model.trees[plane][node]) ? 1 : 0) }
                word |= UInt32(node & 0xFF) << UInt32(8 * plane)
            }
            words[i] = word
        }
        return coder.consumedExactly ? words : nil
    }
}
