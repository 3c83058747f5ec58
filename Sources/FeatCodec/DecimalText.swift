/// Numbers as a user writes them on a command line or in a trace: what Swift's own parsers
/// read (digits, a point, an exponent; inf and nan, which range checks refuse by name), except
/// hexadecimal ("0x64", "0x1p-1074"), which frame rates and frame numbers never took (some
/// options took it, others refused it; found by outside testing).
public enum DecimalText {
    public static func double(_ text: some StringProtocol) -> Double? { isHexadecimal(text) ? nil : Double(String(text)) }

    public static func float(_ text: some StringProtocol) -> Float? { isHexadecimal(text) ? nil : Float(String(text)) }

    static func isHexadecimal(_ text: some StringProtocol) -> Bool { text.lowercased().contains("0x") }
}
