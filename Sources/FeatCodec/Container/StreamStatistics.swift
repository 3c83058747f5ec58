/// What `featstream info` shows of a stream, and the one definition of its bitrate that
/// `encode`, `info`, `report` and the benchmarks all use: every byte of the file (header, packet
/// headers, payloads, index and trailer: what a receiver downloads) over the seconds of source
/// video it covers, from the first decoded source frame to one frame interval past the last.
public struct StreamStatistics: Sendable, Encodable {
    /// Intact packets, I and P.
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

    /// Walks the packets of `reader` (damaged ones are not counted; `StreamDecoder.check` reports them).
    public init(_ reader: ContainerReader) {
        reader.walk { event in
            if case .packet(let header, let payload, _) = event {
                if header.type == .intra { intraFrames += 1 } else { predictedFrames += 1 }
                payloadBytes += payload.count
                firstSeconds = firstSeconds ?? header.seconds
                lastSeconds = header.seconds
            }
            return true
        }
        frames = intraFrames + predictedFrames
        fileBytes = reader.bytes.count
        sourceSeconds = reader.sourceSeconds ?? firstSeconds.flatMap { StreamStatistics.sourceSeconds(first: $0, last: lastSeconds!, frames: frames) }
        kilobitsPerSecond = StreamStatistics.kilobitsPerSecond(bytes: fileBytes, seconds: sourceSeconds)
        let elements = reader.parameters.shape.reduce(1, *)
        if frames > 0 {
            bytesPerFrame = Double(payloadBytes) / Double(frames)
            bitsPerElement = Double(payloadBytes * 8) / Double(frames * elements)
        }
    }

    /// Kilobits per second of `bytes` over `seconds`; nil without a duration.
    public static func kilobitsPerSecond(bytes: Int, seconds: Double?) -> Double? {
        guard let seconds, seconds > 0, seconds.isFinite else { return nil }
        return Double(bytes) * 8 / seconds / 1000
    }

    /// The seconds `frames` frames from `first` to `last` cover: their span plus one mean frame
    /// interval (10 s for 250 frames at 25 fps from 0 to 9.96 s); nil for fewer than two frames.
    public static func sourceSeconds(first: Double, last: Double, frames: Int) -> Double? {
        guard frames > 1, last > first else { return nil }
        return (last - first) * Double(frames) / Double(frames - 1)
    }
}
