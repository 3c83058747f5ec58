import ArgumentParser

@main
struct Featstream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "featstream",
        abstract: "Turn video into a compact stream of neural-network features for split inference.",
        discussion: """
            INPUT is a file path, '-' for standard input, or any URL FFmpeg can open.
            Frames are decoded with FFmpeg, scaled to 224x224 RGB exactly as
            'ffmpeg -vf scale=224:224 -pix_fmt rgb24' does, then a frame-rate decimator and a
            scene-change gate choose which frames the model sees.
            """,
        subcommands: [ProbeCommand.self, FramesCommand.self, ModelsCommand.self, FeaturesCommand.self, EncodeCommand.self, DecodeCommand.self, ExtractCommand.self, InfoCommand.self, ReportCommand.self, BenchModelCommand.self, BenchCodecCommand.self])

    static func main() {
        ProcessSetup.run()
        main(nil)
    }
}
