import CFFmpeg
import Foundation

/// Demuxes and decodes the best video stream of an input with FFmpeg's libraries and hands
/// out frames one at a time, so memory stays flat however long the input is.
///
/// Inputs: a file path, "-" for standard input, or any URL FFmpeg can open.
public final class VideoReader {
    /// The name used in messages ("stdin" for "-").
    public let name: String
    /// The input as given: a path, "-" or a URL.
    public let input: String
    /// What the input is (container, codec, size, rate, duration), as `featstream probe` prints it.
    public let info: VideoInfo
    /// Frames the decoder flagged as corrupt (rejected packets are `rejectedPackets`).
    public private(set) var damagedFrames = 0
    /// Packets skipped as invalid data, by the demuxer or the decoder.
    public private(set) var rejectedPackets = 0
    /// Times the timestamps jumped back to a new timeline, which then continued from the frame before.
    public private(set) var timestampJumps = 0
    /// What the timestamps are moved by since the last such jump.
    private var ptsShift: Int64 = 0
    /// Frames handed out by `next()` so far.
    public private(set) var decodedFrames = 0
    /// Once the input is read to its end: the seconds of video decoded and the stream's declared
    /// duration, when over a second and a tenth of it more was declared (a truncated file: an
    /// MP4 cut at 40 % decoded its first 3.9 s of 10 and said only "1 packets rejected").
    public private(set) var shortOfDeclared: (decoded: Double, declared: Double)?
    /// The video stream's own declared duration in seconds (the container's may count audio).
    private let declaredSeconds: Double?
    private var firstPts: Int64?

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private let streamIndex: Int32
    private let timeBase: AVRational
    private let rotation: Rotation
    private let threads: Int
    private var scaler: FrameScaler?
    private var packet = av_packet_alloc()
    private var decoded = av_frame_alloc()
    private var scaled = av_frame_alloc()
    private var demuxerDone = false
    private var pipedMP4 = false
    private var packetsRead = 0
    private var scalerFlushed = false
    private var lastPts: Int64?
    private var frameDuration: Int64

    /// The FFmpeg libraries in use, e.g. "libavformat 59.27.100, libavcodec 59.37.100".
    public static var ffmpegVersions: String {
        func text(_ name: String, _ v: UInt32) -> String { "\(name) \(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)" }
        return [text("libavformat", avformat_version()), text("libavcodec", avcodec_version()),
                text("libavfilter", avfilter_version()), text("libswscale", swscale_version())].joined(separator: ", ")
    }

    /// Stops FFmpeg's own logging: featstream reports problems itself, in one line each.
    public static func setFFmpegLogging(verbose: Bool) {
        av_log_set_level(verbose ? AV_LOG_WARNING : AV_LOG_QUIET)
    }

    /// The most decoder threads a reader takes: 4 per core, at least 16.
    public static let maxThreads = max(16, 4 * ProcessInfo.processInfo.activeProcessorCount)

    /// Checks a decoder thread count (0: one per core) before anything is opened.
    public static func validate(threads: Int) throws {
        guard (0...maxThreads).contains(threads) else {
            throw VideoError.invalidOption("--threads: \(threads) is out of range (0 for one per core, up to \(maxThreads))")
        }
    }

