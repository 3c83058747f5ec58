import Foundation

/// A .fst file taken apart into its fields (docs/FORMAT.md), so mutations change a field and
/// the file is put back together with every CRC re-sealed: the decoder then meets the change
/// itself, not a CRC failure. Written from the format document, apart from the decoder.
public struct FstFile {
    public struct Packet {
        public var type: UInt8
        public var admission: UInt8
        /// Bytes 6 and 7: the layer (format 1.3) and a reserved byte.
        public var reserved: UInt16 = 0
        /// The layer byte of `reserved`.
        public var layer: UInt8 {
            get { UInt8(truncatingIfNeeded: reserved) }
            set { reserved = reserved & 0xFF00 | UInt16(newValue) }
        }
        public var sequence: UInt32
        public var sourceFrame: UInt32
        public var pts: Int64
        public var timeBaseNumerator: Int32
        public var timeBaseDenominator: Int32
        public var seconds: Double
        public var payload: [UInt8]
        /// Written as is instead of the payload's length and CRC, when a mutation sets them.
        public var lengthOverride: UInt32?
        public var payloadCRCOverride: UInt32?
        public var magic: [UInt8] = Array("FPKT".utf8)
        /// A compact refinement packet (format 1.7, magic `FREF`): only its layer, sequence,
        /// length and CRCs are written; the other fields are its base layer's and unused here.
        public var compact = false
        /// Bytes of its header in the file.
        public var headerSize: Int { compact ? 21 : 52 }
        public init(type: UInt8, admission: UInt8, reserved: UInt16 = 0, sequence: UInt32, sourceFrame: UInt32, pts: Int64, timeBaseNumerator: Int32,
                    timeBaseDenominator: Int32, seconds: Double, payload: [UInt8]) {
            (self.type, self.admission, self.reserved, self.sequence, self.sourceFrame, self.pts) = (type, admission, reserved, sequence, sourceFrame, pts)
            (self.timeBaseNumerator, self.timeBaseDenominator, self.seconds, self.payload) = (timeBaseNumerator, timeBaseDenominator, seconds, payload)
        }
    }

    public struct IndexEntry {
        public var sequence: UInt32
        public var type: UInt8
        public var pts: Int64
        public var offset: UInt64
        public var layer: UInt8
        public init(sequence: UInt32, type: UInt8, layer: UInt8 = 0, pts: Int64, offset: UInt64) {
            (self.sequence, self.type, self.layer, self.pts, self.offset) = (sequence, type, layer, pts, offset)
        }
    }

    public var major: UInt16
    public var minor: UInt16
    public var json: [UInt8]
    public var packets: [Packet]
    /// Nil: no index (a stream cut before its end).
    public var index: [IndexEntry]?
    /// Entries and the trailer's offset as written, when a mutation sets them; else rebuilt.
    public var trailerOffsetOverride: UInt64?
    /// The source seconds a 1.1 index records (written when the minor version is 1 or more).
    public var sourceSeconds: Double = 0
    public var rebuildIndex = true

    /// Parses what `ContainerWriter` writes (an intact file).
    public init(_ bytes: [UInt8]) {
        major = UInt16(bytes.le(8, 2))
        minor = UInt16(bytes.le(10, 2))
        let length = Int(bytes.le(12, 4))
        json = Array(bytes[16..<(16 + length)])
        var p = 16 + length + 4
        let indexStart = Int(bytes.le(bytes.count - 16, 8))
        packets = []
        while p < indexStart {
            if Array(bytes[p..<(p + 4)]) == Array("FREF".utf8) {
                let payloadLength = Int(bytes.le(p + 9, 4))
                var packet = Packet(type: 0, admission: 0, reserved: UInt16(bytes[p + 4]), sequence: UInt32(bytes.le(p + 5, 4)), sourceFrame: 0, pts: 0,
                                    timeBaseNumerator: 0, timeBaseDenominator: 1, seconds: 0, payload: Array(bytes[(p + 21)..<(p + 21 + payloadLength)]))
                (packet.magic, packet.compact) = (Array("FREF".utf8), true)
                packets.append(packet)
                p += 21 + payloadLength
                continue
            }
            let payloadLength = Int(bytes.le(p + 40, 4))
            packets.append(Packet(
                type: bytes[p + 4], admission: bytes[p + 5], reserved: UInt16(bytes.le(p + 6, 2)), sequence: UInt32(bytes.le(p + 8, 4)),
                sourceFrame: UInt32(bytes.le(p + 12, 4)), pts: Int64(bitPattern: bytes.le(p + 16, 8)),
                timeBaseNumerator: Int32(truncatingIfNeeded: bytes.le(p + 24, 4)),
                timeBaseDenominator: Int32(truncatingIfNeeded: bytes.le(p + 28, 4)),
                seconds: Double(bitPattern: bytes.le(p + 32, 8)), payload: Array(bytes[(p + 52)..<(p + 52 + payloadLength)])))
            p += 52 + payloadLength
        }
        index = []
        if minor >= 1 { sourceSeconds = Double(bitPattern: bytes.le(bytes.count - 28, 8)) }
    }

