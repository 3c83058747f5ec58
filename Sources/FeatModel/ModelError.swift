/// Why a model could not be built or run.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case unknownModel(String, known: [String])
    case unknownSplit(model: String, split: String, known: [String])
    case cannotSplit(String)
    case noWeights(model: String, hint: String)
    case noClassifier(model: String, weights: String)
    case runtime(String)

    /// One line, for the user.
    public var description: String {
        switch self {
        case .unknownModel(let name, let known): return "unknown model '\(name)' (known: \(known.joined(separator: ", ")))"
        case .unknownSplit(let model, let split, let known):
            return "\(model) has no split point '\(split)' (known: \(known.joined(separator: ", ")))"
        case .cannotSplit(let name): return "cannot split the network at '\(name)': a connection bypasses it"
        case .noWeights(let model, let hint): return "no weights for \(model): \(hint)"
        case .noClassifier(let model, let weights): return "\(weights) has no classifier for \(model): the head runs, the tail cannot"
        case .runtime(let message): return message
        }
    }
}
