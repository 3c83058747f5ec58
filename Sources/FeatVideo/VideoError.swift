import CFFmpeg

/// Everything that can go wrong between an input name and a decoded frame.
/// Each case names the input so the command line can print one self-contained line.
public enum VideoError: Error, CustomStringConvertible, Equatable {
    /// The path does not exist.
    case noSuchFile(String)
    /// The path is a directory.
    case isDirectory(String)
    /// The file is zero bytes long.
    case emptyFile(String)
    /// FFmpeg could not open the input or read its stream information; `cause` is FFmpeg's message.
    case unreadableContainer(String, cause: String)
    /// An MP4 whose index (moov box) was never written or was cut off.
    case mp4WithoutIndex(String)
    /// An MP4 read from a pipe that keeps its index after the media data.
    case mp4IndexAtEnd(String)
    /// The container holds no video stream.
    case noVideoStream(String)
    /// This FFmpeg has no decoder for `codec` (`PixelCodec`: no such encoder either).
    case noDecoder(String, codec: String)
    /// Opening or running the decoder failed (`PixelCodec`: the encoder too); `cause` says why.
    case decoderFailed(String, cause: String)
    /// The scaling filter graph failed; `cause` says why.
    case filterFailed(String, cause: String)
    /// Reading the input failed, or it held nothing but damaged data; `cause` says why.
    case readFailed(String, cause: String)
    /// The stream ended with no frame decoded; `damaged` counts damaged frames plus rejected packets.
    case noDecodableFrames(String, damaged: Int)
    /// An option value out of range; the string is the whole message.
    case invalidOption(String)

    /// One self-contained line that names the input, for the command line to print.
    public var description: String {
        switch self {
        case .noSuchFile(let input): return "\(input): no such file"
        case .isDirectory(let input): return "\(input): is a directory, not a video file"
        case .emptyFile(let input): return "\(input): file is empty"
        case .unreadableContainer(let input, let cause):
            return "\(input): not a video container FFmpeg can read (\(cause))"
        case .mp4WithoutIndex(let input):
            return "\(input): this MP4 is truncated or its index (moov box) is missing, so no frame can be located"
        case .mp4IndexAtEnd(let input):
            return "\(input): this MP4 keeps its index (moov) at the end and cannot be read from a pipe; "
                + "pass the file path, or remux it with 'ffmpeg -i IN -c copy -movflags +faststart OUT.mp4' (or as fragmented MP4)"
        case .noVideoStream(let input): return "\(input): has no video stream (audio-only, perhaps with cover art, or a data file?)"
        case .noDecoder(let input, let codec): return "\(input): no decoder for codec '\(codec)' in this FFmpeg"
        case .decoderFailed(let input, let cause): return "\(input): the video decoder failed (\(cause))"
        case .filterFailed(let input, let cause): return "\(input): could not scale frames (\(cause))"
        case .readFailed(let input, let cause): return "\(input): reading failed (\(cause))"
        case .noDecodableFrames(let input, let damaged):
            return damaged > 0
                ? "\(input): no frame could be decoded (\(damaged) damaged packets or frames)"
                : "\(input): the video stream has no frames"
        case .invalidOption(let message): return message
        }
    }
}

/// FFmpeg's text for an error code, e.g. "Invalid data found when processing input".
func ffmpegMessage(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    return buffer.withUnsafeMutableBufferPointer { String(cString: fs_av_err2str(code, $0.baseAddress, $0.count)) }
}
