/// An exact rational number, used for timestamps, time bases and frame rates so that
/// frame selection never depends on floating-point rounding.
public struct Rational: Hashable, Comparable, CustomStringConvertible, Sendable {
    public let numerator: Int64
    public let denominator: Int64

    /// Reduced, with a positive denominator. The denominator must not be zero.
    public init(_ numerator: Int64, _ denominator: Int64) {
        precondition(denominator != 0, "Rational with zero denominator")
        let sign: Int64 = denominator < 0 ? -1 : 1
        let divisor = Swift.max(Rational.gcd(numerator, denominator), 1)
        self.numerator = sign * numerator / divisor
        self.denominator = sign * denominator / divisor
    }

    public init(_ integer: Int64) { self.init(integer, 1) }

    /// Parses "30", "12.5" or "30000/1001". Returns nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let n = Int64(parts[0]), let d = Int64(parts[1]), d != 0 else { return nil }
            self.init(n, d)
        } else if parts.count == 1, let dot = text.firstIndex(of: ".") {
            let whole = text[..<dot], fraction = text[text.index(after: dot)...]
            guard fraction.count <= 9, !(whole.isEmpty && fraction.isEmpty),
                  whole.allSatisfy(\.isNumber), fraction.allSatisfy(\.isNumber) else { return nil }
            var scale: Int64 = 1
            for _ in fraction { scale *= 10 }
            self.init((Int64(whole) ?? 0) * scale + (Int64(fraction) ?? 0), scale)
        } else if let n = Int64(text) {
            self.init(n, 1)
        } else {
            return nil
        }
    }

    public var doubleValue: Double { Double(numerator) / Double(denominator) }
    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }

    public static func < (a: Rational, b: Rational) -> Bool {
        Int128(a.numerator) * Int128(b.denominator) < Int128(b.numerator) * Int128(a.denominator)
    }

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (x, y) = (a.magnitude, b.magnitude)
        while y != 0 { (x, y) = (y, x % y) }
        return Int64(x)
    }
}
