/// What `featstream info` shows of a stream, and the one definition of its bitrate that
/// `encode`, `info`, `report` and the benchmarks all use: every byte of the file (header, packet
/// headers, payloads, index and trailer: what a receiver downloads) over the seconds of source
/// video it covers, from the first decoded source frame to one frame interval past the last.
public struct StreamStatistics: Sendable, Encodable {
    /// Intact frames (their base layers' packets), I and P.
    public var frames = 0
    /// Intact I-frames.
    public var intraFrames = 0
    /// Intact P-frames.
    public var predictedFrames = 0
    /// Bytes of coded frame data (no headers).
    public var payloadBytes = 0
    /// Every byte of the file: header, packets, index and trailer.
    public var fileBytes = 0
    /// Times of the first and last coded frames.
    public var firstSeconds: Double?
    /// Time of the last coded frame, in seconds; nil without frames.
    public var lastSeconds: Double?
    /// The source seconds the stream covers: recorded by the encoder in the index (format 1.1),
    /// or, for older or cut files, estimated from the coded frames' span.
    public var sourceSeconds: Double?
    /// `fileBytes` over `sourceSeconds`, in kilobits (1000 bits) per second; nil without a duration.
    public var kilobitsPerSecond: Double?
    /// Mean payload bytes per frame (headers excluded); nil without frames.
    public var bytesPerFrame: Double?
    /// Payload bits per tensor element (headers excluded); nil without frames.
    public var bitsPerElement: Double?
    /// Layered streams: whether some refinement comes before a later frame's base layer
    /// (`DeliveryOrder.frames`) or none does (`.layers`); nil for other streams.
    public var deliveryOrder: String?
    /// kbit/s of packets (header and payload) by presentation time, in windows of
    /// `windowSeconds` from the first frame (`windowStartSeconds`) to the end of the source
    /// covered: what a link carried at each moment (a rate-controlled stream's achieved rate;
    /// its link's time counts from the first frame too). Empty without frames, or when the times
    /// span more than `maxWindows` windows (a damaged file).
    public var windowKilobitsPerSecond: [Double] = []
    /// Where the first window starts: the first frame's time (a stream's times need not start
    /// at 0: MPEG-TS starts near 1.4 s, and a file with 100 s of offset listed 100 empty windows).
    public var windowStartSeconds = 0.0
    /// The window of `windowKilobitsPerSecond`, in seconds.
    public static let windowSeconds = 1.0
    static let maxWindows = 100_000

    /// Walks the packets of `reader` (damaged ones are not counted; `StreamDecoder.check` reports them).
    public init(_ reader: ContainerReader) {
        var packets: [(seconds: Double, bytes: Int)] = []
        let layers = reader.parameters.coding.layers
        var refinementSeen = false, baseAfterRefinement = false
        // A packet repeated (a frame sent twice, or a file joined to itself) is one frame, as
        // the decoder takes it once (`info` counted 38 frames in a file of 19 twice; found by
        // outside testing).
        var counted = Set<UInt64>()
        reader.walk { event in
            if case .packet(let header, let payload, _) = event, Int(header.layer) < layers,
               counted.insert(UInt64(header.sequence) << 8 | UInt64(header.layer)).inserted {
                packets.append((header.seconds, header.size + payload.count))
                payloadBytes += payload.count
                guard header.layer == 0 else {
                    refinementSeen = true
                    return true
                }
                if refinementSeen { baseAfterRefinement = true }
                if header.type == .intra { intraFrames += 1 } else { predictedFrames += 1 }
                firstSeconds = min(firstSeconds ?? header.seconds, header.seconds)
                lastSeconds = max(lastSeconds ?? header.seconds, header.seconds)
            }
            return true
        }
        if layers > 1 { deliveryOrder = (baseAfterRefinement ? DeliveryOrder.frames : .layers).rawValue }
        frames = intraFrames + predictedFrames
        fileBytes = reader.bytes.count
        sourceSeconds = reader.sourceSeconds ?? firstSeconds.flatMap { StreamStatistics.sourceSeconds(first: $0, last: lastSeconds!, frames: frames) }
        kilobitsPerSecond = StreamStatistics.kilobitsPerSecond(bytes: fileBytes, seconds: sourceSeconds)
        windowStartSeconds = firstSeconds ?? 0
        windowKilobitsPerSecond = StreamStatistics.windows(packets, from: windowStartSeconds,
                                                           until: max(windowStartSeconds + (sourceSeconds ?? 0), lastSeconds ?? 0))
        let elements = reader.parameters.shape.reduce(1, *)
        if frames > 0 {
            bytesPerFrame = Double(payloadBytes) / Double(frames)
            bitsPerElement = Double(payloadBytes * 8) / Double(frames * elements)
        }
    }

    /// kbit/s of `packets` per window from `start` to `end` seconds (packets before `start`
    /// count in the first, those after `end` in the last).
    static func windows(_ packets: [(seconds: Double, bytes: Int)], from start: Double = 0, until end: Double) -> [Double] {
        let count = ((end - start) / windowSeconds).rounded(.up)
        guard !packets.isEmpty, count.isFinite, count >= 1, count <= Double(maxWindows) else { return [] }
        var bytes = [Int](repeating: 0, count: Int(count))
        for p in packets {
            let k = Int(max(0, min(count - 1, ((p.seconds - start) / windowSeconds).rounded(.down))))
            bytes[k] += p.bytes
        }
        return bytes.map { Double($0) * 8 / windowSeconds / 1000 }
    }

    /// Kilobits per second of `bytes` over `seconds`; nil without a duration.
    public static func kilobitsPerSecond(bytes: Int, seconds: Double?) -> Double? {
        guard let seconds, seconds > 0, seconds.isFinite else { return nil }
        return Double(bytes) * 8 / seconds / 1000
    }

    /// The seconds `frames` frames from `first` to `last` cover: their span plus one mean frame
    /// interval (10 s for 250 frames at 25 fps from 0 to 9.96 s). One frame covers
    /// `frameSeconds` (the video's nominal frame interval; a one-frame clip read as 0 s and
    /// no bitrate, found by outside testing); nil when that is not known either.
    public static func sourceSeconds(first: Double, last: Double, frames: Int, frameSeconds: Double? = nil) -> Double? {
        guard frames > 1, last > first else { return frames == 1 ? frameSeconds.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } : nil }
        return (last - first) * Double(frames) / Double(frames - 1)
    }
}
