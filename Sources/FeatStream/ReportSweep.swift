import FeatCodec
import FeatModel
import FeatVideo
import Foundation

/// The sweep behind `featstream report`: every frame-rate setting x every quantizer, temporal
/// and intra-only, measured for size, feature fidelity and task fidelity (the model's tail on the
/// decoded tensors against the tail on the lossless ones).
///
/// Work is shared: the video is decoded once with one gate per frame rate running side by side,
/// each frame any gate admits runs the head once, and every setting reuses those tensors.
public enum ReportSweep {
    public struct Point: Codable, Sendable {
        public var fps: String
        public var quantizer: String
        public var temporal: Bool
        public var admitted: Int
        public var cuts: Int
        public var kilobitsPerSecond: Double
        public var bytesPerFrame: Double
        public var bitsPerElement: Double
        /// Feature SNR in dB against the lossless tensors; nil when the decode is exact.
        public var snr: Double?
        /// Percent of frames whose top-1 class is unchanged, and whose original top-1 stays in the
        /// top 5; nil when the model has no classifier (feature fidelity only).
        public var top1Agreement: Double?
        public var top5Agreement: Double?
    }

    /// `crfs`: the x264 settings of the pixel-streaming line (the admitted frames sent as H.264
    /// and run through the whole network), measured on the same axes.
    public static func run(
        _ reader: VideoReader, model: Model, rates: [Rational?], bits: [Int], crfs: [Int], gate: GateSettings,
        decoded: (VideoFrame) -> Void = { _ in }
    ) throws -> [Point] {
        // One decode, one gate per rate, the head once per frame any gate admits.
        var gates = rates.map { rate -> SceneChangeGate in
            var settings = gate
            settings.fps = rate
            return SceneChangeGate(settings: settings)
        }
        var admitted = [[SelectedFrame]](repeating: [], count: rates.count)
        var tensors: [Int: Tensor] = [:]
        var pictures: [Int: [UInt8]] = [:]
        var first: Double?, last = 0.0
        func take(_ decided: [SelectedFrame], _ g: Int) throws {
            for selected in decided where selected.decision.isAdmitted {
                admitted[g].append(selected)
                if tensors[selected.frame.index] == nil {
                    tensors[selected.frame.index] = try model.features(rgb: selected.frame.rgb)
                    if !crfs.isEmpty { pictures[selected.frame.index] = selected.frame.rgb }
                }
            }
        }
        while let frame = try reader.next() {
            decoded(frame)
            if first == nil { first = frame.seconds }
            last = frame.seconds
            for g in gates.indices { try take(gates[g].push(frame), g) }
        }
        for g in gates.indices { try take(gates[g].finish(), g) }
        let duration = max(last - (first ?? 0), 1e-9)
        // The lossless tail once per frame: the reference classes (none without a classifier).
        var reference: [Int: [Float]] = [:]
        if model.hasTail {
            for (index, tensor) in tensors { reference[index] = try model.logits(features: tensor) }
        }

        var points: [Point] = []
        for (g, rate) in rates.enumerated() where !admitted[g].isEmpty {
            let frames = admitted[g]
            for b in bits {
                for temporal in [true, false] {
                    var settings = CodingSettings()
                    settings.precision = .quantized(levels: 1 << b)
                    settings.intraOnly = !temporal
                    points.append(try measure(frames, tensors, reference, settings, model, duration,
                                              fps: rate?.description ?? "source", quantizer: "\(b) bits"))
                }
            }
            var lossless = CodingSettings()
            lossless.precision = .float32
            points.append(try measure(frames, tensors, reference, lossless, model, duration,
                                      fps: rate?.description ?? "source", quantizer: "lossless"))
            // The pixel line needs the whole network.
            for crf in crfs where model.hasTail {
                points.append(try measurePixels(frames, pictures, tensors, reference, crf: crf, model, duration,
                                                fps: rate?.description ?? "source"))
            }
        }
        return points
    }

    /// The pixel line: the admitted frames through libx264 and back, then the whole network.
    private static func measurePixels(
        _ frames: [SelectedFrame], _ pictures: [Int: [UInt8]], _ tensors: [Int: Tensor], _ reference: [Int: [Float]],
        crf: Int, _ model: Model, _ duration: Double, fps: String
    ) throws -> Point {
        let sent = frames.map { (rgb: pictures[$0.frame.index]!, seconds: $0.frame.seconds) }
        let (pictures, bytes) = try PixelCodec(crf: crf).roundTrip(sent)
        let received = try pictures.map { try model.features(rgb: $0) }
        return try score(frames, received, bytes: bytes, tensors, reference, model, duration,
                         fps: fps, quantizer: "x264 crf \(crf)", temporal: true)
    }

    /// A codec setting: the admitted tensors through the feature codec and back.
    private static func measure(
        _ frames: [SelectedFrame], _ tensors: [Int: Tensor], _ reference: [Int: [Float]], _ settings: CodingSettings,
        _ model: Model, _ duration: Double, fps: String, quantizer: String
    ) throws -> Point {
        let shape = model.featureShape.dims
        let encoder = FrameEncoder(settings: settings, shape: shape)
        let decoder = FrameDecoder(settings: settings, shape: shape)
        var bytes = 0
        let received = try frames.map { selected -> Tensor in
            let encoded = encoder.encode(tensors[selected.frame.index]!, seconds: selected.frame.seconds,
                                         forceIntra: selected.decision == .cut)
            bytes += encoded.payload.count + PacketHeader.size
            return try decoder.decode(encoded.payload[...], type: encoded.type)
        }
        return try score(frames, received, bytes: bytes, tensors, reference, model, duration,
                         fps: fps, quantizer: quantizer, temporal: !settings.intraOnly)
    }

    /// Rate, feature SNR and task fidelity of what the server received for `frames`.
    private static func score(
        _ frames: [SelectedFrame], _ received: [Tensor], bytes: Int, _ tensors: [Int: Tensor], _ reference: [Int: [Float]],
        _ model: Model, _ duration: Double, fps: String, quantizer: String, temporal: Bool
    ) throws -> Point {
        var signal = 0.0, noise = 0.0, top1 = 0, top5 = 0
        for (selected, tensor) in zip(frames, received) {
            for (x, y) in zip(tensors[selected.frame.index]!.values, tensor.values) {
                signal += Double(x) * Double(x)
                noise += (Double(x) - Double(y)) * (Double(x) - Double(y))
            }
            guard let expected = reference[selected.frame.index] else { continue }  // no classifier
            let logits = try model.logits(features: tensor)
            let truth = expected.indices.max { expected[$0] < expected[$1] }!
            let ranked = logits.indices.sorted { logits[$0] > logits[$1] }
            if ranked[0] == truth { top1 += 1 }
            if ranked.prefix(5).contains(truth) { top5 += 1 }
        }
        let n = Double(frames.count)
        return Point(
            fps: fps, quantizer: quantizer, temporal: temporal, admitted: frames.count,
            cuts: frames.filter { $0.decision == .cut }.count,
            kilobitsPerSecond: Double(bytes * 8) / duration / 1000, bytesPerFrame: Double(bytes) / n,
            bitsPerElement: Double(bytes * 8) / (n * Double(model.featureShape.count)),
            snr: noise == 0 ? nil : 10 * log10(signal / noise),
            top1Agreement: model.hasTail ? 100 * Double(top1) / n : nil,
            top5Agreement: model.hasTail ? 100 * Double(top5) / n : nil)
    }
}
