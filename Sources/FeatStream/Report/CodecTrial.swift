import FeatCodec
import Foundation

/// The one measurement of a coding setting, shared by `report` and the codec benchmark: the
/// frames go through `StreamEncoder` into a stream in memory, exactly as `encode` writes a file,
/// and come back through `ContainerReader` and `StreamDecoder`, exactly as `decode` reads it.
/// Sizes are the stream's own; the bitrate is `StreamStatistics`'s one definition.
public enum CodecTrial {
    /// A tensor to send, where it sits in time, and whether it opens a scene (an I-frame).
    public struct Frame: Sendable {
        /// The head tensor to code.
        public let tensor: Tensor
        /// Where the frame sits in the source, and why it was sent.
        public let stamp: StreamEncoder.Stamp
        /// Opens a scene: coded as an I-frame (`forceIntra`).
        public let cut: Bool
        /// Held back by the gate as static: rate control may still send it (`RateController.decide`);
        /// only give such frames with `rate`.
        public let unchanged: Bool
        /// A frame to code; `cut` forces an I-frame.
        public init(tensor: Tensor, stamp: StreamEncoder.Stamp, cut: Bool, unchanged: Bool = false) {
            (self.tensor, self.stamp, self.cut, self.unchanged) = (tensor, stamp, cut, unchanged)
        }
    }

    /// What a trial measured: the stream's sizes, what decodes from it, and the time each way took.
    public struct Result: Sendable {
        /// Frame counts and byte sizes of the coded stream.
        public let stream: StreamEncoder.Summary
        /// What the receiver decodes, in order, one per frame sent.
        public let decoded: [Tensor]
        /// The indices of the frames sent (all of them, without rate control).
        public let sent: [Int]
        /// The bytes each frame sent adds to the stream (packet header, payload, index entry).
        public let frameBytes: [Int]
        /// Every symbol the entropy coder coded (for bounds such as the order-0 entropy).
        public let codedSymbols: [Int32]
        /// The stream, as `encode` would have written it.
        public let bytes: [UInt8]
        /// Wall-clock seconds to code every frame and finish the stream.
        public let encodeSeconds: Double
        /// Wall-clock seconds to read the stream back and decode every frame.
        public let decodeSeconds: Double
    }

    /// Codes `frames` with `parameters` (its coding settings) and decodes the stream. With
    /// `rate` (step mode, the grid's frames per second, and the input's duration as its container
    /// declares it), a `RateController` chooses which frames are sent and at which quality, as
    /// `encode --target-kbps` does: it plans by the declared duration, as `encode` must, not by
    /// the frames decoded (`sourceSeconds`, which the stream's bitrate counts).
    public static func run(_ frames: [Frame], parameters: ParameterSet, sourceSeconds: Double?,
                           rate: (settings: RateSettings, gridFPS: Double, durationSeconds: Double?)? = nil) throws -> Result {
        let sink = MemorySink()
        let encoder = try StreamEncoder(parameters: parameters, sink: sink)
        let controller = rate.map {
            RateController(settings: $0.settings, gridFPS: $0.gridFPS, headerBytes: encoder.bytesWritten, durationSeconds: $0.durationSeconds)
        }
        var symbols: [Int32] = [], sent: [Int] = [], frameBytes: [Int] = []
        // Only the coding is timed: with the collection of every symbol (75 MB for bikes at 25
        // fps) in the timed loop, bench-codec read 82 MB/s at 40 dB where it now reads 120.
        var encodeNanoseconds: UInt64 = 0
        func timed<T>(_ work: () throws -> T) rethrows -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { encodeNanoseconds += DispatchTime.now().uptimeNanoseconds - start }
            return try work()
        }
        for (k, frame) in frames.enumerated() {
            let coded: EncodedFrame
            if let controller {
                let chosen = try timed { try controller.code(frame.tensor, at: frame.stamp, cut: frame.cut, unchanged: frame.unchanged, into: encoder) }
                guard let chosen else { continue }
                coded = chosen
            } else {
                coded = try timed { try encoder.append(frame.tensor, at: frame.stamp, forceIntra: frame.cut) }
            }
            symbols += coded.codedSymbols
            frameBytes.append(StreamEncoder.packetBytes(of: coded))
            sent.append(k)
        }
        let stream = try timed { try encoder.finish(sourceSeconds: sourceSeconds) }
        let encodeSeconds = Double(encodeNanoseconds) / 1e9
        let decodeStart = DispatchTime.now().uptimeNanoseconds
        var decoded: [Tensor] = []
        let report = try StreamDecoder(try ContainerReader(name: "trial", bytes: sink.bytes)).decode { decoded.append($1) }
        let decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e9
        guard decoded.count == sent.count, report.problems.isEmpty else {
            throw ContainerError.unreadable("trial", reason: "\(decoded.count) of \(sent.count) frames decode (\(report.problems.first.map(String.init(describing:)) ?? ""))")
        }
        return Result(stream: stream, decoded: decoded, sent: sent, frameBytes: frameBytes, codedSymbols: symbols, bytes: sink.bytes,
                      encodeSeconds: encodeSeconds, decodeSeconds: decodeSeconds)
    }
}

