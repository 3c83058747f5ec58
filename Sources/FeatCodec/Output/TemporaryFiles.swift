import Foundation

/// What a run leaves behind if SIGINT, SIGTERM or SIGHUP stops it: temporary output files,
/// the folders made for its outputs, and child processes (`ChildProcesses`).
/// The handler is async-signal-safe: it only unlink(2)s and rmdir(2)s paths kept as C strings
/// in a fixed table and kill(2)s the children in another, then lets the signal take its default
/// course (the exit status still says which signal), so an interrupted run stops at once, even
/// mid-frame, and leaves no temporary file.
enum TemporaryFiles {
    private static let slots = 64
    private static let childSlots = 8
    // The handler reads these tables without locking; registration writes them under `lock`.
    nonisolated(unsafe) private static let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: slots)
    nonisolated(unsafe) private static let children = UnsafeMutablePointer<pid_t>.allocate(capacity: childSlots)
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// Adds `path`, a file or a folder (removed only if empty, after the files); returns its
    /// slot for `remove`, or nil when the table is full (the file is then still removed on
    /// normal exits and errors, only not on a signal).
    static func add(_ path: String) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        installIfNeeded()
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

    /// Removes `path` from the table wherever it is.
    static func remove(path: String) {
        lock.lock()
        defer { lock.unlock() }
        for slot in 0..<slots where table[slot].map({ strcmp($0, path) == 0 }) == true {
            free(table[slot])
            table[slot] = nil
        }
    }

    /// Adds a child process to stop (SIGTERM) with this one; returns its slot for `removeChild`.
    static func addChild(_ pid: pid_t) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        installIfNeeded()
        guard let slot = (0..<childSlots).first(where: { children[$0] == 0 }) else { return nil }
        children[slot] = pid
        return slot
    }

    static func removeChild(_ slot: Int) {
        lock.lock()
        defer { lock.unlock() }
        children[slot] = 0
    }

    /// Installs the handler, once (under `lock`).
    private static func installIfNeeded() {
        guard !installed else { return }
        for i in 0..<slots { table[i] = nil }
        for i in 0..<childSlots { children[i] = 0 }
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            // A signal the parent set to be ignored (nohup, a shell's background job) stays ignored.
            var current = sigaction()
            sigaction(signal, nil, &current)
            if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                for i in 0..<TemporaryFiles.childSlots where TemporaryFiles.children[i] != 0 { kill(TemporaryFiles.children[i], SIGTERM) }
                for i in 0..<TemporaryFiles.slots { if let path = TemporaryFiles.table[i] { unlink(path) } }
                // Folders after the files in them, inner ones (made later) first.
                for i in (0..<TemporaryFiles.slots).reversed() { if let path = TemporaryFiles.table[i] { rmdir(path) } }
                Glibc.signal(signal, SIG_DFL)
                raise(signal)
            }
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
        installed = true
    }
}
