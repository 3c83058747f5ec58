import Foundation

/// What the process arranges before any work starts.
enum ProcessSetup {
    static func run() {
        openStandardDescriptors()
        unblockStopSignals()
        if !commandsWithoutAHead.contains(CommandLine.arguments.dropFirst().first ?? "") { ensurePassiveOpenMP() }
        // After any re-execution, and not passed on to child processes.
        standardOutputWasClosed = getenv(closedOutputVariable) != nil
        unsetenv(closedOutputVariable)
    }

    /// The commands that never run a model head, so no OpenMP team can spin: they skip the
    /// re-execution below, which would load FFmpeg's and oneDNN's libraries a second time
    /// (`info` of a small file took 0.2 s, half of it the second start).
    static let commandsWithoutAHead: Set<String> = ["probe", "models", "decode", "extract", "info"]

    /// A closed standard input, output or error is opened on a device: the next file opened
    /// would take its number, and results printed or errors written would go into it (with
    /// both stdout and stderr closed a run crashed, or hung in the crash handler; found by
    /// outside testing). Standard output goes to /dev/full, so that results printed there
    /// still fail (`Terminal.finishStandardOutput`); the others to /dev/null.
    static func openStandardDescriptors() {
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(fd, F_GETFD) < 0 && errno == EBADF {
            // Said across the re-execution below, which finds it open on /dev/full.
            if fd == STDOUT_FILENO { setenv(closedOutputVariable, "1", 1) }
            var device = open(fd == STDOUT_FILENO ? "/dev/full" : "/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY)
            if device < 0 { device = open("/dev/null", O_RDWR) }
            if device >= 0 && device != fd {
                dup2(device, fd)
                close(device)
            }
        }
    }

    /// Standard output was closed when the process started (`>&-`).
    nonisolated(unsafe) private(set) static var standardOutputWasClosed = false
    private static let closedOutputVariable = "FEATSTREAM_STDOUT_CLOSED"

    /// SIGINT, SIGTERM and SIGHUP must reach featstream so that it can remove its temporary
    /// files; a parent that started it from a thread with them blocked (Foundation's Process
    /// from a Dispatch worker does) passes that mask on. Ignored signals stay ignored.
    static func unblockStopSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// oneDNN runs on OpenMP (libgomp), whose idle threads spin by default. On a shared 2-core
    /// machine a spinning thread steals the core the video decoder needs, and a spinning team
    /// waits on a member that is descheduled: `--model-threads 2` ran 7-10x slower than one
    /// thread under load. libgomp reads OMP_WAIT_POLICY once, when it is loaded, before any Swift
    /// code runs, so the only way to set it from inside is to start again with it set: the
    /// process re-executes itself once with OMP_WAIT_POLICY=passive, unless the user chose one.
    static func ensurePassiveOpenMP() {
        guard getenv("OMP_WAIT_POLICY") == nil else { return }
        setenv("OMP_WAIT_POLICY", "passive", 1)
        // The resolved path, not /proc/self/exe itself, so `ps` still shows "featstream".
        // On success execv does not return; on failure carry on with libgomp's default.
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return }
        execv(path, CommandLine.unsafeArgv)
    }
}
