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
        ("bad/truncated.mp4", "not a video container FFmpeg can read"),
        ("bad/audio-only.m4a", "has no video stream"),
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

    @Test func damagedInputDecodesWithAWarning() throws {
        let result = try featstream("frames", "--quiet", Fixtures.path("bad/flipped.h264"))
        #expect(result.status == 0)
        #expect(result.out.contains("decoded 50 frames"))
        let lines = result.err.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("featstream: warning: \(Fixtures.path("bad/flipped.h264")): ") == true)
        #expect(result.err.contains("damaged frames"))
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

    @Test func opensURLs() throws {
        let result = try featstream("frames", "--quiet", "file://" + Fixtures.path("ntsc.mp4"))
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("decoded 90 frames"))
    }

    @Test func framesJSONHasEveryFrameAndTheSummary() throws {
        let result = try featstream("frames", "--json", "--fps", "10", Fixtures.path("scenes.mp4"))
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let frames = try #require(json["frames"] as? [[String: Any]])
        #expect(frames.count == 141)
        #expect(frames.compactMap { $0["index"] as? Int } == Array(0..<141))
        #expect(frames.filter { $0["decision"] as? String == "cut" }.compactMap { $0["index"] as? Int } == [0, 36, 66, 108])
        #expect(frames.filter { $0["decision"] as? String == "decimated" }.count == 94)
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["decoded"] as? Int == 141 && summary["cuts"] as? Int == 4)
        #expect((json["input"] as? [String: Any])?["codec"] as? String == "h264")
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
    }
}
