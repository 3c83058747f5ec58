/// A frame-rate setting as every command takes it: `source` (keep every decoded frame) or a
/// positive rational number of frames per second ("5", "12.5", "30000/1001").
public enum FrameRate: Hashable, Sendable, CustomStringConvertible {
    case source
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

    public var description: String { rate?.description ?? "source" }
}
