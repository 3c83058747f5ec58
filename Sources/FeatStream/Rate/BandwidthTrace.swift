import Foundation

/// A link's rate over time: piecewise constant, each rate holding from its time until the next
/// one (the first also before it, the last for ever). From `--bandwidth FILE` (CSV
/// `seconds,kbit_s`) or one rate (`--target-kbps`).
public struct BandwidthTrace: Sendable, Equatable {
    /// The times the rate changes, ascending, and the rate from each, in kbit/s (over 0).
    public let points: [(seconds: Double, kilobitsPerSecond: Double)]

    /// A bad trace file or rate, in one line.
    public struct Invalid: Error, CustomStringConvertible {
        /// The message, naming the file and line or the option.
        public let description: String
    }

    /// One rate for all time.
    public init(kilobitsPerSecond: Double) throws {
        guard kilobitsPerSecond.isFinite, kilobitsPerSecond > 0, kilobitsPerSecond <= 1e7 else {
            throw Invalid(description: "--target-kbps: \(kilobitsPerSecond) is out of range (over 0, up to 10000000)")
        }
        points = [(0, kilobitsPerSecond)]
    }

    /// Parses CSV lines `seconds,kbit_s` (a header line and blank lines are allowed); `name`
    /// names the file in errors.
    public init(csv: String, name: String) throws {
        var points: [(Double, Double)] = []
        for (number, raw) in csv.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || (points.isEmpty && line.first.map { !$0.isNumber && $0 != "." && $0 != "-" } == true) { continue }
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2, let seconds = Double(fields[0]), let rate = Double(fields[1]) else {
                throw Invalid(description: "\(name):\(number + 1): expected 'seconds,kbit_s', got '\(line.prefix(60))'")
            }
            guard seconds.isFinite, seconds >= 0, seconds <= 1e9, points.last.map({ seconds > $0.0 }) ?? true else {
                throw Invalid(description: "\(name):\(number + 1): time \(fields[0]) must be finite, 0 or more, and after the line before")
            }
            guard rate.isFinite, rate > 0, rate <= 1e7 else {
                throw Invalid(description: "\(name):\(number + 1): rate \(fields[1]) kbit/s is out of range (over 0, up to 10000000)")
            }
            points.append((seconds, rate))
        }
        guard !points.isEmpty else { throw Invalid(description: "\(name): no 'seconds,kbit_s' lines") }
        self.points = points
    }

    /// The rate at time `t`, in kbit/s.
    public func kilobitsPerSecond(at t: Double) -> Double {
        var rate = points[0].kilobitsPerSecond
        for p in points where p.seconds <= t { rate = p.kilobitsPerSecond }
        return rate
    }

    /// Bytes the link carries from `t0` to `t1` (0 when `t1 <= t0`).
    public func bytes(from t0: Double, to t1: Double) -> Double {
        guard t1 > t0 else { return 0 }
        var total = 0.0
        for (k, p) in points.enumerated() {
            let start = k == 0 ? -Double.infinity : p.seconds
            let end = k + 1 < points.count ? points[k + 1].seconds : .infinity
            let overlap = min(end, t1) - max(start, t0)
            if overlap > 0 { total += overlap * p.kilobitsPerSecond * 125 }
        }
        return total
    }

    /// Point by point (tuples block the synthesised conformance).
    public static func == (a: BandwidthTrace, b: BandwidthTrace) -> Bool {
        a.points.elementsEqual(b.points) { $0.seconds == $1.seconds && $0.kilobitsPerSecond == $1.kilobitsPerSecond }
    }
}
