import Foundation

/// A small SVG line chart: labelled axes with units, optional log scales, a legend, solid or
/// dashed series. Self-contained markup (no scripts, no external resources).
public struct LineChart {
    /// One line of the chart: its points, and its name in the legend.
    public struct Series {
        /// The name shown in the legend.
        public var name: String
        /// Data points in axis units, in any order (drawn sorted by x); points <= 0 are left out on a log axis.
        public var points: [(x: Double, y: Double)]
        /// Draws the line dashed, in the legend too.
        public var dashed = false
        /// A series named `name` through `points`, solid unless `dashed`.
        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
            (self.name, self.points, self.dashed) = (name, points, dashed)
        }
    }

    /// The heading above the plot.
    public var title: String
    /// The x axis label with its unit, e.g. "bitrate (kbit/s)".
    public var xLabel: String
    /// The y axis label with its unit.
    public var yLabel: String
    /// Whether the x axis is log10, spanning whole decades.
    public var logX = false
    /// Whether the y axis is log10, spanning whole decades.
    public var logY = false
    /// The lines, coloured in order from a 12-colour palette (repeating after 12).
    public var series: [Series]

    /// A chart of `series`; the axes are linear unless `logX` or `logY`.
    public init(title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false, series: [Series]) {
        (self.title, self.xLabel, self.yLabel, self.logX, self.logY, self.series) = (title, xLabel, yLabel, logX, logY, series)
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                          "#7f7f7f", "#bcbd22", "#393b79", "#637939"]
    static let (width, height, left, right, top, bottom) = (720.0, 440.0, 70.0, 170.0, 40.0, 50.0)

    /// The chart as a 720 x 440 SVG document; an empty 10 x 10 one when no point can be drawn.
    public func svg() -> String {
        let all = series.flatMap(\.points).filter { (!logX || $0.x > 0) && (!logY || $0.y > 0) }
        guard !all.isEmpty else { return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>" }
        let (x0, x1) = LineChart.range(all.map(\.x), log: logX)
        let (y0, y1) = LineChart.range(all.map(\.y), log: logY)
        let plotW = LineChart.width - LineChart.left - LineChart.right, plotH = LineChart.height - LineChart.top - LineChart.bottom
        func px(_ x: Double) -> Double { LineChart.left + plotW * (t(x, logX) - t(x0, logX)) / (t(x1, logX) - t(x0, logX)) }
        func py(_ y: Double) -> Double { LineChart.top + plotH * (1 - (t(y, logY) - t(y0, logY)) / (t(y1, logY) - t(y0, logY))) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(LineChart.width))" height="\(Int(LineChart.height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(LineChart.left)" y="22" font-size="15" font-weight="bold">\(LineChart.escape(title))</text>
            <rect x="\(LineChart.left)" y="\(LineChart.top)" width="\(plotW)" height="\(plotH)" fill="none" stroke="#444"/>

            """
        for tick in LineChart.ticks(x0, x1, log: logX) {
            let x = px(tick)
            svg += "<line x1=\"\(f(x))\" y1=\"\(f(LineChart.top))\" x2=\"\(f(x))\" y2=\"\(f(LineChart.top + plotH))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(f(x))\" y=\"\(f(LineChart.top + plotH + 16))\" text-anchor=\"middle\">\(label(tick))</text>\n"
        }
        for tick in LineChart.ticks(y0, y1, log: logY) {
            let y = py(tick)
            svg += "<line x1=\"\(f(LineChart.left))\" y1=\"\(f(y))\" x2=\"\(f(LineChart.left + plotW))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(f(LineChart.left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(label(tick))</text>\n"
        }
        svg += "<text x=\"\(f(LineChart.left + plotW / 2))\" y=\"\(f(LineChart.height - 12))\" text-anchor=\"middle\">\(LineChart.escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(16 \(f(LineChart.top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(LineChart.escape(yLabel))</text>\n"
        for (i, s) in series.enumerated() {
            let color = LineChart.palette[i % LineChart.palette.count]
            let points = s.points.filter { (!logX || $0.x > 0) && (!logY || $0.y > 0) }.sorted { $0.x < $1.x }
            let path = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
            svg += "<g class=\"series\" data-name=\"\(LineChart.escape(s.name))\">"
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>"
            for p in points { svg += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(color)\"/>" }
            svg += "</g>\n"
            let ly = LineChart.top + 10 + Double(i) * 18, lx = LineChart.width - LineChart.right + 12
            svg += "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 24))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>"
            svg += "<text x=\"\(f(lx + 30))\" y=\"\(f(ly + 4))\">\(LineChart.escape(s.name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    private func t(_ v: Double, _ log: Bool) -> Double { log ? log10(v) : v }
    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
    private func label(_ v: Double) -> String {
        if abs(v) < 1e-9 { return "0" }
        return abs(v) >= 100 || v == v.rounded() ? String(format: "%.0f", v) : String(format: "%g", v)
    }
    /// `s` safe inside XML or HTML text and attributes.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The axis range: whole decades on a log scale, a little margin on a linear one.
    static func range(_ values: [Double], log: Bool) -> (Double, Double) {
        let lo = values.min()!, hi = values.max()!
        if log { return (pow(10, floor(log10(lo))), pow(10, max(ceil(log10(hi)), floor(log10(lo)) + 1))) }
        let pad = hi > lo ? (hi - lo) * 0.05 : max(abs(hi), 1) * 0.1
        return (lo - pad, hi + pad)
    }

    /// Decades (with 2 and 5 between) on a log axis, about six round steps on a linear one.
    static func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [Double] {
        if log {
            var ticks: [Double] = []
            var decade = lo
            while decade <= hi * 1.0001 {
                for m in [1.0, 2, 5] where decade * m <= hi * 1.0001 { ticks.append(decade * m) }
                decade *= 10
            }
            return ticks
        }
        let raw = (hi - lo) / 6, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw }!
        return stride(from: (lo / step).rounded(.up) * step, through: hi, by: step).map { $0 }
    }
}
