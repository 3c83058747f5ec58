import ArgumentParser
import FileCrafting
import Foundation

/// featstream-fuzz: structure-aware fuzzing of the .fst decoder and the checkpoint loader, in
/// one process under a memory limit, with a per-case time limit. `make test` runs a short
/// campaign of each (FuzzTests); Tools/fuzz runs them for hours.
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "featstream-fuzz",
        abstract: "Structure-aware fuzzing of the .fst decoder and the checkpoint loader.")

    @Argument(help: "container or checkpoint")
    var target: String

    @Option(help: "Cases to run (with --seconds: at most).")
    var cases = 20_000

    @Option(help: "Stop after this many seconds.")
    var seconds: Double?

    @Option(help: "The campaign's seed.")
    var seed: UInt64 = 1

    @Option(help: "First case number (replay one case with --start N --cases 1).")
    var start = 0

    @Option(help: "Address-space limit of this process, MiB (setrlimit).")
    var memoryLimit = 1024

    @Option(help: "A case running longer than this many seconds is a finding.")
    var caseSeconds: Double = 10

    func validate() throws {
        guard ["container", "checkpoint"].contains(target) else { throw ValidationError("target must be container or checkpoint") }
    }

    func run() throws {
        var limit = rlimit(rlim_cur: rlim_t(memoryLimit) << 20, rlim_max: rlim_t(memoryLimit) << 20)
        setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
        let fuzzer: Fuzzer = target == "container" ? try ContainerFuzzer() : CheckpointFuzzer()
        Watchdog.start(limit: caseSeconds)
        var tally = Tally()
        let began = Date()
        var index = start
        while index < start + cases, seconds.map({ Date().timeIntervalSince(began) < $0 }) ?? true {
            Watchdog.begin(case: index)
            do {
                try fuzzer.run(case: index, seed: seed, tally: &tally)
            } catch {
                print("finding: case \(index) (seed \(seed)): \(type(of: error)): \(error)")
                throw ExitCode(2)
            }
            index += 1
        }
        Watchdog.begin(case: -1)
        let elapsed = Date().timeIntervalSince(began)
        print(String(format: "%@: %d cases in %.1f s, %.0f cases/s, seed %llu, no crash, no hang, memory under %d MiB",
                     target, tally.cases, elapsed, Double(tally.cases) / max(elapsed, 1e-9), seed, memoryLimit))
        print("mutation                     cases   decoded  damaged  refused")
        for name in fuzzer.mutationNames {
            let c = tally.byMutation[name] ?? [0, 0, 0]
            print(name.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: "%7d  %8d %8d %8d", c.reduce(0, +), c[0], c[1], c[2]))
        }
    }
}

/// Ends the process when one case runs too long, and names the case when one crashes: a hang
/// or a crash is a finding, and the case number replays it.
enum Watchdog {
    nonisolated(unsafe) private static var current = -1
    nonisolated(unsafe) private static var since = Date()
    private static let lock = NSLock()
    /// "finding: crash in case N\n", kept ready for the crash handler (which may not format).
    nonisolated(unsafe) private static let crashLine = UnsafeMutablePointer<CChar>.allocate(capacity: 64)
    /// The handlers in place before (Swift's backtracer), restored when a crash is named.
    nonisolated(unsafe) private static var previous = Array(repeating: sigaction(), count: 65)

    static func begin(case index: Int) {
        lock.lock()
        (current, since) = (index, Date())
        lock.unlock()
        _ = withVaList([index]) { vsnprintf(crashLine, 64, "finding: crash in case %d\n", $0) }
    }

    static func start(limit: Double) {
        crashLine[0] = 0
        // Its own stack, so that a stack overflow still gets its line; then Swift's own handler
        // (kept in `previous`) prints the backtrace.
        var stack = stack_t()
        stack.ss_size = 1 << 16
        stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: stack.ss_size, alignment: 16)
        sigaltstack(&stack, nil)
        for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                write(STDOUT_FILENO, Watchdog.crashLine, strlen(Watchdog.crashLine))
                var previous = Watchdog.previous[Int(signal)]
                sigaction(signal, &previous, nil)
                raise(signal)
            }
            action.sa_flags = SA_ONSTACK
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, &previous[Int(signal)])
        }
        let thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                lock.lock()
                let (index, elapsed) = (current, Date().timeIntervalSince(since))
                lock.unlock()
                if index >= 0 && elapsed > limit {
                    print("finding: case \(index) ran over \(limit) s")
                    fflush(nil)
                    exit(3)
                }
            }
        }
        thread.start()
    }
}

FuzzCommand.main()
