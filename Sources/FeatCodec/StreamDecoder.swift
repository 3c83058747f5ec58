/// Decodes a .fst stream into tensors, front to back or over a range found through the index,
/// reporting damage instead of hiding it: a packet that fails its CRC is skipped, decoding
/// resumes at the next I-frame, and every frame that could not be decoded is listed.
public final class StreamDecoder {
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

    public struct Report: Sendable {
        public var decoded = 0
        /// Sequence numbers of frames lost to damage (in the range asked for).
        public var lost: [Int] = []
        /// One line per problem met, for stderr.
        public var problems: [String] = []
        /// Where decoding started (an I-frame at or before the range), as a byte offset.
        public var startOffset = 0
    }

    private let reader: ContainerReader

    public init(_ reader: ContainerReader) { self.reader = reader }

    /// Calls `body` with each decoded frame of `range`, in order.
    public func decode(_ range: Range = .all, body: (PacketHeader, Tensor) throws -> Void) throws -> Report {
        let parameters = reader.parameters
        let frames = FrameDecoder(settings: parameters.coding, shape: parameters.shape)
        var report = Report()
        report.startOffset = startOffset(for: range)
        var expected: Int?
        var needIntra = false
        func lose(_ sequence: Int, _ header: PacketHeader?) {
            if header.map(range.contains) ?? true { report.lost.append(sequence) }
        }
        try reader.walk(from: report.startOffset) { event in
            switch event {
            case .packet(let header, let payload, let offset):
                if range.isPast(header) { return false }
                let sequence = Int(header.sequence)
                if let e = expected, sequence > e {
                    for missing in e..<sequence { lose(missing, nil) }
                    needIntra = true
                    frames.reset()
                }
                expected = sequence + 1
                if needIntra && header.type == .predicted {
                    lose(sequence, header)
                    return true
                }
                do {
                    let tensor = try frames.decode(payload, type: header.type)
                    needIntra = false
                    if range.contains(header) {
                        try body(header, tensor)
                        report.decoded += 1
                    }
                } catch let failure as FrameDecoder.Failure {
                    report.problems.append("frame \(sequence) at byte \(offset): \(failure); skipped to the next I-frame")
                    lose(sequence, header)
                    needIntra = true
                    frames.reset()
                }
            case .corrupt(let header, let offset):
                report.problems.append("frame \(header.sequence) at byte \(offset): payload fails its CRC-32C; skipped to the next I-frame")
                if range.isPast(header) { return false }
                lose(Int(header.sequence), header)
                expected = Int(header.sequence) + 1
                needIntra = true
                frames.reset()
            case .garbage(let offset, let length):
                report.problems.append("\(length) damaged bytes at byte \(offset) skipped")
                needIntra = true
                frames.reset()
            case .truncated(let offset, let reason):
                report.problems.append("\(reason), at byte \(offset); frames before it are decoded")
            }
            return true
        }
        if reader.index == nil && reader.packetsEnd == reader.bytes.count {
            report.problems.append("no index at the end of the file (written to a pipe and cut, or damaged): read front to back")
        }
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
