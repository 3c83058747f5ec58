/// Decodes a .fst stream into tensors, front to back or over a range found through the index,
/// reporting damage instead of hiding it: a packet that fails its CRC is skipped, decoding
/// resumes at the next I-frame, and every frame that could not be decoded is listed.
///
/// What the file claims is checked before it is believed: a packet's sequence number must be
/// one the index lists at that offset (or, without an index, one that the bytes before it can
/// hold), frames the index lists but the walk never meets are lost, and lost frames are kept
/// as ranges, so a damaged number cannot make the decoder list or wait for billions of frames.
public final class StreamDecoder {
    /// Which frames to decode: all, a span of sequence numbers, or a span of time.
    public enum Range: Sendable, Equatable {
        case all
        /// Coded frames A..<B (sequence numbers).
        case frames(Int, Int)
        /// Frames with T0 <= seconds < T1.
        case time(Double, Double)

        func contains(_ header: PacketHeader) -> Bool {
            switch self {
            case .all: return true
            case .frames(let a, let b): return Int(header.sequence) >= a && Int(header.sequence) < b
            case .time(let t0, let t1): return header.seconds >= t0 && header.seconds < t1
            }
        }

        func isPast(_ header: PacketHeader) -> Bool {
            switch self {
            case .all: return false
            case .frames(_, let b): return Int(header.sequence) >= b
            case .time(_, let t1): return header.seconds >= t1
            }
        }
    }

    /// One kind of damage met while decoding; `info` and `decode` word it the same way.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        case payloadCRC(sequence: Int, offset: Int)
        case undecodable(sequence: Int, offset: Int, reason: String)
        case damagedBytes(offset: Int, length: Int)
        case truncated(offset: Int, reason: String)
        /// A sequence number the index does not list at that offset, or (without an index) more
        /// than the bytes before the packet can hold.
        case implausibleSequence(sequence: Int, offset: Int)
        /// A layer the stream does not have (`layers`: how many it has).
        case badLayer(layer: Int, sequence: Int, offset: Int, layers: Int)
        case outOfOrder(sequence: Int, offset: Int, expected: Int)
        /// Frames the index lists that were never found in the packets.
        case missing(LostFrames)
        case noIndex
        /// An intact index that does not list the packets as they are (`ContainerReader.indexDisagrees`).
        case indexDisagrees
        /// Layered streams: a second packet of the same layer of a frame.
        case duplicate(sequence: Int, layer: Int, offset: Int)
        /// Layered streams: a refinement layer that could not be used; the frame keeps the layers below.
        case refinementLost(sequence: Int, layer: Int, offset: Int, reason: String)
        /// Layered streams (1.7): a compact refinement whose frame's base layer is not before it.
        case orphanRefinement(sequence: Int, layer: Int, offset: Int)
        /// Layered streams: frames without a packet of this layer where later frames have one
        /// (lost or damaged beyond recognition, or left out by `extract` because they would not
        /// decode; not a file cut short or extracted with fewer layers).
        case refinementsMissing(layer: Int, frames: LostFrames)

