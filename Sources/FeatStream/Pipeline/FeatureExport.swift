import FeatCodec
import FeatModel
import FeatVideo
import Foundation

/// The pipeline behind `featstream features`: the raw head tensors of the admitted frames as a
/// NumPy array (N x C x H x W float32) and a timestamps file: the uncompressed reference the
/// codec and the reports compare against.
public enum FeatureExport {
    /// OUT.timestamps.json of `features`.
    public struct Timestamps: Encodable, Sendable {
        /// The video's name as messages show it ("stdin" for "-").
        public let input: String
        /// The model's command-line name, e.g. "mobilenet_v2".
        public let model: String
        /// The split point the head ends at, e.g. "features.6".
        public let split: String
        /// Shape of the array written: [N, C, H, W], N the frames sent.
        public let shape: [Int]
        /// One record per frame sent, in the array's order.
        public let frames: [FrameRecord]
    }

    /// What `run` did, for the command's closing lines.
    public struct Summary: Sendable {
        /// The selection's counts and timings.
        public let selection: SelectionSummary
        /// Frames sent: rows of the array.
        public let frames: Int
        /// The file the array went to (inside the directory, if one was given), or "-".
        public let outputPath: String
        /// Mean milliseconds of one head run (it runs on every cut and grid frame).
        public let headMilliseconds: Double
    }

    /// Runs `reader`'s video through the gate and `model`'s head into `output` (a file, a
    /// directory, a device or "-"), the timestamps into `timestampsPath` (nil: none).
    public static func run(
        _ reader: VideoReader, gate: GateSettings, model: Model, output: String, timestampsPath: String?,
        decided: (SelectedFrame) throws -> Void = { _ in }
    ) throws -> Summary {
        // The frame count goes into the header at the end: a stream output is spooled.
        let file = try OutputFile(output, defaultName: OutputFile.defaultName(for: reader.input, extension: "npy"), seekable: true, input: reader.input,
                                  alsoReading: [model.weightsPath])
        if let timestampsPath { try file.refuseAsCompanion(timestampsPath, option: "--timestamps") }
        // Opened before the run, so a path that cannot be written fails at once, not after it.
        let timestamps = try timestampsPath.map { try OutputFile($0, input: reader.input, alsoReading: [model.weightsPath]) }
        let writer = try NpyWriter(file, trailingShape: model.featureShape.dims)
        var frames: [FrameRecord] = []
        var (modelSeconds, modelRuns) = (0.0, 0)
        let selection = try FeatureExtraction.run(reader, settings: gate, model: model, decided: decided, admitted: { selected, tensor in
            frames.append(FrameRecord(selected))
            try writer.append(tensor.values)
        }, modelTime: { (modelSeconds, modelRuns) = ($0, $1) })
        // The tensors first, as `decode` does: no timestamps of tensors that could not be written.
        try writer.finish()
        try timestamps?.commitJSON(Timestamps(input: reader.name, model: model.spec.name, split: model.split,
                                              shape: [frames.count] + model.featureShape.dims, frames: frames))
        return Summary(selection: selection, frames: frames.count, outputPath: file.path,
                       headMilliseconds: modelRuns == 0 ? 0 : 1000 * modelSeconds / Double(modelRuns))
    }
}