    /// Opens `input` (a path, "-" for standard input, or a URL) and its decoder; `threads` 0: one per core.
    public init(_ input: String, threads: Int = 0) throws {
        name = input == "-" ? "stdin" : input
        self.input = input
        try VideoReader.validate(threads: threads)
        let url = try VideoReader.url(for: input)
        guard packet != nil, decoded != nil, scaled != nil else { throw VideoError.readFailed(name, cause: "out of memory") }

        var status = avformat_open_input(&format, url, nil, nil)
        guard status >= 0, let format else {
            if status == FS_AVERROR_INVALIDDATA, input != "-", VideoReader.startsLikeMP4(input) {
                throw VideoError.mp4WithoutIndex(name)
            }
            throw VideoError.unreadableContainer(name, cause: ffmpegMessage(status))
        }
        // An MP4 read from a pipe whose index (moov) comes after the media data: the demuxer
        // found the index at the end and cannot go back for the frames.
        pipedMP4 = format.pointee.pb != nil && format.pointee.pb.pointee.seekable == 0
            && String(cString: format.pointee.iformat.pointee.name).contains("mp4")
        status = avformat_find_stream_info(format, nil)
        guard status >= 0 else {
            throw VideoError.unreadableContainer(name, cause: ffmpegMessage(status))
        }
        var codec: UnsafePointer<AVCodec>?
        status = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        if status == FS_AVERROR_STREAM_NOT_FOUND { throw VideoError.noVideoStream(name) }
        if status == FS_AVERROR_DECODER_NOT_FOUND || (status >= 0 && codec == nil) {
            let index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
            let id = index >= 0 ? format.pointee.streams[Int(index)]!.pointee.codecpar.pointee.codec_id : AV_CODEC_ID_NONE
            throw VideoError.noDecoder(name, codec: String(cString: avcodec_get_name(id)))
        }
        guard status >= 0 else { throw VideoError.unreadableContainer(name, cause: ffmpegMessage(status)) }
        // Cover art is a one-picture "video" stream of an audio file (it read as 1 frame at
        // 90000 fps; found by outside testing). A file with real video picks that.
        if format.pointee.streams[Int(status)]!.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 { throw VideoError.noVideoStream(name) }
        streamIndex = status
        let stream = format.pointee.streams[Int(streamIndex)]!
        // Its pictures out of reach, such an MP4 leaves the stream's pixel format unknown:
        // refused here, `probe` too (it described "h264, unknown, 0-bit" and exited 0).
        if pipedMP4 && stream.pointee.codecpar.pointee.format < 0 { throw VideoError.mp4IndexAtEnd(name) }
        timeBase = stream.pointee.time_base
        declaredSeconds = stream.pointee.duration != FS_AV_NOPTS_VALUE ? Double(stream.pointee.duration) * av_q2d(timeBase) : nil
        rotation = Rotation(stream: stream)
        self.threads = threads

        decoder = avcodec_alloc_context3(codec)
        guard let decoder else { throw VideoError.decoderFailed(name, cause: "out of memory") }
        status = avcodec_parameters_to_context(decoder, stream.pointee.codecpar)
        guard status >= 0 else { throw VideoError.decoderFailed(name, cause: ffmpegMessage(status)) }
        decoder.pointee.pkt_timebase = timeBase
        decoder.pointee.thread_count = Int32(threads)
        decoder.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        status = avcodec_open2(decoder, codec, nil)
        guard status >= 0 else { throw VideoError.decoderFailed(name, cause: ffmpegMessage(status)) }

        let rate = av_guess_frame_rate(format, stream, nil)
        frameDuration = rate.num > 0 ? max(1, av_rescale_q(1, av_inv_q(rate), timeBase)) : 1
        info = VideoReader.describe(name, format: format, stream: stream, rotation: rotation)
    }

    deinit {
        av_packet_free(&packet)
        av_frame_free(&decoded)
        av_frame_free(&scaled)
        avcodec_free_context(&decoder)
        avformat_close_input(&format)
    }

    /// The next frame in presentation order, or nil at the end of the stream.
    public func next() throws -> VideoFrame? {
        guard let decoder, let decoded, let scaled else { return nil }
        while true {
            if let scaler {
                let status = scaler.pull(into: scaled)
                if status >= 0 {
                    defer { av_frame_unref(scaled) }
                    return try makeFrame(scaled)
                }
                if status == FS_AVERROR_EOF {
                    checkDeclaredDuration()
                    return nil
                }
                if status != FS_AVERROR_EAGAIN { throw VideoError.filterFailed(name, cause: ffmpegMessage(status)) }
            }
            let status = avcodec_receive_frame(decoder, decoded)
            if status >= 0 {
                try scale(decoded)
            } else if status == FS_AVERROR_EAGAIN {
                try feedDecoder(decoder)
            } else if status == FS_AVERROR_EOF {
                guard let scaler, !scalerFlushed else {
                    if decodedFrames == 0 { throw VideoError.noDecodableFrames(name, damaged: damagedFrames + rejectedPackets) }
                    checkDeclaredDuration()
                    return nil
                }
                scalerFlushed = true
                let flushed = scaler.push(nil)
                if flushed < 0 { throw VideoError.filterFailed(name, cause: ffmpegMessage(flushed)) }
            } else if status == FS_AVERROR_INVALIDDATA {
                rejectedPackets += 1
            } else {
                throw VideoError.decoderFailed(name, cause: ffmpegMessage(status))
            }
        }
    }

