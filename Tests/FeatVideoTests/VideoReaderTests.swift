import FeatVideo
import Foundation
import TestSupport
import Testing

@Suite struct VideoReaderTests {
    @Test(arguments: Fixtures.clips.map(\.file))
    func decodesEveryFrameInOrder(file: String) throws {
        let clip = Fixtures.clip(file)
        let (frames, reader) = try Fixtures.readAll(Fixtures.path(file))
        #expect(frames.count == clip.frames)
        #expect(frames.map(\.index) == Array(0..<clip.frames))
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.pts < $1.pts })
        #expect(frames.allSatisfy { $0.rgb.count == 224 * 224 * 3 && !$0.isDamaged })
        #expect(reader.damagedFrames == 0 && reader.rejectedPackets == 0)
        #expect(reader.info.width == clip.width && reader.info.height == clip.height)
        if let fps = clip.fps { #expect(reader.info.frameRate == fps) }
    }

    /// Timestamps agree exactly with ffprobe's best-effort timestamps (the ffmpeg CLI's choice).
    @Test(arguments: ["vfr.mkv", "ntsc.mp4", "scenes.mp4"])
    func timestampsMatchFFprobe(file: String) throws {
        let probe = try Fixtures.run(Fixtures.which("ffprobe"), [
            "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp",
            "-of", "csv=p=0", Fixtures.path(file)])
        try #require(probe.status == 0)
        let expected = String(decoding: probe.out, as: UTF8.self).split(whereSeparator: \.isNewline)
            .compactMap { Int64($0.split(separator: ",")[0]) }
        let frames = try Fixtures.readAll(Fixtures.path(file)).frames
        #expect(frames.map(\.pts) == expected)
    }

    /// Two transport streams joined (`cat a.ts a.ts`): the timestamps jump back at the join.
    /// The second timeline continues a frame after the first, once, and the gate decides its
    /// frames as it does the first's; pinned to the last timestamp, all of them had been one
    /// instant, decimated, their cuts lost (found by outside testing).
    @Test func joinedStreamsContinueTheTimeline() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("joined-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let single = folder.appendingPathComponent("scenes.ts").path, joined = folder.appendingPathComponent("joined.ts").path
        let made = try Fixtures.run(Fixtures.which("ffmpeg"), ["-v", "error", "-i", Fixtures.path("scenes.mp4"), "-c", "copy", "-f", "mpegts", single])
        try #require(made.status == 0, "\(made.err)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: single))
        try (bytes + bytes).write(to: URL(fileURLWithPath: joined))

        let (once, onceReader) = try Fixtures.readAll(single)
        let (twice, reader) = try Fixtures.readAll(joined)
        #expect(onceReader.timestampJumps == 0 && reader.timestampJumps == 1)
        try #require(twice.count == 2 * once.count)
        #expect(zip(twice, twice.dropFirst()).allSatisfy { $0.pts < $1.pts })
        // The second copy is the first moved by one span plus a frame, timestamp for timestamp.
        let frame = once[1].pts - once[0].pts
        let shift = once.last!.pts + frame - once[0].pts
        #expect(twice[once.count...].map(\.pts) == once.map { $0.pts + shift })
        // And the gate decides it alike: its first frame is a cut (the picture jumps back), the rest as before.
        let first = try Fixtures.select(single), both = try Fixtures.select(joined)
        try #require(both.count == 2 * first.count)
        #expect(both[first.count].decision == .cut)
        #expect(both[(first.count + 1)...].map(\.decision) == first.dropFirst().map(\.decision))
    }

    @Test func ntscTimesAreExactRationals() throws {
        let frames = try Fixtures.readAll(Fixtures.path("ntsc.mp4")).frames
        for frame in frames {
            #expect(frame.time == Rational(Int64(frame.index) * 1001, 30000))
        }
    }

    /// The 224 x 224 RGB bytes equal `ffmpeg -vf scale=224:224 -pix_fmt rgb24` for every frame,
    /// including autorotation, 10-bit 4:4:4 at an odd size, VFR and real footage.
    @Test(arguments: ["scenes.mp4", "rotated.mp4", "rotated-270.mp4", "rotated-180.mp4", "odd-444p10.mkv", "vfr.mkv", "ntsc.mp4", "bikes"])
    func rgbMatchesTheFFmpegCLI(file: String) throws {
        let path = file == "bikes" ? Fixtures.bikes : Fixtures.path(file)
        let reference = try Fixtures.run(Fixtures.which("ffmpeg"), [
            "-v", "error", "-i", path, "-vf", "scale=224:224", "-pix_fmt", "rgb24",
            "-fps_mode", "passthrough", "-f", "rawvideo", "-"])
        try #require(reference.status == 0, "\(reference.err)")
        let frames = try Fixtures.readAll(path).frames
        let ours = frames.reduce(into: Data()) { $0.append(contentsOf: $1.rgb) }
        #expect(ours.count == reference.out.count)
        #expect(ours == reference.out)
    }

    @Test func rotationIsReportedAndApplied() throws {
        let reader = try VideoReader(Fixtures.path("rotated.mp4"))
        #expect(reader.info.rotation == 90)
        #expect(reader.info.displayWidth == 180 && reader.info.displayHeight == 320)
        // Without autorotation the picture differs: the rotation really is applied.
        let unrotated = try Fixtures.run(Fixtures.which("ffmpeg"), [
            "-v", "error", "-noautorotate", "-i", Fixtures.path("rotated.mp4"), "-frames:v", "1",
            "-vf", "scale=224:224", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"])
        let first = try #require(try reader.next())
        #expect(Data(first.rgb) != unrotated.out)
    }

    @Test func tenBitFourFourFourIsDescribed() throws {
        let info = try VideoReader(Fixtures.path("odd-444p10.mkv")).info
        #expect(info.pixelFormat == "yuv444p10le" && info.bitDepth == 10)
        #expect(info.width == 97 && info.height == 61 && info.codec == "ffv1")
    }

    @Test func damagedStreamDecodesAndCountsDamage() throws {
        let (frames, reader) = try Fixtures.readAll(Fixtures.path("bad/flipped.h264"))
        #expect(frames.count == 50)
        #expect(reader.damagedFrames > 0 && reader.damagedFrames < 20)
        #expect(frames.filter(\.isDamaged).count == reader.damagedFrames)
    }

    /// A file cut short (its index, first, declares more than is there) is read to where it
    /// ends and says so; whole files do not (an MP4 cut at 40 % said only "1 packets rejected";
    /// found by outside testing).
    @Test func aTruncatedFileIsShortOfWhatItDeclares() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("scenes.mp4")))
        try withExtendedLifetime(ScratchFolder()) { folder in
            let cut = folder.file("cut.mp4")
            try whole.prefix(whole.count * 6 / 10).write(to: URL(fileURLWithPath: cut))
            let (frames, reader) = try Fixtures.readAll(cut)
            let short = try #require(reader.shortOfDeclared)
            #expect(frames.count > 30 && frames.count < 120 && abs(short.declared - 4.7) < 0.05 && short.decoded < 3.7, "\(frames.count) frames, \(short)")
            let result = try Fixtures.run(Fixtures.featstream, ["frames", "--no-model", "--quiet", cut])
            #expect(result.status == 0 && result.err.contains("the video ends after \(String(format: "%.2f", short.decoded)) s of the 4.70 s its stream declares"),
                    "\(result.err)")
        }
        for clip in ["scenes.mp4", "vfr.mkv", "ntsc.mp4"] { #expect(try Fixtures.readAll(Fixtures.path(clip)).reader.shortOfDeclared == nil, "\(clip)") }
    }

    /// With one decoder thread the damage count is exact, run after run: FFmpeg's frame
    /// threads can hand on a reordered picture before its own thread has flagged it.
    @Test func oneThreadCountsEveryDamagedFrame() throws {
        VideoReader.setFFmpegLogging(verbose: false)
        let reader = try VideoReader(Fixtures.path("bad/flipped.h264"), threads: 1)
        var damaged: [Int] = []
        while let frame = try reader.next() { if frame.isDamaged { damaged.append(frame.index) } }
        #expect(damaged == [18, 20, 27, 29, 30] && reader.damagedFrames == 5, "\(damaged)")
    }

    @Test func badInputsGiveTypedErrors() {
        let cases: [(String, VideoError)] = [
            ("bad/empty.mp4", .emptyFile(Fixtures.path("bad/empty.mp4"))),
            ("bad/audio-only.m4a", .noVideoStream(Fixtures.path("bad/audio-only.m4a"))),
            ("bad/cover-art.mp3", .noVideoStream(Fixtures.path("bad/cover-art.mp3"))),
            ("no-such-file.mp4", .noSuchFile(Fixtures.path("no-such-file.mp4"))),
            ("bad", .isDirectory(Fixtures.path("bad"))),
            ("bad/truncated.mp4", .mp4WithoutIndex(Fixtures.path("bad/truncated.mp4"))),
        ]
        for (file, expected) in cases {
            #expect(throws: expected) { _ = try VideoReader(Fixtures.path(file)) }
        }
        for file in ["bad/text.mp4"] {
            #expect {
                _ = try VideoReader(Fixtures.path(file))
            } throws: { error in
                if case .unreadableContainer(let name, _) = error as? VideoError { return name == Fixtures.path(file) }
                return false
            }
        }
    }
}
