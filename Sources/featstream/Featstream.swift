import ArgumentParser
import Foundation

@main
struct Featstream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "featstream",
        abstract: "Turn video into a compact stream of neural-network features for split inference.",
        discussion: """
            INPUT is a file path, '-' for standard input, or any URL FFmpeg can open. \
            Frames are decoded with FFmpeg, scaled to 224x224 RGB exactly as \
            'ffmpeg -vf scale=224:224 -pix_fmt rgb24' does, then a frame-rate decimator and a \
            scene-change gate choose which frames the model sees.
            """,
        subcommands: [ProbeCommand.self, FramesCommand.self, ModelsCommand.self, FeaturesCommand.self, EncodeCommand.self, DecodeCommand.self, ExtractCommand.self, InfoCommand.self, ReportCommand.self, BenchModelCommand.self, BenchCodecCommand.self])

    static func main() {
        ProcessSetup.run()
        refuseArgumentsThatAreNotUTF8()
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exitOnOneLine(error)
        }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
        Terminal.finishStandardOutput()
    }

    /// Swift reads the command line as UTF-8, putting U+FFFD for bytes that are not: a file
    /// named in Latin-1 was "no such file", and outputs went under another name, two of them
    /// into one file (found by outside testing). Such an argument is refused in one line.
    static func refuseArgumentsThatAreNotUTF8() {
        for k in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[k] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw))
            guard String(validating: bytes, as: UTF8.self) == nil else { continue }
            let shown = String(decoding: bytes, as: UTF8.self)
            Terminal.writeError("Error: argument \(k) ('\(Terminal.printable(shown))') is not valid UTF-8: rename the file (or read or write it "
                                + "through '-')\n")
            Foundation.exit(64)
        }
    }

    /// A command line that does not parse or validate: its message on one line, with where to
    /// look, and the usual exit status (64); the parser's own report added a usage line and a
    /// hint, three or four lines in all. `--help` and its kind print as before.
    static func exitOnOneLine(_ error: Error) -> Never {
        guard exitCode(for: error) != .success, let first = message(for: error).split(separator: "\n").first else { exit(withError: error) }
        let name = CommandLine.arguments.dropFirst().first
        let subcommand = configuration.subcommands.first { $0._commandName == name }.map { " " + $0._commandName } ?? ""
        Terminal.writeError("Error: \(first) (see 'featstream\(subcommand) --help')\n")
        Foundation.exit(exitCode(for: error).rawValue)
    }
}
