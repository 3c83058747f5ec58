import FeatCodec
import Foundation

/// The files of a report (CSV, JSON, two SVG plots, an HTML page) from its samples.
public enum ReportDocuments {
    /// report.json: the command, the versions and instruction set it ran with, and the samples.
    public struct Report: Encodable, Sendable {
        /// The command line the report ran with, program name first.
        public var command: [String]
        /// featstream's version (`Version.string`).
        public var featstream = Version.string
        /// The FFmpeg library versions (`VideoReader.ffmpegVersions`).
        public var ffmpeg: String
        /// The oneDNN version the model ran on (`Model.runtimeVersion`).
        public var oneDNN: String
        /// The instruction set oneDNN ran the model on, e.g. "avx2".
        public var isa: String
        /// The video's name as messages show it ("stdin" for "-").
        public var input: String
        /// The model's command-line name, e.g. "mobilenet_v2".
        public var model: String
        /// The split point the head ends at, e.g. "features.6".
        public var split: String
        /// The sweep's samples, one row of report.csv each.
        public var points: [Sample]
        /// With `report --bandwidth`: the stream following that link, window by window.
        public var linkTimeline: [LinkTimeline.Window] = []
        /// The video's average frames per second, where `--fps source` rows sit in the bitrate
        /// plot; nil when the container does not say.
        public var sourceFramesPerSecond: Double?
        /// What the input's decoding met: frames the decoder concealed errors in, packets it
        /// rejected, and jumps back of the timestamps to a new timeline (`VideoReader`).
        public var damagedFrames = 0, rejectedPackets = 0, timestampJumps = 0

        /// A report of `points`; `featstream` is this build's version.
        public init(command: [String], ffmpeg: String, oneDNN: String, isa: String, input: String, model: String, split: String, points: [Sample]) {
            (self.command, self.ffmpeg, self.oneDNN, self.isa, self.input) = (command, ffmpeg, oneDNN, isa, input)
            (self.model, self.split, self.points) = (model, split, points)
        }
    }

    /// The names of the files `write` creates in the report folder.
    public static let files = ["report.csv", "report.json", "bitrate-vs-fps.svg", "rate-vs-accuracy.svg", "report.html"]

    /// Makes `directory` (and the folders above it) unless it is there, before a sweep that may
    /// take minutes: `--out ''` printed Foundation's error dump after it, and an uncreatable
    /// folder failed only then (found by outside testing). Returns the folders it made (the
    /// caller removes them if the sweep fails, `OutputFile.removeDirectories`). A file of the
    /// report that would replace one of `reading` (the command's input files) is refused
    /// (`--bandwidth out/report.csv --out out` replaced the trace; found by outside testing).
    public static func prepareFolder(_ directory: String, reading: [String] = []) throws -> [String] {
        guard !directory.isEmpty else { throw OutputError("''", "an empty output name") }
        // (`--out -` made a folder named "-"; found by outside testing.)
        guard directory != "-" else { throw OutputError("-", "a report is several files: name a folder, not standard output") }
        var status = stat()
        if stat(directory, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else { throw OutputError(directory, "not a directory") }
            for name in files + LinkTimeline.chartNames.map({ $0 + ".svg" }) where OutputFile.names(directory + "/" + name, oneOf: reading) {
                throw OutputError(directory + "/" + name, "is an input of this command; choose another folder for --out")
            }
            return []
        }
        return try OutputFile.makeDirectories(directory)
    }

