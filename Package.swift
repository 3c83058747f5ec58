// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "featstream",
    products: [
        .executable(name: "featstream", targets: ["featstream"]),
        .executable(name: "featstream-fuzz", targets: ["featstream-fuzz"]),
        .library(name: "FeatVideo", targets: ["FeatVideo"]),
        .library(name: "FeatCodec", targets: ["FeatCodec"]),
        .library(name: "FeatModel", targets: ["FeatModel"]),
        .library(name: "FeatStream", targets: ["FeatStream"]),
        .library(name: "FeatBench", targets: ["FeatBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // FFmpeg 5.1 (Debian's -dev packages). The module map links the other libraries.
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavfilter-dev", "libswscale-dev", "libavutil-dev"])]
        ),
        // oneDNN 2.6 (Debian's libdnnl-dev has no .pc file; the module map links it).
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .target(name: "FeatCodec"),
        .target(name: "FeatVideo", dependencies: ["CFFmpeg"]),
        .target(name: "FeatModel", dependencies: ["CDNNL", "FeatCodec", "ZIPFoundation"]),
        .target(name: "FeatStream", dependencies: ["FeatVideo", "FeatModel", "FeatCodec"]),
        // Model and codec benchmarks (bench-model, bench-codec): measuring, kept out of the pipelines.
        .target(name: "FeatBench", dependencies: ["FeatStream", "FeatVideo", "FeatModel", "FeatCodec"]),
        // The command line: parses, calls one library entry point per command, prints.
        .executableTarget(
            name: "featstream",
            dependencies: ["FeatStream", "FeatBench", "FeatVideo", "FeatModel", "FeatCodec",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Structure-aware fuzzing of the .fst decoder and the checkpoint loader (FuzzTests, Tools/fuzz).
        .executableTarget(
            name: "featstream-fuzz",
            dependencies: ["FeatCodec", "FeatModel", "FileCrafting", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Real files taken apart into fields and put back together with CRCs re-sealed: .fst
        // streams and PyTorch checkpoints (the fuzzers and the damage tests build on it).
        .target(name: "FileCrafting", dependencies: ["ZIPFoundation"], path: "Tests/FileCrafting"),
        .target(name: "TestSupport", dependencies: ["FeatVideo", "FeatCodec"], path: "Tests/TestSupport"),
        .testTarget(name: "FeatVideoTests", dependencies: ["FeatVideo", "TestSupport"]),
        .testTarget(name: "FeatCodecTests", dependencies: ["FeatCodec", "TestSupport", "FileCrafting"]),
        .testTarget(name: "FeatModelTests", dependencies: ["FeatModel", "FeatCodec", "TestSupport", "FileCrafting"]),
        .testTarget(name: "CommandLineTests", dependencies: ["TestSupport", "FeatCodec"]),
        .testTarget(name: "FuzzTests", dependencies: ["TestSupport"]),
        .testTarget(name: "FeatStreamTests", dependencies: ["FeatStream", "FeatModel", "FeatVideo", "FeatCodec", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
