import ArgumentParser
import FeatVideo

/// Options every command that reads video shares.
struct InputOptions: ParsableArguments {
    @Argument(help: "Video file, '-' for standard input, or a URL FFmpeg can open.")
    var input: String

    @Option(parsing: .unconditional, help: "Decoder and scaler threads (0: one per core; at most 4 per core, or 16 on fewer than 4 cores).")
    var threads = 0

    @Flag(help: "Show FFmpeg's own warnings on stderr.")
    var verbose = false

    func open() throws -> VideoReader {
        VideoReader.setFFmpegLogging(verbose: verbose)
        return try VideoReader(input, threads: threads)
    }

    func validate() throws {
        do { try VideoReader.validate(threads: threads) } catch { throw ValidationError("\(error)") }
    }
}
