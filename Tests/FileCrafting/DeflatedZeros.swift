/// A raw deflate stream (RFC 1951) of `count` zero bytes, written directly in about count/1032
/// bytes: one dynamic-Huffman block whose only codes are literal 0, end-of-block and
/// <length 258, distance 1>, the match taking two bits. A zip bomb made in milliseconds.
public enum DeflatedZeros {
    public static func stream(count: Int) -> [UInt8] {
        precondition(count >= 1)
        var bits = BitWriter()
        bits.write(1, 1); bits.write(2, 2)                         // final block, dynamic Huffman
        bits.write(29, 5); bits.write(0, 5); bits.write(14, 4)     // 286 literal/length codes, 1 distance code, 18 code-length codes
        // Code-length code lengths in the format's order: only 18 (1 bit), 2 and 1 (2 bits each).
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1]
        for symbol in order { bits.write([18: 1, 2: 2, 1: 2][symbol] ?? 0, 3) }
        // The literal/length lengths (0: 2 bits, 256: 2, 285: 1, the rest unused) and the one
        // distance length (1), with code-length codes 18 = "0", 1 = "10", 2 = "11".
        func length(_ symbol: Int) { bits.huffman(symbol == 18 ? 0 : symbol == 1 ? 0b10 : 0b11, symbol == 18 ? 1 : 2) }
        func zeros(_ n: Int) { length(18); bits.write(UInt32(n - 11), 7) }
        length(2); zeros(138); zeros(117); length(2); zeros(28); length(1); length(1)
        // Data: literal 0 ("10"), then <258, 1> as "0" + "0", literal zeros for the rest, end ("11").
        let matches = (count - 1) / 258, literals = count - 1 - 258 * matches
        bits.huffman(0b10, 2)
        bits.zeroBits(2 * matches)
        for _ in 0..<literals { bits.huffman(0b10, 2) }
        bits.huffman(0b11, 2)
        return bits.finish()
    }

    /// Bits least significant first, as deflate packs them.
    struct BitWriter {
        var bytes: [UInt8] = []
        var current: UInt32 = 0
        var used = 0

        mutating func write(_ value: UInt32, _ count: Int) {
            for i in 0..<count { bit(value >> UInt32(i) & 1) }
        }

        /// A Huffman code: most significant bit first.
        mutating func huffman(_ code: UInt32, _ count: Int) {
            for i in stride(from: count - 1, through: 0, by: -1) { bit(code >> UInt32(i) & 1) }
        }

        mutating func zeroBits(_ count: Int) {
            var left = count
            while left > 0 && used != 0 { bit(0); left -= 1 }
            bytes += [UInt8](repeating: 0, count: left / 8)
            for _ in 0..<(left % 8) { bit(0) }
        }

        private mutating func bit(_ b: UInt32) {
            current |= b << UInt32(used)
            used += 1
            if used == 8 { bytes.append(UInt8(current)); (current, used) = (0, 0) }
        }

        mutating func finish() -> [UInt8] {
            if used > 0 { bytes.append(UInt8(current)) }
            return bytes
        }
    }
}
