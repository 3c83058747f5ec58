import ArgumentParser
import FeatCodec
import FeatModel
import FeatStream
import FeatVideo
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Sweep frame rate x quantizer: bitrate, feature SNR and task fidelity (first part).",
        discussion: """
            For every --fps and --bits setting (temporal and intra-only) and lossless: frames
            admitted and cuts, kbit/s, bytes per frame, bits per element, feature SNR against the
            lossless tensors, and top-1 / top-5 agreement of the model's tail on the decoded
            tensors with the tail on the lossless ones. Writes DIR/report.csv, DIR/report.json,
            DIR/bitrate-vs-fps.svg, DIR/rate-vs-accuracy.svg and DIR/report.html, and prints a
            table. The pixel-streaming line: the same admitted frames sent as H.264 (libx264 through
            libavcodec, zero-latency, each --crf), decoded and run through the whole network.
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Model") var model: ModelOptions

    @Option(help: ArgumentHelp("Frame rates to sweep, comma-separated ('source' keeps every frame).", valueName: "list"))
    var fps = "1,2,5,10,15,30"

    @Option(help: ArgumentHelp("Quantizer bits to sweep, comma-separated.", valueName: "list"))
    var bits = "8,6,4,3,2"

    @Option(help: ArgumentHelp("x264 CRF values of the pixel-streaming line, comma-separated ('none' to skip).", valueName: "list"))
    var crf = "18,23,28,33,38,43"

    var crfList: [Int] { crf == "none" ? [] : crf.split(separator: ",").compactMap { Int($0) } }

    @Option(help: ArgumentHelp("Output folder.", valueName: "dir"))
    var out = "report"

    @Flag(name: .shortAndLong, help: "No progress on stderr.")
    var quiet = false

    var rates: [Rational?] {
        fps.split(separator: ",").map { $0 == "source" ? nil : Rational(parsing: String($0)) }
    }

    var bitList: [Int] { bits.split(separator: ",").compactMap { Int($0) } }

    func validate() throws {
        for item in fps.split(separator: ",") where item != "source" {
            guard let r = Rational(parsing: String(item)), r.numerator > 0 else {
                throw ValidationError("--fps: '\(item)' is not a positive rate or 'source'")
            }
        }
        guard !bitList.isEmpty, bitList.count == bits.split(separator: ",").count, bitList.allSatisfy({ (2...16).contains($0) }) else {
            throw ValidationError("--bits takes numbers 2...16, comma-separated")
        }
        guard crf == "none" || (crfList.count == crf.split(separator: ",").count && crfList.allSatisfy { (0...51).contains($0) }) else {
            throw ValidationError("--crf takes numbers 0...51, comma-separated, or 'none'")
        }
    }

    struct Report: Encodable {
        let command: [String]
        let featstream: String
        let ffmpeg: String
        let oneDNN: String
        /// The instruction set oneDNN ran the model on, e.g. "avx2".
        let isa: String
        let input: String
        let model: String
        let split: String
        let points: [ReportSweep.Point]
    }

    func run() throws {
        try Terminal.reportingErrors {
            let network = try model.load()
            let reader = try input.open()
            var progress = Progress(quiet: quiet, duration: reader.info.durationSeconds)
            let points = try ReportSweep.run(reader, model: network, rates: rates, bits: bitList, crfs: crfList, gate: GateSettings()) {
                progress.update(frames: $0.index + 1, seconds: $0.seconds)
            }
            progress.finish()
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            var csv = "fps,quantizer,temporal,admitted,cuts,kbit_per_s,bytes_per_frame,bits_per_element,snr_db,top1_agreement,top5_agreement\n"
            for p in points {
                // "temporal" applies to the quantized settings only: empty for lossless and x264.
                let temporal = p.quantizer == "lossless" || p.quantizer.hasPrefix("x264") ? "" : "\(p.temporal)"
                csv += "\(p.fps),\(p.quantizer),\(temporal),\(p.admitted),\(p.cuts),"
                    + String(format: "%.3f,%.1f,%.4f,", p.kilobitsPerSecond, p.bytesPerFrame, p.bitsPerElement)
                    + (p.snr.map { String(format: "%.3f", $0) } ?? "inf")
                    + "," + (p.top1Agreement.map { String(format: "%.2f", $0) } ?? "")
                    + "," + (p.top5Agreement.map { String(format: "%.2f", $0) } ?? "") + "\n"
            }
            try OutputFile.write(Data(csv.utf8), to: out + "/report.csv")
            try OutputFile.writeJSON(Report(
                command: CommandLine.arguments, featstream: Version.string, ffmpeg: VideoReader.ffmpegVersions,
                oneDNN: Model.runtimeVersion, isa: Model.instructionSet.name, input: reader.name, model: network.spec.name,
                split: network.split, points: points), to: out + "/report.json")
            let charts = [ReportDocuments.bitrateVersusFps(points), ReportDocuments.rateVersusAccuracy(points)]
            try OutputFile.write(Data(charts[0].svg().utf8), to: out + "/bitrate-vs-fps.svg")
            try OutputFile.write(Data(charts[1].svg().utf8), to: out + "/rate-vs-accuracy.svg")
            let title = "featstream report: \(URL(fileURLWithPath: reader.name).lastPathComponent), \(network.spec.title) at \(network.split)"
            try OutputFile.write(Data(ReportDocuments.html(title: title, points: points, charts: charts).utf8), to: out + "/report.html")
            if !network.hasTail {
                Terminal.warn("\(network.weightsPath) has no classifier: feature fidelity only, no task fidelity and no x264 line")
            }
            print("\(reader.name): \(network.spec.title) at \(network.split); wrote report.csv, report.json, "
                  + "bitrate-vs-fps.svg, rate-vs-accuracy.svg, report.html in \(out)")
            print("   fps  quantizer     mode      frames  kbit/s  bytes/frame  bits/elem   SNR dB   top-1 %  top-5 %")
            for p in points {
                let mode = p.quantizer == "lossless" || p.quantizer.hasPrefix("x264") ? "-" : p.temporal ? "temporal" : "intra"
                print(p.fps.padding(toLength: 6, withPad: " ", startingAt: 0).leftPadded(6) + "  "
                      + p.quantizer.padding(toLength: 12, withPad: " ", startingAt: 0) + "  "
                      + mode.padding(toLength: 8, withPad: " ", startingAt: 0)
                      + String(format: "  %6d  %6.1f  %11.0f  %9.3f  ", p.admitted, p.kilobitsPerSecond, p.bytesPerFrame, p.bitsPerElement)
                      + (p.snr.map { String(format: "%7.2f", $0) } ?? "  exact")
                      + (p.top1Agreement.map { String(format: "  %7.1f", $0) } ?? "        -")
                      + (p.top5Agreement.map { String(format: "  %7.1f", $0) } ?? "        -"))
            }
        }
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String {
        let trimmed = trimmingCharacters(in: .whitespaces)
        return String(repeating: " ", count: max(0, width - trimmed.count)) + trimmed
    }
}
