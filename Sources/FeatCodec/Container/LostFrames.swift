/// Sequence numbers of frames that could not be decoded, kept as ranges: a damaged file may
/// claim a jump of billions of frames, and listing each would exhaust memory.
public struct LostFrames: Sendable, Equatable, Encodable, CustomStringConvertible {
    /// Disjoint, in ascending order, never adjacent.
    public private(set) var ranges: [ClosedRange<Int>] = []

    /// No frame lost.
    public init() {}

    /// The frames of `ranges`, merged into disjoint ranges.
    public init(_ ranges: [ClosedRange<Int>]) {
        for r in ranges { add(r) }
    }

    /// Whether no frame is lost.
    public var isEmpty: Bool { ranges.isEmpty }
    /// How many frames are lost.
    public var count: Int { ranges.reduce(0) { $0 + $1.count } }

    /// Whether frame `sequence` is lost.
    public func contains(_ sequence: Int) -> Bool { ranges.contains { $0.contains(sequence) } }

    /// Adds frames `range` (merged with what is there).
    public mutating func add(_ range: ClosedRange<Int>) {
        var merged = range
        var kept: [ClosedRange<Int>] = []
        for r in ranges {
            if r.upperBound + 1 < merged.lowerBound || merged.upperBound + 1 < r.lowerBound {
                kept.append(r)
            } else {
                merged = min(r.lowerBound, merged.lowerBound)...max(r.upperBound, merged.upperBound)
            }
        }
        kept.append(merged)
        ranges = kept.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// Adds the one frame `sequence`.
    public mutating func add(_ sequence: Int) { add(sequence...sequence) }

    /// "3, 7-12" (a range per span).
    public var description: String {
        ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", ")
    }

    /// As JSON: a list of [first, last] pairs.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.unkeyedContainer()
        for r in ranges { try container.encode([r.lowerBound, r.upperBound]) }
    }
}
