/// Codes tensors into a .fst stream: the encoder-side counterpart of `StreamDecoder`. It owns the
/// frame coder (quantization, temporal prediction, entropy coding), the packets' sequence
/// numbers, lengths and CRCs, and the index. Callers give tensors and where they sit in time.
public final class StreamEncoder {
    /// Where a coded frame sits in the source video, and why it was sent.
    public struct Stamp: Sendable, Equatable {
        /// Index of the frame among all decoded frames of the source.
        public var sourceFrame: Int
        /// Presentation time in `timeBase` units.
        public var pts: Int64
        /// Seconds per pts unit, as a fraction; the denominator must not be 0.
        public var timeBase: (numerator: Int32, denominator: Int32)
        /// Presentation time in seconds (pts x time base); also decides when a group of frames is over.
        public var seconds: Double
        /// Why the frame selection admitted the frame.
        public var admission: PacketHeader.Admission

        /// Usually built by `SelectedFrame.stamp`.
        public init(sourceFrame: Int, pts: Int64, timeBase: (numerator: Int32, denominator: Int32), seconds: Double,
                    admission: PacketHeader.Admission) {
            (self.sourceFrame, self.pts, self.timeBase, self.seconds, self.admission) = (sourceFrame, pts, timeBase, seconds, admission)
        }

        /// Field by field: written out because a tuple (`timeBase`) blocks the synthesised conformance.
        public static func == (a: Stamp, b: Stamp) -> Bool {
            a.sourceFrame == b.sourceFrame && a.pts == b.pts && a.timeBase == b.timeBase && a.seconds == b.seconds && a.admission == b.admission
        }
    }

    /// What was written.
    public struct Summary: Sendable {
        /// Frames coded as I-frames.
        public var intraFrames = 0
        /// Frames coded as P-frames.
        public var predictedFrames = 0
        /// Bytes of coded frame data (no headers).
        public var payloadBytes = 0
        /// Every byte of the stream: header, packets, index, trailer.
        public var fileBytes = 0
        /// Frames coded, I and P.
        public var frames: Int { intraFrames + predictedFrames }
        /// `--fp16`: values beyond float16's range coded as ±65504 (`HalfFloat`).
        public var saturatedValues = 0
    }

    /// The parameter set written in the header; its `coding` and `shape` drive the coder.
    public let parameters: ParameterSet
    private let coder: FrameEncoder
    private let writer: ContainerWriter
    private var summary = Summary()

    /// Writes the header at once; `sink` receives the stream as it is coded. Throws
    /// `CodingSettings.Invalid` for settings out of range (a channel weight per channel too).
    public init(parameters: ParameterSet, sink: ByteSink) throws {
        precondition(parameters.shape.count == 3)
        try parameters.coding.validate(channels: parameters.shape[0])
        self.parameters = parameters
        coder = FrameEncoder(settings: parameters.coding, shape: parameters.shape)
        writer = try ContainerWriter(sink: sink, parameters: parameters)
    }

    /// Codes and writes one frame (`forceIntra`: a cut, or the caller's choice). Returns the
    /// coded frame, whose reconstruction is bit for bit what a decoder will give.
    @discardableResult
    public func append(_ tensor: Tensor, at stamp: Stamp, forceIntra: Bool = false) throws -> EncodedFrame {
        let frame = coder.encode(tensor, seconds: stamp.seconds, forceIntra: forceIntra)
        try write(frame, at: stamp)
        return frame
    }

    /// Step mode: codes one frame at `quality` without writing it or taking it as the reference
    /// (a rate controller's trial); `append(trial:at:)` sends the one chosen.
    public func trial(_ tensor: Tensor, at stamp: Stamp, forceIntra: Bool = false, quality: Double) -> EncodedFrame {
        coder.trial(tensor, seconds: stamp.seconds, forceIntra: forceIntra, quality: quality)
    }

    /// Step mode: the frame at `seconds` will be an I-frame although it is not a cut (the first
    /// frame, or the group is over).
    public func refreshDue(at seconds: Double) -> Bool { coder.refreshDue(seconds: seconds) }

    /// Writes a frame from `trial` (the latest trial of this tensor) and takes it as the reference.
    public func append(trial frame: EncodedFrame, at stamp: Stamp) throws {
        coder.accept(frame, seconds: stamp.seconds)
        try write(frame, at: stamp)
    }

    /// The bytes a frame of `payloadBytes` adds to the stream: its packet header, its payload and
    /// its index entry.
    public static func packetBytes(payloadBytes: Int) -> Int { PacketHeader.size + payloadBytes + ContainerFormat.indexEntrySize }

    /// The bytes a refinement layer of `payloadBytes` adds in compact form (format 1.7): its
    /// compact header and its payload, without an index entry.
    public static func compactPacketBytes(payloadBytes: Int) -> Int { PacketHeader.compactSize + payloadBytes }

    /// The bytes a coded frame adds to the stream: each layer's packet and index entry (none
    /// for compact refinements).
    public static func packetBytes(of frame: EncodedFrame) -> Int {
        frame.refinements.reduce(packetBytes(payloadBytes: frame.payload.count)) {
            $0 + (frame.compactRefinements ? compactPacketBytes(payloadBytes: $1.payload.count) : packetBytes(payloadBytes: $1.payload.count))
        }
    }

    private func write(_ frame: EncodedFrame, at stamp: Stamp) throws {
        try writer.append(frame, at: stamp)
        if frame.type == .intra { summary.intraFrames += 1 } else { summary.predictedFrames += 1 }
        summary.payloadBytes += frame.payloadBytes
    }

    /// Bytes written so far (after `init`: the file header with the parameter set).
    public var bytesWritten: Int { Int(writer.bytesWritten) }

    /// Writes the index and the trailer. `sourceSeconds`: the span of source video the stream
    /// covers (what bitrates are computed over, `StreamStatistics`), nil when unknown.
    public func finish(sourceSeconds: Double?) throws -> Summary {
        try writer.finish(sourceSeconds: sourceSeconds)
        summary.fileBytes = Int(writer.bytesWritten)
        summary.saturatedValues = coder.saturatedValues
        return summary
    }
}
