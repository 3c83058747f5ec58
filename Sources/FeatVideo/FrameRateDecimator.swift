/// Keeps the frames nearest a time grid anchor + k / rate (k = 0, 1, 2, ...).
///
/// Each frame owns the span of time nearer to it than to its neighbours: from the midpoint
/// with the previous frame (exclusive) to the midpoint with the next (inclusive, so a tie goes
/// to the earlier frame); the last frame's span mirrors the one before. A frame is kept when a
/// grid point falls in its span. So each grid point picks its nearest frame, no frame is kept
/// twice, at most one frame is kept per 1 / rate, and variable frame rate is handled by
/// timestamps alone. All arithmetic is exact (integers in the stream's time base).
public struct FrameRateDecimator: Sendable {
    /// Frames per second; nil keeps every frame.
    public let rate: Rational?
    private let timeBase: Rational
    /// Grid point 0, in time-base units; the first frame seen unless restarted.
    private var anchor: Int64?

    /// Grid point 0 is at `anchor` (time-base units), or at the first frame asked about.
    public init(rate: Rational?, timeBase: Rational, anchor: Int64? = nil) {
        self.rate = rate
        self.timeBase = timeBase
        self.anchor = anchor
    }

    /// Whether the frame at `pts`, between `previous` and `next` (nil at the ends), is kept.
    public mutating func keeps(pts: Int64, previous: Int64?, next: Int64?) -> Bool {
        if anchor == nil { anchor = pts }
        guard let rate, let anchor else { return true }
        // Work in doubled time-base units so midpoints are integers: a grid point k sits at
        // 2 * anchor + k * step with step = 2 / (rate * timeBase) = 2bq / (ap).
        let a = Int128(timeBase.numerator), b = Int128(timeBase.denominator)
        let p = Int128(rate.numerator), q = Int128(rate.denominator)
        let t = Int128(pts)
        let upper: Int128  // 2 * end of span
        if let next { upper = t + Int128(next) } else if let previous { upper = 3 * t - Int128(previous) } else { upper = 2 * t }
        let anchor2 = 2 * Int128(anchor)
        guard upper >= anchor2 else { return false }
        // Largest k with grid point <= upper end, then check it lies after the lower end.
        let k = (upper - anchor2) * a * p / (2 * b * q)
        guard let previous else { return true }
        let lower = t + Int128(previous)
        return anchor2 * a * p + k * 2 * b * q > lower * a * p
    }
}
