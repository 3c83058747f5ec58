import Foundation

/// Where a command writes its result, so that a user's data is never lost and a half-written
/// file never looks valid:
/// - `-`: standard output, a stream;
/// - an existing directory: the file goes inside it, named `defaultName` (as cp does); a
///   directory is never replaced or deleted;
/// - a character device, named pipe or socket: written directly, as a stream;
/// - anything else: a regular file, written under a unique temporary name in the same
///   directory (created exclusively, as mkstemp does) and renamed into place by `commit`
///   (rename(2) is atomic: a file already there is replaced whole, and of two writers the last
///   to finish wins with a complete file).
///   The temporary file is deleted when the output is dropped uncommitted, on an error, and on
///   SIGINT, SIGTERM or SIGHUP.
public final class OutputFile {
    /// The path written (for a directory: the file inside it), or "-".
    public let path: String
    /// Where the bytes go: the temporary file, a spool file, or the stream itself.
    public let handle: FileHandle
    /// False for standard output and devices: they cannot be rewound (no header rewrite).
    public let isSeekable: Bool
    private var temporary: (path: String, slot: Int?)?
    /// The stream a spooled output is copied to by `commit`.
    private var spooledTo: FileHandle?

    /// The local files an input names, as FFmpeg opens them: the file of a path or a `file:`
    /// URL, what standard input (`-`) was redirected from, each part of a `concat:a|b` URL, the
    /// file inside a `subfile,,...,,:path` URL. (An output named as one of the last three
    /// replaced the input; found by outside testing.)
    public static func localFiles(of input: String) -> [String] {
        if input == "-" { return ["/dev/stdin"] }
        if input.hasPrefix("file:") { return [URL(string: input)?.path ?? String(input.dropFirst(5))] }
        if input.hasPrefix("concat:") { return input.dropFirst(7).split(separator: "|").flatMap { localFiles(of: String($0)) } }
        if input.hasPrefix("subfile,"), let inner = input.range(of: ",,:") { return localFiles(of: String(input[inner.upperBound...])) }
        return input.contains("://") ? [] : [input]
    }

    /// Whether the regular file `target` (the name itself: a symbolic link to a file is not it)
    /// is one of `files`, by path or hard link.
    public static func names(_ target: String, oneOf files: [String]) -> Bool {
        var read = stat(), named = stat()
        guard lstat(target, &named) == 0, named.st_mode & S_IFMT == S_IFREG else { return false }
        return files.contains { stat($0, &read) == 0 && read.st_dev == named.st_dev && read.st_ino == named.st_ino }
    }

