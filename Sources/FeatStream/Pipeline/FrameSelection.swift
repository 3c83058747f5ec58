import FeatVideo
import Foundation

/// Video in, decisions out: decode every frame, run the gate, hand each decided frame on.
public enum FrameSelection {
    /// Runs the whole input through `gate` and calls `body` for every frame, in order.
    /// Memory stays flat: frames are decided a few at a time and then released.
    public static func run(
        _ reader: VideoReader, settings: GateSettings, body: (SelectedFrame) throws -> Void
    ) throws -> SelectionSummary {
        let start = DispatchTime.now().uptimeNanoseconds
        var gate = SceneChangeGate(settings: settings)
        var summary = SelectionSummary()
        var first: Double?, last = 0.0
        func hand(_ selected: [SelectedFrame]) throws {
            for item in selected {
                summary.count(item.decision)
                try body(item)
            }
        }
        while let frame = try reader.next() {
            if first == nil { first = frame.seconds }
            last = frame.seconds
            try hand(gate.push(frame))
        }
        try hand(gate.finish())
        summary.damaged = reader.damagedFrames
        summary.rejectedPackets = reader.rejectedPackets
        summary.videoSeconds = last - (first ?? 0)
        summary.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        summary.framesPerSecond = summary.wallSeconds > 0 ? Double(summary.decoded) / summary.wallSeconds : 0
        return summary
    }
}
