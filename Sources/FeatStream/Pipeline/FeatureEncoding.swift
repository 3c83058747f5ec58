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
        /// Every admitted frame's fate, in order (with rate control, its decision), and the
        /// unchanged frames rate control sent.
        public var log: [RateController.Entry] = []
        /// Frames sent though the gate held them back as unchanged (rate control only).
        public var unchangedSent: Int { log.filter(\.sentUnchanged).count }
        /// Rate control's warnings (the link cannot carry the content), each once, and values
        /// `--fp16` could not hold.
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
    /// and at which quality, and which frames the gate held back as unchanged still go to refine
    /// the receiver's tensor. The coder runs on its own thread, beside the head and the decoder
    /// (on two cores the three overlap; measured in README "Speed").
    public static func run(
        _ reader: VideoReader, gate: GateSettings, model: Model, coding: CodingSettings, rate: RateSettings? = nil,
        output: ByteSink, decided: (SelectedFrame) throws -> Void = { _ in }
    ) throws -> Summary {
        precondition(rate == nil || coding.quality != nil, "rate control codes in step mode")
        let encoder = try StreamEncoder(parameters: parameters(reader, gate: gate, model: model, coding: coding), sink: output)
        // The grid is --fps, but never above the source's rate (its frames are the most there are).
        let sourceFPS = reader.info.framesPerSecond ?? 30
        let controller = rate.map {
            RateController(settings: $0, gridFPS: min(gate.fps?.doubleValue ?? sourceFPS, sourceFPS), headerBytes: encoder.bytesWritten,
                           durationSeconds: reader.info.durationSeconds)
        }
        let stage = CodingStage(encoder: encoder, controller: controller, quality: coding.quality)
        let selection: SelectionSummary
        do {
            // The coder's thread takes the frames in order; a full queue waits, a closed one has failed.
            func handOver(_ selected: SelectedFrame, _ tensor: Tensor) throws {
                guard stage.queue.put(.init(tensor: tensor, stamp: selected.stamp, cut: selected.decision == .cut,
                                            unchanged: selected.decision == .static)) else {
                    throw stage.finish() ?? CancellationError()
                }
            }
            selection = try FeatureExtraction.run(reader, settings: gate, model: model, decided: decided, admitted: handOver,
                                                  unchanged: controller == nil ? nil : handOver)
        } catch {
            _ = stage.finish()
            throw error
        }
        if let error = stage.finish() { throw error }
        try controller?.checkSomethingSent()
        let stream = try encoder.finish(sourceSeconds: selection.sourceSeconds)
        return Summary(selection: selection, stream: stream, elementsPerFrame: model.featureShape.count, log: stage.log,
                       warnings: (controller?.warnings ?? []) + [HalfFloat.warning(stream.saturatedValues, "coded")].compactMap { $0 })
    }

    /// The coder's thread: takes admitted frames in order, codes them (through the rate
    /// controller, if any) and writes them. Unchecked: the encoder, the controller and `log` are
    /// touched only by the thread between `init` and `finish`, and by the caller after it.
    private final class CodingStage: @unchecked Sendable {
        struct Job: Sendable {
            let tensor: Tensor
            let stamp: StreamEncoder.Stamp
            let cut: Bool
            /// Held back by the gate as static: only rate control may send it.
            let unchanged: Bool
        }

        let queue = HandoffQueue<Job>(capacity: 8)
        private let encoder: StreamEncoder
        private let controller: RateController?
        private let quality: Double?
        private var sentLog: [RateController.Entry] = []
        private var error: Error?
        private let done = DispatchSemaphore(value: 0)
        private var finished = false

        init(encoder: StreamEncoder, controller: RateController?, quality: Double?) {
            (self.encoder, self.controller, self.quality) = (encoder, controller, quality)
            let thread = Thread { [self] in
                while let job = queue.take() {
                    do {
                        try code(job)
                    } catch {
                        self.error = error  // the first error: the frames after it are not coded
                        queue.close()
                        break
                    }
                }
                done.signal()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }

        /// Every admitted frame's fate (after `finish`).
        var log: [RateController.Entry] { controller?.log ?? sentLog }

        /// Closes the queue, waits for the thread to code what it holds, and returns its error.
        func finish() -> Error? {
            if !finished {
                queue.close()
                done.wait()
                finished = true
            }
            return error
        }

        private func code(_ job: Job) throws {
            guard let controller else {
                let frame = try encoder.append(job.tensor, at: job.stamp, forceIntra: job.cut)
                sentLog.append(.init(seconds: job.stamp.seconds, sourceFrame: job.stamp.sourceFrame, cut: job.cut, sent: true, type: frame.type.letter,
                                     quality: quality, bytes: StreamEncoder.packetBytes(of: frame),
                                     bufferFullness: nil, fps: nil, reason: nil))
                return
            }
            _ = try controller.code(job.tensor, at: job.stamp, cut: job.cut, unchanged: job.unchanged, into: encoder)
        }
    }
}

extension SelectedFrame {
    /// Where the frame sits in the source and why it is sent, as a stream records it (a static
    /// frame that rate control sends to refine the receiver's tensor is sent though unchanged,
    /// like a heartbeat).
    public var stamp: StreamEncoder.Stamp {
        let admission: PacketHeader.Admission = decision == .cut ? .cut : decision == .heartbeat || decision == .static ? .heartbeat : .changed
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
