import CFFmpeg

/// Sends 224 x 224 RGB frames the "remote inference" way: H.264 or H.265 (libx264, libx265)
/// through libavcodec at a constant quality, then decodes them back, so a report can compare
/// what the server would see against the features.
public final class PixelCodec {
    /// An encoder and its settings, written "x264:realtime", "x264:medium", "x265:medium" or
    /// "ENCODER:PRESET:TUNE" ("x264:medium:psnr"). "realtime" is preset veryfast with tune
    /// zerolatency (no B-frames, no look-ahead: what a live sender uses).
    public struct Variant: Hashable, Sendable, CustomStringConvertible {
        /// "x264" or "x265".
        public let encoder: String
        /// The encoder preset, e.g. "medium"; "realtime" is stored as "veryfast" with tune zerolatency.
        public let preset: String
        /// nil: the encoder's default tuning.
        public let tune: String?

        /// Nil for anything but x264 or x265 with a preset and an optional tune.
        public init?(parsing text: String) {
            let parts = text.split(separator: ":").map(String.init)
            guard (2...3).contains(parts.count), ["x264", "x265"].contains(parts[0]) else { return nil }
            let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "realtime"]
            guard presets.contains(parts[1]) else { return nil }
            encoder = parts[0]
            if parts[1] == "realtime" {
                guard parts.count == 2 else { return nil }
                (preset, tune) = ("veryfast", "zerolatency")
            } else {
                guard parts.count == 2 || ["psnr", "ssim", "zerolatency", "film", "animation", "grain", "fastdecode"].contains(parts[2]) else { return nil }
                (preset, tune) = (parts[1], parts.count == 3 ? parts[2] : nil)
            }
        }

