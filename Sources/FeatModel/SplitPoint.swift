/// One place a model can be split, as `featstream models` lists it.
public struct SplitPoint: Codable, Sendable {
    /// The split point (a PyTorch module path), e.g. "features.6".
    public let layer: String
    /// C, H, W.
    public let shape: [Int]
    /// Elements of one tensor: C x H x W.
    public let values: Int
    /// Bytes of one tensor as float32.
    public let bytesFloat32: Int
    /// Bytes of one tensor as float16.
    public let bytesFloat16: Int
    /// Bytes of one tensor at one byte per element (8-bit levels).
    public let bytesInt8: Int
    /// Multiply-accumulates from the input to here.
    public let headMultiplyAccumulates: Int
    /// The 3GPP table's name for this split point, when it has one, and how it maps.
    public let standard: String?
    /// How the 3GPP table's layer maps to this split point, when it names one.
    public let standardNote: String?
}

extension ModelSpec {
    /// Every offered split point with its shape and sizes, from the architecture alone.
    public func splitPointTable() throws -> [SplitPoint] {
        let graph = try architecture()
        return try splitPoints.map { layer in
            guard let node = graph.index(of: layer) else {
                throw ModelError.unknownSplit(model: name, split: layer, known: splitPoints)
            }
            let shape = graph.nodes[node].shape
            let standard = standardSplits.first { $0.split == layer }
            return SplitPoint(
                layer: layer, shape: shape.dims, values: shape.count, bytesFloat32: 4 * shape.count,
                bytesFloat16: 2 * shape.count, bytesInt8: shape.count,
                headMultiplyAccumulates: graph.multiplyAccumulates(in: Array(0...node)),
                standard: standard?.label, standardNote: standard?.note)
        }
    }
}
