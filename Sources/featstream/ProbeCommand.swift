import ArgumentParser
import FeatVideo
import Foundation

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Describe an input's container and best video stream.")

    @OptionGroup var input: InputOptions

    @Flag(help: "Print JSON on stdout.")
    var json = false

    func run() throws {
        try Terminal.reportingErrors {
            let info = try input.open().info
            if json {
                try Terminal.printJSON(info)
                return
            }
            let rate = info.frameRate.map { "\($0) (\(String(format: "%.3f", info.framesPerSecond ?? 0)) fps)" } ?? "variable/unknown"
            let duration = info.durationSeconds.map { String(format: "%.3f s", $0) } ?? "unknown"
            let profile = info.profile.map { " (\($0))" } ?? ""
            print("input:      \(info.input)")
            print("container:  \(info.container)")
            print("codec:      \(info.codec)\(profile), \(info.pixelFormat), \(info.bitDepth)-bit")
            print("size:       \(info.width)x\(info.height)" + (info.rotation != 0 ? ", shown as \(info.displayWidth)x\(info.displayHeight)" : ""))
            print("rotation:   \(info.rotation) degrees")
            print("frame rate: \(rate)")
            print("duration:   \(duration)" + (info.declaredFrames.map { ", \($0) frames declared" } ?? ""))
            print("time base:  \(info.timeBase)")
            if let bitRate = info.bitRate { print("bit rate:   \(bitRate / 1000) kbit/s") }
        }
    }
}
