import Foundation

/// The plots and the page of a report, from its points.
public enum ReportDocuments {
    /// kbit/s against fps: one line per quantizer, intra-only dashed (rates given as numbers only).
    public static func bitrateVersusFps(_ points: [ReportSweep.Point]) -> LineChart {
        var series: [LineChart.Series] = []
        for quantizer in unique(points.map(\.quantizer)) where !quantizer.hasPrefix("x264") {
            for temporal in [true, false] where quantizer != "lossless" || temporal {
                let rows = points.filter { $0.quantizer == quantizer && $0.temporal == temporal && Double(rate: $0.fps) != nil }
                guard !rows.isEmpty else { continue }
                series.append(.init(name: quantizer + (quantizer == "lossless" ? "" : temporal ? "" : ", intra only"),
                                    points: rows.map { (Double(rate: $0.fps)!, $0.kilobitsPerSecond) }, dashed: !temporal))
            }
        }
        return LineChart(title: "Bitrate against frame rate", xLabel: "frame rate (frames/s)", yLabel: "bitrate (kbit/s)",
                         logY: true, series: series)
    }

    /// Top-1 agreement against kbit/s: per frame rate, a line through its quantizers (temporal
    /// features) and a dashed one through the x264 settings (pixels sent instead).
    public static func rateVersusAccuracy(_ points: [ReportSweep.Point]) -> LineChart {
        var series: [LineChart.Series] = []
        for fps in unique(points.map(\.fps)) {
            let features = points.filter { $0.fps == fps && $0.temporal && !$0.quantizer.hasPrefix("x264") }
            series.append(.init(name: "features, \(fps) fps", points: features.compactMap { p in p.top1Agreement.map { (p.kilobitsPerSecond, $0) } }))
            let pixels = points.filter { $0.fps == fps && $0.quantizer.hasPrefix("x264") }
            if !pixels.isEmpty {
                series.append(.init(name: "x264 pixels, \(fps) fps", points: pixels.compactMap { p in p.top1Agreement.map { (p.kilobitsPerSecond, $0) } },
                                    dashed: true))
            }
        }
        return LineChart(title: "Task fidelity against bitrate", xLabel: "bitrate (kbit/s)", yLabel: "top-1 agreement (%)",
                         logX: true, series: series)
    }

    /// A page that opens offline: both plots inline and the table.
    public static func html(title: String, points: [ReportSweep.Point], charts: [LineChart]) -> String {
        var page = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(title)</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style>
            </head><body><h1>\(title)</h1>

            """
        for chart in charts { page += chart.svg() }
        page += "<table><tr><th>fps</th><th>quantizer</th><th>mode</th><th>frames</th><th>cuts</th><th>kbit/s</th>"
            + "<th>bytes/frame</th><th>bits/element</th><th>SNR dB</th><th>top-1 %</th><th>top-5 %</th></tr>\n"
        for p in points {
            let mode = p.quantizer == "lossless" || p.quantizer.hasPrefix("x264") ? "-" : p.temporal ? "temporal" : "intra"
            page += "<tr><td>\(p.fps)</td><td>\(p.quantizer)</td><td>\(mode)</td><td>\(p.admitted)</td><td>\(p.cuts)</td>"
                + String(format: "<td>%.1f</td><td>%.0f</td><td>%.3f</td>", p.kilobitsPerSecond, p.bytesPerFrame, p.bitsPerElement)
                + "<td>\(p.snr.map { String(format: "%.2f", $0) } ?? "exact")</td>"
                + "<td>\(p.top1Agreement.map { String(format: "%.1f", $0) } ?? "-")</td>"
                + "<td>\(p.top5Agreement.map { String(format: "%.1f", $0) } ?? "-")</td></tr>\n"
        }
        return page + "</table></body></html>\n"
    }

    private static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}

extension Double {
    /// "5", "12.5" or "30000/1001" as a number; nil for "source".
    init?(rate: String) {
        let parts = rate.split(separator: "/")
        if parts.count == 2, let n = Double(parts[0]), let d = Double(parts[1]), d != 0 { self = n / d; return }
        guard let value = Double(rate) else { return nil }
        self = value
    }
}
