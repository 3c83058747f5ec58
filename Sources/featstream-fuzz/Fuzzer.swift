/// One fuzzing target: a case is built from the seed and its number alone, so any case can be
/// replayed with `--seed S --start N --cases 1`.
protocol Fuzzer {
    var mutationNames: [String] { get }
    /// Runs case `index`; throws only on a finding (an error the code under test must not give).
    func run(case index: Int, seed: UInt64, tally: inout Tally) throws
}

/// How a case ended: decoded intact, decoded with damage reported, or refused with a clear error.
enum Outcome: Int, CaseIterable {
    case clean, damaged, refused
}

/// Outcomes per mutation, for the summary (so a mutation that never gets past a check shows).
struct Tally {
    private(set) var cases = 0
    private(set) var byMutation: [String: [Int]] = [:]

    mutating func count(_ mutations: [String], _ outcome: Outcome) {
        cases += 1
        for name in Set(mutations) { byMutation[name, default: [0, 0, 0]][outcome.rawValue] += 1 }
    }
}

struct FuzzError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
