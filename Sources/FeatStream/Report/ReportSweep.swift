import FeatCodec
import FeatModel
import FeatVideo
import Foundation

/// The sweep behind `featstream report`: every frame rate x every setting, measured for size,
/// feature fidelity and task fidelity (the model's tail on the received tensors against the tail
/// on the lossless ones), with the pixel line (x264) on the same axes.
///
/// Work is shared: the video is decoded once with one gate per frame rate running side by side,
/// each frame any gate admits runs the head once, and every setting reuses those tensors.
public enum ReportSweep {
    public struct Options: Sendable {
        public var rates: [FrameRate] = [1, 2, 5, 10, 15, 30].map { .perSecond(Rational($0)) }
        public var bits = [8, 6, 4, 3, 2]
        /// x264 CRF values of the pixel line (the admitted frames sent as H.264, the whole
        /// network run on the decoded pictures); empty for none.
        public var crfs = [18, 23, 28, 33, 38, 43]
        /// The gate; its frame rate is replaced by each of `rates`.
        public var gate = GateSettings()
        public init() {}

        /// The feature settings measured at every rate, in report order.
        public var settings: [Setting] {
            bits.flatMap { [Setting.quantized(bits: $0, temporal: true), .quantized(bits: $0, temporal: false)] } + [.lossless]
        }
    }

    /// What one frame rate's gate admitted, and the source seconds the video covers.
    struct Selection {
        let rate: FrameRate
        var frames: [SelectedFrame] = []
        var gate: SceneChangeGate
    }

    public static func run(_ reader: VideoReader, model: Model, options: Options, decoded: (VideoFrame) -> Void = { _ in }) throws -> [Sample] {
        // One decode, one gate per rate, the head once per frame any gate admits.
        var selections = options.rates.map { rate -> Selection in
            var settings = options.gate
            settings.fps = rate.rate
            return Selection(rate: rate, gate: SceneChangeGate(settings: settings))
        }
        var tensors: [Int: Tensor] = [:]
        var pictures: [Int: [UInt8]] = [:]
        var count = 0, last = 0.0
        func take(_ decided: [SelectedFrame], _ s: Int) throws {
            for selected in decided where selected.decision.isAdmitted {
                selections[s].frames.append(selected)
                if tensors[selected.frame.index] == nil {
                    tensors[selected.frame.index] = try model.features(rgb: selected.frame.rgb)
                    if !options.crfs.isEmpty { pictures[selected.frame.index] = selected.frame.rgb }
                }
            }
        }
        var first: Double?
        while let frame = try reader.next() {
            decoded(frame)
            first = first ?? frame.seconds
            (count, last) = (count + 1, frame.seconds)
            for s in selections.indices { try take(selections[s].gate.push(frame), s) }
        }
        for s in selections.indices { try take(selections[s].gate.finish(), s) }
        let sourceSeconds = StreamStatistics.sourceSeconds(first: first ?? 0, last: last, frames: count)
        // The lossless tail once per frame: the reference classes (none without a classifier).
        var reference: [Int: [Float]] = [:]
        if model.hasTail {
            for (index, tensor) in tensors { reference[index] = try model.logits(features: tensor) }
        }
        let scoring = Scoring(model: model, tensors: tensors, reference: reference, sourceSeconds: sourceSeconds)

        var samples: [Sample] = []
        for selection in selections where !selection.frames.isEmpty {
            var gate = options.gate
            gate.fps = selection.rate.rate
            let frames = selection.frames.map { CodecTrial.Frame(tensor: tensors[$0.frame.index]!, stamp: $0.stamp, cut: $0.decision == .cut) }
            for setting in options.settings {
                let parameters = FeatureEncoding.parameters(reader, gate: gate, model: model, coding: setting.coding!)
                let trial = try CodecTrial.run(frames, parameters: parameters, sourceSeconds: sourceSeconds)
                samples.append(try scoring.sample(selection, setting, received: trial.decoded, fileBytes: trial.stream.fileBytes,
                                                  payloadBytes: trial.stream.payloadBytes))
            }
            // The pixel line needs the whole network.
            for crf in options.crfs where model.hasTail {
                let sent = selection.frames.map { (rgb: pictures[$0.frame.index]!, seconds: $0.frame.seconds) }
                let (decodedPictures, bytes) = try PixelCodec(crf: crf).roundTrip(sent)
                let received = try decodedPictures.map { try model.features(rgb: $0) }
                samples.append(try scoring.sample(selection, .x264(crf: crf), received: received, fileBytes: bytes, payloadBytes: bytes))
            }
        }
        return samples
    }

    /// Turns what the server received into a sample: rate, feature SNR, task agreement.
    struct Scoring {
        let model: Model
        let tensors: [Int: Tensor]
        let reference: [Int: [Float]]
        let sourceSeconds: Double?

        func sample(_ selection: Selection, _ setting: Setting, received: [Tensor], fileBytes: Int, payloadBytes: Int) throws -> Sample {
            let frames = selection.frames
            var top1 = 0, top5 = 0
            for (selected, tensor) in zip(frames, received) {
                guard let expected = reference[selected.frame.index] else { continue }  // no classifier
                let logits = try model.logits(features: tensor)
                let truth = expected.indices.max { expected[$0] < expected[$1] }!
                let ranked = logits.indices.sorted { logits[$0] > logits[$1] }
                if ranked[0] == truth { top1 += 1 }
                if ranked.prefix(5).contains(truth) { top5 += 1 }
            }
            let n = Double(frames.count)
            return Sample(
                frameRate: selection.rate, setting: setting, admitted: frames.count, cuts: frames.filter { $0.decision == .cut }.count,
                kilobitsPerSecond: StreamStatistics.kilobitsPerSecond(bytes: fileBytes, seconds: sourceSeconds) ?? 0,
                bytesPerFrame: Double(payloadBytes) / n, bitsPerElement: Double(payloadBytes * 8) / (n * Double(model.featureShape.count)),
                snr: featureSNR(reference: frames.map { tensors[$0.frame.index]! }, received: received),
                top1Agreement: model.hasTail ? 100 * Double(top1) / n : nil,
                top5Agreement: model.hasTail ? 100 * Double(top5) / n : nil)
        }
    }
}

extension Setting {
    /// The codec settings of a feature setting; nil for pixels.
    public var coding: CodingSettings? {
        var s = CodingSettings()
        switch self {
        case .quantized(let bits, let temporal):
            s.precision = .quantized(levels: 1 << bits)
            s.intraOnly = !temporal
        case .lossless: s.precision = .float32
        case .x264: return nil
        }
        return s
    }
}