        /// One sentence, as `info` and `decode` print it.
        public var description: String {
            switch self {
            case .payloadCRC(let sequence, let offset):
                return "frame \(sequence) at byte \(offset): payload fails its CRC-32C; skipped to the next I-frame"
            case .undecodable(let sequence, let offset, let reason):
                return "frame \(sequence) at byte \(offset): \(reason); skipped to the next I-frame"
            case .damagedBytes(let offset, let length): return "\(length) damaged bytes at byte \(offset) skipped"
            case .truncated(let offset, let reason): return "\(reason), at byte \(offset); the packets before it are decoded"
            case .implausibleSequence(let sequence, let offset):
                return "packet at byte \(offset) claims frame number \(sequence), which the file cannot hold there; skipped as damage"
            case .badLayer(let layer, let sequence, let offset, let layers):
                return "packet at byte \(offset) claims layer \(layer) of frame \(sequence) in a stream of \(layers == 1 ? "1 layer" : "\(layers) layers"); skipped as damage"
            case .outOfOrder(let sequence, let offset, let expected):
                return "packet at byte \(offset) claims frame \(sequence) after frame \(expected - 1); skipped as damage"
            case .missing(let frames): return "frames \(frames) are listed in the index but were not found; lost"
            case .noIndex: return "no index at the end of the file (written to a pipe and cut, or damaged): read front to back"
            case .indexDisagrees: return "the index does not list the packets as they are (offsets, frame numbers or types): ignored, read front to back"
            case .duplicate(let sequence, let layer, let offset):
                return "packet at byte \(offset) repeats layer \(layer) of frame \(sequence); skipped as damage"
            case .refinementLost(let sequence, let layer, let offset, let reason):
                return "frame \(sequence) layer \(layer) at byte \(offset): \(reason); frames decode without layer \(layer) until the next I-frame"
            case .orphanRefinement(let sequence, let layer, let offset):
                return "packet at byte \(offset) holds layer \(layer) of frame \(sequence), whose base layer is not before it; skipped as damage"
            case .refinementsMissing(let layer, let frames):
                return "no packet of layer \(layer) found for frames \(frames), though later frames have one; they and the P-frames after them decode without it until the next I-frame"
            }
        }
    }

    /// What a decode or check found: frames decoded, frames lost, and the problems met.
    public struct Report: Sendable {
        /// Frames of the range decoded (for `check`: intact packets that would decode).
        public var decoded = 0
        /// Sequence numbers of frames lost to damage (in the range asked for).
        public var lost = LostFrames()
        /// The first `problemLimit` problems met, in order; `omittedProblems` counts the rest.
        public var problems: [Problem] = []
        /// Problems met beyond the first `problemLimit` (100), counted only.
        public var omittedProblems = 0
        /// Where decoding started (an I-frame at or before the range), as a byte offset.
        public var startOffset = 0
        /// Layered streams: frames of the range decoded with 1, 2, ... layers (for `check`: the
        /// intact layers each frame has); empty for other streams.
        public var layersDecoded: [Int] = []
        /// Layered streams: the layers each frame given to `decode`'s body was decoded with, in
        /// order; empty for other streams and for `check`.
        public var frameLayers: [Int] = []

        static let problemLimit = 100

        mutating func note(_ problem: Problem) {
            if problems.count < Report.problemLimit { problems.append(problem) } else { omittedProblems += 1 }
        }
    }

    let reader: ContainerReader
    let limits: DecodeLimits
    /// Layered streams: the most layers of each frame to decode.
    let maxLayers: Int

    /// `limits.maxOutputBytes` bounds the tensors one decode delivers (one per frame of the
    /// range, at `limits.outputBytesPerValue`), checked before each is decoded, and apart from
    /// them the float32 tensors decoded only to reach the range (every layer): a small file of
    /// skip frames cannot make unbounded output or work. (One count of both, every layer, in
    /// float32, refused `--frames 0:5` of a 3-layer file at 1.2x its output; found by outside
    /// testing.) `layers`: decode at most this many layers of a layered stream (nil: all).
    public init(_ reader: ContainerReader, limits: DecodeLimits = DecodeLimits(), layers: Int? = nil) {
        self.reader = reader
        self.limits = limits
        maxLayers = max(1, min(layers ?? Int.max, reader.parameters.coding.layers))
    }

    /// Calls `body` with each decoded frame of `range`, in order.
    public func decode(_ range: Range = .all, body: (PacketHeader, Tensor) throws -> Void) throws -> Report {
        try walk(range, decoding: true, body: body)
    }

    /// The damage report of the whole file without decoding payloads (what `info` shows): the
    /// same checks of CRCs, sequence numbers and index, worded the same way.
    public func check() -> Report {
        (try? walk(.all, decoding: false) { _, _ in }) ?? Report()
    }

    private func walk(_ range: Range, decoding: Bool, body: (PacketHeader, Tensor) throws -> Void) throws -> Report {
        let parameters = reader.parameters
        if parameters.coding.layers > 1 { return try walkLayers(range, decoding: decoding, body: body) }
        let frames = FrameDecoder(settings: parameters.coding, shape: parameters.shape)
        var report = Report()
        report.startOffset = startOffset(for: range)
        // The index's sequence number for each packet offset, when the file has an index.
        let indexed = reader.index.map { Dictionary($0.map { (Int($0.offset), Int($0.sequence)) }, uniquingKeysWith: { a, _ in a }) }
        // The smallest packet: a header and one mode byte per channel; in step mode a step and
        // the few bytes of a range-coded stream that skips every channel.
        let smallestPacket = PacketHeader.size + (parameters.coding.quality != nil ? 8 : parameters.shape[0])
        var expected: Int?
        var needIntra = false
        var seen = Set<Int>()
        let elements = parameters.shape.reduce(1, *)
        var budget = limits.maxOutputBytes / max(1, limits.outputBytesPerValue) / elements  // frames of output allowed in the range
        var work = limits.maxOutputBytes / 4 / elements  // tensors decoded outside it
        func lose(_ sequences: ClosedRange<Int>, _ header: PacketHeader?) {
            if header.map(range.contains) ?? true { report.lost.add(sequences) }
        }
        func isPlausible(_ sequence: Int, at offset: Int) -> Bool {
            if let indexed { return indexed[offset] == sequence }
            return sequence <= (offset - reader.firstPacket) / smallestPacket
        }
        func restart() {
            needIntra = true
            frames.reset()
        }
        /// Moves `expected` past `sequence`, losing any gap; false when the packet is out of order.
        func advance(to sequence: Int, offset: Int) -> Bool {
            if let e = expected {
                guard sequence >= e else {
                    report.note(.outOfOrder(sequence: sequence, offset: offset, expected: e))
                    return false
                }
                if sequence > e {
                    lose(e...(sequence - 1), nil)
                    restart()
                }
            }
            expected = sequence + 1
            seen.insert(sequence)
            return true
        }
        try reader.walk(from: report.startOffset) { event in
            switch event {
            case .packet(let header, let payload, let offset):
                if range.isPast(header) { return false }
                let sequence = Int(header.sequence)
                guard header.layer == 0 else {
                    // A bad layer byte was reported as a bad frame number (found by outside testing).
                    report.note(.badLayer(layer: Int(header.layer), sequence: sequence, offset: offset, layers: 1))
                    restart()
                    return true
                }
                guard isPlausible(sequence, at: offset) else {
                    report.note(.implausibleSequence(sequence: sequence, offset: offset))
                    restart()
                    return true
                }
                guard advance(to: sequence, offset: offset) else { return true }
                if needIntra && header.type == .predicted {
                    lose(sequence...sequence, header)
                    return true
                }
                guard decoding else {
                    // Without decoding, an intact I-frame is where decoding would resume.
                    if header.type == .intra { needIntra = false }
                    if range.contains(header) { report.decoded += 1 }
                    return true
                }
                let inside = range.contains(header)
                guard inside ? budget > 0 : work > 0 else { throw ContainerError.outputTooLarge(reader.path, limit: limits.maxOutputBytes) }
                if inside { budget -= 1 } else { work -= 1 }
                do {
                    let tensor = try frames.decode(payload, type: header.type)
                    needIntra = false
                    if inside {
                        try body(header, tensor)
                        report.decoded += 1
                    }
                } catch let failure as FrameDecoder.Failure {
                    report.note(.undecodable(sequence: sequence, offset: offset, reason: "\(failure)"))
                    lose(sequence...sequence, header)
                    restart()
                }
            case .corrupt(let header, let offset):
                if range.isPast(header) { return false }
                let sequence = Int(header.sequence)
                report.note(.payloadCRC(sequence: sequence, offset: offset))
                if isPlausible(sequence, at: offset), advance(to: sequence, offset: offset) { lose(sequence...sequence, header) }
                restart()
            case .garbage(let offset, let length):
                // Bytes between packets are no frame: a frame they held would show as a gap in
                // the sequence numbers of the packets after them (`advance`). Restarting here
                // lost every intact P-frame after one stray byte (found by outside testing).
                report.note(.damagedBytes(offset: offset, length: length))
            case .truncated(let offset, let reason):
                report.note(.truncated(offset: offset, reason: reason))
            case .orphan:
                break  // a compact refinement: only layered streams have them (`walkLayers`)
            }
            return true
        }
        // Frames the index lists in the range that the walk never met (their packets damaged
        // beyond recognition, or a header pointing elsewhere) are lost too.
        if let index = reader.index {
            var missing = LostFrames()
            for entry in index where !seen.contains(Int(entry.sequence)) && !report.lost.contains(Int(entry.sequence)) {
                let sequence = Int(entry.sequence)
                switch range {
                case .all: missing.add(sequence)
                case .frames(let a, let b) where sequence >= a && sequence < b: missing.add(sequence)
                default: break
                }
            }
            if !missing.isEmpty {
                report.note(.missing(missing))
                for r in missing.ranges { report.lost.add(r) }
            }
        }
        if reader.indexDisagrees { report.note(.indexDisagrees) }
        if reader.index == nil && reader.packetsEnd == reader.bytes.count { report.note(.noIndex) }
        return report
    }

    /// The offset of the last I-frame at or before the range's start (via the index), so a
    /// range decodes from there only; the first packet without an index or a range.
    private func startOffset(for range: Range) -> Int {
        guard range != .all, let index = reader.index else { return reader.firstPacket }
        var start = reader.firstPacket
        for entry in index where entry.type == .intra {
            guard let header = PacketHeader(reader.bytes[Int(entry.offset)...]) else { continue }
            let beforeStart: Bool
            switch range {
            case .frames(let a, _): beforeStart = Int(header.sequence) <= a
            case .time(let t0, _): beforeStart = header.seconds <= t0
            case .all: beforeStart = true
            }
            if beforeStart { start = Int(entry.offset) } else { break }
        }
        return start
    }
}
