import ArgumentParser
import FeatVideo
import Foundation

/// stderr output: errors, warnings and progress. stdout carries results only.
enum Terminal {
    static let stderrIsTerminal = isatty(STDERR_FILENO) != 0

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("featstream: warning: \(message)\n".utf8))
    }

    /// Prints `value` as sorted, indented JSON on stdout.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// The one-line warning for frames the decoder concealed errors in, if any.
    static func warnDamage(_ name: String, damaged: Int, rejected: Int) {
        guard damaged + rejected > 0 else { return }
        warn("\(name): \(damaged) damaged frames (errors concealed by the decoder), \(rejected) packets rejected")
    }

    /// Runs a command body; any error becomes one line on stderr and exit status 1.
    static func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            let text = String(describing: error).replacingOccurrences(of: "\n", with: " ")
            FileHandle.standardError.write(Data("featstream: \(text)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// A one-line progress meter on stderr, redrawn at most a few times a second, shown only
/// when stderr is a terminal, the input is long and the user did not ask for quiet.
struct Progress {
    let enabled: Bool
    let duration: Double?
    private var lastDraw = Date.distantPast

    init(quiet: Bool, duration: Double?) {
        self.duration = duration
        enabled = !quiet && Terminal.stderrIsTerminal && (duration ?? .infinity) > 10
    }

    mutating func update(frames: Int, seconds: Double) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.25 else { return }
        lastDraw = Date()
        let total = duration.map { String(format: " / %.1f s", $0) } ?? ""
        FileHandle.standardError.write(Data("\r  \(frames) frames, \(String(format: "%.1f", seconds)) s\(total)   ".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
