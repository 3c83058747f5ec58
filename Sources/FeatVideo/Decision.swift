/// What the selection did with one decoded frame.
public enum Decision: String, Codable, CaseIterable, Sendable {
    /// Admitted: the first frame of a new scene (admitted even off the decimation grid).
    case cut
    /// Admitted: on the grid and different enough from the last admitted frame.
    case changed
    /// Admitted: on the grid, unchanged, but `maxGapSeconds` (--max-gap) has passed since the last admitted frame.
    case heartbeat
    /// Dropped: on the grid but too similar to the last admitted frame.
    case `static`
    /// Dropped: off the frame-rate grid.
    case decimated
    /// Dropped: inside a flash or short burst that the picture comes back from.
    case flash

    /// Whether the frame is sent: a cut, a changed frame or a heartbeat.
    public var isAdmitted: Bool { self == .cut || self == .changed || self == .heartbeat }
}
