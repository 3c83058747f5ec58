import ArgumentParser
import FeatVideo
import Foundation

/// stderr output: errors, warnings and progress. stdout carries results only.
enum Terminal {
    static let stderrIsTerminal = isatty(STDERR_FILENO) != 0

    static func warn(_ message: String) {
        writeError("featstream: warning: \(printable(message))\n")
    }

    /// A plain line on stderr (a summary when stdout carries data).
    static func note(_ message: String) {
        writeError(printable(message) + "\n")
    }

    /// Writes `text` to stderr with write(2), as far as it goes. FileHandle's write traps
    /// (SIGILL) when stderr cannot be written (`2>/dev/full`), and a message about a failure
    /// must not turn it into a crash (found by outside testing).
    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// `text` safe to show on a terminal: control characters (which a crafted file or file name
    /// could use to send escape sequences) are written as \u{XX}.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) {
                out += "\\u{" + String(v, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Prints `value` as sorted, indented JSON on stdout.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // JSON has no infinity: an exact decode's SNR and the like are written as strings.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// One-line warnings about the input, once it is read: frames the decoder concealed errors
    /// in and packets it rejected, a video shorter than its stream declares, and timestamps that
    /// jumped back to a new timeline.
    static func warnAboutInput(_ reader: VideoReader) {
        if reader.damagedFrames + reader.rejectedPackets > 0 {
            warn("\(reader.name): \(reader.damagedFrames) damaged frames (errors concealed by the decoder), \(reader.rejectedPackets) packets rejected")
        }
        if let short = reader.shortOfDeclared {
            warn("\(reader.name): the video ends after \(String(format: "%.2f", short.decoded)) s of the \(String(format: "%.2f", short.declared)) s "
                 + "its stream declares (a truncated file?)")
        }
        if reader.timestampJumps > 0 {
            warn("\(reader.name): the timestamps jump back \(reader.timestampJumps == 1 ? "once" : "\(reader.timestampJumps) times") (streams joined?); "
                 + "each new timeline continues a frame after the one before")
        }
    }

    /// Flushes what `print` buffered on stdout; a write that failed there (a full disk, a closed
    /// descriptor) is one line on stderr and exit status 1, not a success with the results lost
    /// (`info --json > /dev/full` exited 0).
    static func finishStandardOutput() {
        guard fflush(nil) != 0 else { return }
        let reason = ProcessSetup.standardOutputWasClosed ? "it is closed" : errno != 0 ? String(cString: strerror(errno)) : "write error"
        writeError("featstream: cannot write to standard output (\(reason))\n")
        Foundation.exit(1)
    }

    /// Runs a command body; any error becomes one line on stderr and exit status 1.
    static func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            writeError("featstream: \(printable(String(describing: error)))\n")
            throw ExitCode.failure
        }
    }
}
