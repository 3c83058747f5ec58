/// What `featstream probe` tells about an input: the container and its best video stream.
public struct VideoInfo: Codable, Sendable {
    public var input: String
    public var container: String
    public var codec: String
    public var profile: String?
    public var pixelFormat: String
    public var bitDepth: Int
    /// Coded size, before rotation.
    public var width: Int
    public var height: Int
    /// The display matrix's rotation, counter-clockwise degrees in 0..<360, as ffprobe prints
    /// it ("rotation of 90.00 degrees"); frames are turned upright as the ffmpeg CLI does.
    public var rotation: Int
    /// Size after rotation, as shown.
    public var displayWidth: Int
    public var displayHeight: Int
    /// Average frame rate, e.g. "30000/1001"; nil when the container does not say.
    public var frameRate: String?
    public var framesPerSecond: Double?
    public var timeBase: String
    public var durationSeconds: Double?
    /// Frame count the container declares (not counted by decoding); nil when unknown.
    public var declaredFrames: Int?
    public var bitRate: Int?
}
