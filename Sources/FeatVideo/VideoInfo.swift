/// What `featstream probe` tells about an input: the container and its best video stream.
public struct VideoInfo: Codable, Sendable {
    /// The input's name as messages show it ("stdin" for "-").
    public var input: String
    /// FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm".
    public var container: String
    /// FFmpeg's name for the video codec, e.g. "h264" or "hevc".
    public var codec: String
    /// The codec profile, e.g. "High" or "Main 10"; nil when FFmpeg names none.
    public var profile: String?
    /// FFmpeg's pixel format name, e.g. "yuv420p"; "unknown" when it has none.
    public var pixelFormat: String
    /// Bits per sample of the pixel format's first component (luma for YUV), e.g. 8 or 10; 0 when unknown.
    public var bitDepth: Int
    /// Coded size, before rotation.
    public var width: Int
    /// Coded height in pixels, before rotation.
    public var height: Int
    /// The display matrix's rotation, counter-clockwise degrees in 0..<360, as ffprobe prints
    /// it ("rotation of 90.00 degrees"); frames are turned upright as the ffmpeg CLI does.
    public var rotation: Int
    /// Size after rotation, as shown.
    public var displayWidth: Int
    /// Height in pixels after rotation, as shown.
    public var displayHeight: Int
    /// Average frame rate, e.g. "30000/1001"; nil when the container does not say.
    public var frameRate: String?
    /// `frameRate` as a number, e.g. 29.97; nil when the container does not say.
    public var framesPerSecond: Double?
    /// The stream's time base (seconds per timestamp unit) as "NUM/DEN", e.g. "1/90000".
    public var timeBase: String
    /// Duration in seconds: the stream's, else the container's; nil when neither says.
    public var durationSeconds: Double?
    /// Frame count the container declares (not counted by decoding); nil when unknown.
    public var declaredFrames: Int?
    /// The container's overall bit rate (all streams), in bits per second; nil when unknown.
    public var bitRate: Int?
}
