import ArgumentParser
import FeatStream
import FeatVideo
import Foundation

struct FramesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frames",
        abstract: "Decode an input and show which frames the decimator and scene-change gate admit.",
        discussion: """
            One line per decoded frame: index, pts (stream time base), seconds, decision, and \
            the scores behind it (cut: the thumbnail's difference from the previous frame; \
            change: the features' local change from the last frame sent); then a summary. The \
            model's head runs on every cut and grid frame, as in encode. Decisions: cut (first frame of a scene, \
            admitted even off the fps grid), changed (admitted), heartbeat (admitted: static, \
            but --max-gap has passed), static (dropped: like the last admitted frame), \
            decimated (dropped: off the fps grid), flash (dropped: inside a flash or short \
            burst the picture comes back from).
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Frame selection") var gate: GateOptions
    @OptionGroup(title: "Model (its features decide which grid frames changed)") var model: ModelOptions

    @Flag(help: "Decide without a model: change in pixels only (--pixel-change).")
    var noModel = false

    @Flag(help: "Print JSON on stdout: every frame, then the summary.")
    var json = false

    @Flag(name: .shortAndLong, help: "No per-frame lines (the summary only; with --json every frame is still listed) and no progress.")
    var quiet = false

    func run() throws {
        try Terminal.reportingErrors {
            let reader = try input.open()
            var progress = Progress(quiet: quiet, duration: reader.info.durationSeconds)
            let output = FrameListing(json: json, perFrame: !quiet, info: reader.info)
            output.begin()
            let network = noModel ? nil : try model.load()
            let summary = try FrameSelection.run(reader, settings: gate.settings, model: network) { selected in
                output.frame(selected)
                progress.update(frames: selected.frame.index + 1, seconds: selected.frame.seconds)
            }
            progress.finish()
            output.end(summary)
            Terminal.warnAboutInput(reader)
        }
    }
}

/// Prints the per-frame lines and the summary, as text or as one streamed JSON document.
struct FrameListing {
    let json: Bool
    let perFrame: Bool
    let info: VideoInfo
    private let encoder = JSONEncoder()

    init(json: Bool, perFrame: Bool, info: VideoInfo) {
        self.json = json
        self.perFrame = perFrame
        self.info = info
        encoder.outputFormatting = [.sortedKeys]
    }

    /// `FrameRecord`'s names, with the gate's scores.
    struct Record: Encodable {
        let sourceFrame: Int
        let pts: Int64
        let timeBase: String
        let seconds: Double
        let decision: Decision
        let cutScore: Float?
        let changeScore: Float?
        let damaged: Bool
    }

    func begin() {
        if json {
            print("{\"input\":\(encode(info)),\"frames\":[", terminator: "")
        } else if perFrame {
            print(" frame        pts   seconds  decision    cut  change")
        }
    }

    func frame(_ selected: SelectedFrame) {
        let f = selected.frame
        if json {
            // JSON always lists the frames: --quiet only silences stderr there.
            let record = Record(
                sourceFrame: f.index, pts: f.pts, timeBase: f.timeBase.description, seconds: f.seconds,
                decision: selected.decision, cutScore: selected.cutScore, changeScore: selected.changeScore,
                damaged: f.isDamaged)
            print((f.index == 0 ? "\n" : ",\n") + encode(record), terminator: "")
        } else if perFrame {
            let cut = selected.cutScore.map { String(format: "%6.2f", $0) } ?? "     -"
            let change = selected.changeScore.map { String(format: "%6.2f", $0) } ?? "     -"
            let name = selected.decision.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            let line = String(format: "%6d %10lld %9.3f", f.index, f.pts, f.seconds)
            print("\(line)  \(name) \(cut)  \(change)\(f.isDamaged ? "  damaged" : "")")
        }
    }

    func end(_ summary: SelectionSummary) {
        if json {
            print("\n],\"summary\":\(encode(summary))}")
            return
        }
        let s = summary
        print(String(format: "decoded %d frames (%.2f s of video) in %.2f s, %.0f fps", s.decoded, s.videoSeconds, s.wallSeconds, s.framesPerSecond))
        print("admitted \(s.admitted): \(s.cuts) cut, \(s.changed) changed, \(s.heartbeats) heartbeat")
        print("dropped \(s.static + s.decimated + s.flash): \(s.static) static, \(s.decimated) decimated, \(s.flash) flash")
        print("damaged \(s.damaged) frames, \(s.rejectedPackets) packets rejected; timestamp jumps: \(s.timestampJumps)")
    }

    private func encode<T: Encodable>(_ value: T) -> String {
        (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
