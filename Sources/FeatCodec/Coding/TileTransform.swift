import Foundation

/// Transformed step mode's transform (format 1.8): a 2-D DCT-II on each 7 x 7 tile of every
/// channel (a smaller DCT on the partial tiles at the right and bottom edges), each coefficient
/// divided by its frequency's weight, in its tile's place: coefficient (u, v) of the tile at
/// (y0, x0) is stored at (y0 + u, x0 + v). (Subbands, each frequency of every tile together,
/// cost 0.7 % more on bikes with the same contexts, measured with a code switch since removed.)
///
/// Why: the tail notices low spatial frequencies far more than high ones (the highest of a 7x7
/// DCT counts 1/150 of DC for MobileNetV2 features.6 on the calibration pictures; README,
/// "Transformed step mode"), so
/// a step per frequency spends the bits where the task looks. The weights are measured by the
/// model's tail (`FrequencySensitivity`) and sent in the parameter set.
///
/// Exact for the decoder: step mode predicts and reconstructs in this transformed domain, so
/// the closed loop stays in float arithmetic that encoder and decoder share. The output passes
/// through `inverse`, and (format 1.9) a channel coded in values back through `forward`: both
/// use a basis rounded to multiples of 2^-24 (the same floats whatever libm's cosine gives in
/// its last bit) and sum in one fixed order (docs/FORMAT.md).
public struct TileTransform: Sendable {
    /// The tile's side, and the frequencies a weight table holds (`side` x `side`, u major).
    public static let side = 7
    public static let frequencies = side * side

    /// One position along an axis: its tile's first index and size, and its frequency within
    /// the tile.
    struct Position {
        let start: Int
        let size: Int
        let frequency: Int
    }

    let height: Int
    let width: Int
    private let rows: [Position]
    private let columns: [Position]
    /// Each position's weight (the frequency's step relative to the frame's), row-major, and
    /// its reciprocal.
    private let weights: [Float]
    private let reciprocals: [Float]

    /// A transform of `height` x `width` planes with `frequencyWeights` (`frequencies` values,
    /// u major; all 1 when nil).
    public init(height: Int, width: Int, frequencyWeights: [Float]?) {
        precondition(frequencyWeights == nil || frequencyWeights!.count == TileTransform.frequencies)
        (self.height, self.width) = (height, width)
        rows = TileTransform.layout(height)
        columns = TileTransform.layout(width)
        let frequency = TileTransform.frequencyIndex(height: height, width: width)
        weights = frequencyWeights.map { table in frequency.map { table[$0] } } ?? [Float](repeating: 1, count: height * width)
        reciprocals = weights.map { 1 / $0 }
        // In one fixed order, in double precision, so every decoder derives the same float.
        var sum = 0.0
        for weight in weights {
            let r = 1 / Double(weight)
            sum += r * r
        }
        valueStep = Float((Double(weights.count) / sum).squareRoot())
        bands = frequency.map { k in
            let sum = k / TileTransform.side + k % TileTransform.side
            return sum == 0 ? 0 : sum <= 2 ? 1 : sum <= 5 ? 2 : 3
        }
    }

    /// An axis of `length`: tile after tile, each tile's frequencies in order.
    static func layout(_ length: Int) -> [Position] {
        let tiles = stride(from: 0, to: length, by: side).map { (start: $0, size: min(side, length - $0)) }
        return tiles.flatMap { t in (0..<t.size).map { u in Position(start: t.start, size: t.size, frequency: u) } }
    }

    /// The 7-point frequency of the same period as `position`'s (frequency u of an m-point DCT
    /// has period 2m/u samples), which its weight is looked up by.
    static func nominal(_ position: Position) -> Int {
        min(side - 1, (2 * side * position.frequency + position.size) / (2 * position.size))
    }

    /// The frequency (u, v), u major, each position of a `height` x `width` plane takes its
    /// weight from.
    public static func frequencyIndex(height: Int, width: Int) -> [Int] {
        let rows = layout(height), columns = layout(width)
        return rows.flatMap { r in columns.map { c in nominal(r) * side + nominal(c) } }
    }

    /// The step of a channel coded in values (format 1.9), relative to its coefficients' step:
    /// 1 / sqrt(the mean of 1 / weight^2 over the plane's positions). Quantization noise of
    /// this step, white, weighs as much through the frequency weights as a coefficient step's,
    /// so the two domains' distortions compare in the same units.
    let valueStep: Float

