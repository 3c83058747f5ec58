/// The values a PyTorch state_dict pickle can hold, and nothing else.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A class or function the restricted unpickler allows (see `Unpickler.allowedGlobals`).
    case global(module: String, name: String)
    /// ('storage', type, key, location, numel): where a tensor's data lives.
    case storage(StorageReference)
    case tensor(TensorReference)
}

final class PickleList { var items: [PickleValue] = [] }

/// Keys are strings in a state_dict; other keys are kept in order but only strings are looked up.
final class PickleDict {
    var entries: [(key: PickleValue, value: PickleValue)] = []
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
