import Foundation

/// Child processes that a stop signal (SIGINT, SIGTERM, SIGHUP) to this one stops too. A child
/// Foundation's `Process` starts has a process group of its own, so the Ctrl-C its parent gets
/// never reaches it: `bench-model --isa all` stopped, and its benchmark child ran on for minutes
/// (found by outside testing).
public enum ChildProcesses {
    /// Stops `pid` (SIGTERM) if a stop signal ends this process. Returns what `release` takes
    /// once the child has ended (nil if the table is full).
    public static func stopWithThisProcess(_ pid: Int32) -> Int? { TemporaryFiles.addChild(pid) }

    /// Forgets a child `stopWithThisProcess` took, once it has ended.
    public static func release(_ slot: Int?) {
        if let slot { TemporaryFiles.removeChild(slot) }
    }
}
