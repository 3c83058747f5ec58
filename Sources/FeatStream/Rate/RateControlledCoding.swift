import FeatCodec

extension RateController {
    /// Decides for `tensor` at `stamp`, its trials coded by `encoder`, and appends the frame
    /// chosen to the stream: one frame of `encode --target-kbps`, and of `report`'s
    /// rate-controlled points, which must match it. Returns the frame sent, or nil when dropped.
    func code(_ tensor: Tensor, at stamp: StreamEncoder.Stamp, cut: Bool, unchanged: Bool, into encoder: StreamEncoder) throws -> EncodedFrame? {
        let chosen = decide(stamp, cut: cut, refresh: encoder.refreshDue(at: stamp.seconds), unchanged: unchanged) { q, intra in
            encoder.trial(tensor, at: stamp, forceIntra: intra, quality: q)
        }
        guard let chosen else { return nil }
        try encoder.append(trial: chosen.frame, at: chosen.stamp)
        return chosen.frame
    }
}
