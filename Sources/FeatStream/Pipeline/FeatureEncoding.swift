import FeatCodec
import FeatModel
import FeatVideo
import Foundation

/// The whole pipeline behind `featstream encode`: video -> selection -> head -> codec -> .fst.
public enum FeatureEncoding {
    /// What an encode did.
    public struct Summary: Sendable {
        /// Frames decoded, admitted, and why.
        public var selection: SelectionSummary
        /// Frames and bytes written.
        public var stream: StreamEncoder.Summary
        /// Values per tensor (C x H x W).
        public var elementsPerFrame: Int
        /// Every admitted frame's fate, in order (with rate control, its decision).
        public var log: [RateController.Entry] = []
        /// With rate control: its warnings (the link cannot carry the content), each once.
        public var warnings: [String] = []
        /// The one bitrate definition (`StreamStatistics`): the whole file over the source seconds.
        public var kilobitsPerSecond: Double? { StreamStatistics.kilobitsPerSecond(bytes: stream.fileBytes, seconds: selection.sourceSeconds) }
        /// Mean payload bytes per coded frame (headers excluded).
        public var bytesPerFrame: Double { stream.frames > 0 ? Double(stream.payloadBytes) / Double(stream.frames) : 0 }
        /// Payload bits per tensor value.
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
    /// With `rate` (step mode only), a `RateController` decides which admitted frames are sent
    /// and at which quality.
    public static func run(
        _ reader: VideoReader, gate: GateSettings, model: Model, coding: CodingSettings, rate: RateSettings? = nil,
        output: ByteSink, decided: (SelectedFrame) throws -> Void = { _ in }
    ) throws -> Summary {
        precondition(rate == nil || coding.quality != nil, "rate control codes in step mode")
        let encoder = try StreamEncoder(parameters: parameters(reader, gate: gate, model: model, coding: coding), sink: output)
        let controller = rate.map {
            RateController(settings: $0, gridFPS: gate.fps?.doubleValue ?? reader.info.framesPerSecond ?? 30, headerBytes: encoder.bytesWritten)
        }
        var log: [RateController.Entry] = []
        let selection = try FeatureExtraction.run(reader, settings: gate, model: model, decided: decided) { selected, tensor in
            let stamp = selected.stamp, cut = selected.decision == .cut
            guard let controller else {
                let frame = try encoder.append(tensor, at: stamp, forceIntra: cut)
                log.append(.init(seconds: stamp.seconds, sourceFrame: stamp.sourceFrame, cut: cut, sent: true, type: frame.type.letter,
                                 quality: coding.quality, bytes: StreamEncoder.packetBytes(payloadBytes: frame.payload.count),
                                 bufferFullness: nil, fps: nil, reason: nil))
                return
            }
            let chosen = controller.decide(seconds: stamp.seconds, sourceFrame: stamp.sourceFrame, cut: cut) { quality, intra in
                encoder.trial(tensor, at: stamp, forceIntra: intra, quality: quality)
            }
            if let chosen { try encoder.append(trial: chosen, at: stamp) }
        }
        return Summary(selection: selection, stream: try encoder.finish(sourceSeconds: selection.sourceSeconds),
                       elementsPerFrame: model.featureShape.count, log: controller?.log ?? log, warnings: controller?.warnings ?? [])
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
    /// The version string.
    public static let string = "0.2"
}
