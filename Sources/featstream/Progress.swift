import Foundation

/// A one-line progress meter on stderr, redrawn at most a few times a second, shown only
/// when stderr is a terminal, the input is long and the user did not ask for quiet.
struct Progress {
    let enabled: Bool
    let duration: Double?
    private var lastDraw = Date.distantPast

    init(quiet: Bool, duration: Double?) {
        self.duration = duration
        enabled = !quiet && Terminal.stderrIsTerminal && (duration ?? .infinity) > 10
    }

    mutating func update(frames: Int, seconds: Double) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.25 else { return }
        lastDraw = Date()
        let total = duration.map { String(format: " / %.1f s", $0) } ?? ""
        Terminal.writeError("\r  \(frames) frames, \(String(format: "%.1f", seconds)) s\(total)   ")
    }

    func finish() {
        if enabled { Terminal.writeError("\r\u{1B}[K") }
    }
}
