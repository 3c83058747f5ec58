/// A range-variant asymmetric numeral system coder (rANS) with 64-bit states and 32-bit
/// output words. Decoding a symbol takes one multiply-add, where the binary range coder spends
/// one adaptive decision per bin of a value's binarisation; the price is that probabilities
/// must be known as whole tables (`TokenTables`) and that symbols are pushed in the reverse of
/// the order they are decoded in. Integer-only: the same words decode the same way on every
/// machine.
struct RansEncoder {
    /// A state never falls below this between symbols (decoders read a word when it does).
    static let lowerBound: UInt64 = 1 << 31

    private var state = RansEncoder.lowerBound
    /// Words in the order they were emitted: the reverse of the order the decoder reads them.
    private var words: [UInt32] = []
    /// The table, held here so that the innermost loop does not check a global's initialisation.
    private let divisions = RansEncoder.divisionTable

    /// Pushes a symbol that owns `frequency` of the 2^`scaleBits` slots, from slot `start` on.
    @inline(__always)
    mutating func put(start: UInt32, frequency: UInt32, scaleBits: UInt32) {
        let f = UInt64(frequency)
        if state >= ((RansEncoder.lowerBound &>> UInt64(scaleBits)) &<< 32) &* f {
            words.append(UInt32(truncatingIfNeeded: state))
            state &>>= 32
        }
        // state / f by a multiply with f's reciprocal (a 64-bit division was a fifth of the
        // encoder's time), chosen without a branch for f = 1 (raw bits); then
        // quotient << scaleBits + remainder + start, rearranged.
        let division = divisions[Int(frequency)]
        let divided = state.multipliedFullWidth(by: division.reciprocal).high &>> division.shift
        let quotient = frequency == 1 ? state : divided
        state = state &+ UInt64(start) &+ quotient &* ((1 &<< UInt64(scaleBits)) &- f)
    }

    /// Pushes the low `count` (0 to 31) bits of `value`, each with probability one half: a
    /// symbol of one slot out of 2^count, which is state << count | value.
    @inline(__always)
    mutating func putBits(_ value: UInt32, count: UInt32) { put(start: value, frequency: 1, scaleBits: count) }

    /// The coded bytes, in the order the decoder reads them: little-endian words, starting with
    /// the final state (its high word first); the encoder must not be used afterwards.
    mutating func finish() -> [UInt8] {
        words.append(UInt32(truncatingIfNeeded: state))
        words.append(UInt32(truncatingIfNeeded: state >> 32))
        var bytes = [UInt8]()
        bytes.reserveCapacity(4 * words.count)
        for word in words.reversed() {
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return bytes
    }

    /// floor(x / f) = (x * reciprocal) >> (64 + shift) for every state x below 2^63.
    struct Division {
        let reciprocal: UInt64
        let shift: UInt64
    }

    /// For each frequency f from 2 to 2^15 (`TokenTables.total`), its `Division`: the
    /// rounded-up reciprocal 2^(63 + shift + 1) / f, shift + 1 = ceil(log2 f). (Entries 0 and 1
    /// are unused.) A pointer, never freed, so that the innermost loop checks no bounds.
    nonisolated(unsafe) static let divisionTable: UnsafePointer<Division> = {
        let largest = TokenTables.total
        let table = UnsafeMutablePointer<Division>.allocate(capacity: largest + 1)
        table.initialize(repeating: Division(reciprocal: 0, shift: 0), count: 2)
        for f in 2...largest {
            let shift = UInt64(64 - UInt64(f - 1).leadingZeroBitCount)  // ceil(log2 f)
            let (quotient, _) = UInt64(f).dividingFullWidth((high: 1 << (shift - 1), low: UInt64(f - 1)))
            (table + f).initialize(to: Division(reciprocal: quotient, shift: shift - 1))
        }
        return UnsafePointer(table)
    }()

    /// `state / frequency` as `put` computes it (for tests of the reciprocals).
    static func quotient(_ state: UInt64, _ frequency: UInt32) -> UInt64 {
        frequency == 1 ? state : state.multipliedFullWidth(by: divisionTable[Int(frequency)].reciprocal).high >> divisionTable[Int(frequency)].shift
    }
}
