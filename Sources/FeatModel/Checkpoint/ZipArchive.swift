import Foundation
import ZIPFoundation

/// The entries of a zip archive (torch.save's format since PyTorch 1.6), read with every offset,
/// length and count checked against the file before it is used: a crafted offset or size is a
/// clear error, never a trap or a read outside the file. Entries are stored (PyTorch's way) or
/// deflated; inflating stops at the size the archive declares, so a zip bomb cannot fill memory.
struct ZipArchive {
    struct Entry {
        let name: String
        /// 0: stored, 8: deflated.
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        /// Where the entry's data starts in the file.
        let dataOffset: Int
    }

    struct Damaged: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    let bytes: [UInt8]
    let entries: [Entry]

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        let n = bytes.count
        // End of central directory: 22 bytes and a comment of up to 65535, at the very end.
        var eocd: Int?
        var p = n - 22
        while p >= max(0, n - 22 - 65535) {
            if ZipArchive.u32(bytes, p) == 0x0605_4B50 && p + 22 + Int(ZipArchive.u16(bytes, p + 20)) == n { eocd = p; break }
            p -= 1
        }
        guard let eocd else { throw Damaged("no end-of-central-directory record") }
        guard ZipArchive.u16(bytes, eocd + 4) == 0, ZipArchive.u16(bytes, eocd + 6) == 0 else { throw Damaged("multi-disk archive") }
        var count = Int(ZipArchive.u16(bytes, eocd + 10))
        var directorySize = Int(ZipArchive.u32(bytes, eocd + 12))
        var directoryOffset = Int(ZipArchive.u32(bytes, eocd + 16))
        var directoryEnd = eocd
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: a locator just before the record points at the 64-bit record.
            guard eocd >= 20, ZipArchive.u32(bytes, eocd - 20) == 0x0706_4B50,
                  let record = Int(exactly: ZipArchive.u64(bytes, eocd - 12)), record >= 0, record <= eocd - 20 - 56,
                  ZipArchive.u32(bytes, record) == 0x0606_4B50,
                  let c = Int(exactly: ZipArchive.u64(bytes, record + 32)), let s = Int(exactly: ZipArchive.u64(bytes, record + 40)),
                  let o = Int(exactly: ZipArchive.u64(bytes, record + 48))
            else { throw Damaged("damaged zip64 end-of-central-directory record") }
            (count, directorySize, directoryOffset, directoryEnd) = (c, s, o, record)
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset <= directoryEnd, directorySize <= directoryEnd - directoryOffset,
              count <= directorySize / 46 else {
            throw Damaged("central directory outside the file")
        }
        var entries: [Entry] = []
        var q = directoryOffset
        let end = directoryOffset + directorySize
        while q < end {
            guard q + 46 <= end, ZipArchive.u32(bytes, q) == 0x0201_4B50 else { throw Damaged("damaged central directory at byte \(q)") }
            let flags = ZipArchive.u16(bytes, q + 8), method = ZipArchive.u16(bytes, q + 10)
            let nameLength = Int(ZipArchive.u16(bytes, q + 28)), extraLength = Int(ZipArchive.u16(bytes, q + 30))
            let commentLength = Int(ZipArchive.u16(bytes, q + 32))
            guard q + 46 + nameLength + extraLength + commentLength <= end else { throw Damaged("central directory entry runs past its end") }
            guard flags & 1 == 0 else { throw Damaged("encrypted entry") }
            let name = String(decoding: bytes[(q + 46)..<(q + 46 + nameLength)], as: UTF8.self)
            var compressed = UInt64(ZipArchive.u32(bytes, q + 20)), uncompressed = UInt64(ZipArchive.u32(bytes, q + 24))
            var local = UInt64(ZipArchive.u32(bytes, q + 42))
            // Zip64 extra field: the 64-bit values of the fields set to 0xFFFFFFFF, in this order.
            var x = q + 46 + nameLength
            let extraEnd = x + extraLength
            while x + 4 <= extraEnd {
                let id = ZipArchive.u16(bytes, x), size = Int(ZipArchive.u16(bytes, x + 2))
                guard x + 4 + size <= extraEnd else { throw Damaged("damaged extra field of \(name)") }
                if id == 0x0001 {
                    var y = x + 4
                    if uncompressed == 0xFFFF_FFFF { guard y + 8 <= x + 4 + size else { throw Damaged("short zip64 field of \(name)") }; uncompressed = ZipArchive.u64(bytes, y); y += 8 }
                    if compressed == 0xFFFF_FFFF { guard y + 8 <= x + 4 + size else { throw Damaged("short zip64 field of \(name)") }; compressed = ZipArchive.u64(bytes, y); y += 8 }
                    if local == 0xFFFF_FFFF { guard y + 8 <= x + 4 + size else { throw Damaged("short zip64 field of \(name)") }; local = ZipArchive.u64(bytes, y); y += 8 }
                }
                x += 4 + size
            }
            // The local header and the data lie before the central directory.
            guard let l = Int(exactly: local), let c = Int(exactly: compressed), let u = Int(exactly: uncompressed),
                  l <= directoryOffset - 30, ZipArchive.u32(bytes, l) == 0x0403_4B50 else {
                throw Damaged("entry \(name) points outside the file")
            }
            let data = l + 30 + Int(ZipArchive.u16(bytes, l + 26)) + Int(ZipArchive.u16(bytes, l + 28))
            guard data <= directoryOffset, c <= directoryOffset - data else { throw Damaged("entry \(name) runs past the file") }
            entries.append(Entry(name: name, method: method, crc32: ZipArchive.u32(bytes, q + 16), compressedSize: c,
                                 uncompressedSize: u, dataOffset: data))
            q += 46 + nameLength + extraLength + commentLength
        }
        guard entries.count == count else { throw Damaged("the central directory lists \(entries.count) entries, the end record \(count)") }
        self.entries = entries
    }

    /// The entry's bytes, inflated when deflated, checked against its size and CRC-32; refused
    /// when it declares more than `limit` bytes.
    func extract(_ entry: Entry, limit: Int) throws -> [UInt8] {
        guard entry.uncompressedSize <= limit else {
            throw Damaged("entry \(entry.name) declares \(entry.uncompressedSize) bytes, more than the \(limit) it can need")
        }
        let stored = bytes[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)]
        var out: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else { throw Damaged("stored entry \(entry.name) changes size") }
            out = Array(stored)
        case 8:
            out = []
            out.reserveCapacity(entry.uncompressedSize)
            do {
                _ = try Data.decompress(size: Int64(entry.compressedSize), bufferSize: 1 << 16, skipCRC32: true, provider: { position, size in
                    let start = stored.startIndex + Int(position)
                    return Data(stored[start..<min(start + size, stored.endIndex)])
                }, consumer: { chunk in
                    guard out.count + chunk.count <= entry.uncompressedSize else { throw Damaged("entry \(entry.name) inflates past its declared size") }
                    out += chunk
                })
            } catch let damaged as Damaged {
                throw damaged
            } catch {
                throw Damaged("entry \(entry.name) does not inflate (\(error))")
            }
            guard out.count == entry.uncompressedSize else { throw Damaged("entry \(entry.name) inflates to \(out.count) bytes, not \(entry.uncompressedSize)") }
        default:
            throw Damaged("entry \(entry.name) uses compression method \(entry.method)")
        }
        // The CRC of the bytes in place (a copy of a 500 MB storage would double the memory).
        let crc = out.withUnsafeMutableBytes { Data(bytesNoCopy: $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!, count: $0.count, deallocator: .none).crc32(checksum: 0) }
        guard crc == entry.crc32 else { throw Damaged("zip entry \(entry.name) fails its CRC-32 check") }
        return out
    }

    private static func u16(_ b: [UInt8], _ p: Int) -> UInt16 { UInt16(b[p]) | UInt16(b[p + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ p: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[p + $1]) << (8 * UInt32($1)) } }
    private static func u64(_ b: [UInt8], _ p: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[p + $1]) << (8 * UInt64($1)) } }
}
