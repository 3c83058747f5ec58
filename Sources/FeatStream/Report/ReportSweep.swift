import FeatCodec
import FeatModel
import FeatVideo
import Foundation

/// The sweep behind `featstream report`: every frame rate x gate threshold x setting, measured
/// for size and for what the receiver sees (`ReceiverFidelity`: on the frames sent, at every grid
/// frame, at every source frame), with pixel codecs on the same axes.
///
/// Work is shared: the video is decoded once with one `FrameSieve` per frame rate side by side,
/// the head runs once on every decoded frame (the source reference needs them all; the gates
/// reuse them), the lossless tail once per frame, and each setting's tail once per frame sent.
/// Every frame's tensor is held in memory (about 100 KB a frame for MobileNetV2 features.6):
/// meant for clips of seconds to minutes.
public enum ReportSweep {
    /// The sweep's axes.
    public struct Options: Sendable {
        /// The frame rates (each its own grid and gate).
        public var rates: [FrameRate] = [1, 2, 5, 10, 15, 30].map { .perSecond(Rational($0)) }
        /// The gate's `changeThreshold` values (a sweep axis); the rest of the gate is `gate`.
        public var changeThresholds: [Float] = [GateSettings().changeThreshold]
        /// --bits settings (each temporal and intra-only).
        public var bits = [8, 6, 4, 3, 2]
        /// Step-mode qualities (dB), task-weighted.
        public var qualities: [Double] = [40, 30, 22, 16]
        /// Whether each quality is coded on values (`Setting.steps`), on DCT tiles
        /// (`Setting.transformedSteps`), or both.
        public var onValues = true, onTiles = false
        /// Link rates (kbit/s) for rate-controlled points, on the grid of the highest frame rate.
        public var targets: [Double] = []
        /// A link to follow under rate control on that grid, for `LinkTimeline` (nil: none).
        public var bandwidth: BandwidthTrace?
        /// With more than 1: each step-mode quality is also coded in this many layers, and each
        /// number of layers read is a point (`Setting.layer`).
        public var layers = 1
        /// Rate control's `minQuality` (dB).
        public var minQuality = RateSettings.defaultMinQuality
        /// Rate control's `bufferSeconds`.
        public var bufferSeconds = 1.0

        /// Rate control over `trace` with these options' minimum quality and buffer.
        public func rateSettings(_ trace: BandwidthTrace) -> RateSettings {
            var settings = RateSettings(trace: trace)
            (settings.minQuality, settings.bufferSeconds) = (minQuality, bufferSeconds)
            return settings
        }
        /// Pixel codecs and CRF values of the pixel line (the frames sent as video, the whole
        /// network run on the decoded pictures); no CRF: no pixel line.
        public var pixelCodecs: [PixelCodec.Variant] = ["x264:realtime", "x264:medium"].compactMap(PixelCodec.Variant.init(parsing:))
        /// CRF values of the pixel line.
        public var crfs = [18, 23, 28, 33, 38, 43]
        /// The gate; its frame rate and change threshold are replaced by the axes above.
        public var gate = GateSettings()
        /// The default sweep: 1 to 30 fps, 8 to 2 bits, four qualities, x264 realtime and medium.
        public init() {}

        /// The feature settings measured at every point, in report order.
        public var settings: [Setting] {
            bits.flatMap { [Setting.quantized(bits: $0, temporal: true), .quantized(bits: $0, temporal: false)] }
                + (onValues ? qualities.map { .steps(quality: $0) } : []) + (onTiles ? qualities.map { .transformedSteps(quality: $0) } : [])
                + [.lossless]
        }
    }

    /// Everything decoded once: each frame's time, head tensor, lossless top-1 class, and its
    /// picture when the pixel line needs it.
    struct Source {
        var times: [(pts: Int64, timeBase: Rational, seconds: Double)] = []
        var tensors: [Tensor] = []
        var classes: [Int?] = []
        var pictures: [[UInt8]] = []
        var sourceSeconds: Double?

        func reference(_ indices: [Int]) -> [ReceiverFidelity.Reference] {
            indices.map { ReceiverFidelity.Reference(seconds: times[$0].seconds, tensor: tensors[$0], top1: classes[$0]) }
        }
    }

    /// The samples, in order (see `sweep`).
    public static func run(_ reader: VideoReader, model: Model, options: Options, decoded: (VideoFrame) -> Void = { _ in }) throws -> [Sample] {
        try sweep(reader, model: model, options: options, decoded: decoded).samples
    }

