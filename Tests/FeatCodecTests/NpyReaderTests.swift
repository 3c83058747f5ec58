import FeatCodec
import Foundation
import Testing

/// The .npy reader takes what the writer writes back exactly, and refuses malformed files in
/// one error (short files, absurd shapes), never a crash.
@Suite struct NpyReaderTests {
    static func header(_ dict: String, major: UInt8 = 1) -> [UInt8] {
        var text = Array(dict.utf8)
        while (text.count + (major == 1 ? 10 : 12) + 1) % 64 != 0 { text.append(0x20) }
        text.append(0x0A)
        let length = text.count
        let size: [UInt8] = major == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)] : [UInt8(length & 0xFF), UInt8(length >> 8), 0, 0]
        return [0x93] + Array("NUMPY".utf8) + [major, 0] + size + text
    }

    @Test func writerRoundTrip() throws {
        let path = NSTemporaryDirectory() + "featstream-\(UUID().uuidString).npy"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tensor = Tensor(shape: [2, 3, 4], values: (0..<24).map { Float($0) * 0.5 - 3 })
        try NpyWriter.write(tensor, to: path)
        #expect(try NpyReader.read(path) == tensor)
    }

    @Test(arguments: [
        [0x93] + Array("NUMPY".utf8) + [2, 0],  // version 2 cut before its 4-byte length
        [0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF],
        header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }"),
        header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }"),
        header("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 2), }", major: 2),
        header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }") + [0, 0, 0],
        header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", major: 9) + [0, 0, 0, 0],
    ])
    func malformedFilesAreRefused(bytes: [UInt8]) {
        #expect(throws: NpyError.self) { try NpyReader.parse(Data(bytes)) }
    }
}
