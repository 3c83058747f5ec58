/// Why a checkpoint could not be used. Each names the file.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case unreadable(String, reason: String)
    case truncated(String)
    case corrupted(String, reason: String)
    case forbidden(String, what: String)
    case missingKey(String, key: String)
    case wrongShape(String, key: String, expected: [Int], found: [Int])
    case wrongArchitecture(String, model: String, missing: Int, example: String, found: String)

    /// One line naming the file and what is wrong.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .truncated(let path): return "\(path): checkpoint is truncated"
        case .corrupted(let path, let reason): return "\(path): checkpoint is corrupted (\(reason))"
        case .forbidden(let path, let what):
            return "\(path): refusing to load: the checkpoint asks for \(what), which a state_dict never needs (a checkpoint must be data, not code)"
        case .missingKey(let path, let key): return "\(path): checkpoint has no parameter '\(key)'"
        case .wrongShape(let path, let key, let expected, let found):
            return "\(path): parameter '\(key)' has shape \(found), the model expects \(expected)"
        case .wrongArchitecture(let path, let model, let missing, let example, let found):
            return "\(path): not a \(model) checkpoint (\(missing) expected parameters missing, e.g. '\(example)'; it holds e.g. '\(found)')"
        }
    }
}
