import Foundation
import TestSupport
import Testing

/// Where results go: never over a directory or a device, never half-written, never lost to a
/// second writer or a signal, and `-` is standard output everywhere.
@Suite struct OutputTests {
    let scratch = ScratchFolder()
    var dir: String { scratch.path }

    func featstream(_ arguments: [String], stdin: URL? = nil) throws -> (status: Int32, out: Data, err: String) {
        try Fixtures.run(Fixtures.featstream, arguments, stdin: stdin)
    }

    func files(_ path: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    /// O1: -o naming a directory writes the file inside it, as cp does; what was there stays.
    @Test func directoryOutputsGoInside() throws {
        let d = dir + "/d"
        try FileManager.default.createDirectory(atPath: d + "/sub", withIntermediateDirectories: true)
        try Data("important\n".utf8).write(to: URL(fileURLWithPath: d + "/a.txt"))
        let scenes = Fixtures.path("scenes.mp4")
        #expect(try featstream(["encode", scenes, "--fps", "5", "-q", "-o", d]).status == 0)
        #expect(try featstream(["features", scenes, "--fps", "5", "-q", "-o", d]).status == 0)
        #expect(try featstream(["decode", d + "/scenes.fst", "-q", "-o", d + "/"]).status == 0)
        #expect(files(d) == ["a.txt", "scenes.fst", "scenes.npy", "scenes.timestamps.json", "sub"])
        #expect(try String(contentsOfFile: d + "/a.txt", encoding: .utf8) == "important\n")
    }

    /// O2: a character device or a named pipe is written as a stream and stays what it is.
    @Test func devicesAndPipesAreWrittenAsStreams() throws {
        let null = dir + "/null"
        // A copy of /dev/null needs root (mknod); a named pipe stands in for it otherwise.
        let isDevice = mknod(null, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0
        if !isDevice { try #require(mkfifo(null, 0o600) == 0) }
        let drained = Drained()
        let reader = Thread { if !isDevice, let h = FileHandle(forReadingAtPath: null) { drained.data = h.readDataToEndOfFile() } }
        reader.start()
        let result = try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "5", "-q", "-o", null])
        #expect(result.status == 0, "\(result.err)")
        while reader.isExecuting { Thread.sleep(forTimeInterval: 0.01) }
        var status = stat()
        #expect(stat(null, &status) == 0 && status.st_mode & S_IFMT == (isDevice ? S_IFCHR : S_IFIFO))
        if !isDevice { #expect(drained.data.starts(with: Data("FEATSTRM".utf8))) }
        #expect(files(dir) == ["null"])
    }

    /// -o naming the command's own input, directly, through a symbolic link, a `concat:` or
    /// `subfile` URL, or standard input redirected from it, is refused with one line, and the
    /// input stays whole (the finished output used to replace it; the URLs and standard input
    /// were found by outside testing).
    @Test func theInputIsNeverTheOutput() throws {
        let video = dir + "/scenes.mp4", stream = dir + "/scenes.fst", link = dir + "/link.fst"
        try FileManager.default.copyItem(atPath: Fixtures.path("scenes.mp4"), toPath: video)
        #expect(try featstream(["encode", video, "--fps", "5", "-q", "-o", stream]).status == 0)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: stream)
        let before = (try Data(contentsOf: URL(fileURLWithPath: video)), try Data(contentsOf: URL(fileURLWithPath: stream)))
        for arguments in [["encode", video, "--fps", "5", "-o", video], ["features", video, "--fps", "5", "-o", video],
                          ["encode", "file://" + video, "--fps", "5", "-o", video], ["decode", stream, "-o", stream], ["decode", link, "-o", stream],
                          ["decode", stream, "-o", dir + "/x.npy", "--timestamps", stream],
                          ["encode", "concat:\(video)|\(video)", "--fps", "5", "-o", video], ["features", "subfile,,start,0,end,0,,:\(video)", "--fps", "5", "-o", video],
                          ["encode", "-", "--fps", "5", "-o", video], ["decode", "-", "-o", stream]] {
            let result = try featstream(arguments + ["-q"], stdin: arguments[1] == "-" ? URL(fileURLWithPath: arguments[2] == "-o" ? stream : video) : nil)
            #expect(result.status != 0 && result.err.hasSuffix("is the input file; choose another output name)\n")
                    && result.err.split(separator: "\n").count == 1, "\(arguments): \(result.err)")
        }
        // extract too, with -o naming the input's directory (the output is then the input's own name).
        let extract = try featstream(["extract", stream, "--layers", "1", "-o", dir])
        #expect(extract.status == 1 && extract.err.hasSuffix("scenes.fst: cannot write (is the input file; choose another output name)\n"), "\(extract.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: video)) == before.0 && Data(contentsOf: URL(fileURLWithPath: stream)) == before.1)
        #expect(files(dir) == ["link.fst", "scenes.fst", "scenes.mp4"])
        // A symbolic link to the input, as the output, is replaced by the output; the input stays.
        #expect(try featstream(["decode", stream, "-o", link, "-q"]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: stream)) == before.1)
    }

    /// An output naming another file the command reads (the bandwidth trace, the checkpoint;
    /// for `report`, a file of its --out folder) is refused in one line, before any work, and the
    /// file stays whole (each was replaced by the output, exit 0; found by outside testing).
    @Test func noInputIsEverTheOutput() throws {
        let trace = dir + "/trace.csv", weights = dir + "/w.pth", folder = dir + "/out"
        try FileManager.default.copyItem(atPath: Fixtures.path("bandwidth-step.csv"), toPath: trace)
        try FileManager.default.copyItem(atPath: Fixtures.home + "/weights/mobilenet_v2-b0353104.pth", toPath: weights)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: trace, toPath: folder + "/report.csv")
        let before = try [trace, weights, folder + "/report.csv"].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let scenes = Fixtures.path("scenes.mp4")
        for (arguments, named) in [(["encode", scenes, "--fps", "5", "--bandwidth", trace, "-o", trace], trace),
                                   (["encode", scenes, "--fps", "5", "--quality", "30", "--weights", weights, "-o", weights], weights),
                                   (["features", scenes, "--fps", "5", "--weights", weights, "-o", weights], weights),
                                   (["features", scenes, "--fps", "5", "--weights", weights, "-o", dir + "/f.npy", "--timestamps", weights], weights),
                                   (["report", scenes, "--fps", "5", "--bits", "6", "--quality", "none", "--crf", "none",
                                     "--bandwidth", folder + "/report.csv", "--out", folder], folder + "/report.csv")] {
            let result = try featstream(arguments + ["-q"])
            #expect(result.status == 1 && result.err.hasPrefix("featstream: \(named): cannot write (is an input of this command")
                    && result.err.split(separator: "\n").count == 1, "\(arguments): \(result.err)")
        }
        #expect(try [trace, weights, folder + "/report.csv"].map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before)
        #expect(files(dir) == ["out", "trace.csv", "w.pth"] && files(folder) == ["report.csv"])
    }

    /// -o or --timestamps naming a file --per-frame writes (frame-NNNNNN.npy in its folder) is
    /// refused in one line: a frame's file replaced the array, or the timestamps a frame's tensor,
    /// exit 0 (found by outside testing). Other names in the folder are fine.
    @Test func perFrameFilesAreNeverAnotherOutput() throws {
        let stream = dir + "/scenes.fst", frames = dir + "/pf"
        #expect(try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "5", "-q", "-o", stream]).status == 0)
        try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true)
        for (arguments, named, option) in [(["-o", frames + "/frame-000003.npy"], frames + "/frame-000003.npy", "-o"),
                                           (["-o", dir + "/x.npy", "--timestamps", dir + "/./pf/frame-000004.npy"], dir + "/./pf/frame-000004.npy", "--timestamps")] {
            let result = try featstream(["decode", stream, "-q", "--per-frame", frames] + arguments)
            #expect(result.status == 1 && result.err == "featstream: \(named): cannot write (is a name --per-frame \(frames) writes a frame to; "
                    + "choose another name for \(option))\n", "\(arguments): \(result.err)")
        }
        #expect(files(dir) == ["pf", "scenes.fst"] && files(frames).isEmpty)
        let beside = try featstream(["decode", stream, "-q", "--per-frame", frames, "-o", frames + "/frame-3.npy", "--timestamps", frames + "/frames.json"])
        #expect(beside.status == 0 && files(frames).contains("frame-3.npy") && files(frames).contains("frame-000003.npy"), "\(beside.err)")
    }

    /// --timestamps naming the output array itself (or its path another way) is refused with one
    /// line and nothing written: the array, committed last, replaced the timestamps, and they
    /// were lost without a word (found by outside testing).
    @Test func theTimestampsAreNeverTheOutput() throws {
        let stream = dir + "/scenes.fst"
        #expect(try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "5", "-q", "-o", stream]).status == 0)
        for arguments in [["decode", stream, "-o", dir + "/x.npy", "--timestamps", dir + "/x.npy"],
                          ["decode", stream, "-o", dir + "/x.npy", "--timestamps", dir + "/./x.npy"],
                          ["features", Fixtures.path("scenes.mp4"), "--fps", "5", "-o", dir + "/x.npy", "--timestamps", dir + "/x.npy"],
                          // One stream for both (here a pipe): the JSON was mixed into the array, exit 0.
                          ["decode", stream, "-o", "-", "--timestamps", "-"],
                          ["decode", stream, "-o", "-", "--timestamps", "/dev/stdout"],
                          ["features", Fixtures.path("scenes.mp4"), "--fps", "5", "-o", "-", "--timestamps", "-"]] {
            let result = try featstream(arguments + ["-q"])
            #expect(result.status == 1 && result.err.hasSuffix("choose another name for --timestamps)\n")
                    && result.err.split(separator: "\n").count == 1, "\(arguments): \(result.err)")
        }
        #expect(files(dir) == ["scenes.fst"])
        // --per-frame naming a file: one line, not Foundation's error dump.
        try Data().write(to: URL(fileURLWithPath: dir + "/afile"))
        let perFrame = try featstream(["decode", stream, "-q", "-o", dir + "/y.npy", "--per-frame", dir + "/afile"])
        #expect(perFrame.status == 1 && perFrame.err == "featstream: \(dir)/afile: cannot write (is a file; --per-frame needs a directory)\n", "\(perFrame.err)")
        // --per-frame naming the output: refused before any frame file is written (a directory of
        // them was left under the output's name, and the array failed on it); a run that fails
        // later removes the frame files it wrote, and the directories it made (every one of
        // `frames/a/b`: only the innermost went before).
        let clash = try featstream(["decode", stream, "-q", "-o", dir + "/z.npy", "--per-frame", dir + "/z.npy"])
        #expect(clash.status == 1 && clash.err.hasSuffix("choose another name for --per-frame)\n"), "\(clash.err)")
        let dash = try featstream(["decode", stream, "-q", "-o", dir + "/v.npy", "--per-frame", "-"])
        #expect(dash.status == 1 && dash.err == "featstream: -: cannot write (--per-frame writes a file per frame: name a folder, not standard output)\n")
        let failed = try featstream(["decode", stream, "-q", "-o", "/dev/full", "--per-frame", dir + "/frames/a/b", "--timestamps", dir + "/t.json"])
        #expect(failed.status == 1 && failed.err.contains("No space left on device"), "\(failed.err)")
        // No timestamps of frames nobody received either (they were committed first; found by outside testing).
        let features = try featstream(["features", Fixtures.path("scenes.mp4"), "--fps", "5", "-q", "-o", "/dev/full", "--timestamps", dir + "/t.json"])
        #expect(features.status == 1 && features.err.contains("No space left on device"), "\(features.err)")
        #expect(files(dir) == ["afile", "scenes.fst"])
        // The timestamps may go inside the per-frame folder; neither may be the other, nor may
        // the folder be a file named with a slash, and that is said before any frame is written.
        let inside = try featstream(["decode", stream, "-q", "-o", dir + "/w.npy", "--per-frame", dir + "/pf", "--timestamps", dir + "/pf/t.json"])
        #expect(inside.status == 0 && FileManager.default.fileExists(atPath: dir + "/pf/t.json"), "\(inside.err)")
        try FileManager.default.removeItem(atPath: dir + "/pf")
        try FileManager.default.removeItem(atPath: dir + "/w.npy")
        for (perFrame, stamps) in [(dir + "/w.timestamps.json", nil), (dir + "/same", dir + "/same"), (dir + "/afile/", nil)] as [(String, String?)] {
            let result = try featstream(["decode", stream, "-q", "-o", dir + "/w.npy", "--per-frame", perFrame] + (stamps.map { ["--timestamps", $0] } ?? []))
            #expect(result.status == 1 && result.err.split(separator: "\n").count == 1, "\(perFrame): \(result.err)")
        }
        #expect(files(dir) == ["afile", "scenes.fst"])
        // A device takes both.
        #expect(try featstream(["decode", stream, "-q", "-o", "/dev/null", "--timestamps", "/dev/null"]).status == 0)
    }

    /// An empty output name, or a directory that is not there, is said in one line before any
    /// work (`-o ''` failed after the whole encode, and `-o nodir/` said "Not a directory";
    /// found by outside testing).
    @Test func badOutputNamesAreSaidFirst() throws {
        for (output, line) in [("", "featstream: '': cannot write (an empty output name)\n"),
                               (dir + "/nodir/", "featstream: \(dir)/nodir/: cannot write (no such directory)\n")] {
            let result = try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "5", "-o", output])
            #expect(result.status == 1 && result.err == line && result.out.isEmpty, "\(output): \(result.err)")
        }
        // --timestamps in a folder that is not there: one line (before the run, as
        // FeatureExportTests checks without a clock).
        let features = try featstream(["features", Fixtures.path("scenes.mp4"), "-q", "-o", dir + "/scenes.npy", "--timestamps", dir + "/nodir/t.json"])
        #expect(features.status == 1 && features.err == "featstream: \(dir)/nodir/t.json: cannot write (cannot create a file in \(dir)/nodir (No such file or directory))\n",
                "\(features.err)")
    }

    /// Results printed on a standard output that cannot take them (a full disk) fail in one line
    /// (`info --json > /dev/full` exited 0 with nothing written; found by outside testing).
    @Test func aFullStandardOutputFails() throws {
        let scenes = Fixtures.path("scenes.mp4")
        for arguments in [["models", "--json"], ["probe", scenes, "--json"], ["frames", scenes, "--fps", "5", "--json"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Fixtures.featstream)
            process.arguments = arguments
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 1 && err == "featstream: cannot write to standard output (No space left on device)\n",
                    "\(arguments): \(err)")
        }
    }

    /// Standard error full or closed, standard output closed: errors and warnings that cannot be
    /// written do not crash the run (FileHandle trapped: SIGILL, status 132), results printed on
    /// a closed stdout fail in one line, and a file opened meanwhile never takes its number (with
    /// both closed a run crashed, or hung in the crash handler; found by outside testing).
    @Test func closedOrFullStandardStreams() throws {
        let stream = dir + "/s.fst"
        #expect(try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "5", "-q", "-o", stream]).status == 0)
        func shell(_ script: String) throws -> (status: Int32, err: String) {
            let result = try Fixtures.run("/bin/sh", ["-c", "cd \"$1\" && timeout 60 " + script, Fixtures.featstream, dir])
            return (result.status, result.err)
        }
        #expect(try shell("\"$0\" decode missing.fst -o y.npy 2>/dev/full").status == 1)
        #expect(try shell("\"$0\" info s.fst >/dev/full 2>/dev/full").status == 1)
        let closed = try shell("\"$0\" info s.fst >&-")
        #expect(closed.status == 1 && closed.err == "featstream: cannot write to standard output (it is closed)\n", "\(closed.err)")
        // The summary on stdout is lost (status 1), the array written whole.
        #expect(try shell("\"$0\" decode s.fst -q -o x.npy >&- 2>&-").status == 1)
        #expect(try shell("\"$0\" decode s.fst -q -o z.npy >&-").status == 1)
        // Each array is what a run with every stream open writes (nothing printed into it).
        #expect(try featstream(["decode", stream, "-q", "-o", dir + "/open.npy"]).status == 0)
        let open = try Data(contentsOf: URL(fileURLWithPath: dir + "/open.npy"))
        for name in ["x.npy", "z.npy"] { #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)) == open, "\(name)") }
    }

    /// O3: two encoders writing the same file: both succeed, a complete file is there, and no
    /// temporary file is left (each writes under its own unique name).
    @Test func concurrentWritersLeaveACompleteFile() throws {
        let out = dir + "/same.fst"
        try Data("an older file\n".utf8).write(to: URL(fileURLWithPath: out))
        let writers = try ["8", "4"].map { bits in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Fixtures.featstream)
            process.arguments = ["encode", Fixtures.bikes, "--fps", "5", "--bits", bits, "-q", "-o", out]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return process
        }
        for writer in writers { writer.waitUntilExit() }
        #expect(writers.map(\.terminationStatus) == [0, 0])
        #expect(files(dir) == ["same.fst"])
        let info = try featstream(["info", out, "--json"])
        #expect(info.status == 0 && info.err.isEmpty, "\(info.err)")
    }

    /// An interrupted encode stops at once and leaves nothing behind, for each signal.
    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func signalsRemoveTheTemporaryFile(signal: Int32) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.featstream)
        process.arguments = ["encode", Fixtures.bikes, "--change-threshold", "0", "-q", "-o", dir + "/bikes.fst"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until the temporary file exists (the model is loaded and frames are being coded).
        for _ in 0..<200 where files(dir).isEmpty { Thread.sleep(forTimeInterval: 0.02) }
        #expect(files(dir).count == 1 && files(dir)[0].hasSuffix(".partial"))
        let sent = Date()
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(sent) < 1)
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(files(dir).isEmpty, "\(files(dir))")
    }

    /// An interrupted report removes the folders it made for --out (they were left empty;
    /// found by outside testing).
    @Test func anInterruptedReportRemovesTheFoldersItMade() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.featstream)
        process.arguments = ["report", Fixtures.bikes, "--fps", "5", "--bits", "8", "--quality", "none", "--crf", "none", "-q", "--out", dir + "/a/b"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: dir + "/a/b") { Thread.sleep(forTimeInterval: 0.02) }
        #expect(FileManager.default.fileExists(atPath: dir + "/a/b"))
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(files(dir).isEmpty, "\(files(dir))")
    }

    /// An interrupted `bench-model --isa all` stops the benchmark child it started, which has a
    /// process group of its own, so the Ctrl-C never reached it (found by outside testing).
    @Test func anInterruptedBenchmarkStopsItsChild() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.featstream)
        process.arguments = ["bench-model", "--isa", "all", "--repeats", "5000"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        func children() -> [Int32] {
            let all = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return all.compactMap(Int32.init).filter { pid in
                let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
                // "pid (comm) state ppid ...": the fields after the command's closing parenthesis.
                let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
                return fields.count > 1 && Int32(fields[1]) == process.processIdentifier
            }
        }
        var child: [Int32] = []
        for _ in 0..<300 where child.isEmpty { child = children(); Thread.sleep(forTimeInterval: 0.02) }
        try #require(child.count == 1)
        Thread.sleep(forTimeInterval: 0.3)  // past its registration, right after it started
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        var gone = false
        for _ in 0..<100 where !gone {
            let state = (try? String(contentsOfFile: "/proc/\(child[0])/stat", encoding: .utf8))?.split(separator: ")").last?.split(separator: " ").first
            gone = state == nil || state == "Z"
            if !gone { Thread.sleep(forTimeInterval: 0.05) }
        }
        if !gone { kill(child[0], SIGKILL) }
        #expect(gone, "the benchmark child \(child[0]) still runs")
    }

    /// decode -o -: the array on standard output, no file named "-", timestamps only if asked.
    @Test func decodeToStandardOutput() throws {
        let fst = dir + "/scenes.fst"
        #expect(try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "5", "-q", "-o", fst]).status == 0)
        let result = try featstream(["decode", fst, "-o", "-", "-q"])
        #expect(result.status == 0)
        #expect(result.out.starts(with: [0x93] + Array("NUMPY".utf8)))
        let frames = try #require(result.err.split(separator: " ").dropFirst().first.flatMap { Int($0) })
        #expect(result.err.hasPrefix("decoded \(frames) frames") && frames > 10)
        #expect(files(dir) == ["scenes.fst"])
        let named = try featstream(["decode", fst, "-o", "-", "-q", "--timestamps", dir + "/t.json"])
        #expect(named.out == result.out)
        #expect(files(dir) == ["scenes.fst", "t.json"])
        let npy = dir + "/piped.npy"
        try named.out.write(to: URL(fileURLWithPath: npy))
        let check = try Fixtures.run(Fixtures.which("python3"), ["-c", "import numpy,sys; print(numpy.load(sys.argv[1]).shape)", npy])
        #expect(String(decoding: check.out, as: UTF8.self) == "(\(frames), 32, 28, 28)\n")
    }

    /// A header string with terminal escape sequences is shown escaped.
    @Test func controlCharactersAreEscaped() throws {
        let link = dir + "/\u{1B}[2Jred.mp4"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Fixtures.path("scenes.mp4"))
        let fst = dir + "/x.fst"
        #expect(try featstream(["encode", link, "--fps", "5", "-q", "-o", fst]).status == 0)
        let info = try featstream(["info", fst])
        let text = String(decoding: info.out, as: UTF8.self)
        #expect(!text.contains("\u{1B}") && text.contains("\\u{1B}[2Jred.mp4"), "\(text)")
    }
}

/// What a reader thread got from a pipe (read once it has finished).
private final class Drained: @unchecked Sendable { var data = Data() }
