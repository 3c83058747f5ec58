extension StreamDecoder.Range {
    /// A range as the command line writes it, "A:B" with either end left out.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        /// The whole message, naming the option, e.g. "--frames: ...".
        public let description: String
    }

    /// Coded frames "A:B" (A included, B not): sequence numbers from 0.
    public init(frames text: String) throws {
        let (a, b) = try Self.ends(text, "--frames") { Int($0) }
        if let a, a < 0 { throw Invalid(description: "--frames: frame numbers start at 0 (got \(a))") }
        self = .frames(a ?? 0, b ?? Int.max)
    }

    /// Times "T0:T1" in seconds (T0 included, T1 not), finite numbers.
    public init(time text: String) throws {
        let (a, b) = try Self.ends(text, "--time") { DecimalText.double($0).flatMap { $0.isFinite ? $0 : nil } }
        self = .time(a ?? -.infinity, b ?? .infinity)
    }

    private static func ends<T: Comparable>(_ text: String, _ option: String, _ parse: (String) -> T?) throws -> (T?, T?) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { throw Invalid(description: "\(option) takes A:B, either end may be left out (got '\(text)')") }
        let a = parts[0].isEmpty ? nil : parse(parts[0]), b = parts[1].isEmpty ? nil : parse(parts[1])
        guard parts[0].isEmpty || a != nil, parts[1].isEmpty || b != nil else { throw Invalid(description: "\(option): cannot read '\(text)'") }
        if let a, let b, !(a < b) { throw Invalid(description: "\(option): the start must come before the end (got '\(text)')") }
        return (a, b)
    }
}
