/// A restricted pickle reader for PyTorch checkpoints. It understands the opcodes and the few
/// globals a state_dict uses and refuses everything else: a checkpoint is data and must never
/// be able to run anything.
struct Unpickler {
    /// Globals a state_dict needs. Anything else ends the load with an error.
    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
    ]
    static let storageTypes: Set<String> = [
        "FloatStorage", "HalfStorage", "DoubleStorage", "BFloat16Storage",
        "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
    ]

    /// Deepest nesting of tuples, lists and dicts accepted. PyTorch's own files nest a few
    /// levels; a crafted file nesting tens of thousands would overflow the stack when freed.
    static let maxDepth = 64

    enum Failure: Error {
        case truncated
        case forbidden(String)
        case malformed(String)
    }

    private let bytes: [UInt8]
    private(set) var position: Int

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// Reads one pickle (up to its STOP opcode) and returns its value.
    mutating func load() throws -> PickleValue {
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]

        func pop() throws -> PickleValue {
            guard let top = stack.popLast() else { throw Failure.malformed("stack underflow") }
            return top
        }
        func checkDepth(_ value: PickleValue) throws {
            guard value.depth <= Unpickler.maxDepth else {
                throw Failure.malformed("containers nested deeper than \(Unpickler.maxDepth) levels")
            }
        }
        func push(_ value: PickleValue) throws {
            try checkDepth(value)
            stack.append(value)
        }
        func popMark() throws -> [PickleValue] {
            guard let mark = marks.popLast(), mark <= stack.count else { throw Failure.malformed("missing MARK") }
            let items = Array(stack[mark...])
            stack.removeSubrange(mark...)
            return items
        }

        while true {
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte()                                   // PROTO
            case 0x95: _ = try integer(8)                               // FRAME
            case 0x2E: return try pop()                                 // STOP
            case 0x28: marks.append(stack.count)                        // MARK
            case 0x30: _ = try pop()                                    // POP
            case 0x31: _ = try popMark()                                // POP_MARK
            case 0x32: stack.append(try stack.last ?? { throw Failure.malformed("DUP on empty stack") }())
            case 0x4E: stack.append(.none)                              // NONE
            case 0x88: stack.append(.bool(true))                        // NEWTRUE
            case 0x89: stack.append(.bool(false))                       // NEWFALSE
            case 0x4A: stack.append(.int(Int64(Int32(truncatingIfNeeded: try integer(4)))))  // BININT
            case 0x4B: stack.append(.int(Int64(try byte())))            // BININT1
            case 0x4D: stack.append(.int(Int64(try integer(2))))        // BININT2
            case 0x8A:                                                  // LONG1
                let raw = try take(Int(try byte()))
                // Wider than 64 bits only in the legacy format's magic number: keep the bytes.
                stack.append(raw.count <= 8 ? .int(Unpickler.signed(raw)) : .bytes(raw))
            case 0x47:                                                  // BINFLOAT (big-endian)
                var bits: UInt64 = 0
                for _ in 0..<8 { bits = bits << 8 | UInt64(try byte()) }
                stack.append(.float(Double(bitPattern: bits)))
            case 0x58: stack.append(.string(try text(try length(4))))   // BINUNICODE
            case 0x8C: stack.append(.string(try text(try length(1))))   // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try text(try length(8))))   // BINUNICODE8
            case 0x54: stack.append(.string(try text(try length(4))))   // BINSTRING
            case 0x55: stack.append(.string(try text(try length(1))))   // SHORT_BINSTRING
            case 0x42: stack.append(.bytes(try take(try length(4))))    // BINBYTES
            case 0x43: stack.append(.bytes(try take(try length(1))))    // SHORT_BINBYTES
            case 0x29: stack.append(.tuple([]))                         // EMPTY_TUPLE
            case 0x74: try push(.tuple(try popMark()))                  // TUPLE
            case 0x85: try push(.tuple([try pop()]))                    // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); try push(.tuple([a, b]))          // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); try push(.tuple([a, b, c]))  // TUPLE3
            case 0x5D: stack.append(.list(PickleList()))                // EMPTY_LIST
            case 0x6C: let l = PickleList(); l.append(contentsOf: try popMark()); try push(.list(l))  // LIST
            case 0x61:                                                  // APPEND
                let item = try pop()
                guard case .list(let l) = stack.last else { throw Failure.malformed("APPEND to a non-list") }
                l.append(contentsOf: [item])
                try checkDepth(.list(l))
            case 0x65:                                                  // APPENDS
                let items = try popMark()
                guard case .list(let l) = stack.last else { throw Failure.malformed("APPENDS to a non-list") }
                l.append(contentsOf: items)
                try checkDepth(.list(l))
            case 0x7D: stack.append(.dict(PickleDict()))                // EMPTY_DICT
            case 0x64:                                                  // DICT
                let d = PickleDict()
                try add(try popMark(), to: d)
                try push(.dict(d))
            case 0x73:                                                  // SETITEM
                let value = try pop(), key = try pop()
                guard case .dict(let d) = stack.last else { throw Failure.malformed("SETITEM on a non-dict") }
                d.append(key: key, value: value)
                try checkDepth(.dict(d))
            case 0x75:                                                  // SETITEMS
                let items = try popMark()
                guard case .dict(let d) = stack.last else { throw Failure.malformed("SETITEMS on a non-dict") }
                try add(items, to: d)
                try checkDepth(.dict(d))
            case 0x71: memo[Int(try byte())] = try stack.last ?? { throw Failure.malformed("BINPUT on empty stack") }()
            case 0x72: memo[try length(4)] = try stack.last ?? { throw Failure.malformed("LONG_BINPUT on empty stack") }()
            case 0x94: memo[memo.count] = try stack.last ?? { throw Failure.malformed("MEMOIZE on empty stack") }()
            case 0x68, 0x6A:                                            // BINGET, LONG_BINGET
                let index = try length(opcode == 0x68 ? 1 : 4)
                guard let value = memo[index] else { throw Failure.malformed("memo \(index) unset") }
                stack.append(value)
            case 0x63:                                                  // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(try global(module, name))
            case 0x93:                                                  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw Failure.malformed("STACK_GLOBAL needs two strings")
                }
                stack.append(try global(module, name))
            case 0x52:                                                  // REDUCE
                let arguments = try pop(), callable = try pop()
                stack.append(try reduce(callable, arguments))
            case 0x62:                                                  // BUILD: state on a dict (OrderedDict._metadata)
                _ = try pop()
                guard case .dict = stack.last else { throw Failure.forbidden("BUILD on something other than a dict") }
            case 0x51:                                                  // BINPERSID
                stack.append(try persistent(try pop()))
            default:
                throw Failure.forbidden(String(format: "pickle opcode 0x%02x at byte %d", opcode, position - 1))
            }
        }
    }

    private func add(_ flat: [PickleValue], to dict: PickleDict) throws {
        guard flat.count % 2 == 0 else { throw Failure.malformed("odd number of dict items") }
        for i in stride(from: 0, to: flat.count, by: 2) { dict.append(key: flat[i], value: flat[i + 1]) }
    }

    private func global(_ module: String, _ name: String) throws -> PickleValue {
        let full = "\(module).\(name)"
        if Unpickler.allowedGlobals.contains(full) || (module == "torch" && Unpickler.storageTypes.contains(name)) {
            return .global(module: module, name: name)
        }
        throw Failure.forbidden("global \(full)")
    }

    private func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let module, let name) = callable, case .tuple(let args, _) = arguments else {
            throw Failure.forbidden("call of something other than an allowed global")
        }
        switch "\(module).\(name)" {
        case "collections.OrderedDict":
            return .dict(PickleDict())
        case "torch._utils._rebuild_tensor_v2":
            guard args.count >= 4, case .storage(let storage) = args[0], case .int(let offset) = args[1],
                  case .tuple(let size, _) = args[2], case .tuple(let stride, _) = args[3] else {
                throw Failure.malformed("unexpected arguments to _rebuild_tensor_v2")
            }
            let shape = try size.map(Unpickler.int), strides = try stride.map(Unpickler.int)
            guard offset >= 0 else { throw Failure.malformed("negative storage offset \(offset)") }
            guard shape.count == strides.count else { throw Failure.malformed("tensor size and stride differ in length") }
            return .tensor(TensorReference(storage: storage, offset: Int(offset), shape: shape, strides: strides))
        case "torch._utils._rebuild_parameter":
            guard let tensor = args.first, case .tensor = tensor else { throw Failure.malformed("parameter without tensor") }
            return tensor
        default:
            throw Failure.forbidden("call of \(module).\(name)")
        }
    }

    private func persistent(_ id: PickleValue) throws -> PickleValue {
        guard case .tuple(let fields, _) = id, fields.count >= 5, case .string("storage") = fields[0],
              case .global("torch", let type) = fields[1], case .string(let key) = fields[2],
              case .int(let count) = fields[4], count >= 0 else {
            throw Failure.malformed("persistent id that is not a tensor storage")
        }
        return .storage(StorageReference(type: type, key: key, count: Int(count)))
    }

    private static func int(_ value: PickleValue) throws -> Int {
        guard case .int(let v) = value, v >= 0, v <= Int64(Int32.max) else { throw Failure.malformed("bad tensor dimension") }
        return Int(v)
    }

    // MARK: bytes

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw Failure.truncated }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else { throw Failure.truncated }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    /// An unsigned length or index of `size` bytes; one beyond what the file holds is truncation.
    private mutating func length(_ size: Int) throws -> Int {
        guard let value = Int(exactly: try integer(size)) else { throw Failure.truncated }
        return value
    }

    private mutating func integer(_ size: Int) throws -> UInt64 {
        var value: UInt64 = 0
        for (i, b) in try take(size).enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        return value
    }

    private static func signed(_ raw: [UInt8]) -> Int64 {
        guard let last = raw.last else { return 0 }
        var value: UInt64 = 0
        for (i, b) in raw.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        if last & 0x80 != 0 && raw.count < 8 { value |= ~0 << (8 * UInt64(raw.count)) }  // sign-extend
        return Int64(bitPattern: value)
    }

    private mutating func text(_ count: Int) throws -> String {
        String(decoding: try take(count), as: UTF8.self)
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw Failure.truncated }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }
}