        /// As parsed: "x264:realtime", "x264:medium", "x264:medium:psnr".
        public var description: String {
            preset == "veryfast" && tune == "zerolatency" ? "\(encoder):realtime" : "\(encoder):\(preset)" + (tune.map { ":" + $0 } ?? "")
        }
    }

    /// The encoder, preset and tune the frames are coded with.
    public let variant: Variant
    /// Constant rate factor given to the encoder (0-51: lower is better quality and more bytes).
    public let crf: Int
    private let side = Int32(VideoFrame.side)

    /// A codec that codes with `variant` at constant rate factor `crf`.
    public init(_ variant: Variant, crf: Int) {
        self.variant = variant
        self.crf = crf
    }

    /// Encodes `frames` (RGB24, 224 x 224, at `seconds`), decodes the stream, and returns the
    /// decoded RGB frames in order and the size of the coded stream in bytes.
    public func roundTrip(_ frames: [(rgb: [UInt8], seconds: Double)]) throws -> (frames: [[UInt8]], bytes: Int) {
        let library = "lib" + variant.encoder
        let name = "\(library) \(variant) (crf \(crf))"
        guard let codec = avcodec_find_encoder_by_name(library) else { throw VideoError.noDecoder(name, codec: "\(library) encoder") }
        var encoder = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&encoder) }
        guard let encoder else { throw VideoError.decoderFailed(name, cause: "out of memory") }
        encoder.pointee.width = side
        encoder.pointee.height = side
        encoder.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        encoder.pointee.time_base = AVRational(num: 1, den: 1000)
        encoder.pointee.thread_count = 1
        av_opt_set(encoder.pointee.priv_data, "preset", variant.preset, 0)
        if let tune = variant.tune { av_opt_set(encoder.pointee.priv_data, "tune", tune, 0) }
        av_opt_set(encoder.pointee.priv_data, "crf", "\(crf)", 0)
        // x265 prints its settings on stderr unless told not to.
        if variant.encoder == "x265" { av_opt_set(encoder.pointee.priv_data, "x265-params", "log-level=none", 0) }
        var status = avcodec_open2(encoder, codec, nil)
        guard status >= 0 else { throw VideoError.decoderFailed(name, cause: ffmpegMessage(status)) }

        let codecID = variant.encoder == "x265" ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264
        guard let decoderCodec = avcodec_find_decoder(codecID) else { throw VideoError.noDecoder(name, codec: variant.encoder == "x265" ? "hevc" : "h264") }
        var decoder = avcodec_alloc_context3(decoderCodec)
        defer { avcodec_free_context(&decoder) }
        guard let decoder else { throw VideoError.decoderFailed(name, cause: "out of memory") }
        decoder.pointee.thread_count = 1
        status = avcodec_open2(decoder, decoderCodec, nil)
        guard status >= 0 else { throw VideoError.decoderFailed(name, cause: ffmpegMessage(status)) }

        let toYUV = sws_getContext(side, side, AV_PIX_FMT_RGB24, side, side, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nil, nil, nil)
        let toRGB = sws_getContext(side, side, AV_PIX_FMT_YUV420P, side, side, AV_PIX_FMT_RGB24, SWS_BICUBIC, nil, nil, nil)
        defer { sws_freeContext(toYUV); sws_freeContext(toRGB) }
        var picture = av_frame_alloc(), decoded = av_frame_alloc(), packet = av_packet_alloc()
        defer { av_frame_free(&picture); av_frame_free(&decoded); av_packet_free(&packet) }
        guard let picture, let decoded, let packet, toYUV != nil, toRGB != nil else {
            throw VideoError.decoderFailed(name, cause: "out of memory")
        }
        picture.pointee.width = side
        picture.pointee.height = side
        picture.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        status = av_frame_get_buffer(picture, 0)
        guard status >= 0 else { throw VideoError.decoderFailed(name, cause: ffmpegMessage(status)) }

        var output: [[UInt8]] = []
        var bytes = 0
        var lastPts: Int64 = -1
        func drainDecoder() throws {
            while avcodec_receive_frame(decoder, decoded) >= 0 {
                var rgb = [UInt8](repeating: 0, count: Int(side * side * 3))
                rgb.withUnsafeMutableBufferPointer { out in
                    var planes: [UnsafeMutablePointer<UInt8>?] = [out.baseAddress, nil, nil, nil]
                    var strides: [Int32] = [side * 3, 0, 0, 0]
                    withUnsafePointer(to: &decoded.pointee.data) { data in
                        withUnsafePointer(to: &decoded.pointee.linesize) { lines in
                            data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                                lines.withMemoryRebound(to: Int32.self, capacity: 8) { srcStride in
                                    _ = sws_scale(toRGB, src, srcStride, 0, side, &planes, &strides)
                                }
                            }
                        }
                    }
                }
                output.append(rgb)
                av_frame_unref(decoded)
            }
        }
        func drainEncoder() throws {
            while avcodec_receive_packet(encoder, packet) >= 0 {
                bytes += Int(packet.pointee.size)
                let sent = avcodec_send_packet(decoder, packet)
                av_packet_unref(packet)
                guard sent >= 0 else { throw VideoError.decoderFailed(name, cause: ffmpegMessage(sent)) }
                try drainDecoder()
            }
        }
        for frame in frames {
            guard av_frame_make_writable(picture) >= 0 else { throw VideoError.decoderFailed(name, cause: "frame not writable") }
            frame.rgb.withUnsafeBufferPointer { rgb in
                var src: [UnsafePointer<UInt8>?] = [rgb.baseAddress, nil, nil, nil]
                var srcStride: [Int32] = [side * 3, 0, 0, 0]
                withUnsafeMutablePointer(to: &picture.pointee.data) { data in
                    withUnsafeMutablePointer(to: &picture.pointee.linesize) { lines in
                        data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                            lines.withMemoryRebound(to: Int32.self, capacity: 8) { dstStride in
                                _ = sws_scale(toYUV, &src, &srcStride, 0, side, dst, dstStride)
                            }
                        }
                    }
                }
            }
            // Strictly increasing milliseconds, even if two frames share a time.
            lastPts = max(Int64((frame.seconds * 1000).rounded()), lastPts + 1)
            picture.pointee.pts = lastPts
            status = avcodec_send_frame(encoder, picture)
            guard status >= 0 else { throw VideoError.decoderFailed(name, cause: ffmpegMessage(status)) }
            try drainEncoder()
        }
        avcodec_send_frame(encoder, nil)
        try drainEncoder()
        avcodec_send_packet(decoder, nil)
        try drainDecoder()
        guard output.count == frames.count else {
            throw VideoError.decoderFailed(name, cause: "\(frames.count) frames in, \(output.count) out")
        }
        return (output, bytes)
    }
}
