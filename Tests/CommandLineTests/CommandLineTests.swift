import Foundation
import TestSupport
import Testing

/// The featstream binary as a user runs it: exit codes, one-line errors, output formats.
@Suite struct CommandLineTests {
    func featstream(_ arguments: String..., stdin: URL? = nil) throws -> (status: Int32, out: String, err: String) {
        let result = try Fixtures.run(Fixtures.featstream, arguments, stdin: stdin)
        return (result.status, String(decoding: result.out, as: UTF8.self), result.err)
    }

    /// Each bad input: non-zero exit, exactly one line on stderr naming the file and the cause,
    /// nothing on stdout, no crash.
    @Test(arguments: [
        ("bad/text.mp4", "not a video container FFmpeg can read"),
        ("bad/empty.mp4", "file is empty"),
        ("bad/truncated.mp4", "this MP4 is truncated or its index (moov box) is missing"),
        ("bad/audio-only.m4a", "has no video stream"),
        ("bad/cover-art.mp3", "has no video stream (audio-only, perhaps with cover art"),
        ("no-such-file.mp4", "no such file"),
        ("bad", "is a directory"),
    ])
    func badInputFailsWithOneLine(file: String, cause: String) throws {
        let path = Fixtures.path(file)
        for command in ["frames", "probe"] {
            let result = try featstream(command, path)
            #expect(result.status == 1, "\(command) \(file)")
            let lines = result.err.split(separator: "\n")
            #expect(lines.count == 1, "\(result.err)")
            #expect(result.err.hasPrefix("featstream: \(path): \(cause)"), "\(result.err)")
            #expect(result.out.isEmpty)
        }
    }

    /// A command line that does not parse or validate fails the same way: status 64, one line
    /// with where to look (the argument parser's own report took three or four).
    @Test(arguments: [(["encode", "--fps", "abc", "x.mp4"], "Error: The value 'abc' is invalid for '--fps <F>': a frame rate is a number or fraction above 0 (5, 12.5, 30000/1001), or 'source' (see 'featstream encode --help')"),
                      (["encode"], "Error: Missing expected argument '<input>' (see 'featstream encode --help')"),
                      (["bogus"], "Error: Unexpected argument 'bogus' (see 'featstream --help')")])
    func usageErrorsAreOneLine(arguments: [String], line: String) throws {
        let result = try Fixtures.run(Fixtures.featstream, arguments, stdin: nil)
        #expect(result.status == 64 && result.out.isEmpty)
        #expect(result.err == line + "\n", "\(result.err)")
    }

