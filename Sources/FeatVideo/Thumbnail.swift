/// A 32 x 32 picture in luma and two chroma planes (BT.601 from the 224 x 224 RGB frame),
/// averaged over 7 x 7 blocks. Small enough to compare every frame, coarse enough to ignore noise.
public struct Thumbnail: Sendable {
    /// Side of each plane in samples; each sample averages a 7 x 7 block of the 224 x 224 frame.
    public static let side = 32
    static let block = VideoFrame.side / side

    /// Y, then Cb, then Cr planes, each side x side, 0...255.
    public let planes: [Float]

    /// The thumbnail of a 224 x 224 RGB24 frame (`VideoFrame.rgb`, 150,528 bytes).
    public init(rgb: [UInt8]) {
        precondition(rgb.count == VideoFrame.side * VideoFrame.side * 3)
        let side = Thumbnail.side, block = Thumbnail.block, rowBytes = VideoFrame.side * 3
        let plane = side * side
        var planes = [Float](repeating: 0, count: 3 * plane)
        // Sum each band of `block` rows column by column first (a straight loop the compiler
        // vectorises), then add up `block` pixels across; far cheaper than walking 7 x 7 blocks.
        var columns = [UInt16](repeating: 0, count: rowBytes)
        let scale = 1 / Float(block * block)
        rgb.withUnsafeBufferPointer { src in
            columns.withUnsafeMutableBufferPointer { sums in
                planes.withUnsafeMutableBufferPointer { dst in
                    for by in 0..<side {
                        for x in 0..<rowBytes { sums[x] = 0 }
                        for y in (by * block)..<(by * block + block) {
                            let row = y * rowBytes
                            for x in 0..<rowBytes { sums[x] &+= UInt16(src[row + x]) }
                        }
                        for bx in 0..<side {
                            var r: UInt32 = 0, g: UInt32 = 0, b: UInt32 = 0
                            var p = bx * block * 3
                            for _ in 0..<block {
                                r += UInt32(sums[p]); g += UInt32(sums[p + 1]); b += UInt32(sums[p + 2])
                                p += 3
                            }
                            let (fr, fg, fb) = (Float(r) * scale, Float(g) * scale, Float(b) * scale)
                            let i = by * side + bx
                            dst[i] = 0.299 * fr + 0.587 * fg + 0.114 * fb
                            dst[plane + i] = 128 - 0.168736 * fr - 0.331264 * fg + 0.5 * fb
                            dst[2 * plane + i] = 128 + 0.5 * fr - 0.418688 * fg - 0.081312 * fb
                        }
                    }
                }
            }
        }
        self.planes = planes
    }

    /// Mean absolute difference over all samples of the three planes, 0...255.
    public func distance(to other: Thumbnail) -> Float {
        var sum: Float = 0
        planes.withUnsafeBufferPointer { a in
            other.planes.withUnsafeBufferPointer { b in
                for i in 0..<a.count { sum += abs(a[i] - b[i]) }
            }
        }
        return sum / Float(planes.count)
    }
}
