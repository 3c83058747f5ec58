import Foundation

/// Feature SNR of `decoded` against `reference`, in dB, in double precision: the tests' own
/// computation, independent of the library's.
public func snrDecibels(_ reference: [Float], _ decoded: [Float]) -> Double {
    var signal = 0.0, noise = 0.0
    for (a, b) in zip(reference, decoded) {
        signal += Double(a) * Double(a)
        noise += Double(a - b) * Double(a - b)
    }
    return 10 * log10(signal / noise)
}
