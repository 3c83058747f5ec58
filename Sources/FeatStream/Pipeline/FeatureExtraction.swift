import FeatCodec
import FeatModel
import FeatVideo
import Foundation

/// Video in, head tensors out: decoding and sieving (`FrameSieve`) run on their own thread
/// while the model decides and runs on the caller's (`FeatureGate`), so on two cores the head
/// costs little wall time.
public enum FeatureExtraction {
    private struct Stop: Error {}

    /// Calls `decided` for every decoded frame in order, `admitted` with the head's tensor for
    /// each frame sent, and `unchanged`, if given, with it for each grid frame the gate held back
    /// as static (`modelTime` gets the seconds of all head runs and their count at the end).
    /// Returns the selection summary.
    public static func run(
        _ reader: VideoReader, settings: GateSettings, model: Model,
        decided: (SelectedFrame) throws -> Void = { _ in },
        admitted: (SelectedFrame, Tensor) throws -> Void,
        unchanged: ((SelectedFrame, Tensor) throws -> Void)? = nil,
        modelTime: (_ seconds: Double, _ runs: Int) -> Void = { _, _ in }
    ) throws -> SelectionSummary {
        let queue = HandoffQueue<FrameSieve.Sieved>(capacity: 32)
        let outcome = Outcome()
        let moved = Moved(reader)
        let producer = Thread {
            do {
                outcome.sieving = try FrameSelection.sieve(moved.value, settings: settings) { sieved in
                    guard queue.put(sieved) else { throw Stop() }
                }
            } catch is Stop {
            } catch {
                outcome.error = error
            }
            queue.close()
            outcome.done.signal()
        }
        producer.stackSize = 4 << 20
        producer.start()
        var gate = FeatureGate(settings: settings)
        var summary = SelectionSummary()
        do {
            while let sieved = queue.take() {
                let (selected, tensor) = try gate.decide(sieved) { try model.features(rgb: $0.rgb) }
                summary.count(selected.decision)
                try decided(selected)
                guard let tensor else { continue }
                if selected.decision.isAdmitted {
                    try admitted(selected, tensor)
                } else if let unchanged, selected.decision == .static {
                    try unchanged(selected, tensor)
                }
            }
        } catch {
            queue.close()
            outcome.done.wait()
            throw error
        }
        outcome.done.wait()
        if let error = outcome.error { throw error }
        summary.finish(outcome.sieving!)
        modelTime(gate.modelSeconds, gate.modelRuns)
        return summary
    }

    /// What the producer thread hands back. Unchecked: the producer writes `sieving` and
    /// `error` before it signals `done`, and the caller reads them only after waiting on it.
    private final class Outcome: @unchecked Sendable {
        var sieving: FrameSelection.Sieving?
        var error: Error?
        let done = DispatchSemaphore(value: 0)
    }

    /// A reader given to the producer thread. Unchecked: the caller does not touch the reader
    /// from the moment it starts the thread until the thread has signalled `done`.
    private struct Moved: @unchecked Sendable {
        let value: VideoReader
        init(_ value: VideoReader) { self.value = value }
    }
}
