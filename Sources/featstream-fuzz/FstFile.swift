/// A .fst file taken apart into its fields (docs/FORMAT.md), so mutations change a field and
/// the file is put back together with every CRC re-sealed: the decoder then meets the change
/// itself, not a CRC failure. Written from the format document, apart from the decoder.
struct FstFile {
    struct Packet {
        var type: UInt8
        var admission: UInt8
        var reserved: UInt16 = 0
        var sequence: UInt32
        var sourceFrame: UInt32
        var pts: Int64
        var timeBaseNumerator: Int32
        var timeBaseDenominator: Int32
        var seconds: Double
        var payload: [UInt8]
        /// Written as is instead of the payload's length and CRC, when a mutation sets them.
        var lengthOverride: UInt32?
        var payloadCRCOverride: UInt32?
        var magic: [UInt8] = Array("FPKT".utf8)
    }

    struct IndexEntry {
        var sequence: UInt32
        var type: UInt8
        var pts: Int64
        var offset: UInt64
    }

    var major: UInt16
    var minor: UInt16
    var json: [UInt8]
    var packets: [Packet]
    /// Nil: no index (a stream cut before its end).
    var index: [IndexEntry]?
    /// Entries and the trailer's offset as written, when a mutation sets them; else rebuilt.
    var trailerOffsetOverride: UInt64?
    var rebuildIndex = true

    /// Parses what `ContainerWriter` writes (an intact file).
    init(_ bytes: [UInt8]) {
        major = UInt16(bytes.le(8, 2))
        minor = UInt16(bytes.le(10, 2))
        let length = Int(bytes.le(12, 4))
        json = Array(bytes[16..<(16 + length)])
        var p = 16 + length + 4
        let indexStart = Int(bytes.le(bytes.count - 16, 8))
        packets = []
        while p < indexStart {
            let payloadLength = Int(bytes.le(p + 40, 4))
            packets.append(Packet(
                type: bytes[p + 4], admission: bytes[p + 5], sequence: UInt32(bytes.le(p + 8, 4)),
                sourceFrame: UInt32(bytes.le(p + 12, 4)), pts: Int64(bitPattern: bytes.le(p + 16, 8)),
                timeBaseNumerator: Int32(truncatingIfNeeded: bytes.le(p + 24, 4)),
                timeBaseDenominator: Int32(truncatingIfNeeded: bytes.le(p + 28, 4)),
                seconds: Double(bitPattern: bytes.le(p + 32, 8)), payload: Array(bytes[(p + 52)..<(p + 52 + payloadLength)])))
            p += 52 + payloadLength
        }
        index = []
    }

    /// The file with CRCs, lengths and (unless overridden) index offsets re-sealed.
    func bytes() -> [UInt8] {
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
            entries = zip(packets, offsets).map { IndexEntry(sequence: $0.sequence, type: $0.type, pts: $0.pts, offset: $1) }
        }
        let indexOffset = UInt64(out.count)
        var block: [UInt8] = Array("FIDX".utf8)
        block.appendLE(UInt64(entries.count), 4)
        for e in entries {
            block.appendLE(UInt64(e.sequence), 4)
            block.append(e.type)
            block += [0, 0, 0]
            block.appendLE(UInt64(bitPattern: e.pts), 8)
            block.appendLE(e.offset, 8)
        }
        block.appendLE(UInt64(CRC32C.checksum(block)), 4)
        out += block
        out.appendLE(trailerOffsetOverride ?? indexOffset, 8)
        out += Array("FEATSEND".utf8)
        return out
    }
}

/// CRC-32C (Castagnoli), as the format specifies.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
