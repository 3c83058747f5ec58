/// Writes the container around coded frames: the header with its parameter set, one packet per
/// frame (sequence number, length and CRCs filled in here), then the index and trailer. Never
/// seeks, so it works on a pipe too. Used through `StreamEncoder`.
final class ContainerWriter {
    private let sink: ByteSink
    private var offset: UInt64 = 0
    private var index: [ContainerFormat.IndexEntry] = []
    private(set) var payloadBytes = 0
    /// Frames appended by `append(_:at:)`: the next frame's sequence number.
    private var frames: UInt32 = 0
    /// Refinement layers in compact packets, not indexed (format 1.7's `layeredCompact`).
    private let compactRefinements: Bool
    var bytesWritten: UInt64 { offset }

    init(sink: ByteSink, parameters: ParameterSet) throws {
        self.sink = sink
        compactRefinements = parameters.coding.precision.compactRefinements
        let json = [UInt8](try parameters.json())
        var w = ByteWriter()
        w.append(ContainerFormat.magic)
        w.u16(ContainerFormat.majorVersion)
        w.u16(ContainerFormat.minorVersion)
        w.u32(UInt32(json.count))
        w.append(json)
        w.u32(CRC32C.checksum(w.bytes))
        try write(w.bytes)
    }

    /// Appends one coded frame with its place in the source video: one packet, or one per layer.
    func append(_ frame: EncodedFrame, at stamp: StreamEncoder.Stamp) throws {
        let template = PacketHeader(
            type: frame.type, admission: stamp.admission, sequence: frames, sourceFrame: UInt32(clamping: stamp.sourceFrame),
            pts: stamp.pts, timeBaseNumerator: stamp.timeBase.numerator, timeBaseDenominator: stamp.timeBase.denominator,
            seconds: stamp.seconds)
        try append(template, payload: frame.payload[...])
        for (k, layer) in frame.refinements.enumerated() {
            var header = template
            header.layer = UInt8(k + 1)
            try append(header, payload: layer.payload[...])
        }
        frames += 1
    }

    /// Appends one packet as `header` describes it (its length and CRC filled in here): how
    /// `StreamExtractor` copies packets without decoding them. The caller numbers the frames.
    func append(_ header: PacketHeader, payload: ArraySlice<UInt8>) throws {
        var header = header
        (header.payloadLength, header.payloadCRC) = (UInt32(payload.count), CRC32C.checksum(payload))
        header.isCompact = compactRefinements && header.layer > 0
        if !header.isCompact {
            index.append(.init(sequence: header.sequence, type: header.type, layer: header.layer, pts: header.pts, offset: offset))
        }
        try write(header.bytes + Array(payload))
        payloadBytes += payload.count
    }

    /// Writes the index (with the source time the stream covers, format 1.1) and the trailer.
    func finish(sourceSeconds: Double?) throws {
        var w = ByteWriter()
        w.append(ContainerFormat.indexMagic)
        w.u32(UInt32(index.count))
        for entry in index {
            w.u32(entry.sequence)
            w.u8(entry.type.rawValue)
            w.u8(entry.layer)
            w.u16(0)
            w.i64(entry.pts)
            w.u64(entry.offset)
        }
        w.f64(sourceSeconds.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? 0)
        w.u32(CRC32C.checksum(w.bytes))
        w.u64(offset)
        w.append(ContainerFormat.trailerMagic)
        try write(w.bytes)
    }

    private func write(_ bytes: [UInt8]) throws {
        try sink.write(bytes)
        offset += UInt64(bytes.count)
    }
}