    /// The samples, with `options.bandwidth` the link timeline, and a line for each target left
    /// out because rate control sent no frame at it.
    public static func sweep(_ reader: VideoReader, model: Model, options: Options, decoded: (VideoFrame) -> Void = { _ in })
        throws -> (samples: [Sample], timeline: [LinkTimeline.Window], leftOut: [String]) {
        var leftOut: [String] = []
        var source = Source()
        var sieves = options.rates.map { rate -> FrameSieve in
            var settings = options.gate
            settings.fps = rate.rate
            return FrameSieve(settings: settings)
        }
        var sieved = [[FrameSieve.Sieved]](repeating: [], count: options.rates.count)
        let keepPictures = !options.crfs.isEmpty && model.hasTail
        while let frame = try reader.next() {
            decoded(frame)
            let tensor = try model.features(rgb: frame.rgb)
            source.tensors.append(tensor)
            source.classes.append(model.hasTail ? try top(model.logits(features: tensor), 1).first : nil)
            source.times.append((frame.pts, frame.timeBase, frame.seconds))
            if keepPictures { source.pictures.append(frame.rgb) }
            for s in sieves.indices { sieved[s] += sieves[s].push(frame) }
        }
        for s in sieves.indices { sieved[s] += sieves[s].finish() }
        if let first = source.times.first, let last = source.times.last {
            source.sourceSeconds = StreamStatistics.sourceSeconds(first: first.seconds, last: last.seconds, frames: source.times.count,
                                                                  frameSeconds: reader.info.framesPerSecond.map { 1 / $0 })
        }
        let sourceReference = source.reference(Array(source.times.indices))

        var samples: [Sample] = []
        var timeline: [LinkTimeline.Window] = []
        let sourceFPS = reader.info.framesPerSecond ?? 30
        func framesPerSecond(_ rate: FrameRate) -> Double { rate.rate.map { min($0.doubleValue, sourceFPS) } ?? sourceFPS }
        let topRate = options.rates.max { framesPerSecond($0) < framesPerSecond($1) }
        let topFPS = topRate.map(framesPerSecond) ?? sourceFPS
        for (r, rate) in options.rates.enumerated() {
            let gridReference = source.reference(grid(source.times.map { ($0.pts, $0.timeBase) }, rate: rate))
            for threshold in options.changeThresholds {
                var gate = options.gate
                gate.fps = rate.rate
                gate.changeThreshold = threshold
                // What the gate sends, and with the frames it held back as static what rate control may.
                let offered = try offer(sieved[r], gate: gate, tensors: source.tensors)
                let sent = offered.filter { $0.decision.isAdmitted }
                guard !sent.isEmpty else { continue }
                let point = Point(rate: rate, threshold: threshold, sent: sent, cuts: sent.filter { $0.decision == .cut }.count,
                                  grid: gridReference, source: sourceReference, sourceSeconds: source.sourceSeconds)
                let trialFrames = sent.map { CodecTrial.Frame(tensor: source.tensors[$0.frame.index], stamp: $0.stamp, cut: $0.decision == .cut) }
                for setting in options.settings {
                    var coding = setting.coding!
                    if coding.quality != nil { coding.channelWeights = try TaskWeights.weights(for: model) }
                    if coding.precision.transformed != nil { coding.frequencyWeights = try TaskWeights.frequencyWeights(for: model) }
                    let parameters = FeatureEncoding.parameters(reader, gate: gate, model: model, coding: coding)
                    let trial = try CodecTrial.run(trialFrames, parameters: parameters, sourceSeconds: source.sourceSeconds)
                    samples.append(try point.sample(setting, received: trial.decoded, fileBytes: trial.stream.fileBytes,
                                                    payloadBytes: trial.stream.payloadBytes, model: model, source: source))
                }
                if options.layers > 1 {
                    samples += try layerSamples(point, trialFrames, reader: reader, gate: gate, model: model, options: options, source: source)
                }
                // Rate control on the grid of the highest frame rate, at the first threshold.
                if rate == topRate && threshold == options.changeThresholds[0] {
                    let offeredFrames = offered.map {
                        CodecTrial.Frame(tensor: source.tensors[$0.frame.index], stamp: $0.stamp, cut: $0.decision == .cut, unchanged: $0.decision == .static)
                    }
                    var coding = Setting.rateControlled(kilobitsPerSecond: 1).coding!
                    coding.channelWeights = try TaskWeights.weights(for: model)
                    let parameters = FeatureEncoding.parameters(reader, gate: gate, model: model, coding: coding)
                    if let trace = options.bandwidth {
                        let trial = try CodecTrial.run(offeredFrames, parameters: parameters, sourceSeconds: source.sourceSeconds,
                                                       rate: (options.rateSettings(trace), topFPS, reader.info.durationSeconds))
                        let frames = trial.sent.map { offered[$0] }
                        // (A link down for the whole input made an all-zero table and plots, without a word.)
                        if frames.isEmpty {
                            leftOut.append("--bandwidth: rate control sent no frame on this link (its buffer holds less than the stream's "
                                           + "header and one frame, or the link is down); no link plots")
                        } else {
                            let received = try point.received(frames, trial.decoded, model: model)
                            timeline = LinkTimeline.windows(trace: trace, sent: zip(frames, trial.frameBytes).map { ($0.frame.seconds, $1) },
                                                            received: received, references: sourceReference)
                        }
                    }
                    for target in options.targets {
                        let trial = try CodecTrial.run(offeredFrames, parameters: parameters, sourceSeconds: source.sourceSeconds,
                                                       rate: (options.rateSettings(try BandwidthTrace(kilobitsPerSecond: target)), topFPS,
                                                             reader.info.durationSeconds))
                        // A point with no frame has no rate or fidelity to show (its sizes would be 0 / 0).
                        guard !trial.sent.isEmpty else {
                            leftOut.append("--target-kbps \(String(format: "%g", target)): rate control sent no frame (this link's buffer "
                                           + "holds less than the stream's header and one frame); the point is left out")
                            continue
                        }
                        let kept = Set(trial.sent)
                        let keptFrames = offered.indices.filter(kept.contains).map { offered[$0] }
                        let sentPoint = Point(rate: rate, threshold: threshold, sent: keptFrames, cuts: keptFrames.filter { $0.decision == .cut }.count,
                                              grid: gridReference, source: sourceReference, sourceSeconds: source.sourceSeconds)
                        samples.append(try sentPoint.sample(.rateControlled(kilobitsPerSecond: target), received: trial.decoded,
                                                            fileBytes: trial.stream.fileBytes, payloadBytes: trial.stream.payloadBytes,
                                                            model: model, source: source))
                    }
                }
                // The pixel line needs the whole network.
                for codec in options.pixelCodecs where keepPictures {
                    for crf in options.crfs {
                        let pictures = sent.map { (rgb: source.pictures[$0.frame.index], seconds: $0.frame.seconds) }
                        let (decodedPictures, bytes) = try PixelCodec(codec, crf: crf).roundTrip(pictures)
                        let received = try decodedPictures.map { try model.features(rgb: $0) }
                        samples.append(try point.sample(.pixels(codec, crf: crf), received: received, fileBytes: bytes, payloadBytes: bytes,
                                                        model: model, source: source))
                    }
                }
            }
        }
        return (samples, timeline, leftOut)
    }

