/// The order of a stream's packets (`extract --order`).
public enum DeliveryOrder: String, Sendable, CaseIterable {
    /// Frame after frame, each with its layers (as `encode` writes): a cut file loses frames.
    case frames
    /// Every frame's base layer first, then every frame's first refinement, and so on: a reader
    /// has the whole clip at the base quality early, and a cut file loses only refinement.
    case layers
}

/// Writes a smaller valid stream from a layered one without decoding or re-encoding: the first
/// `layers` layers of every frame, in either delivery order. The payloads are copied as they
/// are; headers, index and parameter set are written anew (the parameter set names the layers
/// kept and the quality they give; with one layer it is a plain step-mode stream).
public enum StreamExtractor {
    /// What was written.
    public struct Summary: Sendable {
        /// Frames written (their base layers).
        public var frames = 0
        /// Packets written, every layer.
        public var packets = 0
        /// Every byte of the new stream.
        public var fileBytes = 0
    }

    /// Copies the intact packets of `reader` with a layer below `layers` (nil: every layer) to
    /// `sink` in `order`. Damaged packets are left out (`StreamDecoder.check` reports them);
    /// so are refinements without their base. Throws `CodingSettings.Invalid` for a layer
    /// count below 1.
    public static func extract(_ reader: ContainerReader, layers: Int?, order: DeliveryOrder, to sink: ByteSink) throws -> Summary {
        var parameters = reader.parameters
        let available = parameters.coding.layers
        let kept = min(layers ?? available, available)
        guard kept >= 1 else { throw CodingSettings.Invalid(option: "layers", value: "\(layers ?? 0)", expected: "1 or more") }
        if let quality = parameters.coding.quality(ofLayers: kept), available > 1 {
            parameters.coding.precision = parameters.coding.precision.relayered(quality: quality, layers: kept)
        }
        // The first intact packet of each frame and layer, by sequence number.
        var packets: [[Int: (header: PacketHeader, payload: ArraySlice<UInt8>)]] = Array(repeating: [:], count: kept)
        reader.walk { event in
            if case .packet(let header, let payload, _) = event, Int(header.layer) < kept, packets[Int(header.layer)][Int(header.sequence)] == nil {
                packets[Int(header.layer)][Int(header.sequence)] = (header, payload)
            }
            return true
        }
        let sequences = packets[0].keys.sorted()
        var keys: [(layer: Int, sequence: Int)] = []
        switch order {
        case .frames:
            for s in sequences { for l in 0..<kept where packets[l][s] != nil { keys.append((l, s)) } }
        case .layers:
            for l in 0..<kept { for s in sequences where packets[l][s] != nil { keys.append((l, s)) } }
        }
        let writer = try ContainerWriter(sink: sink, parameters: parameters)
        for key in keys {
            let packet = packets[key.layer][key.sequence]!
            try writer.append(packet.header, payload: packet.payload)
        }
        try writer.finish(sourceSeconds: reader.sourceSeconds)
        return Summary(frames: sequences.count, packets: keys.count, fileBytes: Int(writer.bytesWritten))
    }
}
