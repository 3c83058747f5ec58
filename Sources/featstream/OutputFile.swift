import Foundation

/// An output that appears only when complete: written to NAME.partial, renamed on success,
/// removed on failure. "-" is standard output.
final class OutputFile {
    let path: String
    let handle: FileHandle
    private let temporary: String?

    init(_ path: String) throws {
        self.path = path
        if path == "-" {
            handle = FileHandle.standardOutput
            temporary = nil
            return
        }
        let temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw CommandError("\(path): cannot create the file")
        }
        self.handle = handle
        self.temporary = temporary
    }

    /// Closes and renames into place.
    func commit() throws {
        guard let temporary else { return }
        try handle.close()
        try OutputFile.move(temporary, to: path)
    }

    deinit {
        if let temporary, FileManager.default.fileExists(atPath: temporary) { try? FileManager.default.removeItem(atPath: temporary) }
    }

    /// Writes `data` to `path` through a temporary file.
    static func write(_ data: Data, to path: String) throws {
        let file = try OutputFile(path)
        try file.handle.write(contentsOf: data)
        try file.commit()
    }

    /// Writes `value` as indented JSON to `path` through a temporary file.
    static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(try encoder.encode(value), to: path)
    }

    /// Renames a finished temporary file into place, replacing what was there.
    static func move(_ source: String, to destination: String) throws {
        if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
        try FileManager.default.moveItem(atPath: source, toPath: destination)
    }
}

/// An error that is just its message.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
