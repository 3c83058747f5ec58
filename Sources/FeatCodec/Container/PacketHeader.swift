/// The header before every packet's payload (docs/FORMAT.md, "Packet"): 52 bytes, or 21 for a
/// refinement layer of a `layeredCompact` stream (format 1.7), which names only its layer and
/// frame and takes the rest from that frame's base layer.
public struct PacketHeader: Sendable, Equatable {
    /// The first 4 bytes of every full packet header: ASCII "FPKT".
    public static let magic: [UInt8] = Array("FPKT".utf8)
    /// The first 4 bytes of a compact refinement header: ASCII "FREF".
    public static let compactMagic: [UInt8] = Array("FREF".utf8)
    /// Bytes of a full packet header, its CRC included; the payload follows.
    public static let size = 52
    /// Bytes of a compact refinement header (format 1.7), its CRC included.
    public static let compactSize = 21

    /// Why the frame selection admitted the frame (stored as one byte).
    public enum Admission: UInt8, Codable, Sendable {
        case cut = 0, changed = 1, heartbeat = 2
    }

    /// I or P.
    public internal(set) var type: FrameType
    /// Why the frame selection admitted the frame.
    public internal(set) var admission: Admission
    /// Layer of the frame this packet holds: 0 the base layer (every stream), 1 ... N-1 the
    /// refinement layers of layered step mode (format 1.3).
    public internal(set) var layer: UInt8
    /// Position among the coded frames, from 0 (the writer numbers them; a frame's layers share it).
    public internal(set) var sequence: UInt32
    /// Index of the frame among all decoded frames of the source video.
    public internal(set) var sourceFrame: UInt32
    /// Presentation time in units of the time base.
    public internal(set) var pts: Int64
    /// Numerator of the time base (seconds per pts unit).
    public internal(set) var timeBaseNumerator: Int32
    /// Denominator of the time base; never 0 in an intact header.
    public internal(set) var timeBaseDenominator: Int32
    /// pts x time base, in seconds.
    public internal(set) var seconds: Double
    /// Bytes of payload after the header.
    public internal(set) var payloadLength: UInt32
    /// CRC-32C of the payload.
    public internal(set) var payloadCRC: UInt32
    /// Written or read as a compact refinement header: the fields other than layer, sequence,
    /// length and CRC are its base layer's.
    public internal(set) var isCompact = false

    /// Bytes of this header in the file.
    public var size: Int { isCompact ? PacketHeader.compactSize : PacketHeader.size }

    init(type: FrameType, admission: Admission, layer: UInt8 = 0, sequence: UInt32, sourceFrame: UInt32, pts: Int64,
                timeBaseNumerator: Int32, timeBaseDenominator: Int32, seconds: Double, payloadLength: UInt32 = 0, payloadCRC: UInt32 = 0) {
        (self.type, self.admission, self.layer, self.sequence, self.sourceFrame, self.pts) = (type, admission, layer, sequence, sourceFrame, pts)
        (self.timeBaseNumerator, self.timeBaseDenominator, self.seconds) = (timeBaseNumerator, timeBaseDenominator, seconds)
        (self.payloadLength, self.payloadCRC) = (payloadLength, payloadCRC)
    }

    var bytes: [UInt8] {
        var w = ByteWriter()
        if isCompact {
            w.append(PacketHeader.compactMagic)
            w.u8(layer)
            w.u32(sequence)
            w.u32(payloadLength)
            w.u32(payloadCRC)
            w.u32(CRC32C.checksum(w.bytes))
            return w.bytes
        }
        w.append(PacketHeader.magic)
        w.u8(type.rawValue)
        w.u8(admission.rawValue)
        w.u8(layer)
        w.u8(0)
        w.u32(sequence)
        w.u32(sourceFrame)
        w.i64(pts)
        w.i32(timeBaseNumerator)
        w.i32(timeBaseDenominator)
        w.f64(seconds)
        w.u32(payloadLength)
        w.u32(payloadCRC)
        w.u32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    /// Parses and checks a header; nil when the bytes are not an intact header.
    init?(_ bytes: ArraySlice<UInt8>) {
        guard bytes.count >= PacketHeader.size, bytes.prefix(4).elementsEqual(PacketHeader.magic) else { return nil }
        var r = ByteReader(bytes.prefix(PacketHeader.size))
        do {
            _ = try r.take(4)
            guard let type = FrameType(rawValue: try r.u8()), let admission = Admission(rawValue: try r.u8()) else { return nil }
            let layer = try r.u8()
            _ = try r.u8()
            self.init(type: type, admission: admission, layer: layer, sequence: try r.u32(), sourceFrame: try r.u32(), pts: try r.i64(),
                      timeBaseNumerator: try r.i32(), timeBaseDenominator: try r.i32(), seconds: try r.f64(),
                      payloadLength: try r.u32(), payloadCRC: try r.u32())
            let stored = try r.u32()
            // A time that is not a finite number, or not pts x time base (within a millionth:
            // writers may round the product differently), is damage, like a wrong CRC: a crafted
            // time of 1000 s went through to the timestamps and the rate windows.
            guard stored == CRC32C.checksum(bytes.prefix(PacketHeader.size - 4)), timeBaseDenominator != 0, seconds.isFinite else { return nil }
            let expected = Double(pts) * (Double(timeBaseNumerator) / Double(timeBaseDenominator))
            guard abs(seconds - expected) <= 1e-6 * max(1, abs(expected)) else { return nil }
        } catch {
            return nil
        }
    }

    /// The layer, sequence number, payload length and payload CRC of an intact compact
    /// refinement header at the start of `bytes` (a layer from 1); nil otherwise.
    static func compactFields(_ bytes: ArraySlice<UInt8>) -> (layer: UInt8, sequence: UInt32, length: UInt32, crc: UInt32)? {
        guard bytes.count >= compactSize, bytes.prefix(4).elementsEqual(compactMagic) else { return nil }
        var r = ByteReader(bytes.prefix(compactSize))
        guard (try? r.take(4)) != nil, let layer = try? r.u8(), let sequence = try? r.u32(), let length = try? r.u32(),
              let crc = try? r.u32(), let stored = try? r.u32(), layer >= 1,
              stored == CRC32C.checksum(bytes.prefix(compactSize - 4)) else { return nil }
        return (layer, sequence, length, crc)
    }

    /// A compact refinement header's fields over those of its frame's base layer `base`.
    init(compact fields: (layer: UInt8, sequence: UInt32, length: UInt32, crc: UInt32), base: PacketHeader) {
        self = base
        (layer, sequence, payloadLength, payloadCRC, isCompact) = (fields.layer, fields.sequence, fields.length, fields.crc, true)
    }
}
