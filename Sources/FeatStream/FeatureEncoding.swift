import FeatCodec
import FeatModel
import FeatVideo
import Foundation

/// The whole pipeline behind `featstream encode`: video -> selection -> head -> codec -> .fst.
public enum FeatureEncoding {
    public struct Summary: Sendable {
        public var selection: SelectionSummary
        public var intra = 0
        public var predicted = 0
        public var fileBytes: UInt64 = 0
        public var payloadBytes = 0
        public var elementsPerFrame = 0
        public var coded: Int { intra + predicted }
        /// Kilobits per second of video, over the whole file.
        public var kilobitsPerSecond: Double {
            selection.videoSeconds > 0 ? Double(fileBytes) * 8 / selection.videoSeconds / 1000 : 0
        }
        public var bytesPerFrame: Double { coded > 0 ? Double(payloadBytes) / Double(coded) : 0 }
        public var bitsPerElement: Double { coded > 0 ? Double(payloadBytes) * 8 / Double(coded * elementsPerFrame) : 0 }
    }

    public static func run(
        _ reader: VideoReader, gate: GateSettings, model: Model, coding: CodingSettings,
        output: FileHandle, outputName: String, decided: (SelectedFrame) throws -> Void = { _ in }
    ) throws -> Summary {
        let shape = model.featureShape.dims
        let info = reader.info
        let parameters = ParameterSet(
            model: .init(name: model.spec.name, split: model.split, checkpointSHA256: model.weightsSHA256,
                         mean: model.spec.mean, std: model.spec.std),
            shape: shape, coding: coding,
            source: .init(name: URL(fileURLWithPath: reader.name).lastPathComponent, width: info.displayWidth,
                          height: info.displayHeight, frameRate: info.frameRate, durationSeconds: info.durationSeconds),
            selection: .init(fps: gate.fps?.description ?? "source", cutThreshold: gate.cutThreshold, cutRatio: gate.cutRatio,
                             minSceneSeconds: gate.minSceneSeconds, flashFrames: gate.flashFrames,
                             changeThreshold: gate.changeThreshold, maxGapSeconds: gate.maxGapSeconds),
            encoder: "featstream \(Version.string)")
        let writer = try ContainerWriter(handle: output, name: outputName, parameters: parameters)
        let encoder = FrameEncoder(settings: coding, shape: shape)
        var summary = Summary(selection: SelectionSummary())
        summary.elementsPerFrame = shape.reduce(1, *)
        summary.selection = try FeatureExtraction.run(reader, settings: gate, model: model, decided: decided) { selected, tensor in
            let frame = selected.frame
            let encoded = encoder.encode(tensor, seconds: frame.seconds, forceIntra: selected.decision == .cut)
            if encoded.type == .intra { summary.intra += 1 } else { summary.predicted += 1 }
            let admission: PacketHeader.Admission = selected.decision == .cut ? .cut : selected.decision == .heartbeat ? .heartbeat : .changed
            try writer.append(encoded, header: PacketHeader(
                type: encoded.type, admission: admission, sequence: 0, sourceFrame: UInt32(frame.index), pts: frame.pts,
                timeBaseNumerator: Int32(clamping: frame.timeBase.numerator), timeBaseDenominator: Int32(clamping: frame.timeBase.denominator),
                seconds: frame.seconds))
        }
        try writer.finish()
        summary.fileBytes = writer.bytesWritten
        summary.payloadBytes = writer.payloadBytes
        return summary
    }
}

public enum Version {
    public static let string = "0.1"
}