    /// Reads packets until one of our stream reaches the decoder (or the input ends).
    private func feedDecoder(_ decoder: UnsafeMutablePointer<AVCodecContext>) throws {
        guard !demuxerDone else {
            // Already flushed: the decoder will answer EOF. (Never reached in practice.)
            throw VideoError.decoderFailed(name, cause: "decoder asked for input after end of stream")
        }
        var unreadable = 0
        while true {
            let status = av_read_frame(format, packet)
            if status < 0 && packetsRead == 0 && pipedMP4 { throw VideoError.mp4IndexAtEnd(name) }
            if status == FS_AVERROR_EOF {
                demuxerDone = true
                avcodec_send_packet(decoder, nil)
                return
            }
            if status == FS_AVERROR_INVALIDDATA {
                // Damaged data: skip it, but give up on input that is nothing else.
                rejectedPackets += 1
                unreadable += 1
                if unreadable > 1000 { throw VideoError.readFailed(name, cause: ffmpegMessage(status)) }
                continue
            }
            if status < 0 { throw VideoError.readFailed(name, cause: ffmpegMessage(status)) }
            defer { av_packet_unref(packet) }
            guard packet!.pointee.stream_index == streamIndex else { continue }
            packetsRead += 1
            let sent = avcodec_send_packet(decoder, packet)
            if sent == FS_AVERROR_INVALIDDATA {
                rejectedPackets += 1
                continue
            }
            if sent < 0 { throw VideoError.decoderFailed(name, cause: ffmpegMessage(sent)) }
            return
        }
    }

    /// Gives a decoded frame its final timestamp and sends it through the scaling graph.
    private func scale(_ frame: UnsafeMutablePointer<AVFrame>) throws {
        // The CLI uses the best-effort timestamp; invent one only where the stream has none,
        // and keep timestamps strictly increasing so frame selection can rely on order.
        // A jump back of more than a frame and 0.1 s is a new timeline, as where transport
        // streams were joined: it continues a frame after the last one (as the ffmpeg CLI
        // corrects such jumps), so the rest of the video is not all one instant (every frame
        // decimated, cuts lost: found by outside testing). A smaller step back, or a repeat,
        // only moves the frame a tick past the one before.
        var pts = frame.pointee.best_effort_timestamp
        if pts == FS_AV_NOPTS_VALUE {
            pts = (lastPts ?? -frameDuration) + frameDuration
        } else {
            pts = pts &+ ptsShift
        }
        if let lastPts, pts <= lastPts {
            if lastPts &- pts > max(frameDuration, av_rescale_q(1, AVRational(num: 1, den: 10), timeBase)) {
                ptsShift = ptsShift &+ (lastPts &+ frameDuration &- pts)
                timestampJumps += 1
                pts = lastPts + frameDuration
            } else {
                pts = lastPts + 1
            }
        }
        lastPts = pts
        frame.pointee.pts = pts

        if scaler == nil || !scaler!.accepts(frame) {
            scaler = try FrameScaler(input: name, frame: frame, timeBase: timeBase, rotation: rotation, threads: threads)
        }
        let status = scaler!.push(frame)
        if status < 0 { throw VideoError.filterFailed(name, cause: ffmpegMessage(status)) }
    }

    /// Sets `shortOfDeclared` at the end of the input.
    private func checkDeclaredDuration() {
        guard let declaredSeconds, let firstPts, let lastPts else { return }
        let decoded = (Double(lastPts) - Double(firstPts) + Double(frameDuration)) * av_q2d(timeBase)
        if declaredSeconds - decoded > max(1, declaredSeconds / 10) { shortOfDeclared = (decoded, declaredSeconds) }
    }

    private func makeFrame(_ frame: UnsafeMutablePointer<AVFrame>) throws -> VideoFrame {
        let side = VideoFrame.side, rowBytes = side * 3
        let stride = Int(frame.pointee.linesize.0)
        guard let source = frame.pointee.data.0, frame.pointee.width == side, frame.pointee.height == side else {
            throw VideoError.filterFailed(name, cause: "the scaler returned an unexpected picture")
        }
        // Every byte is written by the row copies, so skip zero-filling.
        let rgb = [UInt8](unsafeUninitializedCapacity: side * rowBytes) { destination, count in
            for row in 0..<side {
                memcpy(destination.baseAddress! + row * rowBytes, source + row * stride, rowBytes)
            }
            count = side * rowBytes
        }
        let damaged = frame.pointee.flags & FS_AV_FRAME_FLAG_CORRUPT != 0 || frame.pointee.decode_error_flags != 0
        if damaged { damagedFrames += 1 }
        firstPts = firstPts ?? frame.pointee.pts
        defer { decodedFrames += 1 }
        return VideoFrame(
            index: decodedFrames, pts: frame.pointee.pts, timeBase: Rational(Int64(timeBase.num), Int64(timeBase.den)),
            rgb: rgb, isDamaged: damaged)
    }

