import FeatModel
import FeatVideo
import Foundation

/// Video in, decisions out, on one thread: decode every frame, sieve it (`FrameSieve`), decide it
/// (`FeatureGate`: the model's features when a model is given, else pixels), hand it on.
public enum FrameSelection {
    /// Runs the whole input and calls `body` for every frame, in order; with `model` the gate
    /// decides on the head's features (not kept). Memory stays flat.
    public static func run(
        _ reader: VideoReader, settings: GateSettings, model: Model? = nil, body: (SelectedFrame) throws -> Void
    ) throws -> SelectionSummary {
        var gate = FeatureGate(settings: settings)
        var summary = SelectionSummary()
        let sieving = try sieve(reader, settings: settings) { sieved in
            let (selected, _) = try gate.decide(sieved, head: model.map { m in { try m.features(rgb: $0.rgb) } })
            summary.count(selected.decision)
            try body(selected)
        }
        summary.finish(sieving)
        return summary
    }

    /// What the decoding side of a selection knows at its end.
    struct Sieving {
        var first: Double?
        var last = 0.0
        var damaged = 0
        var rejectedPackets = 0
        var timestampJumps = 0
        var wallSeconds = 0.0
        var frameSeconds: Double?
    }

    /// Decodes `reader` to its end through a `FrameSieve`, calling `body` with every frame.
    static func sieve(_ reader: VideoReader, settings: GateSettings, body: (FrameSieve.Sieved) throws -> Void) throws -> Sieving {
        let start = DispatchTime.now().uptimeNanoseconds
        var sieve = FrameSieve(settings: settings)
        var result = Sieving()
        while let frame = try reader.next() {
            result.first = result.first ?? frame.seconds
            result.last = frame.seconds
            for sieved in sieve.push(frame) { try body(sieved) }
        }
        for sieved in sieve.finish() { try body(sieved) }
        result.damaged = reader.damagedFrames
        result.rejectedPackets = reader.rejectedPackets
        result.timestampJumps = reader.timestampJumps
        result.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        result.frameSeconds = reader.info.framesPerSecond.map { 1 / $0 }
        return result
    }
}

extension SelectionSummary {
    /// Fills in what the decoding side measured.
    mutating func finish(_ sieving: FrameSelection.Sieving) {
        damaged = sieving.damaged
        rejectedPackets = sieving.rejectedPackets
        timestampJumps = sieving.timestampJumps
        videoSeconds = sieving.last - (sieving.first ?? 0)
        wallSeconds = sieving.wallSeconds
        frameSeconds = sieving.frameSeconds
        framesPerSecond = wallSeconds > 0 ? Double(decoded) / wallSeconds : 0
    }
}
