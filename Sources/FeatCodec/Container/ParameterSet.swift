import Foundation

/// Everything a decoder (or a reader of `featstream info`) needs to know about a stream,
/// stored once in the file header as UTF-8 JSON. Readers ignore keys they do not know, so a
/// newer minor version can add optional fields and old readers still decode.
public struct ParameterSet: Codable, Sendable, Equatable {
    /// The network whose head produced the tensors, and how its input was normalised.
    public struct Model: Codable, Sendable, Equatable {
        /// Model name, e.g. "mobilenet_v2".
        public var name: String
        /// The split point: the PyTorch module path whose output the tensors are, e.g. "features.6".
        public var split: String
        /// SHA-256 of the checkpoint file the head ran with (hex).
        public var checkpointSHA256: String
        /// Input normalisation, per RGB channel: (x / 255 - mean) / std.
        public var mean: [Float]
        /// Input normalisation divisor per RGB channel (see `mean`).
        public var std: [Float]
        /// `mean` and `std` hold one value per RGB channel.
        public init(name: String, split: String, checkpointSHA256: String, mean: [Float], std: [Float]) {
            (self.name, self.split, self.checkpointSHA256, self.mean, self.std) = (name, split, checkpointSHA256, mean, std)
        }
    }

    /// The input video the frames were taken from.
    public struct Source: Codable, Sendable, Equatable {
        /// The input's file name, without its directory.
        public var name: String
        /// Width as displayed (after rotation), in pixels.
        public var width: Int
        /// Height as displayed (after rotation), in pixels.
        public var height: Int
        /// e.g. "30000/1001"; nil for variable or unknown rates.
        public var frameRate: String?
        /// Duration the container declares, in seconds; nil when unknown.
        public var durationSeconds: Double?
        /// `width` and `height` as displayed; `frameRate` a rational such as "30000/1001".
        public init(name: String, width: Int, height: Int, frameRate: String?, durationSeconds: Double?) {
            (self.name, self.width, self.height, self.frameRate, self.durationSeconds) = (name, width, height, frameRate, durationSeconds)
        }
    }

    /// The frame-rate decimator and scene-change gate settings the frames were chosen with.
    public struct Selection: Codable, Sendable, Equatable, CustomStringConvertible {
        /// Target frame rate: "source" or a rational such as "10" or "30000/1001".
        public var fps: String
        /// Smallest frame-to-frame difference a cut needs (mean absolute YCbCr difference of 32 x
        /// 32 thumbnails, 0-255).
        public var cutThreshold: Float
        /// How many times its neighbours' mean difference a cut's difference must also be.
        public var cutRatio: Float
        /// No second cut within this many seconds of the last one.
        public var minSceneSeconds: Double
        /// A jump that comes back within this many frames is a flash, not a cut.
        public var flashFrames: Int
        /// Local change of the features since the last frame sent that sends a grid frame (from
        /// featstream 0.2; before, the thumbnail difference, 0-255, as `cutThreshold`).
        public var changeThreshold: Float
        /// Thumbnail difference that also sends a grid frame; 0: off (nil in files before 0.2).
        public var pixelChangeThreshold: Float?
        /// Frames on each side whose differences the cut ratio compares with (nil before 0.2).
        public var cutWindow: Int?
        /// Heartbeat: in a static scene a frame is still admitted after this many seconds; 0: none.
        public var maxGapSeconds: Double
        /// Usually built by `GateSettings.selection`.
        public init(fps: String, cutThreshold: Float, cutRatio: Float, minSceneSeconds: Double, flashFrames: Int,
                    changeThreshold: Float, maxGapSeconds: Double, pixelChangeThreshold: Float? = nil, cutWindow: Int? = nil) {
            (self.fps, self.cutThreshold, self.cutRatio, self.minSceneSeconds) = (fps, cutThreshold, cutRatio, minSceneSeconds)
            (self.flashFrames, self.changeThreshold, self.maxGapSeconds) = (flashFrames, changeThreshold, maxGapSeconds)
            (self.pixelChangeThreshold, self.cutWindow) = (pixelChangeThreshold, cutWindow)
        }

        /// One line, as `encode` and `info` print it.
        public var description: String {
            "fps \(fps), change threshold \(changeThreshold)" + (pixelChangeThreshold.map { $0 > 0 ? " or pixels \($0)" : "" } ?? "")
                + ", heartbeat " + (maxGapSeconds > 0 ? "every \(maxGapSeconds) s" : "none")
                + ", cuts at \(cutThreshold) (ratio \(cutRatio), scenes >= \(minSceneSeconds) s, flashes <= \(flashFrames) frames)"
        }
    }

    /// The model and split point the tensors come from.
    public var model: Model
    /// C, H, W of every tensor.
    public var shape: [Int]
    /// Element type of the decoded tensors: always "float32".
    public var elementType = "float32"
    /// How the tensors were coded; the decoder needs only `precision`, the rest records the
    /// encoder's settings.
    public var coding: CodingSettings
    /// The input video.
    public var source: Source
    /// The frame selection the coded frames were chosen with.
    public var selection: Selection
    /// The program that wrote the stream, e.g. "featstream 0.2".
    public var encoder: String

    /// `shape` is C, H, W of every tensor.
    public init(model: Model, shape: [Int], coding: CodingSettings, source: Source, selection: Selection, encoder: String) {
        (self.model, self.shape, self.coding, self.source, self.selection, self.encoder) = (model, shape, coding, source, selection, encoder)
    }

    /// The parameter set as the header stores it: UTF-8 JSON with sorted keys.
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }
}
