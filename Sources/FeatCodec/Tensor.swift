/// A dense float32 tensor in row-major order (for feature maps: N x C x H x W or C x H x W).
public struct Tensor: Equatable, Sendable {
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// The elements in row-major order.
    public var values: [Float]

    /// A tensor of `shape` holding `values`; their count must be the product of `shape` (a precondition).
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// Number of elements.
    public var count: Int { values.count }
}