    /// Frequency bands the level contexts tell apart (`bands`).
    static let bandCount = 4

    /// Each position's frequency band, row-major: 0 for DC, 1 up to u + v
    /// = 2, 2 up to 5, 3 beyond (of the nominal 7-point frequencies). Levels are coded in
    /// contexts of their band: the same neighbourhood predicts a smaller level at a higher
    /// frequency.
    let bands: [Int]

    /// The orthonormal DCT-II basis of each size 1 ... 7, `basis[m][u * m + j]`, each value rounded to
    /// a multiple of 2^-24 (exact in a Float).
    static let basis: [[Float]] = (0...side).map { m in
        guard m > 0 else { return [] }
        return (0..<(m * m)).map { k in
            let (u, j) = (k / m, k % m)
            let scale = (u == 0 ? 1.0 : 2.0) / Double(m)
            let value = scale.squareRoot() * cos(Double.pi * Double((2 * j + 1) * u) / Double(2 * m))
            return Float((value * 16_777_216).rounded() / 16_777_216)
        }
    }

    /// `values` (C x height x width) to weighted coefficients.
    public func forward(_ values: [Float]) -> [Float] {
        transformPlanes(values) { forward($0, into: $1, scratch: $2) }
    }

    /// Weighted coefficients back to values: `forward`'s inverse, the same floats on every
    /// machine.
    public func inverse(_ coefficients: [Float]) -> [Float] {
        transformPlanes(coefficients) { inverse($0, into: $1, scratch: $2) }
    }

    /// One plane of values to weighted coefficients, the same floats on every machine (a
    /// decoder of format 1.9 transforms the channels coded in values); `scratch` holds a plane.
    func forward(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        // Down the columns, across (as columns of the transpose), and weighted.
        TileTransform.pass(source, into: scratch, layout: rows, inverse: false, length: width)
        TileTransform.transpose(scratch, into: target, height: height, width: width)
        TileTransform.pass(target, into: scratch, layout: columns, inverse: false, length: height)
        TileTransform.transpose(scratch, into: target, height: width, width: height)
        for i in 0..<(height * width) { target[i] *= reciprocals[i] }
    }

    /// One plane of weighted coefficients back to values; `scratch` holds a plane.
    func inverse(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        for i in 0..<(height * width) { target[i] = source[i] * weights[i] }
        TileTransform.transpose(target, into: scratch, height: height, width: width)
        TileTransform.pass(scratch, into: target, layout: columns, inverse: true, length: height)
        TileTransform.transpose(target, into: scratch, height: width, width: height)
        TileTransform.pass(scratch, into: target, layout: rows, inverse: true, length: width)
    }

    /// `body(source, target, scratch)` on each plane of `values`, into a new array.
    private func transformPlanes(_ values: [Float],
                                 _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        let plane = height * width
        precondition(plane > 0 && values.count % plane == 0)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: plane)
        defer { scratch.deallocate() }
        return [Float](unsafeUninitializedCapacity: values.count) { out, count in
            values.withUnsafeBufferPointer { v in
                for base in stride(from: 0, to: values.count, by: plane) { body(v.baseAddress! + base, out.baseAddress! + base, scratch) }
            }
            count = values.count
        }
    }

    /// The 1-D transform down the columns of a plane of rows `length` long laid out as
    /// `layout` (`inverse`: from coefficient rows back to value rows). Whole rows at a time, so
    /// the inner loop runs along a row (vectorised), and each output is summed in one fixed order.
    private static func pass(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, layout: [Position], inverse: Bool,
                             length: Int) {
        target.update(repeating: 0, count: layout.count * length)
        for (p, r) in layout.enumerated() {
            let b = basis[r.size]
            for i in 0..<r.size {
                let factor = b[r.frequency &* r.size &+ i]
                let (from, to) = inverse ? (source + p &* length, target + (r.start &+ i) &* length)
                                         : (source + (r.start &+ i) &* length, target + p &* length)
                for x in 0..<length { to[x] += factor * from[x] }
            }
        }
    }

    /// `source` (`height` x `width`) transposed into `target`.
    private static func transpose(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, height: Int, width: Int) {
        for y in 0..<height {
            for x in 0..<width { target[x &* height &+ y] = source[y &* width &+ x] }
        }
    }
}
