import Foundation

/// Temporary output files to delete if the process is stopped by SIGINT, SIGTERM or SIGHUP.
/// The handler is async-signal-safe: it only unlink(2)s paths kept as C strings in a fixed
/// table, then lets the signal take its default course (the exit status still says which
/// signal), so an interrupted run stops at once, even mid-frame, and leaves no temporary file.
enum TemporaryFiles {
    private static let slots = 64
    // The handler reads this table without locking; registration writes it under `lock`.
    nonisolated(unsafe) private static let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: slots)
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// Adds `path`; returns its slot for `remove`, or nil when the table is full (the file is
    /// then still removed on normal exits and errors, only not on a signal).
    static func add(_ path: String) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        if !installed {
            for i in 0..<slots { table[i] = nil }
            for signal in [SIGINT, SIGTERM, SIGHUP] {
                // A signal the parent set to be ignored (nohup, a shell's background job) stays ignored.
                var current = sigaction()
                sigaction(signal, nil, &current)
                if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
                var action = sigaction()
                action.__sigaction_handler.sa_handler = { signal in
                    for i in 0..<TemporaryFiles.slots { if let path = TemporaryFiles.table[i] { unlink(path) } }
                    Glibc.signal(signal, SIG_DFL)
                    raise(signal)
                }
                sigemptyset(&action.sa_mask)
                sigaction(signal, &action, nil)
            }
            installed = true
        }
        guard let slot = (0..<slots).first(where: { table[$0] == nil }) else { return nil }
        table[slot] = strdup(path)
        return slot
    }

    static func remove(_ slot: Int) {
        lock.lock()
        defer { lock.unlock() }
        let path = table[slot]
        table[slot] = nil
        free(path)
    }
}
