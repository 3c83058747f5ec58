import ArgumentParser
import FeatCodec

/// `@Option(transform:)` for numbers: decimal only (`DecimalText`), refused in the parser's one
/// line otherwise, like every other value it cannot read.
enum DecimalOption {
    static func double(_ text: String) throws -> Double {
        guard let value = DecimalText.double(text) else { throw ValidationError(message) }
        return value
    }

    static func float(_ text: String) throws -> Float {
        guard let value = DecimalText.float(text) else { throw ValidationError(message) }
        return value
    }

    static let message = "a decimal number (12.5, 1e3)"
}
