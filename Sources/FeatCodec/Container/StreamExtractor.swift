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
        /// Bytes of coded frame data written (no headers).
        public var payloadBytes = 0
        /// Frames left out because they could not be decoded: damaged, or predicted from a frame
        /// that was (up to the next I-frame).
        public var framesLeftOut = 0
        /// Refinement packets of frames written, left out for the same reasons.
        public var refinementsLeftOut = 0
    }

    /// Copies the packets of `reader` that decode with a layer below `layers` (nil: every
    /// layer) to `sink` in `order`. Damaged packets are left out (`StreamDecoder.check` reports
    /// them), and so is what needs them: the P-frames after a damaged frame up to the next
    /// I-frame, and a damaged refinement's layer and those above it up to the next I-frame.
    /// The frames written are numbered 0, 1, 2, ... as the index requires (they keep their
    /// source frame and times). Kept before, they made a file that its own reader called
    /// damaged, its index refused (found by outside testing). Throws
    /// `CodingSettings.Invalid` for a layer count below 1.
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
        var summary = Summary()
        // Frame by frame, the layers that decode: layer l of a P-frame needs layer l of the frame
        // before, and every layer needs the one below. Frames the index lists but no intact
        // packet carries count as lost too.
        let last = max(packets[0].keys.max() ?? -1, reader.index?.filter { $0.layer == 0 }.map { Int($0.sequence) }.max() ?? -1)
        var referenced = [Bool](repeating: false, count: kept)
        var frames: [(sequence: Int, layers: Int)] = []
        // The frames present, each gap counted at once: a crafted sequence number of 3e8 made
        // `info`, which extracts each number of layers, loop for a minute (found by review).
        var expected = 0
        for s in packets[0].keys.sorted() + (last >= 0 && packets[0][last] == nil ? [last + 1] : []) {
            if s > expected {
                summary.framesLeftOut += s - expected
                referenced = [Bool](repeating: false, count: kept)
            }
            expected = s + 1
            guard s <= last else { break }
            let intra = packets[0][s]?.header.type == .intra
            var layers = 0
            while layers < kept, packets[layers][s] != nil, intra || referenced[layers] { layers += 1 }
            for l in 0..<kept { referenced[l] = l < layers }
            if layers == 0 {
                summary.framesLeftOut += 1
            } else {
                frames.append((s, layers))
                summary.refinementsLeftOut += (1..<kept).filter { $0 >= layers && packets[$0][s] != nil }.count
            }
        }
        var keys: [(layer: Int, frame: Int)] = []
        switch order {
        case .frames:
            for (k, frame) in frames.enumerated() { for l in 0..<frame.layers { keys.append((l, k)) } }
        case .layers:
            for l in 0..<kept { for (k, frame) in frames.enumerated() where l < frame.layers { keys.append((l, k)) } }
        }
        let writer = try ContainerWriter(sink: sink, parameters: parameters)
        for key in keys {
            var packet = packets[key.layer][frames[key.frame].sequence]!
            packet.header.sequence = UInt32(key.frame)
            try writer.append(packet.header, payload: packet.payload)
            summary.payloadBytes += packet.payload.count
        }
        try writer.finish(sourceSeconds: reader.sourceSeconds)
        (summary.frames, summary.packets, summary.fileBytes) = (frames.count, keys.count, Int(writer.bytesWritten))
        return summary
    }
}
