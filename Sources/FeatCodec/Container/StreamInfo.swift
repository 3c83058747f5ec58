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
    /// Layered streams: what reading the first 1, 2, ... layers of each frame gives, as
    /// `extract --layers K` writes it; empty for other streams.
    public let layerReadings: [LayerReading]

    /// The stream a reader of the first `layers` layers of each frame gets (`StreamExtractor`).
    public struct LayerReading: Sendable, Encodable {
        /// Layers read.
        public let layers: Int
        /// Packets read: the first `layers` of every frame that decodes.
        public let packets: Int
        /// Mean payload bytes per frame (headers excluded), as `StreamStatistics.bytesPerFrame`.
        public let bytesPerFrame: Double?
        /// Every byte of the file `extract --layers` writes.
        public let fileBytes: Int
        /// `fileBytes` over the source seconds, as `StreamStatistics.kilobitsPerSecond`.
        public let kilobitsPerSecond: Double?
    }

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
        // Counted by extracting each reading (no bytes kept), so a line of `info` is the file the
        // reader gets: summing the layers' packets left out the index and header and counted
        // headers in bytes per frame where the size line did not (found by outside testing).
        let layers = reader.parameters.coding.layers
        let seconds = statistics.sourceSeconds
        // Up to the most layers a frame has: a file cut in its refinements offered K = 3 at the
        // full quality, with no frame of three layers (found by outside testing).
        let present = check.layersDecoded.lastIndex { $0 > 0 }.map { $0 + 1 } ?? layers
        layerReadings = layers < 2 ? [] : try (1...max(1, min(layers, present))).map { k in
            let extracted = try StreamExtractor.extract(reader, layers: k, order: .frames, to: CountingSink())
            return LayerReading(layers: k, packets: extracted.packets,
                                bytesPerFrame: extracted.frames > 0 ? Double(extracted.payloadBytes) / Double(extracted.frames) : nil,
                                fileBytes: extracted.fileBytes, kilobitsPerSecond: StreamStatistics.kilobitsPerSecond(bytes: extracted.fileBytes, seconds: seconds))
        }
    }

    private enum Keys: String, CodingKey { case version, parameters, indexEntries, lost, problems, layerReadings }

    /// The statistics' fields at the top level, beside the others; problems as their sentences.
    public func encode(to encoder: Encoder) throws {
        try statistics.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(version, forKey: .version)
        try container.encode(parameters, forKey: .parameters)
        try container.encodeIfPresent(indexEntries, forKey: .indexEntries)
        try container.encode(lost, forKey: .lost)
        if !layerReadings.isEmpty { try container.encode(layerReadings, forKey: .layerReadings) }
        try container.encode(problems.map(\.description) + (omittedProblems > 0 ? ["\(omittedProblems) more problems"] : []), forKey: .problems)
    }
}
