/// Decodes what `RangeEncoder` wrote. Reading past the end yields zero bytes, so a damaged or
/// truncated stream decodes to wrong symbols (caught by the caller's checks), never a crash.
struct RangeDecoder {
    private let bytes: ArraySlice<UInt8>
    private var position: Int
    private var range: UInt32 = 0xFFFF_FFFF
    private var code: UInt32 = 0

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
        for _ in 0..<5 { code = code << 8 | UInt32(nextByte()) }
    }

    /// Bytes consumed beyond the end of the stream (0 for an intact stream).
    var overrun: Int { max(0, position - bytes.endIndex) }

    /// Whether every byte was read, and no more: `RangeEncoder` writes exactly the bytes its
    /// decoder reads (5, then one per renormalisation), so bytes left over mean the stream is
    /// not what the symbols decoded assumed (a packet of another stream, with another shape or
    /// coding, decoded to made-up values before).
    var consumedExactly: Bool { position == bytes.endIndex }

    @inline(__always)
    private mutating func nextByte() -> UInt8 {
        defer { position += 1 }
        return position < bytes.endIndex ? bytes[position] : 0
    }

    @inline(__always)
    mutating func decode(_ model: inout BitModel) -> Bool {
        let bound = (range >> 16) * UInt32(model.zero)
        let bit: Bool
        if code < bound {
            range = bound
            bit = false
        } else {
            code -= bound
            range -= bound
            bit = true
        }
        model.update(bit)
        while range < 1 << 24 {
            range <<= 8
            code = code << 8 | UInt32(nextByte())
        }
        return bit
    }

    mutating func decodeDirect(count: Int) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            range >>= 1
            var bit: UInt32 = 0
            if code >= range {
                code -= range
                bit = 1
            }
            value = value << 1 | bit
            while range < 1 << 24 {
                range <<= 8
                code = code << 8 | UInt32(nextByte())
            }
        }
        return value
    }
}