    /// Each quality coded once in `options.layers` layers, then read with 1, 2, ... layers
    /// (`StreamExtractor`, as `extract --layers` writes the smaller file): the bytes and what the
    /// receiver sees at each number of layers.
    static func layerSamples(_ point: Point, _ frames: [CodecTrial.Frame], reader: VideoReader, gate: GateSettings, model: Model,
                             options: Options, source: Source) throws -> [Sample] {
        var samples: [Sample] = []
        for quality in options.qualities where quality - Double(options.layers - 1) * CodingSettings.layerGain >= 0 {
            var coding = Setting.layer(quality: quality, layers: options.layers, kept: options.layers).coding!
            coding.channelWeights = try TaskWeights.weights(for: model)
            let parameters = FeatureEncoding.parameters(reader, gate: gate, model: model, coding: coding)
            let trial = try CodecTrial.run(frames, parameters: parameters, sourceSeconds: source.sourceSeconds)
            for kept in 1...options.layers {
                let sink = MemorySink()
                let extracted = try StreamExtractor.extract(ContainerReader(name: "trial", bytes: trial.bytes), layers: kept, order: .frames, to: sink)
                let layers = try ContainerReader(name: "layers", bytes: sink.bytes)
                var received: [Tensor] = []
                _ = try StreamDecoder(layers).decode { received.append($1) }
                samples.append(try point.sample(.layer(quality: quality, layers: options.layers, kept: kept), received: received,
                                                fileBytes: extracted.fileBytes, payloadBytes: extracted.payloadBytes, model: model, source: source))
            }
        }
        return samples
    }

