/// A range-variant asymmetric numeral system coder (rANS) with 64-bit states and 32-bit
/// output words. Decoding a symbol takes one multiply-add, where the binary range coder spends
/// one adaptive decision per bin of a value's binarisation; the price is that probabilities
/// must be known as whole tables (`TokenTables`) and that symbols are pushed in the reverse of
/// the order they are decoded in. Integer-only: the same words decode the same way on every
/// machine.
enum RansEncoder {
    /// A state never falls below this between symbols (decoders read a word when it does).
    static let lowerBound: UInt64 = 1 << 31

    /// A symbol that owns `frequency` of the 2^`scaleBits` slots, from slot `start` on.
    struct Symbol {
        let start: UInt32
        let frequency: UInt32
        let scaleBits: UInt32

        /// The low `count` (0 to 31) bits of `value`, each with probability one half: a symbol
        /// of one slot out of 2^count, which pushes state << count | value.
        static func bits(_ value: UInt32, count: UInt32) -> Symbol {
            Symbol(start: value & UInt32((UInt64(1) << count) - 1), frequency: 1, scaleBits: count)
        }
    }

    /// Codes `symbols`, given in the order the decoder reads them (rANS pushes them in
    /// reverse): little-endian words, starting with the final state (its high word first).
    static func encode(_ symbols: UnsafeBufferPointer<Symbol>) -> [UInt8] {
        // A symbol emits at most one word; the words fill `words` from its end, so they end
        // up in the decoder's order.
        let capacity = symbols.count + 2
        let words = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        defer { words.deallocate() }
        let divisions = RansEncoder.divisionTable
        var state = RansEncoder.lowerBound, first = capacity
        for symbol in symbols.reversed() {
            let f = UInt64(symbol.frequency), scaleBits = UInt64(symbol.scaleBits)
            // Renormalised without a branch (it is taken at random): the low word is always
            // written, and kept when the state must shrink.
            let shrink = state >= ((RansEncoder.lowerBound &>> scaleBits) &<< 32) &* f
            words[first &- 1] = UInt32(truncatingIfNeeded: state)
            first &-= shrink ? 1 : 0
            state = shrink ? state &>> 32 : state
            // state / f by a multiply with f's reciprocal (a 64-bit division was a fifth of the
            // encoder's time), chosen without a branch for f = 1 (raw bits); then
            // quotient << scaleBits + remainder + start, rearranged.
            let division = divisions[Int(symbol.frequency)]
            let divided = state.multipliedFullWidth(by: division.reciprocal).high &>> division.shift
            let quotient = symbol.frequency == 1 ? state : divided
            state = state &+ UInt64(symbol.start) &+ quotient &* ((1 &<< scaleBits) &- f)
        }
        words[first - 1] = UInt32(truncatingIfNeeded: state)
        words[first - 2] = UInt32(truncatingIfNeeded: state >> 32)
        first -= 2
        return [UInt8](unsafeUninitializedCapacity: 4 * (capacity - first)) { bytes, count in
            for (i, word) in UnsafeBufferPointer(start: words + first, count: capacity - first).enumerated() {
                UnsafeMutableRawPointer(bytes.baseAddress! + 4 * i).storeBytes(of: word.littleEndian, as: UInt32.self)
            }
            count = 4 * (capacity - first)
        }
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

    /// `state / frequency` as `encode` computes it (for tests of the reciprocals).
    static func quotient(_ state: UInt64, _ frequency: UInt32) -> UInt64 {
        frequency == 1 ? state : state.multipliedFullWidth(by: divisionTable[Int(frequency)].reciprocal).high >> divisionTable[Int(frequency)].shift
    }
}
