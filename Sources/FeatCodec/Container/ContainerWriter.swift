import Foundation

/// Writes a .fst stream: the header with its parameter set, one packet per coded frame, then
/// the index and trailer. Works on a pipe too (it never seeks); the index is still written at
/// the end, and a reader that cannot seek simply reads front to back.
public final class ContainerWriter {
    private let handle: FileHandle
    private let name: String
    private var offset: UInt64 = 0
    private var index: [ContainerFormat.IndexEntry] = []
    public private(set) var packets = 0
    public private(set) var payloadBytes = 0

    public init(handle: FileHandle, name: String, parameters: ParameterSet) throws {
        self.handle = handle
        self.name = name
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = [UInt8](try encoder.encode(parameters))
        var w = ByteWriter()
        w.append(ContainerFormat.magic)
        w.u16(ContainerFormat.majorVersion)
        w.u16(ContainerFormat.minorVersion)
        w.u32(UInt32(json.count))
        w.append(json)
        w.u32(CRC32C.checksum(w.bytes))
        try write(w.bytes)
    }

    /// Appends one coded frame.
    public func append(_ frame: EncodedFrame, header: PacketHeader) throws {
        var header = header
        header.type = frame.type
        header.sequence = UInt32(packets)
        header.payloadLength = UInt32(frame.payload.count)
        header.payloadCRC = CRC32C.checksum(frame.payload)
        index.append(.init(sequence: header.sequence, type: frame.type, pts: header.pts, offset: offset))
        try write(header.bytes + frame.payload)
        packets += 1
        payloadBytes += frame.payload.count
    }

    /// Writes the index and the trailer.
    public func finish() throws {
        var w = ByteWriter()
        w.append(ContainerFormat.indexMagic)
        w.u32(UInt32(index.count))
        for entry in index {
            w.u32(entry.sequence)
            w.u8(entry.type.rawValue)
            w.u8(0); w.u16(0)
            w.i64(entry.pts)
            w.u64(entry.offset)
        }
        w.u32(CRC32C.checksum(w.bytes))
        let indexOffset = offset
        w.u64(indexOffset)
        w.append(ContainerFormat.trailerMagic)
        try write(w.bytes)
    }

    public var bytesWritten: UInt64 { offset }

    private func write(_ bytes: [UInt8]) throws {
        do {
            try handle.write(contentsOf: Data(bytes))
        } catch {
            throw ContainerError.cannotWrite(name, reason: "\(error)")
        }
        offset += UInt64(bytes.count)
    }
}
