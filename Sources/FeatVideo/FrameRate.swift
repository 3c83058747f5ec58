/// A frame-rate setting as every command takes it: `source` (keep every decoded frame) or a
/// positive rational number of frames per second ("5", "12.5", "30000/1001").
public enum FrameRate: Hashable, Sendable, CustomStringConvertible {
    /// Keep every decoded frame.
    case source
    /// A positive number of frames per second.
    case perSecond(Rational)

    /// Nil for anything but "source" or a positive rate in ASCII digits.
    public init?(parsing text: String) {
        if text == "source" { self = .source; return }
        guard let rate = Rational(parsing: text), rate.numerator > 0 else { return nil }
        self = .perSecond(rate)
    }

    /// Frames per second, nil for `source`.
    public var rate: Rational? {
        if case .perSecond(let r) = self { return r }
        return nil
    }

    /// "source", or the rate as a fraction in lowest terms ("5", "25/2", "30000/1001").
    public var description: String { rate?.description ?? "source" }
}
