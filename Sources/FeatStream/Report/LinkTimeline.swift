import FeatCodec
import Foundation

/// What happens over time when the stream follows a link (`report --bandwidth`): per window of
/// the source, the link's rate, the rate the stream achieved, the frames sent per second and
/// the receiver's top-1 agreement at every source frame (holding the latest tensor).
public enum LinkTimeline {
    /// One window of `windowSeconds`.
    public struct Window: Sendable, Encodable {
        /// Where the window starts, in seconds of source.
        public let start: Double
        /// The link's mean rate over the window (kbit/s).
        public let linkKilobitsPerSecond: Double
        /// The packets sent in the window, by presentation time (kbit/s).
        public let achievedKilobitsPerSecond: Double
        /// Frames sent in the window, per second.
        public let framesPerSecond: Double
        /// Top-1 agreement (%) of the receiver with every source frame in the window; nil without a classifier.
        public let top1: Double?
    }

    /// The window width, in seconds.
    public static let windowSeconds = 1.0

    /// The windows from the first reference frame to the last: `sent` are the packets (time,
    /// bytes), `received` what the receiver decoded from them, `references` every source frame.
    /// The trace's times count from the first frame, as rate control reads them (windows from 0 s
    /// drew the link 1.4 s early beside the stream of an MPEG-TS input; found by review).
    static func windows(trace: BandwidthTrace, sent: [(seconds: Double, bytes: Int)], received: [ReceiverFidelity.Received],
                        references: [ReceiverFidelity.Reference]) -> [Window] {
        guard let first = references.first?.seconds, let last = references.last?.seconds else { return [] }
        let link = trace.shifted(by: first)
        let count = Int(((last - first) / windowSeconds).rounded(.down)) + 1
        return (0..<count).map { k in
            let start = first + Double(k) * windowSeconds, end = start + windowSeconds
            let inWindow = sent.filter { $0.seconds >= start && $0.seconds < end }
            let fidelity = ReceiverFidelity.score(references.filter { $0.seconds >= start && $0.seconds < end }, received: received)
            return Window(start: start, linkKilobitsPerSecond: link.bytes(from: start, to: end) * 8 / 1000 / windowSeconds,
                          achievedKilobitsPerSecond: Double(inWindow.reduce(0) { $0 + $1.bytes }) * 8 / 1000 / windowSeconds,
                          framesPerSecond: Double(inWindow.count) / windowSeconds, top1: fidelity.top1)
        }
    }

    /// The names (without .svg) of the files `charts` makes.
    public static let chartNames = ["link-rate", "link-fps", "link-top1"]

    /// The three plots of README's "Fitting a link": link and achieved rate, frames sent per
    /// second, receiver top-1, each against time.
    public static func charts(_ windows: [Window], title: String) -> [(name: String, chart: LineChart)] {
        func series(_ name: String, dashed: Bool = false, _ value: (Window) -> Double?) -> LineChart.Series {
            LineChart.Series(name: name, points: windows.compactMap { w in value(w).map { (w.start + windowSeconds / 2, $0) } }, dashed: dashed)
        }
        return [
            (chartNames[0], LineChart(title: "\(title): bitrate over time", xLabel: "time (s)", yLabel: "kbit/s",
                                    series: [series("link", dashed: true) { $0.linkKilobitsPerSecond }, series("achieved") { $0.achievedKilobitsPerSecond }])),
            (chartNames[1], LineChart(title: "\(title): frames sent per second", xLabel: "time (s)", yLabel: "frames/s",
                                   series: [series("sent") { $0.framesPerSecond }])),
            (chartNames[2], LineChart(title: "\(title): receiver top-1 at every source frame", xLabel: "time (s)", yLabel: "top-1 agreement (%)",
                                    series: [series("receiver") { $0.top1 }])),
        ]
    }
}
