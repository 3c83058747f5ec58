import Foundation
import FeatCodec

/// What the receiver sees, the one definition every report and benchmark uses. The server runs
/// the tail at every frame time on the latest tensor it has decoded at or before that time
/// ("held"); fidelity compares that with the lossless head tensor of the frame of that time:
/// - the grid reference at `--fps F`: every frame the frame-rate decimator keeps at F (no gate);
/// - the source reference: every decoded frame of the source.
/// A frame the sender dropped counts with the tensor held in its place.
public struct Fidelity: Sendable, Encodable, Equatable {
    /// Reference frames scored.
    public var frames: Int
    /// 10 log10 of the references' energy over the energy of (reference - held), summed over
    /// every reference frame; nil when equal everywhere.
    public var snr: Double?
    /// Percent of reference frames whose tail(held) top-1 class is tail(reference)'s top-1; nil
    /// without a classifier.
    public var top1: Double?
    /// Percent of reference frames whose tail(reference) top-1 class is in tail(held)'s top 5; nil without a classifier.
    public var top5: Double?
    /// `top1` frame by frame, in time order: "1" where tail(held)'s top-1 class is
    /// tail(reference)'s, "0" where not; nil without a classifier. Two settings scored on the
    /// same references compare frame by frame (`Tools/bench-rate`'s paired intervals).
    public var top1Frames: String?
}

/// The scoring behind `Fidelity`.
public enum ReceiverFidelity {
    /// A frame of the reference: its time, its lossless tensor and the tail's top-1 class on it.
    public struct Reference: Sendable {
        /// Presentation time in seconds (the source frame's `VideoFrame.seconds`).
        public let seconds: Double
        /// The lossless head tensor of the frame.
        public let tensor: Tensor
        /// The tail's top-1 class on `tensor`; nil without a classifier.
        public let top1: Int?
        /// A reference frame at `seconds` with its tensor and top-1 class.
        public init(seconds: Double, tensor: Tensor, top1: Int?) { (self.seconds, self.tensor, self.top1) = (seconds, tensor, top1) }
    }

    /// A frame the receiver decoded: its time, the tensor, and the tail's five best classes on it.
    public struct Received: Sendable {
        /// Presentation time in seconds, on the references' clock (`VideoFrame.seconds`).
        public let seconds: Double
        /// The tensor as the receiver decoded it.
        public let tensor: Tensor
        /// The tail's five best classes on `tensor`, best first; nil without a classifier.
        public let top5: [Int]?
        /// A received frame at `seconds` with its tensor and five best classes.
        public init(seconds: Double, tensor: Tensor, top5: [Int]?) { (self.seconds, self.tensor, self.top5) = (seconds, tensor, top5) }
    }

    /// Scores `received` (in time order) against `references` (in time order). Before the first
    /// frame received the receiver holds nothing: that reference frame counts as all error.
    public static func score(_ references: [Reference], received: [Received]) -> Fidelity {
        var signal = 0.0, noise = 0.0, top1 = 0, top5 = 0
        var agreement: [UInt8] = []
        var held: Received?
        var next = 0
        for reference in references {
            while next < received.count && received[next].seconds <= reference.seconds {
                held = received[next]
                next += 1
            }
            reference.tensor.values.withUnsafeBufferPointer { x in
                for i in 0..<x.count { signal += Double(x[i]) * Double(x[i]) }
                if let held {
                    held.tensor.values.withUnsafeBufferPointer { y in
                        for i in 0..<x.count { let d = Double(x[i]) - Double(y[i]); noise += d * d }
                    }
                } else {
                    for i in 0..<x.count { noise += Double(x[i]) * Double(x[i]) }
                }
            }
            if let truth = reference.top1, let ranked = held?.top5 {
                if ranked.first == truth { top1 += 1 }
                if ranked.contains(truth) { top5 += 1 }
            }
            agreement.append(reference.top1 != nil && held?.top5?.first == reference.top1 ? UInt8(ascii: "1") : UInt8(ascii: "0"))
        }
        let n = Double(references.count)
        let classified = references.first?.top1 != nil && received.first?.top5 != nil
        return Fidelity(frames: references.count, snr: noise == 0 ? nil : 10 * log10(signal / noise),
                        top1: classified && n > 0 ? 100 * Double(top1) / n : nil, top5: classified && n > 0 ? 100 * Double(top5) / n : nil,
                        top1Frames: classified && n > 0 ? String(decoding: agreement, as: UTF8.self) : nil)
    }
}

/// Feature SNR of `received` against `reference`, frame k against frame k (every frame sent):
/// `ReceiverFidelity`'s measure, for the codec benchmarks; nil when the two are equal.
public func featureSNR(reference: [Tensor], received: [Tensor]) -> Double? {
    precondition(zip(reference, received).allSatisfy { $0.count == $1.count }, "featureSNR: frames of different sizes")
    let frames = zip(reference, received).enumerated()
    return ReceiverFidelity.score(frames.map { .init(seconds: Double($0.offset), tensor: $0.element.0, top1: nil) },
                                  received: frames.map { .init(seconds: Double($0.offset), tensor: $0.element.1, top5: nil) }).snr
}
