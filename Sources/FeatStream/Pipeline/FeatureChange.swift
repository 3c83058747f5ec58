import FeatCodec

/// How much a feature map changed where it changed most: the map is cut into regions (about
/// 7 x 7, so a region is about 1/49 of the picture), and the score is the largest region's energy
/// of the difference over the reference's mean region energy. A small object moving changes a
/// few regions a lot; sensor noise changes every region a little (README, "How frames are chosen").
public enum FeatureChange {
    /// Regions along each side of the map.
    public static let regionsPerSide = 7

    /// The change of `tensor` (C x H x W) from `reference` (same shape); 0 when equal.
    public static func score(_ tensor: Tensor, from reference: Tensor) -> Float {
        precondition(tensor.shape == reference.shape && tensor.shape.count == 3)
        let (channels, height, width) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
        let side = max(1, height / regionsPerSide), across = max(1, width / regionsPerSide)
        let rows = (height + side - 1) / side, columns = (width + across - 1) / across
        // Region of each position of a channel plane, then energies summed over channels.
        let region = (0..<(height * width)).map { p in (p / width / side) * columns + (p % width) / across }
        var difference = [Double](repeating: 0, count: rows * columns)
        var total = 0.0
        tensor.values.withUnsafeBufferPointer { x in
            reference.values.withUnsafeBufferPointer { y in
                region.withUnsafeBufferPointer { r in
                    let plane = height * width
                    for c in 0..<channels {
                        let base = c * plane
                        for p in 0..<plane {
                            let a = Double(x[base + p]), b = Double(y[base + p])
                            difference[r[p]] += (a - b) * (a - b)
                            total += b * b
                        }
                    }
                }
            }
        }
        let largest = difference.max() ?? 0
        let meanRegion = total / Double(rows * columns)
        guard meanRegion > 0 else { return largest > 0 ? .infinity : 0 }
        return Float(largest / meanRegion)
    }
}
