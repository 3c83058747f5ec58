/// A binary adaptive range coder (the LZMA construction): each bit is coded with a 16-bit
/// probability that adapts after every bit. Integer-only, so the same bits decode the same
/// way on every machine.
struct RangeEncoder {
    private(set) var bytes: [UInt8] = []
    private var low: UInt64 = 0
    private var range: UInt32 = 0xFFFF_FFFF
    private var cache: UInt8 = 0
    private var pending = 1

    /// Codes `bit` with the model's probability, then adapts the model.
    @inline(__always)
    mutating func encode(_ bit: Bool, _ model: inout BitModel) {
        let bound = (range >> 16) * UInt32(model.zero)
        if bit {
            low += UInt64(bound)
            range -= bound
        } else {
            range = bound
        }
        model.update(bit)
        while range < 1 << 24 {
            range <<= 8
            shiftLow()
        }
    }

    /// Codes the low `count` bits of `value` with probability one half each (no model).
    mutating func encodeDirect(_ value: UInt32, count: Int) {
        for i in stride(from: count - 1, through: 0, by: -1) {
            range >>= 1
            if (value >> UInt32(i)) & 1 == 1 { low += UInt64(range) }
            while range < 1 << 24 {
                range <<= 8
                shiftLow()
            }
        }
    }

    /// Writes out what is still held; the encoder must not be used afterwards.
    mutating func finish() -> [UInt8] {
        for _ in 0..<5 { shiftLow() }
        return bytes
    }

    /// Emits the top byte of `low`, propagating a carry into bytes held back while they were 0xFF.
    private mutating func shiftLow() {
        if UInt32(truncatingIfNeeded: low) < 0xFF00_0000 || low >> 32 != 0 {
            let carry = UInt8(truncatingIfNeeded: low >> 32)
            var byte = cache
            repeat {
                bytes.append(byte &+ carry)
                byte = 0xFF
                pending -= 1
            } while pending != 0
            cache = UInt8(truncatingIfNeeded: low >> 24)
        }
        pending += 1
        low = (low & 0x00FF_FFFF) << 8
    }
}

/// An adaptive bit probability: P(0) out of 65536, moving towards each coded bit by 1/2^k,
/// where k grows with the number of bits seen (1/2, 1/4, ... down to 1/128): early bits teach
/// fast, like a count; later ones refine slowly, so a stationary source costs little over its
/// entropy. Integer-only and deterministic.
struct BitModel {
    /// Probability of a zero, 1...65535.
    var zero: UInt16 = 1 << 15
    var seen: UInt8 = 0

    static let slowest: UInt8 = 7

    @inline(__always)
    mutating func update(_ bit: Bool) {
        let log2Seen = 31 - (UInt32(seen) + 2).leadingZeroBitCount
        let shift = UInt32(min(log2Seen, Int(BitModel.slowest)))
        let p = UInt32(zero)
        zero = UInt16(bit ? p - (p >> shift) : p + ((65536 - p) >> shift))
        if seen < 255 { seen += 1 }
    }
}
