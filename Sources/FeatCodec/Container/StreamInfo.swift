/// Everything `featstream info` tells about a .fst file: its format version, parameter set,
/// statistics (`StreamStatistics`), index, and the damage `StreamDecoder.check` finds.
public struct StreamInfo: Sendable, Encodable {
    /// Format version, "MAJOR.MINOR".
    public let version: String
    /// The parameter set from the header.
    public let parameters: ParameterSet
    /// Frame counts, sizes and bitrate of the intact packets.
    public let statistics: StreamStatistics
    /// Entries of the index; nil without an intact index.
    public let indexEntries: Int?
    /// Frames the check found lost.
    public let lost: LostFrames
    /// The first 100 problems the check met, in order.
    public let problems: [StreamDecoder.Problem]
    /// Problems beyond those in `problems`, counted only.
    public let omittedProblems: Int

    /// Reads the file at `path` and checks all of it (CRCs, sequence numbers, index) without
    /// decoding payloads.
    public init(path: String, limits: DecodeLimits = DecodeLimits()) throws {
        let reader = try ContainerReader(path: path, limits: limits)
        let check = StreamDecoder(reader, limits: limits).check()
        version = "\(reader.version.major).\(reader.version.minor)"
        parameters = reader.parameters
        statistics = StreamStatistics(reader)
        indexEntries = reader.index?.count
        (lost, problems, omittedProblems) = (check.lost, check.problems, check.omittedProblems)
    }

    private enum Keys: String, CodingKey { case version, parameters, indexEntries, lost, problems }

    /// The statistics' fields at the top level, beside the others; problems as their sentences.
    public func encode(to encoder: Encoder) throws {
        try statistics.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(version, forKey: .version)
        try container.encode(parameters, forKey: .parameters)
        try container.encodeIfPresent(indexEntries, forKey: .indexEntries)
        try container.encode(lost, forKey: .lost)
        try container.encode(problems.map(\.description) + (omittedProblems > 0 ? ["\(omittedProblems) more problems"] : []), forKey: .problems)
    }
}