    /// Turns the user's input into the URL FFmpeg opens, with clear errors for local paths.
    /// Named pipes, character devices and sockets are streams: their size says nothing.
    private static func url(for input: String) throws -> String {
        if input == "-" { return "pipe:0" }
        if input.contains("://") { return input }
        var status = stat()
        guard stat(input, &status) == 0 else {
            let error = errno
            // Not a local file, but FFmpeg's own form of a URL ("file:clip.mp4", "pipe:0",
            // "concat:a.mp4|b.mp4", "subfile,,start,0,end,0,,:clip.mp4"): FFmpeg opens it
            // (refused as "no such file" before).
            if let name = avio_find_protocol_name(input).map({ String(cString: $0) }),
               input.hasPrefix(name + ":") || input.hasPrefix(name + ","),
               !(name == "file" && !FileManager.default.fileExists(atPath: String(input.dropFirst(5)))) {
                return input
            }
            // An image sequence ("img%03d.png" for img001.png, img002.png, ...), which FFmpeg's
            // image2 demuxer reads as the CLI does.
            if error == ENOENT, input.range(of: "%[0-9]*d", options: .regularExpression) != nil { return "file:" + input }
            throw error == ENOENT || error == ENOTDIR ? VideoError.noSuchFile(input) : VideoError.readFailed(input, cause: String(cString: strerror(error)))
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: throw VideoError.isDirectory(input)
        case S_IFREG: if status.st_size == 0 { throw VideoError.emptyFile(input) }
        default: break
        }
        // A file the user may not read ("not a video container FFmpeg can read (Permission denied)" before).
        guard access(input, R_OK) == 0 else { throw VideoError.readFailed(input, cause: String(cString: strerror(errno))) }
        // "file:" keeps a path with a colon in it from being read as a protocol.
        return "file:" + input
    }

    /// Whether a local file opens with an ISO base media box ("ftyp" at byte 4): an MP4 or MOV.
    private static func startsLikeMP4(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 8) else { return false }
        try? handle.close()
        return head.count == 8 && head.suffix(4) == Data("ftyp".utf8)
    }

    private static func describe(
        _ name: String, format: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>,
        rotation: Rotation
    ) -> VideoInfo {
        let parameters = stream.pointee.codecpar.pointee
        let pixelFormat = AVPixelFormat(rawValue: parameters.format)
        let descriptor = av_pix_fmt_desc_get(pixelFormat)
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        let tb = stream.pointee.time_base
        var duration: Double?
        if stream.pointee.duration != FS_AV_NOPTS_VALUE {
            duration = Double(stream.pointee.duration) * av_q2d(tb)
        } else if format.pointee.duration != FS_AV_NOPTS_VALUE {
            duration = Double(format.pointee.duration) / Double(AV_TIME_BASE)
        }
        let width = Int(parameters.width), height = Int(parameters.height)
        let profile = avcodec_profile_name(parameters.codec_id, parameters.profile)
        return VideoInfo(
            input: name,
            container: String(cString: format.pointee.iformat.pointee.name),
            codec: String(cString: avcodec_get_name(parameters.codec_id)),
            profile: profile.map { String(cString: $0) },
            pixelFormat: av_get_pix_fmt_name(pixelFormat).map { String(cString: $0) } ?? "unknown",
            bitDepth: Int(descriptor?.pointee.comp.0.depth ?? 0),
            width: width, height: height,
            rotation: Int((360 - rotation.degrees).rounded()) % 360,
            displayWidth: rotation.swapsAxes ? height : width,
            displayHeight: rotation.swapsAxes ? width : height,
            frameRate: rate.num > 0 ? Rational(Int64(rate.num), Int64(rate.den)).description : nil,
            framesPerSecond: rate.num > 0 ? av_q2d(rate) : nil,
            timeBase: "\(tb.num)/\(tb.den)",
            durationSeconds: duration,
            declaredFrames: stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil,
            bitRate: format.pointee.bit_rate > 0 ? Int(format.pointee.bit_rate) : nil)
    }
}
