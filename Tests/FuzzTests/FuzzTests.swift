import Foundation
import TestSupport
import Testing

/// The structure-aware fuzzers (Sources/featstream-fuzz), run as a user's file would meet the
/// release build: in a child process under a 1 GiB address-space limit, 10 s at most per case.
/// A crash or a hang ends the child with the case number; every mutation must reach past the
/// CRCs into the decoder (cases that decode, intact or with damage reported), or the fuzzer
/// would be testing only the checksums.
@Suite struct FuzzTests {
    /// The campaign's seed: fixed, so a failure here replays; FEATSTREAM_FUZZ_SEED picks another.
    static let seed = ProcessInfo.processInfo.environment["FEATSTREAM_FUZZ_SEED"] ?? "2026"

    func campaign(_ target: String, cases: Int) throws -> [String: [Int]] {
        let result = try Fixtures.run(Fixtures.fuzzer, [target, "--cases", "\(cases)", "--seed", Self.seed,
                                                        "--memory-limit", "1024", "--case-seconds", "10"])
        let out = String(decoding: result.out, as: UTF8.self)
        print(out)
        try #require(result.status == 0, "\(target): exit \(result.status)\n\(out)\(result.err)")
        #expect(out.hasPrefix("\(target): \(cases) cases in "))
        var rows: [String: [Int]] = [:]
        for line in out.split(separator: "\n").dropFirst(2) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5 else { continue }
            rows[fields.dropLast(4).joined(separator: " ")] = fields.suffix(4).compactMap { Int($0) }
        }
        return rows
    }

    @Test func containerDecoderSurvivesStructuralMutations() throws {
        let rows = try campaign("container", cases: 20_000)
        #expect(rows.count >= 30)
        // Mutations of the header JSON may all be refused; every other one must reach the decoder.
        let headerOnly: Set = ["shape", "parameter set cut"]
        for (name, counts) in rows where !headerOnly.contains(name) {
            #expect(counts[0] > 100, "\(name): only \(counts[0]) cases")
            #expect(counts[1] + counts[2] > 0, "\(name): no case got past the checks into decoding")
        }
    }

    @Test func checkpointLoaderSurvivesStructuralMutations() throws {
        let rows = try campaign("checkpoint", cases: 5_000)
        #expect(rows.count >= 20)
        // Forbidden globals and deep nesting must always be refused; the rest must sometimes load.
        for name in ["stack global", "deep nesting"] { #expect(rows[name].map { $0[1] + $0[2] } == 0, "\(name): \(rows[name] ?? [])") }
        for (name, counts) in rows where !["stack global", "deep nesting", "opcode replaced"].contains(name) {
            #expect(counts[1] + counts[2] > 0, "\(name): no case loaded")
        }
    }
}