    /// `seekable`: the writer must rewind (to fill in a header); a stream destination is then
    /// written through an unnamed temporary file that `commit` copies out. `input`: what the
    /// command reads; an output that is one of its files (`localFiles`: by path or hard link) is
    /// refused, since replacing it would lose the input. `alsoReading`: the command's other
    /// input files (a bandwidth trace, a checkpoint), refused the same way (`-o trace.csv`
    /// replaced the trace; found by outside testing).
    public init(_ requested: String, defaultName: String? = nil, seekable: Bool = false, input: String? = nil,
                alsoReading: [String] = []) throws {
        if requested == "-" {
            path = "-"
            if seekable { (handle, isSeekable, spooledTo) = (try OutputFile.spool(), true, FileHandle.standardOutput) }
            else { (handle, isSeekable) = (FileHandle.standardOutput, false) }
            return
        }
        // Said before any file is made (with `-o ''` the temporary file's name failed instead,
        // and `-o nodir/` said "Not a directory"; found by outside testing).
        guard !requested.isEmpty else { throw OutputError("''", "an empty output name") }
        var target = requested
        var status = stat()
        if requested.hasSuffix("/") && stat(requested, &status) != 0 { throw OutputError(requested, "no such directory") }
        if stat(target, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR {
            guard let defaultName else { throw OutputError(requested, "is a directory") }
            target = (requested.hasSuffix("/") ? requested : requested + "/") + defaultName
        }
        path = target
        if stat(target, &status) == 0 {
            switch status.st_mode & S_IFMT {
            case S_IFDIR: throw OutputError(target, "is a directory")
            case S_IFCHR, S_IFIFO, S_IFSOCK:
                let fd = open(target, O_WRONLY)
                guard fd >= 0 else { throw OutputError(target, String(cString: strerror(errno))) }
                let stream = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
                if seekable { (handle, isSeekable, spooledTo) = (try OutputFile.spool(), true, stream) }
                else { (handle, isSeekable) = (stream, false) }
                return
            case S_IFREG:
                // The name itself (lstat): a symbolic link to the input is replaced, the input kept.
                if let input, OutputFile.names(target, oneOf: OutputFile.localFiles(of: input)) {
                    throw OutputError(target, "is the input file; choose another output name")
                }
                if OutputFile.names(target, oneOf: alsoReading) {
                    throw OutputError(target, "is an input of this command too; choose another output name")
                }
            default: throw OutputError(target, "is not a regular file, a device or a pipe")
            }
        }
        let url = URL(fileURLWithPath: target)
        let directory = url.deletingLastPathComponent().path
        // As mkstemp(3) does, but the name is registered for the signal handler before the file
        // exists: a signal between creating and registering would leave the file behind.
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var created: (path: String, slot: Int?, fd: Int32)?
        for _ in 0..<100 where created == nil {
            let name = "/." + url.lastPathComponent + "." + String((0..<6).map { _ in letters.randomElement()! }) + ".partial"
            let temporaryPath = directory + name
            let slot = TemporaryFiles.add(temporaryPath)
            let fd = open(temporaryPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 {
                created = (temporaryPath, slot, fd)
                break
            }
            let error = errno
            if let slot { TemporaryFiles.remove(slot) }
            guard error == EEXIST else { throw OutputError(target, "cannot create a file in \(directory) (\(String(cString: strerror(error))))") }
        }
        guard let created else { throw OutputError(target, "cannot create a file in \(directory) (no free temporary name)") }
        temporary = (created.path, created.slot)
        (handle, isSeekable) = (FileHandle(fileDescriptor: created.fd, closeOnDealloc: true), true)
    }

    /// Closes a regular file and renames it into place; copies a spooled output to its stream.
    public func commit() throws {
        if let stream = spooledTo {
            try handle.seek(toOffset: 0)
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                do { try stream.write(contentsOf: chunk) } catch { throw OutputError(path, "write failed: \(OutputFile.reason(error))") }
            }
            spooledTo = nil
            return
        }
        guard let temporary else { return }
        try handle.synchronize()
        try handle.close()
        // A file mode like a plain creat(2) would give, not mkstemp's 0600.
        let mask = umask(0)
        umask(mask)
        chmod(temporary.path, 0o666 & ~mask)
        guard rename(temporary.path, path) == 0 else {
            let reason = errno == EISDIR ? "is a directory" : String(cString: strerror(errno))
            throw OutputError(path, reason)
        }
        if let slot = temporary.slot { TemporaryFiles.remove(slot) }
        self.temporary = nil
    }

    deinit {
        if let temporary {
            unlink(temporary.path)
            if let slot = temporary.slot { TemporaryFiles.remove(slot) }
        }
    }

    /// INPUT's file name with another extension ("stdin" for "-"): the default output name.
    public static func defaultName(for input: String, extension: String) -> String { stem(of: input) + "." + `extension` }

    /// INPUT's file name without its extension, "stdin" for "-".
    static func stem(of input: String) -> String { input == "-" ? "stdin" : URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent }

    /// Where a file that accompanies an output goes (the timestamps of OUT.npy): OUT.`suffix`
    /// beside an output file OUT.npy, INPUT.`suffix` inside an output directory, and nowhere
    /// (nil) for standard output, pipes and devices.
    public static func companion(of output: String, input: String, suffix: String) -> String? {
        if output == "-" { return nil }
        var status = stat()
        if stat(output, &status) == 0 {
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                return (output.hasSuffix("/") ? output : output + "/") + stem(of: input) + suffix
            case S_IFREG: break
            default: return nil
            }
        }
        return (output.hasSuffix(".npy") ? String(output.dropLast(4)) : output) + suffix
    }

