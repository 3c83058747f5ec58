/// One feature channel's uniform scalar quantizer: `levels` values from `low` in steps of `step`.
/// Ranges come from the I-frame's data (clipped percentiles) and stay fixed for its group of
/// frames, so temporal prediction sees stable symbols.
struct ChannelQuantizer: Equatable {
    let low: Float
    let step: Float
    let levels: Int32
    /// The level nearest 0, where the dead zone applies.
    let zeroLevel: Int32
    let deadZone: Float

    init(low: Float, step: Float, levels: Int, deadZone: Float) {
        self.low = low
        self.step = step
        self.levels = Int32(levels)
        self.deadZone = deadZone
        zeroLevel = ChannelQuantizer.clamp(-low / step, Int32(levels))
    }

    /// The range of `values` less `clipPercent` % at each tail.
    init(fitting values: ArraySlice<Float>, levels: Int, clipPercent: Double, deadZone: Float) {
        let sorted = values.sorted()
        let n = sorted.count
        let cut = min(Int((Double(n) * clipPercent / 100).rounded(.down)), (n - 1) / 2)
        let low = sorted[cut], high = sorted[n - 1 - cut]
        let step = high > low ? (high - low) / Float(levels - 1) : 1
        self.init(low: low, step: step, levels: levels, deadZone: deadZone)
    }

    private static func clamp(_ x: Float, _ levels: Int32) -> Int32 {
        guard x.isFinite else { return 0 }
        return Int32(max(0, min(Float(levels - 1), x.rounded())))
    }

    @inline(__always)
    func quantize(_ x: Float) -> Int32 {
        let q = ChannelQuantizer.clamp((x - low) / step, levels)
        if deadZone > 0 && abs(x - dequantize(zeroLevel)) <= (0.5 + deadZone) * step { return zeroLevel }
        return q
    }

    @inline(__always)
    func dequantize(_ q: Int32) -> Float { low + Float(q) * step }
}
