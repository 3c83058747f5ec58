import FeatCodec
import Foundation
import TestSupport
import Testing

/// `featstream encode`, `decode` and `info` as a user runs them, against `featstream features`.
@Suite struct CodecCommandTests {
    let scratch = ScratchFolder()
    var dir: String { scratch.path }

    @discardableResult
    func featstream(_ arguments: [String], stdin: URL? = nil) throws -> (status: Int32, out: String, err: String) {
        let result = try Fixtures.run(Fixtures.featstream, arguments, stdin: stdin)
        return (result.status, String(decoding: result.out, as: UTF8.self), result.err)
    }

    /// Raw head tensors of bikes.mp4 at 5 fps, the reference the codec is compared with.
    func reference() throws -> Tensor {
        let path = dir + "/reference.npy"
        let result = try featstream(["features", Fixtures.bikes, "--fps", "5", "-o", path, "-q"])
        try #require(result.status == 0, "\(result.err)")
        return try NpyReader.read(path)
    }

    static func snr(_ reference: Tensor, _ decoded: Tensor) -> Double { snrDecibels(reference.values, decoded.values) }

    func roundTrip(_ options: [String], dtype: String = "float32") throws -> Tensor {
        let fst = dir + "/bikes.fst", npy = dir + "/decoded.npy"
        let encode = try featstream(["encode", Fixtures.bikes, "--fps", "5", "-o", fst, "-q"] + options)
        try #require(encode.status == 0, "\(encode.err)")
        let decode = try featstream(["decode", fst, "-o", npy, "--dtype", dtype, "--quiet"])
        try #require(decode.status == 0, "\(decode.err)")
        return try NpyReader.read(npy)
    }

