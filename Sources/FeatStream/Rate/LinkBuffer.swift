/// The sender's side of a link that drains at a `BandwidthTrace`'s rate, as x264's VBV models a
/// decoder's buffer but for the link: bytes wait in a first-in-first-out queue that the link
/// empties at its rate (and cannot bank unused time). A packet queued at time t arrives by
/// t + `delaySeconds` exactly when the queue, with it, holds no more than the link carries
/// from t to t + `delaySeconds`.
public struct LinkBuffer: Sendable {
    /// The link's rate over time.
    public let trace: BandwidthTrace
    /// The buffer delay (`--buffer-seconds`): how late after its presentation time a packet may arrive.
    public let delaySeconds: Double
    /// Bytes queued and not yet carried, as of `time`.
    public private(set) var queuedBytes = 0.0
    /// The time `queuedBytes` refers to.
    public private(set) var time = 0.0

    /// An empty queue at time `start` (a stream's times may start below 0: a transport stream
    /// whose clock wrapped starts at -1.3 s, and a queue that began at 0 did not drain before it).
    public init(trace: BandwidthTrace, delaySeconds: Double, start: Double = 0) {
        self.trace = trace
        self.delaySeconds = delaySeconds
        time = start
    }

    /// Lets the link carry what it can until `t` (no earlier than the last time).
    public mutating func drain(until t: Double) {
        guard t > time else { return }
        queuedBytes = max(0, queuedBytes - trace.bytes(from: time, to: t))
        time = t
    }

    /// What the link carries within the delay from now: the queue's capacity at this time.
    public var capacityBytes: Double { trace.bytes(from: time, to: time + delaySeconds) }

    /// Bytes that can still join the queue now and arrive in time.
    public var spaceBytes: Double { max(0, capacityBytes - queuedBytes) }

    /// How full the queue is, as a share of its capacity now (0 empty, 1 full).
    public var fullness: Double { capacityBytes > 0 ? queuedBytes / capacityBytes : 1 }

    /// Queues `bytes` now (the caller has checked `spaceBytes`, or accepts lateness for a header).
    public mutating func add(_ bytes: Int) { queuedBytes += Double(bytes) }
}