    /// Writes every file of `report` into `directory` (created if needed), all or none: each
    /// is written under a temporary name first, and only when every one is complete are they
    /// renamed into place. (One at a time, a full disk left the new CSV beside the old plots.)
    public static func write(_ report: Report, title: String, to directory: String) throws {
        _ = try prepareFolder(directory)
        let charts = [bitrateVersusFps(report.points, sourceFramesPerSecond: report.sourceFramesPerSecond), rateVersusAccuracy(report.points)]
        var documents = zip(files, [csv(report.points), String(decoding: try json(report), as: UTF8.self), charts[0].svg(), charts[1].svg(),
                                    html(title: title, samples: report.points, charts: charts)]).map { ($0, $1) }
        if !report.linkTimeline.isEmpty {
            documents += LinkTimeline.charts(report.linkTimeline, title: "rate control").map { ($0.name + ".svg", $0.chart.svg()) }
        }
        let written = try documents.map { name, text in
            let file = try OutputFile(directory + "/" + name)
            try file.write(Data(text.utf8))
            return file
        }
        for file in written { try file.commit() }
        if report.linkTimeline.isEmpty {
            // A report without --bandwidth in the folder of one with it: its link plots would
            // stay beside the new files as if they belonged to them (found by outside testing).
            for name in LinkTimeline.chartNames { unlink(directory + "/" + name + ".svg") }
        }
    }

