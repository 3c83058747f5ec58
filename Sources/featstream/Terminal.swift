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
