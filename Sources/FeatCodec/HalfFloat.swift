/// float32 to float16, for `--fp16` and `decode --dtype float16`: a finite value beyond
/// float16's range becomes ±65504 (the largest float16) and is counted, so the caller can say
/// so. Float16's own conversion made it infinite, without a word: a head's activations can
/// reach 2e5 (found by outside testing).
public enum HalfFloat {
    static func bits(_ value: Float, saturated: inout Int) -> UInt16 {
        let half = Float16(value)
        guard half.isInfinite, value.isFinite else { return half.bitPattern }
        saturated += 1
        return (value < 0 ? -Float16.greatestFiniteMagnitude : Float16.greatestFiniteMagnitude).bitPattern
    }

    /// The warning for `count` values made ±65504, nil for none.
    public static func warning(_ count: Int, _ what: String) -> String? {
        count == 0 ? nil : "\(count) values beyond float16's range were \(what) as ±65504 (the largest float16)"
    }
}
