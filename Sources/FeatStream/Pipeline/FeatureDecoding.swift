import FeatCodec
import Foundation

/// The pipeline behind `featstream decode`: a .fst stream to a NumPy array of tensors (N x C x
/// H x W), a timestamps file, and optionally one .npy per frame. Damage is reported and
/// skipped; if nothing at all decodes, nothing is written.
public enum FeatureDecoding {
    /// What `run` decodes, and what it writes besides the array.
    public struct Options: Sendable {
        /// The frames to decode; all by default.
        public var range = StreamDecoder.Range.all
        /// Element type of the .npy files: float32 (the default) or float16.
        public var element = NpyWriter.Element.float32
        /// Also write each frame as DIR/frame-NNNNNN.npy (NNNNNN: sequence number).
        public var perFrameDirectory: String?
        /// Where the timestamps go; nil: nowhere.
        public var timestampsPath: String?
        /// Bounds on what the stream may make the decoder allocate.
        public var limits = DecodeLimits()
        /// Layered streams: decode at most this many layers of each frame (nil: every layer that arrived).
        public var layers: Int?
        /// The defaults: every frame, float32, no per-frame files, no timestamps.
        public init() {}
    }

    /// OUT.timestamps.json: one record per decoded frame and the frames lost to damage.
    public struct Timestamps: Encodable, Sendable {
        /// The stream's path as given.
        public let input: String
        /// Shape of the array written: [N, C, H, W], N the frames decoded.
        public let shape: [Int]
        /// One record per decoded frame, in the array's order.
        public let frames: [FrameRecord]
        /// [first, last] sequence-number ranges.
        public let lost: LostFrames
        /// The damage met, one line each (the first 100 at most).
        public let problems: [String]
    }

    /// What `run` did, for the command's closing line.
    public struct Summary: Sendable {
        /// The decoder's account: frames decoded, frames lost, problems met.
        public let report: StreamDecoder.Report
        /// Shape of one tensor: C, H, W.
        public let shape: [Int]
        /// The file the array went to (inside the directory, if one was given), or "-".
        public let outputPath: String
        /// Wall-clock seconds the whole run took.
        public let seconds: Double
        /// `--dtype float16`: values beyond its range written as ±65504 (`HalfFloat`).
        public let saturatedValues: Int
        /// Megabytes of float32 tensor decoded.
        public var megabytes: Double { Double(report.decoded * shape.reduce(1, *) * 4) / 1e6 }
    }

