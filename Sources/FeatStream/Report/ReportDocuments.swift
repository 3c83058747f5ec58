import FeatCodec
import Foundation

/// The files of a report (CSV, JSON, two SVG plots, an HTML page) from its samples.
public enum ReportDocuments {
    /// report.json: the command, the versions and instruction set it ran with, and the samples.
    public struct Report: Encodable, Sendable {
        public var command: [String]
        public var featstream = Version.string
        public var ffmpeg: String
        public var oneDNN: String
        /// The instruction set oneDNN ran the model on, e.g. "avx2".
        public var isa: String
        public var input: String
        public var model: String
        public var split: String
        public var points: [Sample]

        public init(command: [String], ffmpeg: String, oneDNN: String, isa: String, input: String, model: String, split: String, points: [Sample]) {
            (self.command, self.ffmpeg, self.oneDNN, self.isa, self.input) = (command, ffmpeg, oneDNN, isa, input)
            (self.model, self.split, self.points) = (model, split, points)
        }
    }

    /// The names of the files `write` creates in the report folder.
    public static let files = ["report.csv", "report.json", "bitrate-vs-fps.svg", "rate-vs-accuracy.svg", "report.html"]

    /// Writes every file of `report` into `directory` (created if needed), each atomically.
    public static func write(_ report: Report, title: String, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let charts = [bitrateVersusFps(report.points), rateVersusAccuracy(report.points)]
        let documents = [csv(report.points), String(decoding: try json(report), as: UTF8.self), charts[0].svg(), charts[1].svg(),
                         html(title: title, samples: report.points, charts: charts)]
        for (name, text) in zip(files, documents) { try OutputFile.write(Data(text.utf8), to: directory + "/" + name) }
    }

    static func json(_ report: Report) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(report)
    }

    /// One row per sample; `temporal` is empty where it does not apply, `snr_db` is inf when exact.
    public static func csv(_ samples: [Sample]) -> String {
        var csv = "fps,quantizer,temporal,admitted,cuts,kbit_per_s,bytes_per_frame,bits_per_element,snr_db,top1_agreement,top5_agreement\n"
        for s in samples {
            csv += "\(s.frameRate),\(s.setting.quantizer),\(s.setting.temporal.map(String.init) ?? ""),\(s.admitted),\(s.cuts),"
                + String(format: "%.3f,%.1f,%.4f,", s.kilobitsPerSecond, s.bytesPerFrame, s.bitsPerElement)
                + (s.snr.map { String(format: "%.3f", $0) } ?? "inf")
                + "," + (s.top1Agreement.map { String(format: "%.2f", $0) } ?? "")
                + "," + (s.top5Agreement.map { String(format: "%.2f", $0) } ?? "") + "\n"
        }
        return csv
    }

    /// kbit/s against fps: one line per feature setting, intra-only dashed (numeric rates only).
    public static func bitrateVersusFps(_ samples: [Sample]) -> LineChart {
        let settings = unique(samples.map(\.setting)).filter { !$0.isPixels }
        let series = settings.compactMap { setting -> LineChart.Series? in
            let points = samples.filter { $0.setting == setting }.compactMap { s in s.frameRate.rate.map { ($0.doubleValue, s.kilobitsPerSecond) } }
            return points.isEmpty ? nil : .init(name: setting.description, points: points, dashed: setting.temporal == false)
        }
        return LineChart(title: "Bitrate against frame rate", xLabel: "frame rate (frames/s)", yLabel: "bitrate (kbit/s)",
                         logY: true, series: series)
    }

    /// Top-1 agreement against kbit/s: per frame rate, a line through its temporal feature
    /// settings and a dashed one through the x264 settings (pixels sent instead).
    public static func rateVersusAccuracy(_ samples: [Sample]) -> LineChart {
        var series: [LineChart.Series] = []
        for rate in unique(samples.map(\.frameRate)) {
            let atRate = samples.filter { $0.frameRate == rate }
            let points = { (rows: [Sample]) in rows.compactMap { s in s.top1Agreement.map { (s.kilobitsPerSecond, $0) } } }
            series.append(.init(name: "features, \(rate) fps", points: points(atRate.filter { $0.setting.temporal == true })))
            let pixels = atRate.filter(\.setting.isPixels)
            if !pixels.isEmpty { series.append(.init(name: "x264 pixels, \(rate) fps", points: points(pixels), dashed: true)) }
        }
        return LineChart(title: "Task fidelity against bitrate", xLabel: "bitrate (kbit/s)", yLabel: "top-1 agreement (%)",
                         logX: true, series: series)
    }

    /// A page that opens offline: both plots inline and the table.
    public static func html(title: String, samples: [Sample], charts: [LineChart]) -> String {
        var page = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(title)</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style>
            </head><body><h1>\(title)</h1>

            """
        for chart in charts { page += chart.svg() }
        page += "<table><tr><th>fps</th><th>quantizer</th><th>mode</th><th>frames</th><th>cuts</th><th>kbit/s</th>"
            + "<th>bytes/frame</th><th>bits/element</th><th>SNR dB</th><th>top-1 %</th><th>top-5 %</th></tr>\n"
        for s in samples {
            page += "<tr><td>\(s.frameRate)</td><td>\(s.setting.quantizer)</td><td>\(mode(s.setting))</td><td>\(s.admitted)</td><td>\(s.cuts)</td>"
                + String(format: "<td>%.1f</td><td>%.0f</td><td>%.3f</td>", s.kilobitsPerSecond, s.bytesPerFrame, s.bitsPerElement)
                + "<td>\(s.snr.map { String(format: "%.2f", $0) } ?? "exact")</td>"
                + "<td>\(s.top1Agreement.map { String(format: "%.1f", $0) } ?? "-")</td>"
                + "<td>\(s.top5Agreement.map { String(format: "%.1f", $0) } ?? "-")</td></tr>\n"
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