    /// The frames the decimator keeps at `rate` over the whole video, with no gate: the grid
    /// reference (the same fixed grid the sender's `FrameSieve` uses).
    static func grid(_ frames: [(pts: Int64, timeBase: Rational)], rate: FrameRate) -> [Int] {
        guard let first = frames.first else { return [] }
        var decimator = FrameRateDecimator(rate: rate.rate, timeBase: first.timeBase)
        return frames.indices.filter { i in
            decimator.keeps(pts: frames[i].pts, previous: i > 0 ? frames[i - 1].pts : nil, next: i + 1 < frames.count ? frames[i + 1].pts : nil)
        }
    }

    /// The frames `gate` sends, in order with the grid frames it held back as static (which only
    /// rate control may send): `FeatureGate`'s decisions, as in `encode`, on tensors already computed.
    static func offer(_ sieved: [FrameSieve.Sieved], gate: GateSettings, tensors: [Tensor]) throws -> [SelectedFrame] {
        var featureGate = FeatureGate(settings: gate)
        return try sieved.compactMap { s in
            let (selected, _) = try featureGate.decide(s) { tensors[$0.index] }
            return selected.decision.isAdmitted || selected.decision == .static ? selected : nil
        }
    }

    /// The frames one gate sent at one rate, with the grid and source references.
    struct Point {
        let rate: FrameRate
        let threshold: Float
        let sent: [SelectedFrame]
        let cuts: Int
        let grid: [ReceiverFidelity.Reference]
        let source: [ReceiverFidelity.Reference]
        let sourceSeconds: Double?

        /// What the server holds from `frames` decoded as `tensors`: each with the tail's five best classes.
        func received(_ frames: [SelectedFrame], _ tensors: [Tensor], model: Model) throws -> [ReceiverFidelity.Received] {
            try zip(frames, tensors).map { selected, tensor in
                ReceiverFidelity.Received(seconds: selected.frame.seconds, tensor: tensor,
                                          top5: model.hasTail ? top(try model.logits(features: tensor), 5) : nil)
            }
        }

        /// Rate and receiver fidelity of what the server received for the frames sent.
        func sample(_ setting: Setting, received: [Tensor], fileBytes: Int, payloadBytes: Int, model: Model, source frames: Source) throws -> Sample {
            let decoded = try self.received(sent, received, model: model)
            let n = Double(sent.count)
            return Sample(
                frameRate: rate, changeThreshold: threshold, setting: setting, admitted: sent.count, cuts: cuts,
                kilobitsPerSecond: StreamStatistics.kilobitsPerSecond(bytes: fileBytes, seconds: sourceSeconds) ?? 0,
                bytesPerFrame: Double(payloadBytes) / n, bitsPerElement: Double(payloadBytes * 8) / (n * Double(model.featureShape.count)),
                sent: ReceiverFidelity.score(frames.reference(sent.map(\.frame.index)), received: decoded),
                grid: ReceiverFidelity.score(grid, received: decoded),
                source: ReceiverFidelity.score(source, received: decoded))
        }
    }

    /// The `k` best classes of `logits`, best first.
    static func top(_ logits: [Float], _ k: Int) -> [Int] {
        Array(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(k))
    }
}

extension Setting {
    /// The codec settings of a feature setting; nil for pixels. Step mode's channel weights and
    /// the DCT's frequency weights come from the model (`TaskWeights`), added by the sweep;
    /// rate control's quality is its ceiling (40 dB, as `encode --target-kbps`).
    public var coding: CodingSettings? {
        var s = CodingSettings()
        switch self {
        case .quantized(let bits, let temporal):
            s.precision = .quantized(levels: 1 << bits)
            s.intraOnly = !temporal
        case .steps(let quality): s.precision = .stepMode(quality: quality)
        case .transformedSteps(let quality): s.precision = .transformedSteps(quality: quality)
        case .layer(let quality, let layers, _): s.precision = .layeredSteps(quality: quality, layers: layers)
        case .rateControlled: s.precision = .stepMode(quality: RateSettings.defaultMaxQuality)
        case .lossless: s.precision = .float32
        case .pixels: return nil
        }
        return s
    }
}
