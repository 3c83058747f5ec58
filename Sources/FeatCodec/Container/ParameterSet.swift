import Foundation

/// Everything a decoder (or a reader of `featstream info`) needs to know about a stream,
/// stored once in the file header as UTF-8 JSON. Readers ignore keys they do not know, so a
/// newer minor version can add optional fields and old readers still decode.
public struct ParameterSet: Codable, Sendable, Equatable {
    public struct Model: Codable, Sendable, Equatable {
        public var name: String
        public var split: String
        /// SHA-256 of the checkpoint file the head ran with (hex).
        public var checkpointSHA256: String
        /// Input normalisation, per RGB channel: (x / 255 - mean) / std.
        public var mean: [Float]
        public var std: [Float]
        public init(name: String, split: String, checkpointSHA256: String, mean: [Float], std: [Float]) {
            (self.name, self.split, self.checkpointSHA256, self.mean, self.std) = (name, split, checkpointSHA256, mean, std)
        }
    }

    public struct Source: Codable, Sendable, Equatable {
        public var name: String
        public var width: Int
        public var height: Int
        /// e.g. "30000/1001"; nil for variable or unknown rates.
        public var frameRate: String?
        public var durationSeconds: Double?
        public init(name: String, width: Int, height: Int, frameRate: String?, durationSeconds: Double?) {
            (self.name, self.width, self.height, self.frameRate, self.durationSeconds) = (name, width, height, frameRate, durationSeconds)
        }
    }

    /// The frame-rate decimator and scene-change gate settings the frames were chosen with.
    public struct Selection: Codable, Sendable, Equatable, CustomStringConvertible {
        public var fps: String
        public var cutThreshold: Float
        public var cutRatio: Float
        public var minSceneSeconds: Double
        public var flashFrames: Int
        public var changeThreshold: Float
        public var maxGapSeconds: Double
        public init(fps: String, cutThreshold: Float, cutRatio: Float, minSceneSeconds: Double, flashFrames: Int,
                    changeThreshold: Float, maxGapSeconds: Double) {
            (self.fps, self.cutThreshold, self.cutRatio, self.minSceneSeconds) = (fps, cutThreshold, cutRatio, minSceneSeconds)
            (self.flashFrames, self.changeThreshold, self.maxGapSeconds) = (flashFrames, changeThreshold, maxGapSeconds)
        }

        /// One line, as `encode` and `info` print it.
        public var description: String {
            "fps \(fps), change threshold \(changeThreshold), heartbeat " + (maxGapSeconds > 0 ? "every \(maxGapSeconds) s" : "none")
                + ", cuts at \(cutThreshold) (ratio \(cutRatio), scenes >= \(minSceneSeconds) s, flashes <= \(flashFrames) frames)"
        }
    }

    public var model: Model
    /// C, H, W of every tensor.
    public var shape: [Int]
    /// Element type of the decoded tensors: always "float32".
    public var elementType = "float32"
    public var coding: CodingSettings
    public var source: Source
    public var selection: Selection
    public var encoder: String

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
