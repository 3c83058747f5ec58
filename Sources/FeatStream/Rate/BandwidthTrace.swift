import FeatCodec
import Foundation

/// A link's rate over time: piecewise constant, each rate holding from its time until the next
/// one (the first also before it, the last for ever). From `--bandwidth FILE` (CSV
/// `seconds,kbit_s`) or one rate (`--target-kbps`).
public struct BandwidthTrace: Sendable, Equatable {
    /// The times the rate changes, ascending, and the rate from each, in kbit/s (0 for an
    /// outage, else at least 1; not 0 throughout).
    public let points: [(seconds: Double, kilobitsPerSecond: Double)]
    /// Bytes carried from the first point's time to each point's (prefix sums, so `bytes` costs
    /// a binary search whatever the trace's length).
    private let carried: [Double]
    /// The range of rates a link may have, kbit/s.
    static let rates: ClosedRange<Double> = 1...1e7

    /// A bad trace file or rate, in one line.
    public struct Invalid: Error, CustomStringConvertible {
        /// The message, naming the file and line or the option.
        public let description: String
    }

    /// One rate for all time.
    public init(kilobitsPerSecond: Double) throws {
        guard kilobitsPerSecond.isFinite, BandwidthTrace.rates.contains(kilobitsPerSecond) else {
            throw Invalid(description: "--target-kbps: \(kilobitsPerSecond) is out of range (1 to 10000000)")
        }
        points = [(0, kilobitsPerSecond)]
        carried = [0]
    }

    /// Parses CSV lines `seconds,kbit_s` (a header line, blank lines and lines starting with
    /// `#` are allowed; lines may end in CRLF); `name` names the file in errors.
    public init(csv: String, name: String) throws {
        var points: [(Double, Double)] = []
        var first = true
        // Any line break: "\r\n" is one Character in Swift, which splitting at "\n" never meets.
        // A byte-order mark (spreadsheets' "CSV UTF-8") is not part of the first line.
        let text = csv.hasPrefix("\u{FEFF}") ? csv.dropFirst() : csv[...]
        for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            // The first line may be a header: its first field no number at all (a hexadecimal
            // "0x0" is a number `DecimalText` refuses, not a header to skip).
            defer { first = false }
            let isHeader = Double(fields.first ?? "") == nil
            if first && isHeader { continue }
            let at = "\(name):\(number + 1)"
            guard fields.count == 2, let seconds = DecimalText.double(fields[0]), let rate = DecimalText.double(fields[1]) else {
                // A second header said "expected 'seconds,kbit_s', got 'seconds,kbit_s'" (found by outside testing).
                let header = isHeader ? " (a header goes only on the first line)" : ""
                throw Invalid(description: "\(at): expected 'seconds,kbit_s', got '\(BandwidthTrace.shown(line))'" + header)
            }
            guard seconds.isFinite, (0...1e9).contains(seconds) else {
                throw Invalid(description: "\(at): time \(BandwidthTrace.shown(fields[0])) is out of range (0 to 1e9 seconds)")
            }
            if let last = points.last, seconds <= last.0 {
                throw Invalid(description: "\(at): time \(BandwidthTrace.shown(fields[0])) is not after the line before's (\(last.0))")
            }
            guard rate.isFinite, rate == 0 || BandwidthTrace.rates.contains(rate) else {
                throw Invalid(description: "\(at): rate \(BandwidthTrace.shown(fields[1])) kbit/s is out of range (0 for an outage, or 1 to 10000000)")
            }
            points.append((seconds, rate))
        }
        guard !points.isEmpty else { throw Invalid(description: "\(name): no 'seconds,kbit_s' lines") }
        // Outages (0 kbit/s) are part of real traces, but a link that never carries anything
        // has no stream to fit.
        guard points.contains(where: { $0.1 > 0 }) else { throw Invalid(description: "\(name): every rate is 0 kbit/s: the link never carries anything") }
        self.points = points
        var carried = [0.0]
        for k in 1..<points.count {
            carried.append(carried[k - 1] + (points[k].0 - points[k - 1].0) * points[k - 1].1 * 125)
        }
        self.carried = carried
    }

    /// `text` as an error quotes it: at most 40 characters, anything but printable ASCII as
    /// "?" (a 10 MB line, or a binary file, was echoed whole).
    static func shown(_ text: String) -> String {
        let printable = text.unicodeScalars.prefix(40).map { (32..<127).contains($0.value) ? Character($0) : "?" }
        return String(printable) + (text.unicodeScalars.count > 40 ? "..." : "")
    }

    /// The trace in the file at `path`, `-` for standard input (read once: it may be a pipe).
    /// A file over `largestFile` is refused: a trace holds a few lines a second.
    public static func read(_ path: String) throws -> BandwidthTrace {
        var isDirectory: ObjCBool = false
        if path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw Invalid(description: "--bandwidth: \(path) is a directory")
        }
        guard let file = path == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: path) else {
            throw Invalid(description: "--bandwidth: cannot read \(path)")
        }
        defer { if path != "-" { try? file.close() } }
        // One byte more than the limit tells a file over it (the first 16 MiB alone were read,
        // without a word, and a line cut in two taken as a rate; found by outside testing).
        let data = (try? file.read(upToCount: largestFile + 1)) ?? Data()
        guard data.count <= largestFile else {
            throw Invalid(description: "--bandwidth: \(path) is over \(largestFile >> 20) MiB, too large for a trace of 'seconds,kbit_s' lines")
        }
        return try BandwidthTrace(csv: String(decoding: data, as: UTF8.self), name: path)
    }

    /// The largest trace file read.
    public static let largestFile = 16 << 20

    /// The same link with every time `offset` seconds later: a trace's times count from the
    /// stream's first frame, whose own time need not be 0 (MPEG-TS starts near 1.4 s).
    public func shifted(by offset: Double) -> BandwidthTrace {
        BandwidthTrace(points: points.map { ($0.seconds + offset, $0.kilobitsPerSecond) }, carried: carried)
    }

    private init(points: [(seconds: Double, kilobitsPerSecond: Double)], carried: [Double]) {
        (self.points, self.carried) = (points, carried)
    }

    /// The rate at time `t`, in kbit/s.
    public func kilobitsPerSecond(at t: Double) -> Double { points[segment(t)].kilobitsPerSecond }

    /// The highest rate the link has from time `t` on, in kbit/s.
    public func highestKilobitsPerSecond(from t: Double) -> Double {
        points[segment(t)...].map(\.kilobitsPerSecond).max()!
    }

    /// Bytes the link carries from `t0` to `t1` (0 when `t1 <= t0`).
    public func bytes(from t0: Double, to t1: Double) -> Double {
        t1 > t0 ? carriedUntil(t1) - carriedUntil(t0) : 0
    }

    /// The last point at or before `t` (the first for earlier times).
    private func segment(_ t: Double) -> Int {
        var (low, high) = (0, points.count - 1)
        while low < high {
            let middle = (low + high + 1) / 2
            if points[middle].seconds <= t { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Bytes carried from the first point's time to `t` (negative before it).
    private func carriedUntil(_ t: Double) -> Double {
        let k = segment(t)
        return carried[k] + (t - points[k].seconds) * points[k].kilobitsPerSecond * 125
    }

    /// Point by point (tuples block the synthesised conformance).
    public static func == (a: BandwidthTrace, b: BandwidthTrace) -> Bool {
        a.points.elementsEqual(b.points) { $0.seconds == $1.seconds && $0.kilobitsPerSecond == $1.kilobitsPerSecond }
    }
}
