/// One decoded frame, scaled for the model, with its exact presentation time.
public struct VideoFrame: Sendable {
    /// Side of the square RGB image every model head takes.
    public static let side = 224

    /// Position among all decoded frames of the stream, from 0.
    public let index: Int
    /// Presentation timestamp in units of `timeBase` (the stream's time base).
    public let pts: Int64
    /// Seconds per `pts` unit (the stream's time base), e.g. 1/90000.
    public let timeBase: Rational
    /// 224 x 224 x 3 bytes, row-major RGB24, scaled as `ffmpeg -vf scale=224:224 -pix_fmt rgb24` does.
    public let rgb: [UInt8]
    /// The small picture the scene-change gate compares.
    public let thumbnail: Thumbnail
    /// The decoder flagged this frame as corrupt (it was concealed, not skipped).
    public let isDamaged: Bool

    /// A frame from 224 x 224 RGB24 bytes (its thumbnail is computed here).
    public init(index: Int, pts: Int64, timeBase: Rational, rgb: [UInt8], isDamaged: Bool = false) {
        (self.index, self.pts, self.timeBase, self.rgb, self.isDamaged) = (index, pts, timeBase, rgb, isDamaged)
        thumbnail = Thumbnail(rgb: rgb)
    }

    /// Presentation time in seconds, exact (`pts` x `timeBase`).
    public var time: Rational { Rational(pts * timeBase.numerator, timeBase.denominator) }
    /// Presentation time in seconds, as a Double.
    public var seconds: Double { Double(pts) * timeBase.doubleValue }

    /// Seconds from `earlier` (a frame of the same stream) to this one, from the difference of
    /// their timestamps in one rounding: a gap of exactly 0.2 s is 0.2, where `seconds` minus
    /// `seconds` gave 0.19999999999999996 for some pairs (a heartbeat skipped at exactly
    /// --max-gap), and less than a millisecond's precision at timestamps of 10^12 s.
    public func seconds(since earlier: VideoFrame) -> Double {
        Double(pts &- earlier.pts) * Double(timeBase.numerator) / Double(timeBase.denominator)
    }
}
