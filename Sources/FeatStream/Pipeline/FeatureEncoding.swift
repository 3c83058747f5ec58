import FeatCodec
import FeatModel
import FeatVideo
import Foundation

/// The whole pipeline behind `featstream encode`: video -> selection -> head -> codec -> .fst.
public enum FeatureEncoding {
    public struct Summary: Sendable {
        public var selection: SelectionSummary
        public var stream: StreamEncoder.Summary
        public var elementsPerFrame: Int
        /// The one bitrate definition (`StreamStatistics`): the whole file over the source seconds.
        public var kilobitsPerSecond: Double? { StreamStatistics.kilobitsPerSecond(bytes: stream.fileBytes, seconds: selection.sourceSeconds) }
        public var bytesPerFrame: Double { stream.frames > 0 ? Double(stream.payloadBytes) / Double(stream.frames) : 0 }
        public var bitsPerElement: Double {
            stream.frames > 0 ? Double(stream.payloadBytes) * 8 / Double(stream.frames * elementsPerFrame) : 0
        }
    }

    /// The parameter set of a stream of `model`'s features from `reader`'s video.
    public static func parameters(_ reader: VideoReader, gate: GateSettings, model: Model, coding: CodingSettings) -> ParameterSet {
        let info = reader.info
        return ParameterSet(
            model: .init(name: model.spec.name, split: model.split, checkpointSHA256: model.weightsSHA256,
                         mean: model.spec.mean, std: model.spec.std),
            shape: model.featureShape.dims, coding: coding,
            source: .init(name: URL(fileURLWithPath: reader.name).lastPathComponent, width: info.displayWidth,
                          height: info.displayHeight, frameRate: info.frameRate, durationSeconds: info.durationSeconds),
            selection: gate.selection, encoder: "featstream \(Version.string)")
    }

    /// Encodes `reader`'s video into `output`; `decided` sees every decoded frame (for progress).
    public static func run(
        _ reader: VideoReader, gate: GateSettings, model: Model, coding: CodingSettings,
        output: ByteSink, decided: (SelectedFrame) throws -> Void = { _ in }
    ) throws -> Summary {
        let encoder = try StreamEncoder(parameters: parameters(reader, gate: gate, model: model, coding: coding), sink: output)
        let selection = try FeatureExtraction.run(reader, settings: gate, model: model, decided: decided) { selected, tensor in
            try encoder.append(tensor, at: selected.stamp, forceIntra: selected.decision == .cut)
        }
        return Summary(selection: selection, stream: try encoder.finish(sourceSeconds: selection.sourceSeconds),
                       elementsPerFrame: model.featureShape.count)
    }
}

extension SelectedFrame {
    /// Where the frame sits in the source and why it is sent, as a stream records it.
    public var stamp: StreamEncoder.Stamp {
        let admission: PacketHeader.Admission = decision == .cut ? .cut : decision == .heartbeat ? .heartbeat : .changed
        return StreamEncoder.Stamp(
            sourceFrame: frame.index, pts: frame.pts,
            timeBase: (Int32(clamping: frame.timeBase.numerator), Int32(clamping: frame.timeBase.denominator)),
            seconds: frame.seconds, admission: admission)
    }
}

extension GateSettings {
    /// The frame selection as a stream's parameter set records it.
    public var selection: ParameterSet.Selection {
        ParameterSet.Selection(fps: fps?.description ?? "source", cutThreshold: cutThreshold, cutRatio: cutRatio,
                               minSceneSeconds: minSceneSeconds, flashFrames: flashFrames, changeThreshold: changeThreshold,
                               maxGapSeconds: maxGapSeconds, pixelChangeThreshold: pixelChangeThreshold, cutWindow: cutWindow)
    }
}

/// featstream's version, written into every stream's parameter set.
public enum Version {
    public static let string = "0.2"
}
