import CFFmpeg

/// A libavfilter graph that turns decoded frames into 224 x 224 RGB24 exactly as
/// `ffmpeg -i IN -vf scale=224:224 -pix_fmt rgb24` does: the CLI's autorotation filters,
/// then `scale` with the CLI's default bicubic flags, then `format=rgb24`.
/// Using the same filters (not a hand-made sws_scale call) keeps colour matrix, range and
/// chroma siting handling identical to the CLI for every input format.
final class FrameScaler {
    let width: Int32
    let height: Int32
    let format: Int32
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private var source: UnsafeMutablePointer<AVFilterContext>?
    private var sink: UnsafeMutablePointer<AVFilterContext>?

    init(input: String, frame: UnsafePointer<AVFrame>, timeBase: AVRational, rotation: Rotation, threads: Int) throws {
        width = frame.pointee.width
        height = frame.pointee.height
        format = frame.pointee.format
        graph = avfilter_graph_alloc()
        guard let graph else { throw VideoError.filterFailed(input, cause: "out of memory") }
        graph.pointee.nb_threads = Int32(threads)
        // The CLI's default for scale filters inside a graph (ffmpeg_opt.c sets flags=bicubic).
        graph.pointee.scale_sws_opts = av_strdup("flags=bicubic")

        var sar = frame.pointee.sample_aspect_ratio
        if sar.den == 0 { sar = AVRational(num: 0, den: 1) }
        let args = "video_size=\(width)x\(height):pix_fmt=\(format):time_base=\(timeBase.num)/\(timeBase.den)"
            + ":pixel_aspect=\(sar.num)/\(sar.den)"
        var status = avfilter_graph_create_filter(&source, avfilter_get_by_name("buffer"), "in", args, nil, graph)
        guard status >= 0 else { throw VideoError.filterFailed(input, cause: ffmpegMessage(status)) }
        status = avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out", nil, nil, graph)
        guard status >= 0 else { throw VideoError.filterFailed(input, cause: ffmpegMessage(status)) }

        let chain = (rotation.filters + ["scale=\(VideoFrame.side):\(VideoFrame.side)", "format=pix_fmts=rgb24"])
            .joined(separator: ",")
        // parse_ptr links these two ends and hands back whatever it left unlinked; free that.
        var outputs = avfilter_inout_alloc()
        var inputs = avfilter_inout_alloc()
        defer { avfilter_inout_free(&outputs); avfilter_inout_free(&inputs) }
        guard let sourceEnd = outputs, let sinkEnd = inputs else {
            throw VideoError.filterFailed(input, cause: "out of memory")
        }
        sourceEnd.pointee.name = av_strdup("in")
        sourceEnd.pointee.filter_ctx = source
        sourceEnd.pointee.pad_idx = 0
        sourceEnd.pointee.next = nil
        sinkEnd.pointee.name = av_strdup("out")
        sinkEnd.pointee.filter_ctx = sink
        sinkEnd.pointee.pad_idx = 0
        sinkEnd.pointee.next = nil
        status = avfilter_graph_parse_ptr(graph, chain, &inputs, &outputs, nil)
        guard status >= 0 else { throw VideoError.filterFailed(input, cause: ffmpegMessage(status)) }
        status = avfilter_graph_config(graph, nil)
        guard status >= 0 else { throw VideoError.filterFailed(input, cause: ffmpegMessage(status)) }
    }

    deinit { avfilter_graph_free(&graph) }

    func accepts(_ frame: UnsafePointer<AVFrame>) -> Bool {
        frame.pointee.width == width && frame.pointee.height == height && frame.pointee.format == format
    }

    /// Takes the frame's reference (the frame is left blank), or flushes when `frame` is nil.
    func push(_ frame: UnsafeMutablePointer<AVFrame>?) -> Int32 {
        av_buffersrc_add_frame(source, frame)
    }

    /// 0 with `frame` filled, or EAGAIN / EOF.
    func pull(into frame: UnsafeMutablePointer<AVFrame>) -> Int32 {
        av_buffersink_get_frame(sink, frame)
    }
}