    @Test func damagedInputDecodesWithAWarning() throws {
        let result = try featstream("frames", "--quiet", Fixtures.path("bad/flipped.h264"))
        #expect(result.status == 0)
        #expect(result.out.contains("decoded 50 frames"))
        let lines = result.err.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("featstream: warning: \(Fixtures.path("bad/flipped.h264")): ") == true)
        #expect(result.err.contains("damaged frames"))
    }

    /// A damaged .fst: `info` says which frames do not decode (only --json did), and a decode
    /// range that selects nothing says so (an empty array came without a word); found by
    /// outside testing.
    @Test func infoAndRangesSayWhatIsMissing() throws {
        let path = NSTemporaryDirectory() + "featstream-missing-\(getpid()).fst"
        defer { for p in [path, path + ".npy", path + ".timestamps.json"] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(try featstream("encode", Fixtures.path("scenes.mp4"), "--fps", "5", "--change-threshold", "0", "-q", "-o", path).status == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let packets = bytes.ranges(of: Data("FPKT".utf8)).map(\.lowerBound)
        bytes[packets[3] + 60] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))
        let info = try featstream("info", path)
        #expect(info.status == 0 && info.out.contains("\nlost:      "), "\(info.out)")
        let empty = try featstream("decode", path, "--frames", "100:200", "-q", "-o", path + ".npy")
        #expect(empty.status == 0 && empty.err.hasSuffix("featstream: warning: \(path): --frames 100:200 selects no frame of the stream\n"), "\(empty.err)")
        // Without its only I-frame (walker has no cut; the first packet cut out) the reason says
        // so, not only the stale index's bytes.
        #expect(try featstream("encode", Fixtures.path("walker.mp4"), "--fps", "5", "--change-threshold", "0", "-q", "-o", path).status == 0)
        var cut = try Data(contentsOf: URL(fileURLWithPath: path))
        let starts = cut.ranges(of: Data("FPKT".utf8)).map(\.lowerBound)
        cut.removeSubrange(starts[0]..<starts[1])
        try cut.write(to: URL(fileURLWithPath: path))
        let none = try featstream("decode", path, "-q", "-o", path + ".npy")
        #expect(none.status == 1 && none.err.contains(": no frame could be decoded (no intact I-frame to start from; "), "\(none.err)")
    }

    @Test func badOptionsAreRejected() throws {
        for fps in ["0", "-5", "abc", "1/0"] {
            let result = try featstream("frames", "--fps", fps, Fixtures.path("scenes.mp4"))
            #expect(result.status != 0 && result.err.contains("--fps"), "\(fps): \(result.err)")
        }
    }

    /// `cat clip | featstream frames -` decides exactly as reading the file does.
    @Test func readsStandardInput() throws {
        let piped = try featstream("frames", "-", "--fps", "10", stdin: Fixtures.media.appendingPathComponent("scenes.mp4"))
        let file = try featstream("frames", "--fps", "10", Fixtures.path("scenes.mp4"))
        #expect(piped.status == 0, "\(piped.err)")
        let frameLines = { (text: String) in text.split(separator: "\n").filter { $0.split(separator: " ").first.flatMap { Int($0) } != nil } }
        #expect(frameLines(piped.out).count == 141)
        #expect(frameLines(piped.out) == frameLines(file.out))
    }

    /// A named pipe is a stream: its size from stat is 0 while a writer feeds it a valid video.
    @Test func readsANamedPipe() throws {
        let fifo = NSTemporaryDirectory() + "featstream-fifo-\(UUID().uuidString)"
        try #require(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let writer = Thread {
            // Opening a FIFO for writing blocks until the reader opens it.
            if let handle = FileHandle(forWritingAtPath: fifo) {
                try? handle.write(contentsOf: Data(contentsOf: Fixtures.media.appendingPathComponent("scenes.mp4")))
                try? handle.close()
            }
        }
        writer.start()
        let result = try featstream("frames", "--quiet", fifo)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("decoded 141 frames"))
    }

    /// An MP4 with its index at the end cannot come through a pipe: the error says why and what works.
    @Test func pipedMP4WithIndexAtTheEndSaysWhatWorks() throws {
        let result = try featstream("frames", "-", "--quiet", stdin: URL(fileURLWithPath: Fixtures.bikes))
        #expect(result.status == 1)
        #expect(result.err.split(separator: "\n").count == 1, "\(result.err)")
        #expect(result.err.hasPrefix("featstream: stdin: this MP4 keeps its index (moov) at the end and cannot be read from a pipe"))
        #expect(result.err.contains("pass the file path") && result.err.contains("+faststart"))
        // `probe` too (it described the stream as "h264, unknown, 0-bit" and exited 0).
        let probe = try featstream("probe", "-", stdin: URL(fileURLWithPath: Fixtures.bikes))
        #expect(probe.status == 1 && probe.err == result.err, "\(probe.err)")
    }

    /// Each option's error names that option and its valid range, and nothing else.
    @Test(arguments: [
        ("--max-gap", "-1", "--max-gap: -1.0 is out of range"), ("--max-gap", "inf", "--max-gap: inf is out of range (0 for no heartbeat"),
        ("--max-gap", "1e308", "--max-gap: 1e+308 is out of range"), ("--min-scene", "nan", "--min-scene: nan is out of range (0 to 86400"),
        ("--cut-threshold", "1e308", "--cut-threshold: inf is out of range (0 to 255)"), ("--change-threshold", "1001", "--change-threshold: 1001.0 is out of range (0 to 1000)"),
        ("--cut-ratio", "inf", "--cut-ratio: inf is out of range (0 to 1000)"), ("--flash-frames", "101", "--flash-frames: 101 is out of range (0 to 100"),
        ("--fps", "-9223372036854775808/-1", "invalid for '--fps"), ("--fps", "-9223372036854775808/-9223372036854775808", "invalid for '--fps"),
        ("--fps", "9223372036854775807.5", "invalid for '--fps"), ("--fps", "٣.5", "invalid for '--fps"),
        ("--threads", "9223372036854775807", "--threads: 9223372036854775807 is out of range (0 for one per core"),
    ])
    func optionErrorsNameTheOptionAndItsRange(option: String, value: String, message: String) throws {
        let result = try featstream("frames", "--quiet", Fixtures.path("scenes.mp4"), option + "=" + value)
        #expect(result.status == 64, "\(option) \(value): \(result.err)")
        let first = result.err.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.contains(message), "\(option) \(value): \(first)")
        for other in ["--max-gap", "--min-scene", "--cut-threshold", "--change-threshold", "--cut-ratio", "--flash-frames", "--threads"]
        where other != option {
            #expect(!first.contains(other), "\(option) \(value) blames \(other): \(first)")
        }
    }

    /// A negative value after a space is that option's value, checked against its range (it was
    /// read as a missing value: "Missing value for '--max-gap'"), and --fps says what it takes
    /// (found by outside testing).
    @Test(arguments: [("--max-gap", "-1", "--max-gap: -1.0 is out of range"), ("--threads", "-1", "--threads: -1 is out of range"),
                      ("--cut-threshold", "-0.5", "--cut-threshold: -0.5 is out of range"),
                      ("--fps", "-1", "a frame rate is a number or fraction above 0"), ("--fps", "0", "a frame rate is a number or fraction above 0")])
    func negativeValuesAfterASpaceAreChecked(option: String, value: String, message: String) throws {
        let result = try featstream("frames", "--quiet", "--no-model", Fixtures.path("scenes.mp4"), option, value)
        #expect(result.status == 64 && result.err.split(separator: "\n").count == 1 && result.err.contains(message), "\(option) \(value): \(result.err)")
    }

    /// The same for `decode` and `report` (`decode --time -1:2` said "Missing value for
    /// '--time <T0:T1>'"; found by outside testing), and a list's range (`report --target-kbps`
    /// took 0.5 as "over 0", then refused it as "1 to 10000000"), and options that would do nothing.
    @Test(arguments: [(["decode", "--frames", "-1:2"], "--frames: frame numbers start at 0"),
                      (["decode", "--max-output-bytes", "-5"], "--max-output-bytes must be positive"),
                      (["report", "--min-quality", "-3"], "--min-quality: -3.0 is out of range"),
                      (["report", "--bits", "-4"], "--bits takes numbers 2 to 16, comma-separated (got '-4')"),
                      (["report", "--buffer-seconds", "-1"], "--buffer-seconds: -1.0 is out of range (0.05 to 60 seconds)"),
                      (["report", "--target-kbps", "50,0.5"], "--target-kbps takes numbers from 1 to 10000000, or 'none', comma-separated (got '50,0.5')"),
                      (["report", "--transform", "dct,wavelet"], "--transform takes 'none' or 'dct', comma-separated (got 'dct,wavelet')"),
                      // Options that would do nothing (silently dropped; found by outside testing).
                      (["report", "--quality", "none", "--transform", "dct"], "--transform dct codes the --quality points: give --quality values"),
                      (["report", "--min-quality", "20"], "--buffer-seconds and --min-quality need rate control (--target-kbps or --bandwidth)"),
                      (["report", "--buffer-seconds", "2"], "--buffer-seconds and --min-quality need rate control (--target-kbps or --bandwidth)"),
                      (["report", "--target-kbps", ""], "--target-kbps takes numbers from 1 to 10000000, or 'none', comma-separated (got '')"),
                      (["report", "--transform", "dct", "--layers", "2"], "--layers 2 layers the values, not DCT tiles: add 'none' to --transform")])
    func negativeValuesAfterASpaceAreCheckedInDecodeAndReport(arguments: [String], message: String) throws {
        let stream = Golden.directory.appendingPathComponent("streams/1.5/tabled-30.fst").path
        try withExtendedLifetime(ScratchFolder()) { folder in
            let rest = arguments[0] == "decode" ? [stream, "-o", folder.file("t.npy")] : [Fixtures.path("pan.mp4"), "--out", folder.file("report")]
            let result = try Fixtures.run(Fixtures.featstream, arguments + ["--quiet"] + rest)
            #expect(result.status == 64 && result.err.split(separator: "\n").count == 1 && result.err.contains(message) && !result.err.contains("Missing value"),
                    "\(arguments): \(result.err)")
        }
        // A time range that starts before the stream is a valid request.
        try withExtendedLifetime(ScratchFolder()) { folder in
            let range = try featstream("decode", "--quiet", stream, "--time", "-1:100", "-o", folder.file("t.npy"))
            #expect(range.status == 0 && FileManager.default.fileExists(atPath: folder.file("t.npy")), "\(range.err)")
        }
    }

    @Test(arguments: [("--gop", "inf", "--gop: inf is out of range"), ("--gop", "1e308", "--gop: 1e+308 is out of range"),
                      ("--clip", "nan", "--clip: nan is out of range"), ("--dead-zone", "2", "--dead-zone: 2.0 is out of range"),
                      ("--levels", "1", "--levels: 1 is out of range (2 to 65536 levels)"), ("--quality", "121", "--quality: 121.0 is out of range (0 to 120 dB)"), ("--bits", "17", "--bits: 17 is out of range (2 to 16)")])
    func codingOptionErrorsNameTheOption(option: String, value: String, message: String) throws {
        let result = try featstream("encode", "--quiet", Fixtures.path("scenes.mp4"), option + "=" + value, "-o", "/dev/null")
        #expect(result.status == 64 && result.err.contains(message), "\(option) \(value): \(result.err)")
    }

    /// Numbers are decimal everywhere: hexadecimal, which Swift's parsers read, was taken by
    /// some options (`--target-kbps 0x64` ran at 100, `--quality 0x1p-1074` at "0.0 dB") and
    /// refused by others (`--fps 0x5`; found by outside testing).
    @Test(arguments: [(["encode", "--target-kbps", "0x64"], "The value '0x64' is invalid for '--target-kbps <kbit/s>': a decimal number"),
                      (["encode", "--quality", "0x1p-1074"], "The value '0x1p-1074' is invalid for '--quality <dB>': a decimal number"),
                      (["encode", "--max-gap", "0X2"], "The value '0X2' is invalid for '--max-gap <max-gap>': a decimal number"),
                      (["encode", "--dead-zone", "-0x0"], "The value '-0x0' is invalid for '--dead-zone <dead-zone>': a decimal number"),
                      (["report", "--change-threshold", "0.5,0x1"], "--change-threshold takes numbers 0 to 1000, comma-separated (got '0.5,0x1')"),
                      (["decode", "--time", "0x1:2"], "--time: cannot read '0x1:2'")])
    func numbersAreDecimal(arguments: [String], message: String) throws {
        try withExtendedLifetime(ScratchFolder()) { folder in
            let input = arguments[0] == "decode" ? Golden.directory.appendingPathComponent("streams/1.5/tabled-30.fst").path : Fixtures.path("pan.mp4")
            let output = arguments[0] == "report" ? ["--out", folder.file("r")] : ["-o", folder.file("x")]
            let result = try Fixtures.run(Fixtures.featstream, [arguments[0], input, "--quiet"] + arguments.dropFirst() + output)
            #expect(result.status == 64 && result.err.split(separator: "\n").count == 1 && result.err.contains(message), "\(arguments): \(result.err)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        }
        // And in a bandwidth trace.
        try withExtendedLifetime(ScratchFolder()) { folder in
            for (text, line, shown) in [("seconds,kbit_s\n0,0x64\n", 2, "0,0x64"), ("0x0,500\n", 1, "0x0,500")] {
                try text.write(toFile: folder.file("t.csv"), atomically: true, encoding: .utf8)
                let trace = try featstream("encode", "--quiet", Fixtures.path("pan.mp4"), "--bandwidth", folder.file("t.csv"), "-o", folder.file("x.fst"))
                #expect(trace.status == 1 && trace.err == "featstream: \(folder.file("t.csv")):\(line): expected 'seconds,kbit_s', got '\(shown)'\n", "\(trace.err)")
            }
        }
    }

    /// An argument that is not UTF-8 (a file named in Latin-1) is refused in one line: Swift
    /// read it with U+FFFD, so the input was "no such file" and two outputs went into one file
    /// under a third name (found by outside testing).
    @Test func argumentsThatAreNotUTF8AreRefused() throws {
        try withExtendedLifetime(ScratchFolder()) { folder in
            try FileManager.default.copyItem(atPath: Fixtures.path("pan.mp4"), toPath: folder.file("pan.mp4"))
            for script in ["cp pan.mp4 \"$(printf 'caf\\351.mp4')\" && exec \"$0\" probe \"$(printf 'caf\\351.mp4')\"",
                           "exec \"$0\" encode pan.mp4 --fps 1 -q -o \"$(printf 'clip\\351.fst')\""] {
                let result = try Fixtures.run("/bin/sh", ["-c", "cd \"$1\" && " + script, Fixtures.featstream, folder.path])
                #expect(result.status == 64 && result.err.split(separator: "\n").count == 1 && result.err.contains("is not valid UTF-8"), "\(script): \(result.err)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix("caf") } == ["pan.mp4"])
        }
    }

    @Test func modelThreadsAreCapped() throws {
        let result = try featstream("features", "--quiet", Fixtures.path("scenes.mp4"), "--model-threads", "100000", "-o", "/dev/null")
        #expect(result.status == 64 && result.err.contains("--model-threads: 100000 is out of range"), "\(result.err)")
    }

    /// --max-gap 0 means no heartbeat: a static scene admits its first frame only.
    @Test func maxGapZeroMeansNoHeartbeat() throws {
        let none = try featstream("frames", "--quiet", "--max-gap", "0", Fixtures.path("static.mp4"))
        #expect(none.status == 0 && none.out.contains("admitted 1: 1 cut, 0 changed, 0 heartbeat"), "\(none.out)")
        let every = try featstream("frames", "--quiet", "--max-gap", "2", Fixtures.path("static.mp4"))
        #expect(every.out.contains("admitted 3: 1 cut, 0 changed, 2 heartbeat"), "\(every.out)")
    }

    /// With --json, --quiet silences stderr only: the frames are still listed.
    @Test func quietJSONStillListsTheFrames() throws {
        let result = try featstream("frames", "--json", "--quiet", Fixtures.path("ntsc.mp4"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect((json["frames"] as? [[String: Any]])?.count == 90)
    }

    /// OpenMP threads wait passively (set before libgomp loads), and the process keeps its name;
    /// a command that runs no model head does not start again for it.
    @Test func openMPWaitsPassively() throws {
        for (arguments, restarts) in [(["frames", "-", "--quiet"], true), (["info", "-"], false)] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Fixtures.featstream)
            process.arguments = arguments
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { try? input.fileHandleForWriting.close(); process.waitUntilExit() }
            // Wait until it is blocked reading standard input (/proc/PID/wchan names the kernel
            // function it sleeps in): by then any re-execution is done.
            func read(_ file: String) -> String { (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/\(file)", encoding: .utf8)) ?? "" }
            for _ in 0..<200 where !read("wchan").contains("pipe_read") { Thread.sleep(forTimeInterval: 0.05) }
            #expect(read("wchan").contains("pipe_read"), "\(arguments[0]) never waited for its input (wchan: \(read("wchan")))")
            #expect(read("environ").split(separator: "\0").contains("OMP_WAIT_POLICY=passive") == restarts, "\(arguments[0])")
            #expect(read("comm") == "featstream\n")
        }
    }

    /// URLs, and FFmpeg's own protocol forms (`file:PATH`, `concat:A|B`; refused as "no such
    /// file" before, found by outside testing); a `file:` path that is not there is "no such file".
    @Test func opensURLs() throws {
        let ntsc = Fixtures.path("ntsc.mp4")
        for (input, frames) in [("file://" + ntsc, 90), ("file:" + ntsc, 90), ("concat:" + ntsc + "|" + ntsc, 90)] {
            let result = try featstream("frames", "--quiet", input)
            #expect(result.status == 0 && result.out.contains("decoded \(frames) frames"), "\(input): \(result.err)")
        }
        let missing = try featstream("frames", "--quiet", "file:" + ntsc + ".missing")
        #expect(missing.status == 1 && missing.err == "featstream: file:\(ntsc).missing: no such file\n", "\(missing.err)")
        // The subfile protocol's form ("subfile,,start,0,end,0,,:PATH", the whole file) and an
        // image sequence ("img%03d.png"), both "no such file" before (found by outside testing).
        let part = try featstream("frames", "--quiet", "--no-model", "subfile,,start,0,end,0,,:" + ntsc)
        #expect(part.status == 0 && part.out.contains("decoded 90 frames"), "\(part.err)")
        let folder = NSTemporaryDirectory() + "sequence-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let made = try Fixtures.run(Fixtures.which("ffmpeg"), ["-v", "error", "-i", ntsc, "-frames:v", "7", folder + "/img%03d.png"])
        try #require(made.status == 0, "\(made.err)")
        let sequence = try featstream("frames", "--quiet", "--no-model", folder + "/img%03d.png")
        #expect(sequence.status == 0 && sequence.out.contains("decoded 7 frames"), "\(sequence.err)")
    }

    /// A file the user may not read says so (it said "not a video container FFmpeg can read
    /// (Permission denied)"; found by outside testing). As root, run as nobody: root reads any
    /// file. Skipped where nobody cannot run this build (a checkout in a private folder).
    @Test(.enabled(if: geteuid() != 0 || CommandLineTests.nobodyCanProbe()))
    func anUnreadableFileSaysSo() throws {
        let file = try Self.copyOfNTSC(permissions: geteuid() == 0 ? 0o600 : 0o000)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (status, err) = try geteuid() == 0 ? Self.asNobody(["probe", file]) : { let r = try featstream("probe", file); return (r.status, r.err) }()
        #expect(status == 1 && err == "featstream: \(file): reading failed (Permission denied)\n", "\(err)")
    }

    /// `featstream ARGUMENTS` as nobody (root only): its status and stderr.
    static func asNobody(_ arguments: [String]) throws -> (Int32, String) {
        let result = try Fixtures.run(Fixtures.which("setpriv"), ["--reuid", "65534", "--regid", "65534", "--clear-groups", Fixtures.featstream] + arguments)
        return (result.status, result.err)
    }

    /// Whether nobody can run this build on a file anyone may read.
    static func nobodyCanProbe() -> Bool {
        guard let file = try? copyOfNTSC(permissions: 0o644) else { return false }
        defer { try? FileManager.default.removeItem(atPath: file) }
        return (try? asNobody(["probe", file]))?.0 == 0
    }

    /// A copy of ntsc.mp4 in the temporary folder with `permissions`.
    static func copyOfNTSC(permissions: Int) throws -> String {
        let file = NSTemporaryDirectory() + "ntsc-\(UUID().uuidString).mp4"
        try FileManager.default.copyItem(atPath: Fixtures.path("ntsc.mp4"), toPath: file)
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: file)
        return file
    }

    @Test func framesJSONHasEveryFrameAndTheSummary() throws {
        let result = try featstream("frames", "--json", "--fps", "10", Fixtures.path("scenes.mp4"))
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let frames = try #require(json["frames"] as? [[String: Any]])
        #expect(frames.count == 141)
        #expect(frames.compactMap { $0["sourceFrame"] as? Int } == Array(0..<141))
        #expect(frames.filter { $0["decision"] as? String == "cut" }.compactMap { $0["sourceFrame"] as? Int } == [0, 36, 66, 108])
        #expect(frames.filter { $0["decision"] as? String == "decimated" }.count == 94)
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["decoded"] as? Int == 141 && summary["cuts"] as? Int == 4)
        #expect((json["input"] as? [String: Any])?["codec"] as? String == "h264")
    }

    /// Joined streams: the summary counts the jump back in their timestamps, as the warning
    /// does (found by outside testing: only stderr said so).
    @Test func framesSummaryCountsTimestampJumps() throws {
        let scratch = ScratchFolder()
        let single = scratch.file("scenes.ts"), joined = scratch.file("joined.ts")
        let made = try Fixtures.run(Fixtures.which("ffmpeg"), ["-v", "error", "-i", Fixtures.path("scenes.mp4"), "-c", "copy", "-f", "mpegts", single])
        try #require(made.status == 0, "\(made.err)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: single))
        try (bytes + bytes).write(to: URL(fileURLWithPath: joined))
        let result = try featstream("frames", "--json", "--no-model", joined)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect((json["summary"] as? [String: Any])?["timestampJumps"] as? Int == 1, "\(result.err)")
        let text = try featstream("frames", "--no-model", "--quiet", joined)
        #expect(text.out.contains("packets rejected; timestamp jumps: 1"), "\(text.out)")
        withExtendedLifetime(scratch) {}
    }

    @Test func textListingHasOneLinePerFrame() throws {
        let result = try featstream("frames", Fixtures.path("ntsc.mp4"))
        let lines = result.out.split(separator: "\n")
        #expect(lines.count == 1 + 90 + 4)
        #expect(lines[46].contains("cut") && lines[46].hasPrefix("    45"))
    }

    @Test func probeDescribesTheStream() throws {
        let result = try featstream("probe", "--json", Fixtures.path("rotated.mp4"))
        #expect(result.status == 0)
        let info = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(info["rotation"] as? Int == 90)
        #expect(info["displayWidth"] as? Int == 180 && info["displayHeight"] as? Int == 320)
        #expect(info["frameRate"] as? String == "25" && info["declaredFrames"] as? Int == 25)
        let text = try featstream("probe", Fixtures.path("ntsc.mp4"))
        #expect(text.out.contains("30000/1001 (29.970 fps)"))
    }

    @Test func helpReadsWell() throws {
        let result = try featstream("--help")
        #expect(result.status == 0)
        #expect(result.out.contains("probe") && result.out.contains("frames"))
        let frames = try featstream("frames", "--help")
        #expect(frames.out.contains("--fps") && frames.out.contains("--max-gap"))
        // Every command's text wraps as paragraphs: a source line longer than the 80 columns
        // the help is wrapped to left a word or two on a line of its own ("... decimator and"
        // / "a" / "scene-change gate ...", found by outside testing).
        for command in ["", "probe", "frames", "models", "features", "encode", "decode", "extract", "info", "report", "bench-model", "bench-codec"] {
            let help = try featstream(command.isEmpty ? "--help" : command, "--help").out
            let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (previous, line) in zip(lines, lines.dropFirst()) where previous.count >= 60 && !line.isEmpty && !line.hasPrefix(" ") {
                #expect(line.split(separator: " ").count > 2 || line.hasSuffix("."), "featstream \(command) --help: \"\(line)\" after \"\(previous)\"")
            }
        }
    }
}
