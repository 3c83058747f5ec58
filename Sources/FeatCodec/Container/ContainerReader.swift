import Foundation

/// Reads a .fst file: checks the header, loads the index when the file ends with an intact
/// one, and walks packets front to back, resynchronising on the next packet magic after damage.
/// The walk ends where another stream's intact header starts (files joined end to end).
public final class ContainerReader {
    /// What the walk finds at each step.
    public enum Event {
        case packet(PacketHeader, payload: ArraySlice<UInt8>, offset: Int)
        /// A packet whose payload fails its CRC: skipped.
        case corrupt(PacketHeader, offset: Int)
        /// Bytes that are not an intact packet header: skipped up to the next one.
        case garbage(offset: Int, length: Int)
        /// The file ends inside a packet.
        case truncated(offset: Int, reason: String)
        /// An intact compact refinement header (format 1.7) whose frame's base layer was not met
        /// before it: it has no times, and nothing to refine. Skipped.
        case orphan(layer: Int, sequence: Int, offset: Int)

        /// The header of a packet whose header is intact (whatever its payload).
        public var header: PacketHeader? {
            switch self {
            case .packet(let header, _, _), .corrupt(let header, _): return header
            default: return nil
            }
        }
    }

    /// The file's path, or the name given to `init(name:bytes:limits:)`; used in messages.
    public let path: String
    /// The parameter set from the header.
    public let parameters: ParameterSet
    /// Format version from the header; the major is always `ContainerFormat.majorVersion`.
    public let version: (major: UInt16, minor: UInt16)
    /// Nil when the file has no index (written to a pipe and cut, or damaged at the end), or
    /// one that disagrees with its packets (`indexDisagrees`).
    public let index: [ContainerFormat.IndexEntry]?
    /// The file ends with an intact index (CRC, trailer) that does not list its packets as they
    /// are: it is ignored, and the packets read front to back.
    public let indexDisagrees: Bool
    /// Seconds of source video the stream covers, from the index (format 1.1); nil when unknown.
    public let sourceSeconds: Double?
    /// The whole file, in memory.
    public let bytes: [UInt8]
    /// Offset of the first packet.
    public let firstPacket: Int
    /// End of the packets: the index offset when there is one, else the end of the file.
    public let packetsEnd: Int

    /// Reads the file at `path` whole ("-": standard input; a named pipe or a device to its end)
    /// and checks its header, as `init(name:bytes:limits:)` does. A file larger than memory
    /// allows (`memoryBound`) is refused in one line: it aborted the process in an allocation,
    /// and endless input grew until it failed with Foundation's error text (found by outside testing).
    public convenience init(path: String, limits: DecodeLimits = DecodeLimits()) throws {
        var status = stat()
        let kind = path != "-" && stat(path, &status) == 0 ? status.st_mode & S_IFMT : nil
        if kind == S_IFDIR { throw ContainerError.unreadable(path, reason: "is a directory") }
        let stream = path == "-" || kind.map([S_IFIFO, S_IFCHR, S_IFSOCK].contains) == true
        let fd = path == "-" ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ContainerError.unreadable(path, reason: errno == ENOENT ? "no such file" : "cannot be read") }
        defer { close(fd) }
        let bound = ContainerReader.memoryBound
        func tooLarge(_ size: Int) -> ContainerError {
            let held = String(format: "%.2f GB", Double(bound) / 1e9)
            return ContainerError.unreadable(path, reason: (stream ? "goes on past \(held)" : String(format: "is %.2f GB", Double(size) / 1e9))
                                             + ", more than featstream can hold here (\(held): a third of the memory or address space; it reads a stream whole)")
        }
        if !stream && fstat(fd, &status) == 0 && Int(status.st_size) > bound { throw tooLarge(Int(status.st_size)) }
        var bytes: [UInt8] = []
        if !stream { bytes.reserveCapacity(Int(status.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ContainerError.unreadable(path, reason: "cannot be read (\(String(cString: strerror(errno))))") }
            if n == 0 { break }
            guard bytes.count + n <= bound else { throw tooLarge(bytes.count + n) }
            // Grown by doubling up to the bound, no further: old and new together stay within 1.5x it.
            if bytes.count + n > bytes.capacity { bytes.reserveCapacity(min(bound, max(2 * bytes.capacity, bytes.count + n))) }
            bytes.append(contentsOf: chunk[..<n])
            // The magic first, so that endless input that is not a stream (yes, /dev/urandom) is refused at once.
            if bytes.count >= ContainerFormat.magic.count && bytes.count - n < ContainerFormat.magic.count
                && !bytes.starts(with: ContainerFormat.magic) { throw ContainerError.notAStream(path) }
        }
        try self.init(name: path, bytes: bytes, limits: limits)
    }

