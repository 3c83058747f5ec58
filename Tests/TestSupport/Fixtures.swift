import FeatVideo
import Foundation

/// Paths to the committed fixtures, their ground truth, and the fetched real footage.
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    public static let media = root.appendingPathComponent("Media")

    public struct Clip: Decodable, Sendable {
        public let file: String
        public let frames: Int
        public let fps: String?
        public let width: Int
        public let height: Int
        public let cuts: [Int]
        public let flash: [Int]?
        public let fade: [Int]?
        /// First and last frame of something moving, and of a scene standing still.
        public let moving: [Int]?
        public let still: [Int]?
        public let rotation: Int?
        public let pixelFormat: String?
    }

    struct Truth: Decodable { let clips: [Clip] }

    public static let clips: [Clip] = {
        let data = try! Data(contentsOf: media.appendingPathComponent("fixtures.json"))
        return try! JSONDecoder().decode(Truth.self, from: data).clips
    }()

    public static func clip(_ file: String) -> Clip { clips.first { $0.file == file }! }
    public static func path(_ file: String) -> String { media.appendingPathComponent(file).path }

    /// The cache the set-up fills ($FEATSTREAM_HOME, default ~/.cache/featstream).
    public static var home: String {
        ProcessInfo.processInfo.environment["FEATSTREAM_HOME"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/featstream").path
    }

    /// Real footage and photos, fetched by `make footage` (Tools/fetch-footage).
    public static var footage: String { home + "/footage" }

    /// bikes.mp4, fetched by `make footage` (Tools/fetch-footage) into the cache.
    public static var bikes: String { footage + "/bikes.mp4" }

    public static func readAll(_ path: String) throws -> (frames: [VideoFrame], reader: VideoReader) {
        VideoReader.setFFmpegLogging(verbose: false)
        let reader = try VideoReader(path)
        var frames: [VideoFrame] = []
        while let frame = try reader.next() { frames.append(frame) }
        return (frames, reader)
    }

    public static func select(_ path: String, settings: GateSettings = GateSettings()) throws -> [SelectedFrame] {
        VideoReader.setFFmpegLogging(verbose: false)
        let reader = try VideoReader(path)
        var gate = SceneChangeGate(settings: settings)
        var selected: [SelectedFrame] = []
        while let frame = try reader.next() { selected += gate.push(frame) }
        return selected + gate.finish()
    }

    /// Runs a program and returns its exit status, stdout and stderr.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], stdin: URL? = nil, environment: [String: String] = [:]
    ) throws -> (status: Int32, out: Data, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
        try process.run()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        let errData = Box()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, outData, String(decoding: errData.data, as: UTF8.self))
    }

    private final class Box: @unchecked Sendable { var data = Data() }

    public static func which(_ program: String) -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/\(program)"
    }
}

extension Fixtures {
    /// The release build of the fuzzers (`make test` builds it first), or $FEATSTREAM_FUZZ.
    public static var fuzzer: String {
        ProcessInfo.processInfo.environment["FEATSTREAM_FUZZ"] ?? root.appendingPathComponent(".build/release/featstream-fuzz").path
    }

    /// The featstream executable built beside the test binary (or $FEATSTREAM_BIN).
    public static var featstream: String {
        if let path = ProcessInfo.processInfo.environment["FEATSTREAM_BIN"] { return path }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("featstream").path
    }
}
