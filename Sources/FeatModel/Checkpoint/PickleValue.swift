/// The values a PyTorch state_dict pickle can hold, and nothing else.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// Items, and the nesting depth (kept with the tuple so it is never computed recursively).
    case tuple([PickleValue], depth: Int)
    case list(PickleList)
    case dict(PickleDict)
    /// A class or function the restricted unpickler allows (see `Unpickler.allowedGlobals`).
    case global(module: String, name: String)
    /// ('storage', type, key, location, numel): where a tensor's data lives.
    case storage(StorageReference)
    case tensor(TensorReference)
}

final class PickleList {
    private(set) var items: [PickleValue] = []
    private(set) var depth = 1

    func append(contentsOf new: [PickleValue]) {
        items += new
        depth = max(depth, 1 + (new.map(\.depth).max() ?? 0))
    }
}

/// Keys are strings in a state_dict; other keys are kept in order but only strings are looked up.
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private(set) var depth = 1

    func append(key: PickleValue, value: PickleValue) {
        entries.append((key, value))
        depth = max(depth, 1 + key.depth, 1 + value.depth)
    }
}

extension PickleValue {
    /// How deeply containers nest in this value (0 for a scalar), without recursing: each
    /// container knows its own depth from when its items were added.
    var depth: Int {
        switch self {
        case .tuple(_, let depth): return depth
        case .list(let l): return l.depth
        case .dict(let d): return d.depth
        case .storage, .tensor: return 1
        default: return 0
        }
    }

    /// A tuple of `items`, with its depth.
    static func tuple(_ items: [PickleValue]) -> PickleValue {
        .tuple(items, depth: 1 + (items.map(\.depth).max() ?? 0))
    }
}

struct StorageReference {
    /// e.g. "FloatStorage"
    let type: String
    let key: String
    let count: Int
}

/// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)
struct TensorReference {
    let storage: StorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}
