import FeatCodec
import FeatModel
import FeatVideo
import Foundation

/// Video in, head tensors out: decoding and frame selection run on their own thread while
/// the model runs on the caller's, so on two cores the head costs little wall time.
public enum FeatureExtraction {
    private struct Stop: Error {}

    /// Calls `decided` for every decoded frame in order and `admitted` with the head's tensor
    /// for each frame the gate admits (`modelTime` gets the seconds each head run took).
    /// Returns the selection summary.
    public static func run(
        _ reader: VideoReader, settings: GateSettings, model: Model,
        decided: (SelectedFrame) throws -> Void = { _ in },
        admitted: (SelectedFrame, Tensor) throws -> Void,
        modelTime: (Double) -> Void = { _ in }
    ) throws -> SelectionSummary {
        let queue = HandoffQueue<SelectedFrame>(capacity: 32)
        let outcome = Outcome()
        let moved = Moved(reader)
        let producer = Thread {
            do {
                outcome.summary = try FrameSelection.run(moved.value, settings: settings) { selected in
                    guard queue.put(selected) else { throw Stop() }
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
        do {
            while let selected = queue.take() {
                try decided(selected)
                if selected.decision.isAdmitted {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let tensor = try model.features(rgb: selected.frame.rgb)
                    modelTime(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    try admitted(selected, tensor)
                }
            }
        } catch {
            queue.close()
            outcome.done.wait()
            throw error
        }
        outcome.done.wait()
        if let error = outcome.error { throw error }
        return outcome.summary!
    }

    /// What the producer thread hands back. Unchecked: the producer writes `summary` and
    /// `error` before it signals `done`, and the caller reads them only after waiting on it.
    private final class Outcome: @unchecked Sendable {
        var summary: SelectionSummary?
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