    /// The file with CRCs, lengths and (unless overridden) index offsets re-sealed.
    public func bytes() -> [UInt8] {
        var out: [UInt8] = Array("FEATSTRM".utf8)
        out.appendLE(UInt64(major), 2)
        out.appendLE(UInt64(minor), 2)
        out.appendLE(UInt64(json.count), 4)
        out += json
        out.appendLE(UInt64(CRC32C.checksum(out)), 4)
        var offsets: [UInt64] = []
        for packet in packets {
            offsets.append(UInt64(out.count))
            var header: [UInt8] = packet.magic
            if packet.compact {
                header.append(packet.layer)
                header.appendLE(UInt64(packet.sequence), 4)
                header.appendLE(UInt64(packet.lengthOverride ?? UInt32(packet.payload.count)), 4)
                header.appendLE(UInt64(packet.payloadCRCOverride ?? CRC32C.checksum(packet.payload)), 4)
                header.appendLE(UInt64(CRC32C.checksum(header)), 4)
                out += header + packet.payload
                continue
            }
            header.append(packet.type)
            header.append(packet.admission)
            header.appendLE(UInt64(packet.reserved), 2)
            header.appendLE(UInt64(packet.sequence), 4)
            header.appendLE(UInt64(packet.sourceFrame), 4)
            header.appendLE(UInt64(bitPattern: packet.pts), 8)
            header.appendLE(UInt64(UInt32(bitPattern: packet.timeBaseNumerator)), 4)
            header.appendLE(UInt64(UInt32(bitPattern: packet.timeBaseDenominator)), 4)
            header.appendLE(packet.seconds.bitPattern, 8)
            header.appendLE(UInt64(packet.lengthOverride ?? UInt32(packet.payload.count)), 4)
            header.appendLE(UInt64(packet.payloadCRCOverride ?? CRC32C.checksum(packet.payload)), 4)
            header.appendLE(UInt64(CRC32C.checksum(header)), 4)
            out += header + packet.payload
        }
        guard var entries = index else { return out }
        if rebuildIndex {
            // Compact refinements are not indexed.
            entries = zip(packets, offsets).filter { !$0.0.compact }
                .map { IndexEntry(sequence: $0.sequence, type: $0.type, layer: $0.layer, pts: $0.pts, offset: $1) }
        }
        let indexOffset = UInt64(out.count)
        var block: [UInt8] = Array("FIDX".utf8)
        block.appendLE(UInt64(entries.count), 4)
        for e in entries {
            block.appendLE(UInt64(e.sequence), 4)
            block.append(e.type)
            block += [e.layer, 0, 0]
            block.appendLE(UInt64(bitPattern: e.pts), 8)
            block.appendLE(e.offset, 8)
        }
        if minor >= 1 { block.appendLE(sourceSeconds.bitPattern, 8) }
        block.appendLE(UInt64(CRC32C.checksum(block)), 4)
        out += block
        out.appendLE(trailerOffsetOverride ?? indexOffset, 8)
        out += Array("FEATSEND".utf8)
        return out
    }
}

extension FstFile {
    /// Changes the packet `choice` picks.
    public mutating func onePacket(_ choice: UInt64, _ change: (inout Packet) -> Void) {
        guard !packets.isEmpty else { return }
        change(&packets[Int(choice % UInt64(packets.count))])
    }

    public mutating func editIndex(_ choice: UInt64, _ change: (inout IndexEntry) -> Void) {
        var entries = bytesIndexEntries()
        guard !entries.isEmpty else { return }
        change(&entries[Int(choice % UInt64(entries.count))])
        index = entries
        rebuildIndex = false
    }

    /// The index as `bytes()` would write it now.
    public func bytesIndexEntries() -> [IndexEntry] {
        var offset = UInt64(16 + json.count + 4)
        return packets.compactMap { packet in
            defer { offset += UInt64(packet.headerSize + packet.payload.count) }
            return packet.compact ? nil : IndexEntry(sequence: packet.sequence, type: packet.type, layer: packet.layer, pts: packet.pts, offset: offset)
        }
    }

    public mutating func editJSON(_ change: (inout [String: Any]) -> Void) {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any] else { return }
        change(&object)
        if let data = try? JSONSerialization.data(withJSONObject: object) { json = [UInt8](data) }
    }

    public mutating func editJSONText(_ change: (inout String) -> Void) {
        var text = String(decoding: json, as: UTF8.self)
        change(&text)
        json = Array(text.utf8)
    }
}

/// CRC-32C (Castagnoli), as the format specifies.
public enum CRC32C {
    public static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
