/// The constants of the .fst container (docs/FORMAT.md).
public enum ContainerFormat {
    /// The first 8 bytes of every .fst file: ASCII "FEATSTRM".
    public static let magic: [UInt8] = Array("FEATSTRM".utf8)
    /// The major version written; readers reject any other.
    public static let majorVersion: UInt16 = 1
    /// 1.1: the index ends with the seconds of source video the stream covers.
    /// 1.2: step mode (`coding.precision` `steps`, `coding.channelWeights`); a 1.1 reader
    /// refuses such a parameter set, and 1.2 reads every older file.
    /// 1.3: layered step mode (`coding.precision` `layeredSteps`): refinement layers in packets
    /// of their own (packet byte 6, index entry byte 5), in frame order or all base layers first.
    /// 1.4: layered step mode's refined levels take the previous frame's layer into their
    /// contexts (`layered`); 1.3's `layeredSteps` files still decode, and a 1.3 reader refuses
    /// the new key instead of misreading it.
    /// 1.5: table-coded step mode (`coding.precision` `tabledSteps`): a frame's modes, offsets
    /// and levels in one rANS stream; a 1.4 reader refuses the key.
    /// 1.6: layered step mode's refinement models carried from frame to frame, and predicted
    /// levels in contexts of the move below (`layeredCarried`); 1.4's `layered` files still
    /// decode, and a 1.5 reader refuses the new key.
    /// 1.7: layered step mode's refinement layers in compact packets (a 21-byte header that
    /// takes the rest from the frame's base layer) that the index does not list
    /// (`layeredCompact`); 1.6's `layeredCarried` files still decode, and a 1.6 reader refuses
    /// the new key.
    /// 1.8: transformed step mode (`coding.precision` `transformed`, `coding.frequencyWeights`):
    /// table-coded step mode on each channel's 7x7-tile DCT, levels in contexts of their
    /// frequency band; a 1.7 reader refuses the key.
    /// 1.9: a P-frame's channel of transformed step mode may be coded in values instead
    /// (`transformedMixed`); 1.8's `transformed` files still decode, and a 1.8 reader refuses
    /// the new key.
    public static let minorVersion: UInt16 = 9
    static let indexMagic: [UInt8] = Array("FIDX".utf8)
    static let trailerMagic: [UInt8] = Array("FEATSEND".utf8)
    static let indexEntrySize = 24
    static let trailerSize = 16

    /// One index entry: where a coded frame (or one layer of it) starts.
    public struct IndexEntry: Sendable, Equatable {
        /// The frame's sequence number among coded frames, from 0.
        public let sequence: UInt32
        /// I or P: seeking starts at an I-frame.
        public let type: FrameType
        /// The layer the packet holds (0: the base layer).
        public var layer: UInt8 = 0
        /// Presentation time, in units of the packet's time base.
        public let pts: Int64
        /// Byte offset of the packet's magic from the start of the file.
        public let offset: UInt64
    }
}

/// Why a .fst file cannot be read at all (damage inside is reported per packet instead).
public enum ContainerError: Error, CustomStringConvertible, Equatable {
    case unreadable(String, reason: String)
    case notAStream(String)
    case unsupportedVersion(String, major: UInt16, minor: UInt16)
    case damagedHeader(String, reason: String)
    case tooLarge(String, shape: [Int], limit: Int)
    case cannotWrite(String, reason: String)
    /// The decoded tensors would exceed `DecodeLimits.maxOutputBytes`.
    case outputTooLarge(String, limit: Int)

    /// One line naming the file and what is wrong.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .notAStream(let path): return "\(path): not a featstream file (no FEATSTRM magic)"
        case .unsupportedVersion(let path, let major, let minor):
            // (Major 0 was "newer"; found by outside testing.)
            return "\(path): format version \(major).\(minor) is \(major > ContainerFormat.majorVersion ? "newer than" : "not one") this featstream reads "
                + "(\(ContainerFormat.majorVersion).x)"
        case .damagedHeader(let path, let reason): return "\(path): damaged file header (\(reason))"
        case .tooLarge(let path, let shape, let limit):
            return "\(path): tensors of \(shape.map(String.init).joined(separator: "x")) exceed the limit of \(limit) elements per frame (--max-frame-elements)"
        case .cannotWrite(let path, let reason): return "\(path): cannot write (\(reason))"
        case .outputTooLarge(let path, let limit):
            return "\(path): the decoded tensors would exceed \(limit) bytes (--max-output-bytes); nothing was written"
        }
    }
}
