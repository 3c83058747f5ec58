/// The words `RansEncoder` wrote, read in order by the decoding state (`RansDecoder`).
/// Reading past the end yields zero words, so a damaged or truncated stream decodes to wrong
/// symbols, never a crash.
struct RansWords {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    /// Reads `bytes`, which must outlive the reader.
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Whether every byte was read, and no more.
    var consumed: Bool { position == bytes.count }

    @inline(__always)
    mutating func next() -> UInt32 {
        defer { position &+= 4 }
        guard position &+ 4 <= bytes.count else { return 0 }
        let b = bytes.baseAddress! + position
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }
}

/// The decoding state of what `RansEncoder` wrote. An intact stream leaves it where the
/// encoder began (`intact`), with every word read.
struct RansDecoder {
    private var state: UInt64

    /// Starts from the final state at the head of `words`.
    init(_ words: inout RansWords) {
        state = UInt64(words.next()) << 32
        state |= UInt64(words.next())
    }

    /// Whether decoding ended in the encoder's initial state.
    var intact: Bool { state == RansEncoder.lowerBound }

    @inline(__always)
    private mutating func refill(_ words: inout RansWords) {
        if state < RansEncoder.lowerBound { state = state << 32 | UInt64(words.next()) }
    }

    /// The slot (0 ..< 2^`scaleBits`) of the next symbol: the caller finds the symbol owning
    /// it, then calls `advance`.
    @inline(__always)
    func slot(scaleBits: UInt32) -> UInt32 { UInt32(truncatingIfNeeded: state) & (1 << scaleBits - 1) }

    /// Takes the symbol owning `frequency` slots from `start` on, found from `slot`.
    @inline(__always)
    mutating func advance(start: UInt32, frequency: UInt32, scaleBits: UInt32, _ words: inout RansWords) {
        let slot = state & (1 << UInt64(scaleBits) - 1)
        state = UInt64(frequency) &* (state >> UInt64(scaleBits)) &+ slot &- UInt64(start)
        refill(&words)
    }

    /// The next `count` (0 to 31) bits pushed as `RansEncoder.Symbol.bits`.
    @inline(__always)
    mutating func bits(count: UInt32, _ words: inout RansWords) -> UInt32 {
        let value = UInt32(truncatingIfNeeded: state & (1 << UInt64(count) - 1))
        state >>= UInt64(count)
        refill(&words)
        return value
    }
}
