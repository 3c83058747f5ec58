/// Bounds on the work a file can ask for, checked before anything is allocated, so that a
/// tiny crafted file cannot claim gigabytes. The defaults sit far above every model of the zoo
/// (the largest split point, VGG16 features.1, is 3.2 M elements per frame).
public struct DecodeLimits: Sendable, Equatable {
    /// Elements (C x H x W) of one tensor.
    public var maxFrameElements = 1 << 24
    /// Bytes of decoded tensors one decode may write (all frames together).
    public var maxOutputBytes = 16 << 30
    /// Bytes each decoded value takes in that output: 4 (float32), or 2 for float16 output.
    public var outputBytesPerValue = 4

    /// The defaults: 2^24 elements per frame, 16 GiB of decoded output.
    public init() {}
}