    /// Throws unless `companion` (a file written beside this output, such as its timestamps)
    /// names another file than the output: the output, committed last, would replace it, and
    /// the companion would be lost without a word (`decode a.fst -o x.npy --timestamps x.npy`).
    public func refuseAsCompanion(_ companion: String, option: String) throws {
        guard temporary != nil else {
            // A stream is written through, not replaced, and `-o /dev/null --timestamps /dev/null`
            // loses nothing; but two writers of one pipe or file interleave (`-o - --timestamps -`
            // mixed the JSON into the array, and exited 0; found by outside testing).
            var a = stat(), b = stat()
            let sameStream = companion == "-" ? fstat(STDOUT_FILENO, &a) == 0 : stat(companion, &a) == 0
            let shared = sameStream && fstat((spooledTo ?? handle).fileDescriptor, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
            if (companion == "-" && path == "-") || (shared && a.st_mode & S_IFMT != S_IFCHR) {
                throw OutputError(companion, "is the output \(path) too; choose another name for \(option)")
            }
            return
        }
        func absolute(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
        var (a, b) = (stat(), stat())
        let sameFile = stat(companion, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
        if sameFile || absolute(companion) == absolute(path) {
            throw OutputError(companion, "is the output \(path) too; choose another name for \(option)")
        }
    }

    /// Makes the folder `path` and those above it that are missing, as `mkdir -p`; returns
    /// the folders it made, outermost first (`removeDirectories` undoes it after a failed
    /// run). A failure names the system's reason ("Permission denied"), where Foundation's said
    /// "The file doesn't exist."
    public static func makeDirectories(_ path: String) throws -> [String] {
        var madeFolders: [String] = [], partial = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            partial += "/" + part
            let made = mkdir(partial, 0o777) == 0
            if made {
                madeFolders.append(partial)
                // Removed, if still empty, when a stop signal ends the run (an interrupted
                // `report` left its empty --out folder; found by outside testing).
                _ = TemporaryFiles.add(partial)
            }
            if !made && errno != EEXIST {
                removeDirectories(madeFolders)
                throw OutputError(path, "cannot create the directory (\(String(cString: strerror(errno))))")
            }
            // What is there already must be a folder ("afile/" passed, and failed after the work).
            var status = stat()
            if !made && (stat(partial, &status) != 0 || status.st_mode & S_IFMT != S_IFDIR) {
                removeDirectories(madeFolders)
                throw OutputError(path, "cannot create the directory (\(partial) is not a directory)")
            }
        }
        return madeFolders
    }

    /// Removes the folders `makeDirectories` made, innermost first, each only if empty (a
    /// folder made for a run that failed; with `--out a/b/c` only c was removed before).
    public static func removeDirectories(_ folders: [String]) {
        for folder in folders.reversed() {
            TemporaryFiles.remove(path: folder)
            rmdir(folder)
        }
    }

    /// The system's reason for a failed write, as strerror(3) words it ("Bad file descriptor"
    /// for a closed standard output), not Foundation's "NSCocoaErrorDomain error 512".
    public static func reason(_ error: Error) -> String {
        let ns = error as NSError
        let posix = ns.domain == NSPOSIXErrorDomain ? ns : ns.userInfo[NSUnderlyingErrorKey] as? NSError
        if let posix, posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(posix.code))) }
        return ns.localizedDescription
    }

    /// An unnamed file in the temporary directory (gone when closed, whatever happens).
    private static func spool() throws -> FileHandle {
        guard let file = tmpfile() else { throw OutputError("-", "cannot create a temporary file (\(String(cString: strerror(errno))))") }
        let fd = dup(fileno(file))
        fclose(file)
        guard fd >= 0 else { throw OutputError("-", "cannot create a temporary file") }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Writes `value` as indented, key-sorted JSON and commits: for a file opened before a long
    /// run, so a path that cannot be written fails first.
    public func commitJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(try encoder.encode(value))
        try commit()
    }

    /// Writes `data`; a failure becomes an `OutputError` naming the path.
    public func write(_ data: Data) throws {
        do { try handle.write(contentsOf: data) } catch { throw OutputError(path, "write failed: \(OutputFile.reason(error))") }
    }
}

/// An output that cannot be written, with the path and the reason, as one line.
public struct OutputError: Error, CustomStringConvertible, Equatable {
    /// The output's path, or "-".
    public let path: String
    /// What went wrong, e.g. "is a directory".
    public let reason: String
    /// An error for `path` with `reason`.
    public init(_ path: String, _ reason: String) { (self.path, self.reason) = (path, reason) }
    /// "PATH: cannot write (REASON)".
    public var description: String { "\(path): cannot write (\(reason))" }
}