    /// Decodes `input` into `output` (a file, a directory to put INPUT.npy in, a device, or "-").
    public static func run(input: String, output: String, options: Options, progress: (Int, Double) -> Void = { _, _ in }) throws -> Summary {
        let start = Date()
        let reader = try ContainerReader(path: input, limits: options.limits)
        let shape = reader.parameters.shape
        // The frame count goes into the header at the end: a stream output is spooled.
        let file = try OutputFile(output, defaultName: OutputFile.defaultName(for: input, extension: "npy"), seekable: true, input: input)
        if let timestamps = options.timestampsPath { try file.refuseAsCompanion(timestamps, option: "--timestamps") }
        let decoder = StreamDecoder(reader, limits: options.limits, layers: options.layers)
        let writer = try NpyWriter(file, trailingShape: shape, element: options.element)
        // Per-frame files appear one by one as their frames decode (each complete); a run that
        // fails removes those it wrote, and the directory if it made it.
        var perFrameFiles: [String] = [], madeFolders: [String] = []
        func removePerFrameFiles() {
            for name in perFrameFiles { try? FileManager.default.removeItem(atPath: name) }
            OutputFile.removeDirectories(madeFolders)
        }
        if let directory = options.perFrameDirectory {
            // (`--per-frame -` made a folder named "-"; found by outside testing.)
            guard directory != "-" else { throw OutputError("-", "--per-frame writes a file per frame: name a folder, not standard output") }
            // Before any work: the array, committed last, would have failed on the directory
            // after every frame file was written (found by outside testing).
            try file.refuseAsCompanion(directory, option: "--per-frame")
            // A frame's file would replace the array or the timestamps, or they it, without a
            // word (`-o DIR/frame-000003.npy --per-frame DIR`; found by outside testing).
            for (path, option) in [(file.path, "-o"), (options.timestampsPath, "--timestamps")] {
                if let path, path != "-", isPerFrameName(path, in: directory) {
                    throw OutputError(path, "is a name --per-frame \(directory) writes a frame to; choose another name for \(option)")
                }
            }
            // In one line, not Foundation's "Error Domain=NSCocoaErrorDomain Code=516 ..." (found by outside testing).
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw OutputError(directory, "is a file; --per-frame needs a directory")
            }
            madeFolders = try OutputFile.makeDirectories(directory)
        }
        do {
            // Opened before decoding, so a path that cannot be written fails at once; after the
            // per-frame folder, which may hold it (and which it may not be).
            let timestamps = try options.timestampsPath.map { try OutputFile($0, input: input) }
            return try decode(input: input, reader: reader, decoder: decoder, writer: writer, file: file, timestamps: timestamps,
                              options: options, start: start, progress: progress) { name in perFrameFiles.append(name) }
        } catch {
            removePerFrameFiles()
            throw error
        }
    }

    /// Whether `path` names a file that `--per-frame directory` may write (frame-NNNNNN.npy in it).
    static func isPerFrameName(_ path: String, in directory: String) -> Bool {
        func resolved(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        let digits = name.dropFirst(6).dropLast(4)
        return name.hasPrefix("frame-") && name.hasSuffix(".npy") && digits.count >= 6 && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
            && resolved(url.deletingLastPathComponent().path) == resolved(directory)
    }

    /// `run` once its outputs are open; `wrote` hears of each per-frame file written.
    private static func decode(input: String, reader: ContainerReader, decoder: StreamDecoder, writer: NpyWriter, file: OutputFile,
                               timestamps: OutputFile?, options: Options, start: Date, progress: (Int, Double) -> Void, wrote: (String) -> Void) throws -> Summary {
        let shape = reader.parameters.shape
        var records: [FrameRecord] = []
        let report = try decoder.decode(options.range) { header, tensor in
            try writer.append(tensor.values)
            if let directory = options.perFrameDirectory {
                let name = String(format: "%@/frame-%06d.npy", directory, Int(header.sequence))
                let single = try NpyWriter(try OutputFile(name), trailingShape: shape, element: options.element, rows: 1)
                try single.append(tensor.values)
                try single.finish()
                wrote(name)
            }
            records.append(FrameRecord(header))
            progress(records.count, header.seconds)
        }
        if report.decoded == 0 && !report.problems.isEmpty {
            // Without an intact I-frame nothing can start: say so, not only the first damage met
            // (which was the stale index's bytes when the first packet was cut out; found by
            // outside testing).
            var intra = false
            reader.walk { event in
                if case .packet(let header, _, _) = event, header.layer == 0, header.type == .intra { intra = true }
                return !intra
            }
            throw ContainerError.unreadable(input, reason: "no frame could be decoded (" + (intra ? "" : "no intact I-frame to start from; ")
                                            + "\(report.problems[0]))")
        }
        // Which frames of a layered stream got which layers (found by outside testing).
        for (k, layers) in report.frameLayers.enumerated() { records[k].layers = layers }
        // The tensors first: when they cannot be written (a full device, a reader gone), no
        // timestamps describe frames nobody received (found by outside testing).
        try writer.finish()
        try timestamps?.commitJSON(Timestamps(input: input, shape: [records.count] + shape, frames: records, lost: report.lost,
                                              problems: report.problems.map(\.description)))
        return Summary(report: report, shape: shape, outputPath: file.path, seconds: Date().timeIntervalSince(start),
                       saturatedValues: writer.saturatedValues)
    }
}