    /// A sensitivity cache that cannot be written is a warning (it was silent, and every run
    /// measured again after saying "(cached)"; found by outside testing).
    @Test func anUnwritableSensitivityCacheIsAWarning() throws {
        let home = dir + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: home + "/weights", withDestinationPath: Fixtures.home + "/weights")
        try Data().write(to: URL(fileURLWithPath: home + "/sensitivity"))  // a file where the folder goes
        let result = try Fixtures.run(Fixtures.featstream, ["encode", Fixtures.path("scenes.mp4"), "--fps", "2", "--quality", "30", "-q", "-o", dir + "/s.fst"],
                                      environment: ["FEATSTREAM_HOME": home])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.contains("featstream: warning: the channel sensitivity is not cached, so every run measures it again: \(home)/sensitivity/"), "\(result.err)")
    }

    @Test func losslessIsBitExactAgainstFeatures() throws {
        let reference = try reference()
        let decoded = try roundTrip(["--lossless"])
        #expect(decoded.shape == reference.shape)
        #expect(decoded.values.map(\.bitPattern) == reference.values.map(\.bitPattern))
    }

    @Test func float16IsExact() throws {
        let reference = try reference()
        let decoded = try roundTrip(["--fp16"], dtype: "float16")
        #expect(decoded.values == reference.values.map { Float(Float16($0)) })
        // --dtype float16 writes 2-byte values.
        let header = String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/decoded.npy")).prefix(128), as: UTF8.self)
        #expect(header.contains("'descr': '<f2'"))
    }

    /// 8 bits per value: feature SNR well above 30 dB; the decoded .npy loads in NumPy.
    @Test func quantizedStreamIsClose() throws {
        let reference = try reference()
        let decoded = try roundTrip(["--bits", "8"])
        let snr = Self.snr(reference, decoded)
        #expect(snr > 35, "SNR \(snr) dB")
        let check = try Fixtures.run(Fixtures.which("python3"), ["-c", "import numpy,sys; a=numpy.load(sys.argv[1]); print(a.shape, a.dtype)", dir + "/decoded.npy"])
        #expect(String(decoding: check.out, as: UTF8.self) == "(\(reference.shape[0]), 32, 28, 28) float32\n")
    }

    /// Step mode as a user runs it: --quality sets the SNR on real features (mse weighting), the
    /// task weights travel in the file and are reported by info, and fewer bits than --bits 6
    /// at the same SNR.
    @Test func qualityKnobSetsTheSNR() throws {
        let reference = try reference()
        func snr(_ decoded: Tensor) -> Double { Self.snr(reference, decoded) }
        let fst = dir + "/bikes.fst"
        for quality in [20.0, 30] {
            let decoded = try roundTrip(["--quality", "\(quality)", "--weighting", "mse"])
            #expect(decoded.shape == reference.shape)
            #expect(abs(snr(decoded) - quality) < 1, "--quality \(quality): SNR \(snr(decoded))")
        }
        let stepBytes = try FileManager.default.attributesOfItem(atPath: fst)[.size] as! Int
        _ = try roundTrip(["--bits", "6"])
        let bitsBytes = try FileManager.default.attributesOfItem(atPath: fst)[.size] as! Int
        #expect(stepBytes < bitsBytes, "--quality 30: \(stepBytes) bytes, --bits 6 (30 dB): \(bitsBytes)")
        let task = try roundTrip(["--quality", "30"])
        #expect(snr(task) > 27 && snr(task) < 31, "task-weighted SNR \(snr(task))")
        let info = try featstream(["info", fst])
        #expect(info.status == 0 && info.out.contains("steps for 30.0 dB, table-coded, task-weighted"), "\(info.out)")
        // The range coder on request: the same values, within a fraction of the bytes.
        let tabledBytes = try FileManager.default.attributesOfItem(atPath: fst)[.size] as! Int
        let adaptive = try roundTrip(["--quality", "30", "--entropy", "adaptive"])
        let adaptiveBytes = try FileManager.default.attributesOfItem(atPath: fst)[.size] as! Int
        #expect(abs(snr(adaptive) - snr(task)) < 0.05 && abs(Double(tabledBytes) / Double(adaptiveBytes) - 1) < 0.01,
                "adaptive: \(snr(adaptive)) dB, \(adaptiveBytes) bytes; tables: \(snr(task)) dB, \(tabledBytes) bytes")
        let adaptiveInfo = try featstream(["info", fst])
        #expect(adaptiveInfo.out.contains("steps for 30.0 dB, task-weighted;"), "\(adaptiveInfo.out)")
    }

    /// Transformed step mode as a user runs it: `--transform dct` codes bikes with the model's
    /// frequency weights (within 2x, in the file), decodes to the same shape near the asked
    /// SNR (the weights trade SNR for what the tail notices), says so in info, works under rate
    /// control and with `--weighting mse` (no frequency weights), and refuses what it cannot
    /// go with in one line.
    @Test func transformFromTheCommandLine() throws {
        // pan.mp4 at 2 fps: 8 frames, each run a few seconds.
        let clip = Fixtures.path("pan.mp4"), fst = dir + "/pan.fst", npy = dir + "/pan.npy"
        try #require(try featstream(["features", clip, "--fps", "2", "-o", dir + "/pan-reference.npy", "-q"]).status == 0)
        let reference = try NpyReader.read(dir + "/pan-reference.npy")
        func roundTrip(_ options: [String]) throws -> (tensor: Tensor, info: String) {
            let encode = try featstream(["encode", clip, "--fps", "2", "-o", fst, "-q", "--transform", "dct"] + options)
            try #require(encode.status == 0, "\(encode.err)")
            try #require(try featstream(["decode", fst, "-o", npy, "--quiet"]).status == 0)
            return (try NpyReader.read(npy), try featstream(["info", fst]).out)
        }
        let (decoded, info) = try roundTrip(["--quality", "30"])
        #expect(decoded.shape == reference.shape)
        let snr = Self.snr(reference, decoded)
        #expect(snr > 24 && snr < 30, "--transform dct at 30 dB: SNR \(snr)")
        #expect(info.contains("steps for 30.0 dB on 7x7 DCT tiles or values, table-coded, task-weighted, frequency-weighted"), "\(info)")
        let parameters = try ContainerReader(name: "t", bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: fst)))).parameters
        let weights = try #require(parameters.coding.frequencyWeights)
        #expect(weights.count == 49 && weights.allSatisfy { (0.5...2).contains($0) } && weights[0] < weights[48], "\(weights)")
        let (mse, mseInfo) = try roundTrip(["--quality", "30", "--weighting", "mse"])
        #expect(abs(Self.snr(reference, mse) - 30) < 1.5, "mse: \(Self.snr(reference, mse))")
        #expect(mseInfo.contains("steps for 30.0 dB on 7x7 DCT tiles or values, table-coded, mse;"), "\(mseInfo)")
        let (controlled, controlledInfo) = try roundTrip(["--target-kbps", "300"])
        #expect(controlled.shape == reference.shape && controlledInfo.contains("on 7x7 DCT tiles"), "\(controlledInfo)")
        for (options, message) in [(["--bits", "6", "--transform", "dct"], "--transform dct: codes single-layer step mode"),
                                   (["--quality", "30", "--layers", "2", "--transform", "dct"], "--transform dct: codes single-layer step mode"),
                                   (["--quality", "30", "--entropy", "adaptive", "--transform", "dct"], "--transform dct: codes single-layer step mode"),
                                   (["--transform", "dct"], "--transform dct: codes single-layer step mode"),
                                   (["--quality", "30", "--transform", "wavelet"], "The value 'wavelet' is invalid for '--transform <transform>'")] {
            let result = try featstream(["encode", clip, "--fps", "2", "-q", "-o", dir + "/bad.fst"] + options)
            #expect(result.status != 0 && result.err.contains(message), "\(options): \(result.err)")
        }
    }

    /// Rate control as a user runs it: the per-frame JSON log, the warning line, info's windows,
    /// and one-line errors for options that cannot go together or a bad trace.
    @Test func rateControlFromTheCommandLine() throws {
        let fst = dir + "/rc.fst", trace = dir + "/trace.csv"
        try "seconds,kbit_s\n0,300\n2,60\n".write(toFile: trace, atomically: true, encoding: .utf8)
        // `-` reads the trace from standard input, as everywhere.
        let encode = try featstream(["encode", Fixtures.path("pan.mp4"), "--fps", "5", "--bandwidth", "-", "--json", "-q", "-o", fst],
                                    stdin: URL(fileURLWithPath: trace))
        try #require(encode.status == 0, "\(encode.err)")
        #expect(try featstream(["encode", Fixtures.path("pan.mp4"), "--fps", "5", "--bandwidth", trace, "--json", "-q", "-o", fst]).out == encode.out)
        let log = try JSONSerialization.jsonObject(with: Data(encode.out.utf8)) as! [String: Any]
        let frames = log["frames"] as! [[String: Any]]
        #expect(frames.count == log["admittedFrames"] as! Int && frames.filter { $0["sent"] as! Bool }.count == log["sentFrames"] as! Int)
        #expect(frames.allSatisfy { Set($0.keys) == ["seconds", "sourceFrame", "cut", "sent", "type", "quality", "bytes", "bufferFullness", "fps", "reason"] })
        #expect(frames.contains { ($0["reason"] as? String)?.hasPrefix("budget: frame rate lowered") == true || ($0["reason"] as? String) == "frame rate" })
        let info = try featstream(["info", fst, "--windows"])
        #expect(info.status == 0 && info.out.contains("rate:      per 1 s window: min") && info.out.contains("     3.0 s"), "\(info.out)")
        let infoJSON = try JSONSerialization.jsonObject(with: Data(try featstream(["info", fst, "--json"]).out.utf8)) as! [String: Any]
        #expect((infoJSON["windowKilobitsPerSecond"] as! [Double]).count == 4)
        // A trace over 16 MiB is refused: the first 16 MiB alone were read, a line cut in two
        // taken as a rate (found by outside testing).
        let huge = dir + "/huge.csv"
        try Data(("0,400\n" + String(repeating: "#\n", count: 8 << 20) + "2,1000\n").utf8).write(to: URL(fileURLWithPath: huge))
        // Whether standard input is a device or a regular file (the review's rewrite let the file through).
        for stdin in [nil, URL(fileURLWithPath: Fixtures.path("pan.mp4"))] {
            let both = try Fixtures.run(Fixtures.featstream, ["encode", "-", "--bandwidth", "-", "-q", "-o", fst], stdin: stdin)
            #expect(both.status == 64 && both.err.contains("--bandwidth - and the input - cannot both be standard input"), "\(both.err)")
        }
        // Nor by another name of a piped standard input (found by outside testing).
        for name in ["/dev/stdin", "/dev/fd/0"] {
            let named = try Fixtures.run("/bin/sh", ["-c", "printf '0,200\\n' | \"$0\" encode - --bandwidth \(name) -q -o \"$1\"", Fixtures.featstream, fst])
            #expect(named.status == 64 && named.err.contains("--bandwidth \(name) and the input - cannot both be standard input"), "\(named.err)")
        }
        try "0,100\n1,abc\n".write(toFile: trace, atomically: true, encoding: .utf8)
        for (options, message) in [(["--bandwidth", huge], "huge.csv is over 16 MiB, too large for a trace"),
(["--target-kbps", "100", "--bits", "6"], "rate control codes in step mode"),
                                   (["--target-kbps", "100", "--bandwidth", trace], "choose one of --target-kbps and --bandwidth"),
                                   (["--bandwidth", trace], "trace.csv:2: expected 'seconds,kbit_s'"),
                                   (["--target-kbps", "0"], "--target-kbps: 0.0 is out of range"),
                                   (["--target-kbps", "100", "--buffer-seconds", "0"], "--buffer-seconds: 0.0 is out of range"),
                                   (["--target-kbps", "100", "--json", "-o", "-"], "--json prints to standard output"),
                                   (["--min-quality", "20"], "--buffer-seconds and --min-quality need rate control"),
                                   (["--target-kbps", "100", "--buffer-seconds", "0.05"], "rate control sent no frame: 0.05 s of this link holds 625 bytes"),
                                   (["--target-kbps", "100", "--quality", "10"], "--quality: 10.0 is out of range (--min-quality (18.0) to 120 dB"),
                                   (["--target-kbps", "100", "--min-quality", "120"], "--min-quality: 120.0 is out of range (at most the highest quality, 40.0 dB")] {
            let result = try featstream(["encode", Fixtures.path("pan.mp4"), "-q"] + options + (options.contains("-o") ? [] : ["-o", fst]))
            #expect(result.status != 0 && result.err.contains(message), "\(options): \(result.err)")
        }
    }

    /// Layered files as a user makes and reads them: each layer count decodes at its quality,
    /// the layers cost at most 10 % more than one layer of the same final quality, extract
    /// writes fewer layers or the base layers first without re-encoding, and a file cut in the
    /// refinements still decodes every frame.
    @Test func layersFromTheCommandLine() throws {
        let reference = try reference()
        func snr(_ decoded: Tensor) -> Double { Self.snr(reference, decoded) }
        func size(_ path: String) throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int }
        func decode(_ fst: String, _ options: [String] = []) throws -> (Tensor, String) {
            let npy = dir + "/layers.npy"
            let result = try featstream(["decode", fst, "-o", npy] + options)
            try #require(result.status == 0, "\(result.err)")
            return (try NpyReader.read(npy), result.out)
        }
        let single = dir + "/single.fst", layered = dir + "/layered.fst"
        for (path, options) in [(single, [String]()), (layered, ["--layers", "3"])] {
            let encode = try featstream(["encode", Fixtures.bikes, "--fps", "5", "--quality", "30", "--weighting", "mse", "-q", "-o", path] + options)
            try #require(encode.status == 0, "\(encode.err)")
        }
        let (layeredBytes, singleBytes) = (try size(layered), try size(single))
        #expect(Double(layeredBytes) <= 1.10 * Double(singleBytes), "\(layeredBytes) vs \(singleBytes)")
        let (full, said) = try decode(layered)
        #expect(said.contains("layers decoded per frame: \(reference.shape[0]) with 3 of 3"), "\(said)")
        let snrs = try [1, 2].map { snr(try decode(layered, ["--layers", "\($0)"]).0) } + [snr(full)]
        #expect(abs(snrs[2] - 30) < 1 && snrs[1] - snrs[0] > 6 && snrs[2] - snrs[1] > 6, "\(snrs)")
        let info = try featstream(["info", layered])
        #expect(info.out.contains("steps for 30.0 dB in 3 layers (10.9, 20.5, 30.0 dB)") && info.out.contains("layers:    3, in frames order"), "\(info.out)")
        #expect(info.out.contains("K = 1:  10.9 dB nominal") && info.out.contains("K = 3:  30.0 dB nominal"), "\(info.out)")

        // extract: the base layer alone is what decode --layers 1 gives; the reordered file decodes alike.
        let base = dir + "/base.fst", reordered = dir + "/reordered.fst"
        #expect(try featstream(["extract", layered, "--layers", "1", "-o", base]).status == 0)
        let baseAlone = try decode(base).0.values, firstLayer = try decode(layered, ["--layers", "1"]).0.values
        #expect(baseAlone == firstLayer)
        #expect(try featstream(["info", base]).out.contains("coding:    steps for 10.92 dB,"))
        // info's line for K layers is the file extract --layers K writes; K = 3 is the whole file
        // (its lines summed the layers' packets without index and header, and counted headers in
        // bytes per frame where the size line did not; found by outside testing).
        let frames = reference.shape[0]
        #expect(info.out.contains("K = 1:  10.9 dB nominal, \(String(format: "%6d", frames)) packets, \(String(format: "%9d", try size(base))) bytes,"), "\(info.out)")
        #expect(info.out.contains("K = 2:  20.5 dB nominal, \(String(format: "%6d", 2 * frames)) packets,"), "\(info.out)")
        #expect(info.out.contains("K = 3:  30.0 dB nominal, \(String(format: "%6d", 3 * frames)) packets, \(String(format: "%9d", layeredBytes)) bytes,"), "\(info.out)")
        // --max-output-bytes bounds what is written: the frames of the range at --dtype's size,
        // not every layer decoded nor float32 (found by outside testing).
        let frameValues = reference.values.count / frames
        for (options, bytes) in [(["--frames", "0:2"], 2 * 4 * frameValues), (["--dtype", "float16"], 2 * frames * frameValues)] {
            for (limit, status) in [(bytes, Int32(0)), (bytes - 1, Int32(1))] {
                let result = try featstream(["decode", layered, "-q", "-o", dir + "/limited.npy", "--max-output-bytes", "\(limit)"] + options)
                #expect(result.status == status, "\(options) \(limit): \(result.err)")
            }
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(featstream(["info", layered, "--json"]).out.utf8)) as? [String: Any])
        let readings = try #require(json["layerReadings"] as? [[String: Any]])
        #expect(readings.count == 3 && readings[2]["bytesPerFrame"] as? Double == json["bytesPerFrame"] as? Double
                && readings[2]["kilobitsPerSecond"] as? Double == json["kilobitsPerSecond"] as? Double, "\(readings)")
        let extract = try featstream(["extract", layered, "--order", "layers", "-o", reordered])
        let reorderedBytes = try size(reordered)
        #expect(extract.status == 0 && extract.out.contains("3 of 3 layers") && reorderedBytes == layeredBytes, "\(extract.out)")
        #expect(try featstream(["info", reordered]).out.contains("in layers order"))
        #expect(try decode(reordered).0.values == full.values)
        // Cut in the pass of the last refinements: every frame decodes, none at fewer than 2 layers.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: reordered))
        let cut = dir + "/cut.fst"
        try bytes.prefix(bytes.count * 5 / 6).write(to: URL(fileURLWithPath: cut))
        let (partial, partialSaid) = try decode(cut)
        #expect(partial.shape == full.shape && partialSaid.contains("with 2 of 3") && partialSaid.contains("with 3 of 3") && !partialSaid.contains("lost"), "\(partialSaid)")
        // The timestamps say which frames got which layers, as the summary line counts them.
        let stamps = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/layers.timestamps.json"))) as? [String: Any])
        let layersPerFrame = try #require((stamps["frames"] as? [[String: Any]])?.map { $0["layers"] as? Int })
        #expect(partialSaid.contains("\(layersPerFrame.filter { $0 == 2 }.count) with 2 of 3, \(layersPerFrame.filter { $0 == 3 }.count) with 3 of 3"), "\(layersPerFrame)")
        #expect(layersPerFrame.count == partial.shape[0] && layersPerFrame.allSatisfy { $0 == 2 || $0 == 3 })

        for (options, message) in [(["--layers", "3"], "--layers: layered coding is step mode (give --quality)"),
                                   (["--quality", "30", "--layers", "9"], "--layers: 9 is out of range (1 to 8 layers)"),
                                   (["--quality", "30", "--layers", "0"], "--layers: 0 is out of range (1 to 8 layers)"),
                                   (["--bits", "6", "--weighting", "mse"], "--weighting: weighs step mode's distortion"),
                                   (["--quality", "18", "--layers", "3"], "--layers: 3 is out of range (at most 2 layers at 18.00 dB"),
                                   (["--quality", "30", "--target-kbps", "200", "--layers", "2"], "--layers is for delivery that is not real time"),
                                   (["--target-kbps", "200", "--layers", "2"], "--layers is for delivery that is not real time"),
                                   (["--quality", "30", "--layers", "2", "--entropy", "tables"], "--entropy: chooses the coder of single-layer step mode"),
                                   (["--bits", "6", "--entropy", "adaptive"], "--entropy: chooses the coder of single-layer step mode"),
                                   (["--entropy", "adaptive"], "--entropy: chooses the coder of single-layer step mode"),
                                   // Accepted and ignored before (found by outside testing).
                                   (["--quality", "30", "--dead-zone", "1"], "--dead-zone: shapes level mode's bins (--bits, --levels), not --quality"),
                                   (["--fp16", "--clip", "5"], "--clip: shapes level mode's bins (--bits, --levels), not --quality"),
                                   (["--target-kbps", "200", "--clip", "5"], "--clip: shapes level mode's bins (--bits, --levels); rate control codes in step mode")] {
            let result = try featstream(["encode", Fixtures.bikes, "--fps", "5", "-q", "-o", dir + "/bad.fst"] + options)
            #expect(result.status != 0 && result.err.hasPrefix("Error: " + message), "\(options): \(result.err)")
        }
        let badExtract = try featstream(["extract", layered, "--layers", "0", "-o", dir + "/x.fst"])
        #expect(badExtract.status != 0 && badExtract.err.contains("--layers: 0 is out of range"))

        // extract of a file with a damaged refinement says that the frames without it keep fewer
        // layers, which readers of its output report (the output looked damaged without a word).
        var damagedBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: layered)))
        var refinement: Int?
        try ContainerReader(name: "l", bytes: damagedBytes).walk { event in
            if case .packet(let header, let payload, _) = event, header.layer == 1, header.sequence == 10 { refinement = payload.startIndex }
            return refinement == nil
        }
        damagedBytes[try #require(refinement) + 2] ^= 0xff
        let damaged = dir + "/damaged.fst", clean = dir + "/clean.fst"
        try Data(damagedBytes).write(to: URL(fileURLWithPath: damaged))
        let cleaned = try featstream(["extract", damaged, "-o", clean])
        #expect(cleaned.status == 0 && cleaned.err.contains("refinement packets that would not decode (damaged, or predicted from what was); "
                                                             + "the frames without them have fewer layers, as readers of the output will say"), "\(cleaned.err)")
        #expect(try featstream(["info", clean]).err.contains("no packet of layer 1 found for frames 10-"))
    }

    @Test func sameInputSameFileAndPipeOutput() throws {
        let a = dir + "/a.fst", b = dir + "/b.fst"
        try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "10", "-o", a, "-q"])
        try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "10", "-o", b, "-q"])
        let first = try Data(contentsOf: URL(fileURLWithPath: a))
        #expect(first == (try Data(contentsOf: URL(fileURLWithPath: b))))
        let piped = try Fixtures.run(Fixtures.featstream, ["encode", Fixtures.path("scenes.mp4"), "--fps", "10", "-o", "-", "-q"])
        #expect(piped.status == 0 && piped.out == first)
    }

    /// A stream read from standard input (`-`) or a named pipe decodes as the file does, and
    /// `info` and `extract` read `-` too.
    @Test func streamsAreReadFromStandardInputAndPipes() throws {
        let fst = dir + "/s.fst", fifo = dir + "/fifo"
        try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "5", "-o", fst, "-q"])
        try featstream(["decode", fst, "-o", dir + "/file.npy", "-q"])
        let piped = try Fixtures.run(Fixtures.featstream, ["decode", "-", "-o", dir + "/piped.npy", "-q"], stdin: URL(fileURLWithPath: fst))
        #expect(piped.status == 0, "\(piped.err)")
        try #require(mkfifo(fifo, 0o600) == 0)
        let writer = Thread { try? FileHandle(forWritingAtPath: fifo)?.write(contentsOf: Data(contentsOf: URL(fileURLWithPath: fst))) }
        writer.start()
        #expect(try featstream(["decode", fifo, "-o", dir + "/fifo.npy", "-q"]).status == 0)
        let file = try Data(contentsOf: URL(fileURLWithPath: dir + "/file.npy"))
        let (viaStdin, viaFifo) = (try Data(contentsOf: URL(fileURLWithPath: dir + "/piped.npy")), try Data(contentsOf: URL(fileURLWithPath: dir + "/fifo.npy")))
        #expect(viaStdin == file && viaFifo == file)
        let info = try Fixtures.run(Fixtures.featstream, ["info", "-"], stdin: URL(fileURLWithPath: fst))
        #expect(info.status == 0 && String(decoding: info.out, as: UTF8.self).hasPrefix("-: featstream format 1."))
        let extracted = try Fixtures.run(Fixtures.featstream, ["extract", "-", "-o", "-"], stdin: URL(fileURLWithPath: fst))
        let original = try Data(contentsOf: URL(fileURLWithPath: fst))
        #expect(extracted.status == 0 && extracted.out == original)
        // Endless input that is not a stream is refused at its first bytes, not read to the end.
        let random = try featstream(["info", "/dev/urandom"])
        #expect(random.status == 1 && random.err == "featstream: /dev/urandom: not a featstream file (no FEATSTRM magic)\n")
        // A file cut inside its header, or empty, says so (both were "not a featstream file";
        // found by outside testing).
        let cut = dir + "/cut.fst", empty = dir + "/empty.fst"
        try original.prefix(12).write(to: URL(fileURLWithPath: cut))
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(try featstream(["info", cut]).err == "featstream: \(cut): damaged file header (the file ends at byte 12, inside the header)\n")
        #expect(try featstream(["decode", empty, "-o", dir + "/e.npy"]).err == "featstream: \(empty): an empty file\n")
    }

    /// A stream larger than featstream may hold (a third of the address space here: `ulimit -v`
    /// of 1 GiB), as a file or as endless standard input, is refused in one line: the file
    /// aborted in an allocation with a backtrace, and the input grew until Foundation's error
    /// text (found by outside testing). The same stream, small, still decodes under the limit.
    @Test func aStreamLargerThanMemoryIsRefused() throws {
        let fst = dir + "/s.fst", large = dir + "/large.fst"
        try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "5", "-o", fst, "-q"])
        try FileManager.default.copyItem(atPath: fst, toPath: large)
        try #require(truncate(large, 1 << 30) == 0)  // sparse: no disk
        let limited = "ulimit -v 1048576; exec \"$0\" \"$@\""
        let held = "0.36 GB: a third of the memory or address space; it reads a stream whole)\n"
        let file = try Fixtures.run("/bin/sh", ["-c", limited, Fixtures.featstream, "info", large])
        #expect(file.status == 1 && file.err == "featstream: \(large): is 1.07 GB, more than featstream can hold here (\(held)", "\(file.err)")
        let endless = try Fixtures.run("/bin/sh", ["-c", "ulimit -v 1048576; cat \"$1\" /dev/zero | \"$0\" decode - -o \"$2\"", Fixtures.featstream,
                                                   fst, dir + "/x.npy"])
        #expect(endless.status == 1 && endless.err == "featstream: -: goes on past 0.36 GB, more than featstream can hold here (\(held)", "\(endless.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.npy"))
        #expect(try Fixtures.run("/bin/sh", ["-c", limited, Fixtures.featstream, "decode", fst, "-o", dir + "/x.npy", "-q"]).status == 0)
    }

    /// A static scene: after the first frame, heartbeat P-frames cost a small fraction of it.
    @Test func staticSceneCodesSmallPredictedFrames() throws {
        let fst = dir + "/static.fst"
        try featstream(["encode", Fixtures.path("static.mp4"), "-o", fst, "-q", "--max-gap", "0.2", "--gop", "10"])
        let reader = try ContainerReader(path: fst)
        var sizes: [(FrameType, Int)] = []
        reader.walk { event in
            if case .packet(let header, let payload, _) = event { sizes.append((header.type, payload.count)) }
            return true
        }
        #expect(sizes.count >= 25 && sizes[0].0 == .intra)
        let intra = sizes[0].1
        let predicted = sizes.dropFirst().filter { $0.0 == .predicted }.map(\.1)
        #expect(predicted.count == sizes.count - 1)
        #expect(predicted.allSatisfy { $0 * 5 < intra }, "I \(intra) bytes, P \(predicted)")
    }

    @Test func infoDescribesTheStream() throws {
        let fst = dir + "/info.fst"
        try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "10", "--bits", "6", "-o", fst, "-q"])
        let result = try featstream(["info", fst, "--json"])
        let info = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(info["frames"] as? Int == info["indexEntries"] as? Int)
        #expect((info["intraFrames"] as? Int ?? 0) >= 4)  // the first frame and three cuts
        let parameters = try #require(info["parameters"] as? [String: Any])
        #expect((parameters["model"] as? [String: Any])?["checkpointSHA256"] as? String
                == "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889")
        #expect(parameters["shape"] as? [Int] == [32, 28, 28])
        // kbit/s: the whole file over the seconds of source video it covers (its decoded frames'
        // span plus one frame interval), computed here from the file size and ffprobe's frame times.
        let probe = try Fixtures.run(Fixtures.which("ffprobe"), ["-v", "error", "-select_streams", "v", "-show_entries",
                                                                 "frame=best_effort_timestamp_time", "-of", "csv=p=0", Fixtures.path("scenes.mp4")])
        let times = String(decoding: probe.out, as: UTF8.self).split(separator: "\n").compactMap { $0.split(separator: ",").first.flatMap { Double($0) } }
        let bytes = try #require(try FileManager.default.attributesOfItem(atPath: fst)[.size] as? Int)
        let n = Double(times.count)
        let expected = Double(bytes) * 8 / ((times.last! - times.first!) * n / (n - 1)) / 1000
        let reported = try #require(info["kilobitsPerSecond"] as? Double)
        #expect(times.count == 141 && abs(reported - expected) < 1e-6 * expected, "info \(reported), computed \(expected)")
        // encode prints the same figure.
        let encode = try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "10", "--bits", "6", "-o", fst])
        #expect(encode.out.contains(String(format: "%.1f kbit/s", expected)), "\(encode.out)")
    }

    /// --dead-zone reaches the quantizer: more values land on the level nearest zero.
    @Test func deadZoneReachesTheQuantizer() throws {
        func zeros(_ deadZone: String) throws -> Int {
            let fst = dir + "/dz\(deadZone).fst", npy = dir + "/dz\(deadZone).npy"
            try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "5", "--bits", "4", "--dead-zone", deadZone, "-o", fst, "-q"])
            try featstream(["decode", fst, "-o", npy, "-q"])
            let info = try featstream(["info", fst, "--json"])
            #expect(info.out.contains("\"deadZone\" : \(deadZone)"))
            // In each channel of each frame the most frequent value is its zero level's: count them.
            let values = try NpyReader.read(npy).values, plane = 28 * 28
            return stride(from: 0, to: values.count, by: plane).reduce(0) { total, start in
                total + (Dictionary(grouping: values[start..<(start + plane)], by: { $0 }).values.map(\.count).max() ?? 0)
            }
        }
        let plain = try zeros("0"), wide = try zeros("1")
        #expect(wide > plain + plain / 10, "zero-level values: \(plain) without, \(wide) with --dead-zone 1")
    }

    @Test func damagedStreamsAreReportedNotHidden() throws {
        let fst = dir + "/d.fst"
        try featstream(["encode", Fixtures.path("scenes.mp4"), "--fps", "10", "-o", fst, "-q"])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fst)))
        let cut = dir + "/cut.fst"
        try Data(bytes.prefix(bytes.count * 2 / 3)).write(to: URL(fileURLWithPath: cut))
        let truncated = try featstream(["decode", cut, "-o", dir + "/cut.npy"])
        #expect(truncated.status == 0 && truncated.err.contains("file ends inside the packet of frame"), "\(truncated.err)")
        // Cut inside the first packet: nothing to decode or extract, and no file that looks valid.
        let header = try ContainerReader(path: fst).firstPacket
        try Data(bytes.prefix(header + 20)).write(to: URL(fileURLWithPath: cut))
        for (command, output) in [("decode", dir + "/none.npy"), ("extract", dir + "/none.fst")] {
            let nothing = try featstream([command, cut, "-o", output])
            #expect(nothing.status == 1 && nothing.err.split(separator: "\n").count == 1 && !FileManager.default.fileExists(atPath: output),
                    "\(command): \(nothing.err)")
        }

        let notAStream = try featstream(["decode", Fixtures.path("bad/text.mp4"), "-o", dir + "/x.npy"])
        #expect(notAStream.status == 1 && notAStream.err.split(separator: "\n").count == 1)
        #expect(notAStream.err.contains("not a featstream file") && !FileManager.default.fileExists(atPath: dir + "/x.npy"))

        // An encode that fails leaves no output that looks whole.
        let failed = try featstream(["encode", Fixtures.path("bad/empty.mp4"), "-o", dir + "/empty.fst"])
        #expect(failed.status == 1 && !FileManager.default.fileExists(atPath: dir + "/empty.fst"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/empty.fst.partial"))
    }

    /// Values beyond float16's range (a head's activations can reach 2e5) become ±65504, with a
    /// warning, under `--fp16` and `decode --dtype float16`; they were made infinite without a
    /// word (found by outside testing).
    @Test func float16SaturatesAndSaysSo() throws {
        let values: [Float] = [1e5, -2e5, 65504, 3.5, -1, 0, 7e4, 1e-3]
        // The second frame holds one value, whose bits cost less alone than as a difference from
        // the first frame's: its P-frame attempt falls back to an I-frame, whose values were
        // counted twice before.
        let tensors = [Tensor(shape: [2, 2, 2], values: values), Tensor(shape: [2, 2, 2], values: [Float](repeating: -1e5, count: 8))]
        func stream(_ precision: CodingSettings.Precision) throws -> (bytes: [UInt8], summary: StreamEncoder.Summary) {
            var coding = CodingSettings()
            coding.precision = precision
            let parameters = ParameterSet.synthetic(shape: tensors[0].shape, coding: coding, seconds: 0.4)
            let sink = MemorySink()
            let encoder = try StreamEncoder(parameters: parameters, sink: sink)
            for (t, tensor) in tensors.enumerated() {
                try encoder.append(tensor, at: .init(sourceFrame: t, pts: Int64(t), timeBase: (1, 5), seconds: Double(t) / 5, admission: t == 0 ? .cut : .changed))
            }
            return (sink.bytes, try encoder.finish(sourceSeconds: 0.4))
        }
        let saturated: [Float] = [65504, -65504, 65504, 3.5, -1, 0, 65504, Float(Float16(Float(1e-3)))]
        let expected = saturated + [Float](repeating: -65504, count: 8)
        let half = try stream(.float16)
        #expect(half.summary.intraFrames == 2 && half.summary.saturatedValues == 3 + 8)
        let lossless = dir + "/big.fst", npy = dir + "/big.npy"
        for (bytes, dtype) in [(half.bytes, "float32"), (try stream(.float32).bytes, "float16")] {
            try Data(bytes).write(to: URL(fileURLWithPath: lossless))
            let decoded = try featstream(["decode", lossless, "--dtype", dtype, "-q", "-o", npy])
            #expect(decoded.status == 0)
            #expect(try NpyReader.read(npy).values == expected)
            let warned = decoded.err.contains("11 values beyond float16's range were written as ±65504")
            #expect(warned == (dtype == "float16"), "\(decoded.err)")
        }
    }

    /// A one-frame input (a photo) covers one frame interval of source, so its bitrate is known
    /// (it read as 0 s and "- kbit/s"; found by outside testing).
    @Test func aPhotoHasABitrate() throws {
        let fst = dir + "/photo.fst"
        let encoded = try featstream(["encode", Fixtures.footage + "/chelsea.png", "--bits", "6", "-o", fst])
        #expect(encoded.status == 0 && encoded.out.contains(" kbit/s over 0.04 s of source"), "\(encoded.out)")
        let info = try featstream(["info", fst])
        #expect(info.out.contains(" kbit/s over 0.04 s of source"), "\(info.out)")
    }
}