    static func json(_ report: Report) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(report)
    }

    /// One row per sample; `temporal` is empty where it does not apply, an SNR is inf when exact,
    /// agreements are empty without a classifier. The frames sent, then the receiver at the grid
    /// and at the source (`ReceiverFidelity`).
    public static func csv(_ samples: [Sample]) -> String {
        var csv = "fps,change_threshold,quantizer,temporal,admitted,cuts,kbit_per_s,bytes_per_frame,bits_per_element,"
            + "snr_db,top1_agreement,top5_agreement,grid_frames,grid_snr_db,grid_top1,grid_top5,source_frames,source_snr_db,source_top1,source_top5\n"
        for s in samples {
            let head = "\(s.frameRate),\(s.changeThreshold),\(s.setting.quantizer),\(s.setting.temporal.map(String.init) ?? ""),\(s.admitted),\(s.cuts),"
            let size = String(format: "%.3f,%.1f,%.4f", s.kilobitsPerSecond, s.bytesPerFrame, s.bitsPerElement)
            csv += head + size + "," + fields(s.sent, frames: false) + "," + fields(s.grid, frames: true) + "," + fields(s.source, frames: true) + "\n"
        }
        return csv
    }

    private static func fields(_ f: Fidelity, frames: Bool) -> String {
        let snr = f.snr.map { String(format: "%.3f", $0) } ?? "inf"
        let top1 = f.top1.map { String(format: "%.2f", $0) } ?? "", top5 = f.top5.map { String(format: "%.2f", $0) } ?? ""
        return (frames ? "\(f.frames)," : "") + snr + "," + top1 + "," + top5
    }

    /// The samples the plots show: the first gate threshold of the sweep.
    static func plotted(_ samples: [Sample]) -> [Sample] {
        guard let threshold = samples.first?.changeThreshold else { return [] }
        return samples.filter { $0.changeThreshold == threshold }
    }

    /// kbit/s against fps: one line per feature setting, intra-only dashed (numeric rates only).
    /// `--fps source` rows sit at `sourceFramesPerSecond` (without it they were left out: found
    /// by outside testing).
    public static func bitrateVersusFps(_ samples: [Sample], sourceFramesPerSecond: Double? = nil) -> LineChart {
        let shown = plotted(samples)
        let settings = unique(shown.map(\.setting)).filter { s in
            if case .rateControlled = s { return false }
            return s.pixelCodec == nil
        }
        let series = settings.compactMap { setting -> LineChart.Series? in
            let rows = shown.filter { $0.setting == setting }
            let points = rows.compactMap { s -> (x: Double, y: Double)? in
                (s.frameRate.rate?.doubleValue ?? sourceFramesPerSecond).map { ($0, s.kilobitsPerSecond) }
            }.sorted { $0.x < $1.x }
            return points.isEmpty ? nil : LineChart.Series(name: setting.description, points: points, dashed: setting.temporal == false)
        }
        return LineChart(title: "Bitrate against frame rate", xLabel: "frame rate (frames/s)", yLabel: "bitrate (kbit/s)",
                         logY: true, series: series)
    }

    /// The receiver's top-1 agreement at every source frame against kbit/s: per frame rate, a
    /// line through its temporal feature settings and a dashed one per pixel codec.
    public static func rateVersusAccuracy(_ samples: [Sample]) -> LineChart {
        let shown = plotted(samples)
        var series: [LineChart.Series] = []
        func points(_ rows: [Sample]) -> [(x: Double, y: Double)] {
            rows.compactMap { s -> (x: Double, y: Double)? in s.source.top1.map { (s.kilobitsPerSecond, $0) } }
        }
        for rate in unique(shown.map(\.frameRate)) {
            let atRate = shown.filter { $0.frameRate == rate }
            let bits = atRate.filter { if case .quantized(_, true) = $0.setting { return true } else { return false } }
            if !bits.isEmpty { series.append(LineChart.Series(name: "--bits, \(rate) fps", points: points(bits))) }
            let steps = atRate.filter(\.setting.isSteps)
            if !steps.isEmpty { series.append(LineChart.Series(name: "--quality, \(rate) fps", points: points(steps))) }
            let tiles = atRate.filter { if case .transformedSteps = $0.setting { return true } else { return false } }
            if !tiles.isEmpty { series.append(LineChart.Series(name: "--quality --transform dct, \(rate) fps", points: points(tiles))) }
            for codec in unique(atRate.compactMap(\.setting.pixelCodec)) {
                let rows = atRate.filter { $0.setting.pixelCodec == codec }
                series.append(LineChart.Series(name: "\(codec) pixels, \(rate) fps", points: points(rows), dashed: true))
            }
        }
        let controlled = shown.filter { if case .rateControlled = $0.setting { return true } else { return false } }
        if !controlled.isEmpty {
            series.append(LineChart.Series(name: "--target-kbps (rate control)", points: points(controlled).sorted { $0.x < $1.x }))
        }
        return LineChart(title: "Receiver top-1 agreement (every source frame) against bitrate", xLabel: "bitrate (kbit/s)",
                         yLabel: "top-1 agreement at the receiver (%)", logX: true, series: series)
    }

    /// A page that opens offline: both plots inline and the table.
    public static func html(title: String, samples: [Sample], charts: [LineChart]) -> String {
        var page = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(LineChart.escape(title))</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style>
            </head><body><h1>\(LineChart.escape(title))</h1>

            """
        for chart in charts { page += chart.svg() }
        page += "<table><tr><th>fps</th><th>change</th><th>setting</th><th>mode</th><th>sent</th><th>cuts</th><th>kbit/s</th>"
            + "<th>bytes/frame</th><th>SNR sent</th><th>top-1 sent</th><th>SNR grid</th><th>top-1 grid</th><th>SNR source</th>"
            + "<th>top-1 source</th><th>top-5 source</th></tr>\n"
        func cell(_ v: Double?, _ format: String, _ none: String) -> String { "<td>" + (v.map { String(format: format, $0) } ?? none) + "</td>" }
        for s in samples {
            page += "<tr><td>\(s.frameRate)</td><td>\(s.changeThreshold)</td><td>\(s.setting.quantizer)</td><td>\(mode(s.setting))</td>"
                + "<td>\(s.admitted)</td><td>\(s.cuts)</td>" + String(format: "<td>%.1f</td><td>%.0f</td>", s.kilobitsPerSecond, s.bytesPerFrame)
            page += cell(s.sent.snr, "%.2f", "exact") + cell(s.sent.top1, "%.1f", "-") + cell(s.grid.snr, "%.2f", "exact")
                + cell(s.grid.top1, "%.1f", "-") + cell(s.source.snr, "%.2f", "exact") + cell(s.source.top1, "%.1f", "-")
                + cell(s.source.top5, "%.1f", "-") + "</tr>\n"
        }
        return page + "</table></body></html>\n"
    }

    /// "temporal", "intra" or "-" (where it does not apply).
    public static func mode(_ setting: Setting) -> String { setting.temporal.map { $0 ? "temporal" : "intra" } ?? "-" }

    private static func unique<T: Hashable>(_ values: [T]) -> [T] {
        var seen = Set<T>()
        return values.filter { seen.insert($0).inserted }
    }
}