    /// The most bytes of a stream read into memory: a third of the smallest of the machine's
    /// memory, the cgroup's memory limit (a container) and the process's address-space limit
    /// (the rest is for growing a stream read from a pipe, the libraries, and decoding).
    public static var memoryBound: Int {
        let pages = Int(sysconf(Int32(_SC_PHYS_PAGES))), pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var physical = pages > 0 && pageSize > 0 ? pages.multipliedReportingOverflow(by: pageSize).partialValue : Int.max
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8), let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)),
               limit > 0 { physical = min(physical, limit) }
        }
        var limit = rlimit()
        let addressSpace = getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0 && limit.rlim_cur < UInt64(Int.max) ? Int(limit.rlim_cur) : Int.max
        return min(physical, addressSpace) / 3
    }

    /// Checks the header of a stream in memory (magic, version, CRC, parameter set, shape within
    /// `limits`) and loads the index if intact. Throws `ContainerError`; `name` is used in
    /// messages.
    public init(name: String, bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) throws {
        path = name
        self.bytes = bytes
        guard !bytes.isEmpty else { throw ContainerError.unreadable(name, reason: "an empty file") }
        guard bytes.starts(with: ContainerFormat.magic) else { throw ContainerError.notAStream(name) }
        // A file cut inside its header is one (`head -c 12` was "not a featstream file"; found by outside testing).
        guard bytes.count >= 20 else { throw ContainerError.damagedHeader(name, reason: "the file ends at byte \(bytes.count), inside the header") }
        var r = ByteReader(bytes[...])
        do {
            _ = try r.take(8)
            version = (try r.u16(), try r.u16())
            guard version.major == ContainerFormat.majorVersion else {
                throw ContainerError.unsupportedVersion(name, major: version.major, minor: version.minor)
            }
            let length = Int(try r.u32())
            let json = try r.take(length)
            let stored = try r.u32()
            guard stored == CRC32C.checksum(bytes[0..<(16 + length)]) else {
                throw ContainerError.damagedHeader(name, reason: "CRC mismatch")
            }
            do {
                parameters = try JSONDecoder().decode(ParameterSet.self, from: Data(json))
            } catch {
                throw ContainerError.damagedHeader(name, reason: "unreadable parameter set")
            }
            // The decoder makes float32 (a reader that believed another type would size the tensors wrong; found by outside testing).
            guard parameters.elementType == "float32" else {
                throw ContainerError.damagedHeader(name, reason: "elementType \(parameters.elementType); the decoded values are float32")
            }
            guard parameters.shape.count == 3, parameters.shape.allSatisfy({ $0 > 0 && $0 <= limits.maxFrameElements }) else {
                throw ContainerError.damagedHeader(name, reason: "bad tensor shape \(parameters.shape)")
            }
            // The three dimensions are each within the limit, so the product fits in 64 bits.
            let elements = parameters.shape.reduce(1, *)
            guard elements <= limits.maxFrameElements else {
                throw ContainerError.tooLarge(name, shape: parameters.shape, limit: limits.maxFrameElements)
            }
            do {
                try parameters.coding.validateDecoding(channels: parameters.shape[0])
            } catch let invalid as CodingSettings.Invalid {
                throw ContainerError.damagedHeader(name, reason: "bad coding settings (\(invalid))")
            }
            firstPacket = r.position
        } catch is ByteReader.OutOfData {
            throw ContainerError.damagedHeader(name, reason: "file ends inside the header")
        }
        // A compact stream's index lists its base layers only.
        let indexed = parameters.coding.precision.compactRefinements ? 1 : parameters.coding.layers
        let (entries, seconds, end) = ContainerReader.readIndex(bytes, after: firstPacket, minor: version.minor, layers: indexed)
        // An index that contradicts intact packets was trusted over them: an empty one lost every
        // frame, an offset moved into a payload half of them (found by outside testing).
        let (first, compact) = (firstPacket, parameters.coding.precision.compactRefinements)
        indexDisagrees = entries.map { !ContainerReader.index($0, agreesWith: bytes, from: first, to: end, compact: compact) } ?? false
        (index, sourceSeconds, packetsEnd) = (indexDisagrees ? nil : entries, seconds, end)
    }

    /// Whether `entries` list the packets between `first` and `end` as they are: following each
    /// intact header's length from the first packet, every packet with a full header (all but a
    /// compact stream's refinements) stands at the next entry's offset with its sequence
    /// number, type, layer and pts, and the packets end where the index starts. Bytes that are
    /// no intact header (damage) are passed over to the next listed offset after them.
    private static func index(_ entries: [ContainerFormat.IndexEntry], agreesWith bytes: [UInt8], from first: Int, to end: Int, compact: Bool) -> Bool {
        var (position, k) = (first, 0)
        while position < end {
            if let header = PacketHeader(bytes[position..<end]), !(compact && header.layer > 0) {
                let e = k < entries.count ? entries[k] : nil
                guard let e, e.offset == UInt64(position), e.sequence == header.sequence, e.type == header.type, e.layer == header.layer,
                      e.pts == header.pts else { return false }
                k += 1
                position += PacketHeader.size + Int(header.payloadLength)
            } else if compact, let fields = PacketHeader.compactFields(bytes[position..<end]) {
                position += PacketHeader.compactSize + Int(fields.length)
            } else {
                while k < entries.count && entries[k].offset <= UInt64(position) { k += 1 }
                guard k < entries.count else { return true }
                position = Int(entries[k].offset)
            }
        }
        return position == end && k == entries.count
    }

    /// The index, the source seconds it records (format 1.1) and where packets end, if the file
    /// ends with an intact trailer and index.
    private static func readIndex(_ bytes: [UInt8], after first: Int, minor: UInt16, layers: Int) -> ([ContainerFormat.IndexEntry]?, Double?, Int) {
        let n = bytes.count
        guard n >= first + ContainerFormat.trailerSize, bytes[(n - 8)...].elementsEqual(ContainerFormat.trailerMagic) else {
            return (nil, nil, n)
        }
        var t = ByteReader(bytes[(n - 16)..<(n - 8)])
        // The smallest index (no entries) is 12 bytes: magic, count, CRC (and 8 more from 1.1).
        let tail = minor >= 1 ? 12 : 4
        guard let raw = try? t.u64(), raw >= UInt64(first), raw <= UInt64(n - ContainerFormat.trailerSize - 8 - tail) else { return (nil, nil, n) }
        let start = Int(raw)
        var r = ByteReader(bytes[start..<(n - 16)])
        guard let magic = try? r.take(4), magic.elementsEqual(ContainerFormat.indexMagic),
              let count = try? r.u32(), Int(count) * ContainerFormat.indexEntrySize + tail == r.remaining else { return (nil, nil, n) }
        var entries: [ContainerFormat.IndexEntry] = []
        var previous: UInt64?
        // The writer lists the base layers' sequence numbers 0, 1, 2, ... at offsets in file
        // order, before the index; each refinement layer's follow its base, rising too.
        var next = [UInt32](repeating: 0, count: layers)
        for _ in 0..<count {
            guard let sequence = try? r.u32(), let typeByte = try? r.u8(), let type = FrameType(rawValue: typeByte),
                  let layer = try? r.u8(), Int(layer) < layers, (try? r.take(2)) != nil, let pts = try? r.i64(), let offset = try? r.u64(),
                  layer == 0 ? sequence == next[0] : (sequence >= next[Int(layer)] && sequence < next[0]),
                  offset >= UInt64(first), offset < raw, raw - offset >= UInt64(PacketHeader.size), (previous.map { offset > $0 } ?? true)
            else { return (nil, nil, n) }
            previous = offset
            next[Int(layer)] = sequence + 1
            entries.append(.init(sequence: sequence, type: type, layer: layer, pts: pts, offset: offset))
        }
        let seconds = minor >= 1 ? try? r.f64() : nil
        guard let stored = try? r.u32(), stored == CRC32C.checksum(bytes[start..<(n - 20)]) else { return (nil, nil, n) }
        // Outside 1 ms to 1e9 s (31 years) it is not a stream's length: `info` printed 300-digit
        // seconds or kbit/s (found by outside testing).
        return (entries, seconds.flatMap { (1e-3...1e9).contains($0) ? $0 : nil }, start)
    }

    /// Walks the packets from `offset` (default: the first) to the end, in file order.
    public func walk(from offset: Int? = nil, _ body: (Event) throws -> Bool) rethrows {
        var position = offset ?? firstPacket
        // The base layers met so far, first of each frame: a compact refinement header takes
        // its times from its frame's (the writer puts every base layer before its refinements).
        var bases: [UInt32: PacketHeader] = [:]
        while position < packetsEnd {
            let remaining = packetsEnd - position
            if index == nil && looksLikeCutIndex(at: position) { return }  // an index whose trailer was cut off
            // Another stream's packets would decode with this stream's parameter set: from its next
            // I-frame on, as frames of this stream (`cat a.fst b.fst`; found by outside testing).
            if streamHeaderStarts(at: position) {
                _ = try body(.truncated(offset: position, reason: "the stream ends where another stream's header starts (files joined end to end? "
                                        + "decode each on its own)"))
                return
            }
            let header: PacketHeader
            if let full = fullHeader(at: position) {
                header = full
                if compactRefinements && bases[full.sequence] == nil { bases[full.sequence] = full }
            } else if compactRefinements, let fields = PacketHeader.compactFields(bytes[position..<packetsEnd]) {
                guard let base = bases[fields.sequence] else {
                    guard try body(.orphan(layer: Int(fields.layer), sequence: Int(fields.sequence), offset: position)) else { return }
                    position = nextHeader(after: position)
                    continue
                }
                header = PacketHeader(compact: fields, base: base)
            } else {
                if headerForms.contains(where: { remaining < $0.size && bytes[position...].starts(with: $0.magic.prefix(min(4, remaining))) }) {
                    _ = try body(.truncated(offset: position, reason: "file ends inside a packet header"))
                    return
                }
                let next = nextHeader(after: position)
                guard try body(.garbage(offset: position, length: next - position)) else { return }
                position = next
                continue
            }
            let end = position + header.size + Int(header.payloadLength)
            if end > packetsEnd {
                // Cut short, unless an intact packet follows: then this header's length is wrong.
                let next = nextHeader(after: position)
                if next < packetsEnd {
                    guard try body(.garbage(offset: position, length: next - position)) else { return }
                    position = next
                    continue
                }
                let packet = header.layer == 0 ? "frame \(header.sequence)" : "layer \(header.layer) of frame \(header.sequence)"
                _ = try body(.truncated(offset: position, reason: "file ends inside the packet of \(packet) (needs \(end - packetsEnd) more bytes)"))
                return
            }
            let payload = bytes[(position + header.size)..<end]
            if CRC32C.checksum(payload) == header.payloadCRC {
                guard try body(.packet(header, payload: payload, offset: position)) else { return }
                position = end
            } else {
                guard try body(.corrupt(header, offset: position)) else { return }
                // The length may be what is wrong: resynchronise on the next intact header.
                position = nextHeader(after: position)
            }
        }
    }

    /// Whether the bytes from `position` to the end read as the start of an index: its magic
    /// and an entry count that the remaining bytes hold at most.
    private func looksLikeCutIndex(at position: Int) -> Bool {
        // Cut inside the magic: "FIDX"'s first one to three bytes end the file.
        if bytes.count - position < 4 { return ContainerFormat.indexMagic.starts(with: bytes[position...]) }
        guard bytes[position...].starts(with: ContainerFormat.indexMagic) else { return false }
        var r = ByteReader(bytes[(position + 4)...])
        guard let count = try? r.u32() else { return true }
        // Shorter than the entries, the source seconds (1.1), the CRC and the trailer: a file cut
        // inside its trailer is one too (its index was reported as damaged bytes; found by outside testing).
        let tail = (version.minor >= 1 ? 12 : 4) + ContainerFormat.trailerSize
        return Int(count) * ContainerFormat.indexEntrySize + tail > r.remaining
    }

    /// Whether an intact stream header (magic, length, CRC) starts at `position`.
    private func streamHeaderStarts(at position: Int) -> Bool {
        let magic = ContainerFormat.magic
        guard packetsEnd - position >= 20, bytes[position..<(position + magic.count)].elementsEqual(magic) else { return false }
        var r = ByteReader(bytes[(position + 12)..<packetsEnd])
        guard let length = try? r.u32(), Int(length) + 20 <= packetsEnd - position, (try? r.take(Int(length))) != nil,
              let stored = try? r.u32() else { return false }
        return stored == CRC32C.checksum(bytes[position..<(position + 16 + Int(length))])
    }

    /// The next offset after `position` where an intact packet header starts, or another
    /// stream's header, or the end.
    private func nextHeader(after position: Int) -> Int {
        var p = position + 1
        while p + 4 <= packetsEnd {
            // "FEAT" of "FEATSTRM": the walk ends there.
            if bytes[p] == 0x46 && bytes[p + 1] == 0x45 && bytes[p + 2] == 0x41 && bytes[p + 3] == 0x54, streamHeaderStarts(at: p) {
                return p
            }
            // "FPKT", or in a compact stream "FREF".
            if bytes[p] == 0x46 && bytes[p + 1] == 0x50 && bytes[p + 2] == 0x4B && bytes[p + 3] == 0x54, fullHeader(at: p) != nil {
                return p
            }
            if compactRefinements && bytes[p] == 0x46 && bytes[p + 1] == 0x52 && bytes[p + 2] == 0x45 && bytes[p + 3] == 0x46,
               PacketHeader.compactFields(bytes[p..<packetsEnd]) != nil {
                return p
            }
            p += 1
        }
        return packetsEnd
    }

    /// The intact full packet header at `position`, if any. In a compact stream (1.7) only a
    /// base layer has one: a refinement sealed in a full header is not intact (`decode` skipped
    /// it while `extract` copied it and `info` counted it; found by outside testing).
    private func fullHeader(at position: Int) -> PacketHeader? {
        guard let header = PacketHeader(bytes[position..<packetsEnd]), !(compactRefinements && header.layer > 0) else { return nil }
        return header
    }

    /// Whether refinement layers have compact headers (a `layeredCompact` stream, format 1.7).
    public var compactRefinements: Bool { parameters.coding.precision.compactRefinements }

    /// The magic and size of each packet header this stream may hold.
    private var headerForms: [(magic: [UInt8], size: Int)] {
        [(PacketHeader.magic, PacketHeader.size)] + (compactRefinements ? [(PacketHeader.compactMagic, PacketHeader.compactSize)] : [])
    }
}
