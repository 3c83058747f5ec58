/// An exact rational number, used for timestamps, time bases and frame rates so that
/// frame selection never depends on floating-point rounding.
public struct Rational: Hashable, Comparable, CustomStringConvertible, Sendable {
    /// The numerator in lowest terms; it carries the sign.
    public let numerator: Int64
    /// The denominator in lowest terms; always positive.
    public let denominator: Int64

    /// Reduced, with a positive denominator. The denominator must not be zero.
    public init(_ numerator: Int64, _ denominator: Int64) {
        precondition(denominator != 0, "Rational with zero denominator")
        let sign: Int64 = denominator < 0 ? -1 : 1
        let divisor = Swift.max(Rational.gcd(numerator, denominator), 1)
        self.numerator = sign * numerator / divisor
        self.denominator = sign * denominator / divisor
    }

    /// The whole number `integer` (denominator 1).
    public init(_ integer: Int64) { self.init(integer, 1) }

    /// Parses "30", "12.5" or "30000/1001": ASCII digits only (no sign, no other scripts'
    /// digits), at most 9 decimals, every part within Int64. Returns nil for anything else.
    public init?(parsing text: String) {
        func digits(_ part: Substring) -> Int64? {
            guard !part.isEmpty, part.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return Int64(part)
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let n = digits(parts[0]), let d = digits(parts[1]), d != 0 else { return nil }
            self.init(n, d)
        } else if parts.count == 1, let dot = text.firstIndex(of: ".") {
            let whole = text[..<dot], fraction = text[text.index(after: dot)...]
            guard fraction.count <= 9, !(whole.isEmpty && fraction.isEmpty) else { return nil }
            guard let w = whole.isEmpty ? 0 : digits(whole), let f = fraction.isEmpty ? 0 : digits(fraction) else { return nil }
            var scale: Int64 = 1
            for _ in fraction { scale *= 10 }
            let (scaled, overflow) = w.multipliedReportingOverflow(by: scale)
            let (numerator, overflow2) = scaled.addingReportingOverflow(f)
            guard !overflow, !overflow2 else { return nil }
            self.init(numerator, scale)
        } else if let n = digits(text[...]) {
            self.init(n, 1)
        } else {
            return nil
        }
    }

    /// The value as a Double (rounded: exact comparisons use the Rational itself).
    public var doubleValue: Double { Double(numerator) / Double(denominator) }
    /// "N" for a whole number, else "N/D" in lowest terms, e.g. "30000/1001".
    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }

    /// Exact: cross-multiplied in Int128, so it cannot overflow.
    public static func < (a: Rational, b: Rational) -> Bool {
        Int128(a.numerator) * Int128(b.denominator) < Int128(b.numerator) * Int128(a.denominator)
    }

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (x, y) = (a.magnitude, b.magnitude)
        while y != 0 { (x, y) = (y, x % y) }
        return Int64(x)
    }
}
