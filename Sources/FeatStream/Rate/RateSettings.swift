import FeatCodec

/// What the rate controller holds the stream to (`encode --target-kbps`, `--bandwidth`).
public struct RateSettings: Sendable, CustomStringConvertible {
    /// The link's rate over time.
    public var trace: BandwidthTrace
    /// How late after its presentation time a packet may arrive (`--buffer-seconds`).
    public var bufferSeconds = 1.0
    /// Below this quality (dB) the controller lowers the frame rate first (`--min-quality`).
    public var minQuality = 18.0
    /// The highest quality spent on a frame, however much the link allows (`--quality`).
    public var maxQuality = 40.0

    /// Rate control over `trace` with the default buffer and qualities.
    public init(trace: BandwidthTrace) { self.trace = trace }

    /// The valid ranges, checked before anything runs.
    public func validate() throws {
        guard bufferSeconds.isFinite, (0.05...60).contains(bufferSeconds) else {
            throw CodingSettings.Invalid(option: "buffer-seconds", value: "\(bufferSeconds)", expected: "0.05 to 60 seconds")
        }
        guard minQuality.isFinite, (0...120).contains(minQuality) else {
            throw CodingSettings.Invalid(option: "min-quality", value: "\(minQuality)", expected: "0 to 120 dB")
        }
        guard maxQuality.isFinite, (minQuality...120).contains(maxQuality) else {
            throw CodingSettings.Invalid(option: "quality", value: "\(maxQuality)", expected: "--min-quality to 120 dB")
        }
    }

    /// One line, as `encode` prints it.
    public var description: String {
        let link = trace.points.count == 1 ? "\(trace.points[0].kilobitsPerSecond) kbit/s" : "a \(trace.points.count)-step bandwidth trace"
        return "rate control: \(link), \(bufferSeconds) s buffer, quality \(minQuality) to \(maxQuality) dB before the frame rate drops"
    }
}
