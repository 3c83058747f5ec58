import Foundation

/// Where a stream's bytes go, in order: a file, a pipe, or memory.
public protocol ByteSink: AnyObject {
    func write(_ bytes: [UInt8]) throws
}

/// A stream only counted (`info` measures the file each number of layers read would make).
final class CountingSink: ByteSink {
    private(set) var count = 0
    func write(_ bytes: [UInt8]) throws { count += bytes.count }
}

/// A stream kept in memory (a report's trials measure exact file sizes without writing files).
public final class MemorySink: ByteSink {
    /// Every byte written so far, in order.
    public private(set) var bytes: [UInt8] = []
    /// An empty sink.
    public init() {}
    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws { self.bytes += bytes }
}

extension OutputFile: ByteSink {
    /// Writes `bytes` to the output; `commit` makes it final.
    public func write(_ bytes: [UInt8]) throws { try write(Data(bytes)) }
}
