import FeatCodec

/// What the rate controller holds the stream to (`encode --target-kbps`, `--bandwidth`).
public struct RateSettings: Sendable, CustomStringConvertible {
    /// The link's rate over time.
    public var trace: BandwidthTrace
    /// How late after its presentation time a packet may arrive (`--buffer-seconds`).
    public var bufferSeconds = 1.0
    /// Below this quality (dB) the controller lowers the frame rate first (`--min-quality`).
    public var minQuality = RateSettings.defaultMinQuality
    /// `minQuality` without --min-quality. Chosen by receiver top-1 at every source frame of
    /// bikes.mp4 under `report --target-kbps 100,200,400,800`: 14 dB gave 35.6 / 40.8 / 64.4 /
    /// 68.4 %, 18 dB 37.6 / 57.2 / 64.0 / 69.2 %, 22 dB 41.2 / 48.0 / 57.2 / 66.4 %. Below
    /// about 18 dB the classes of the frames sent flip more than holding an older frame costs.
    /// Over `Tools/bench-rate`'s six clips (24 points, before `capWhileHoldingBack`) 18 dB
    /// also gave the best mean: 65.5 %, against 64.3 % at 20 dB and 63.8 % at 22.
    public static let defaultMinQuality = 18.0
    /// How far below `minQuality` a frame may go when the buffer cannot hold one at it even
    /// empty (a short buffer or a low rate); coarser frames are held back. Receiver top-1 at
    /// every source frame (`report --target-kbps`), against holding every such frame: pan at 50
    /// kbit/s 27 -> 48 %, bikes at 60 kbit/s 30.4 -> 40.4 %; with no floor pan at 30 kbit/s
    /// sent frames at 0.5-3.5 dB and fell from 33 to 1 %, with 12 dB pan at 50 fell to 16 %.
    public static let belowMinimum = 6.0
    /// How long a cut that fits only below the floor (`belowMinimum` under the minimum) may wait
    /// for the queue to drain. The waits measured were 0.12 to 0.4 s (bikes and scenes at 100
    /// kbit/s, bikes on `Media/bandwidth-step.csv`); without a limit a 5 s buffer could hold the
    /// old scene for seconds, and a cut still waiting at the input's end was lost.
    public static let cutWaitSeconds = 0.5
    /// While the frame rate held keeps frames back, a frame gets at most this much over
    /// `minQuality`, and a budget that carries it raises the frame rate instead: on fast content
    /// holding a frame costs the receiver more than coarser frames do. Receiver top-1 at every
    /// source frame over `Tools/bench-rate`'s 24 points (six clips, 100-800 kbit/s): no cap
    /// 65.5 % (at or above the best fixed setting at 11), 8 dB 65.8 % (14). Measured with the cap
    /// at any rate below the grid: 8 dB 66.1 % but vfr.mkv at 200 kbit/s fell to 172 (its 1.7 fps
    /// were all sent), 12 dB 65.8 % (11); without the raise, 4 dB fell short of the rate (zoom at
    /// 400 kbit/s reached 343). Frames the gate holds back as unchanged (and rate control does
    /// not send) count as held back too: 70.1 to 70.4 % over the 24 points, and at 150 / 300 /
    /// 600 kbit/s 69.2 to 69.4 % (zoom at 600: 70 to 74 %).
    public static let capWhileHoldingBack = 8.0
    /// A frame the gate held back as unchanged is sent only when its budget carries this much
    /// (dB) more than the last frame sent (or, once the link has idled for half the queue, at
    /// least the last frame's quality): it refines what the receiver holds. Receiver top-1 at every source frame over
    /// `Tools/bench-rate`'s 24 points (without the idle rule; code switches since removed): 1 dB 67.5 %, 3 dB 68.5 %, 6 dB
    /// 68.1 % (65.8 % sending no unchanged frame); over 16 points at 30-60 kbit/s 39.1, 40.6 and
    /// 38.3 % (38.3 %). With 3 dB, the idle rule and refinements at the grid's rate only (as
    /// now): 69.2 % (at or above the best fixed setting at 16 points) and 41.8 %.
    public static let refinementGain = 3.0
    /// The highest quality spent on a frame, however much the link allows (`--quality`).
    public var maxQuality = RateSettings.defaultMaxQuality
    /// `maxQuality` without --quality: top-1 agreement of the frames sent is about 99 % there.
    public static let defaultMaxQuality = 40.0

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
        // A --min-quality over the default ceiling is that option's fault, not --quality's
        // (`--min-quality 120` said "--quality: 40.0 is out of range"; found by outside testing).
        if maxQuality.isFinite, maxQuality < minQuality, minQuality != RateSettings.defaultMinQuality {
            throw CodingSettings.Invalid(option: "min-quality", value: "\(minQuality)",
                                         expected: "at most the highest quality, \(maxQuality) dB (--quality; \(RateSettings.defaultMaxQuality) without it)")
        }
        guard maxQuality.isFinite, (minQuality...120).contains(maxQuality) else {
            throw CodingSettings.Invalid(option: "quality", value: "\(maxQuality)",
                                         expected: "--min-quality (\(minQuality)) to 120 dB; the default ceiling is \(RateSettings.defaultMaxQuality)")
        }
    }

    /// One line, as `encode` prints it.
    public var description: String {
        let link = trace.points.count == 1 ? "\(trace.points[0].kilobitsPerSecond) kbit/s" : "a \(trace.points.count)-step bandwidth trace"
        return "rate control: \(link), \(bufferSeconds) s buffer, quality \(minQuality) to \(maxQuality) dB before the frame rate drops"
    }
}
