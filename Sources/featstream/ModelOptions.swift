import ArgumentParser
import FeatModel

/// Which model, split point and weights to run.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Model: \(ModelZoo.names.joined(separator: ", ")).", valueName: "name"))
    var model = "mobilenet_v2"

    @Option(help: ArgumentHelp("Split point (a layer from 'featstream models'); default: the model's.", valueName: "layer"))
    var split: String?

    @Option(help: ArgumentHelp("A PyTorch checkpoint (.pth) to use instead of the cached weights.", valueName: "file"))
    var weights: String?

    @Option(parsing: .unconditional, help: "oneDNN threads for the model head (0: one per core). 1 leaves the other core to the video decoder; 2 pays only for large heads (VGG16), see README.")
    var modelThreads = 1

    func load() throws -> Model {
        try Model(spec: try ModelZoo.spec(named: model), split: split, weights: weights, threads: modelThreads)
    }

    func validate() throws {
        do { try Model.validate(threads: modelThreads) } catch { throw ValidationError("\(error)") }
    }
}
