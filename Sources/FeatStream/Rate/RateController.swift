import FeatCodec
import Foundation

/// Holds a stream to a link (`RateSettings`): for each frame the gate admits, whether to send it
/// and at which quality, so every packet arrives within the buffer delay (`LinkBuffer`).
///
/// - A frame gets the quality that spends what the link carries until the next frame is due,
///   less what is still queued, corrected by what the stream is behind or ahead of the link:
///   the highest quality, up to the maximum, whose packet fits that budget, found by coding it
///   at trial qualities.
/// - When that quality would fall below the minimum, and the rate held could not carry the
///   minimum even with the queue drained (and what the stream is ahead paid back), the frame
///   rate drops one step (the grid rate divided by 4/3, 5/3, 2, 3, 4, 6, ...): above the minimum a
///   receiver that holds the last tensor loses less from coarse features than from a lower
///   rate, below it the classes of the frames sent flip more than holding costs
///   (`RateSettings.defaultMinQuality`); that frame still goes, at the minimum, if the queue
///   has room. When the rate held could carry it, the rate stays: the frame goes at the minimum
///   if the queue has room and the stream is not ahead of the link by more than this frame, else
///   it is dropped ("buffer draining"), so a cut's I-frame costs a few frames, not the scene's
///   frame rate. The rate rises
///   again, never above the grid, as soon as a frame like the last one sent would fit at the
///   minimum quality + 4 dB at the higher rate. Frames are due on a grid of the rate held, so
///   4/3 keeps three grid frames of four.
/// - While frames are held back (by the rate held, or by the gate as unchanged and not sent),
///   the quality goes no higher than `RateSettings.capWhileHoldingBack` over the minimum; a
///   frame that reaches it raises the frame rate a step (unless `--quality` is at or below that
///   cap).
/// - Cuts are always sent, below the minimum if they must, and later frames pay (dropped while
///   the queue is over half full). A cut that fits at no quality, or only below the floor
///   (`RateSettings.belowMinimum` under the minimum) while the queue has room for it at a
///   later frame within `RateSettings.cutWaitSeconds` (as it drains and the link's rate
///   changes), waits: the first frame after it that fits (at the floor or above), held back as
///   unchanged or not, is coded as its I-frame. Sent at once,
///   cuts went at 2.5-5.5 dB after a P-frame had filled the queue and kept no class (bikes at
///   100 kbit/s: receiver top-1 35.6 %, waiting 44.0 %).
/// - At the lowest frame rate a frame that cannot have the minimum quality is sent at it only
///   if the queue has room, else dropped; the first such frame raises a warning.
/// - When even an empty queue could not hold a frame at the minimum (a short buffer, a low
///   rate), the frames go at what fits, down to `RateSettings.belowMinimum` under it (else they
///   are held back), with a warning; the frame rate falls while the rate held carries less per
///   frame than the queue holds.
/// - When the input's length is known (`durationSeconds`, counted from the first frame), nothing
///   is planned past its end but the time the gate left the link idle (at most half the queue,
///   delivered within the buffer delay): a frame the link cannot carry by then at the minimum gets
///   its share of what it still carries (all of it for the last frame due), below the minimum
///   if it must, so the stream ends with its queue drained; and when the end lies within the
///   buffer delay a step down the frame rate sends nothing while the stream is ahead.
/// - A frame the gate held back as unchanged (`unchanged`) goes only when it is due at the rate
///   held and its budget carries at least `RateSettings.refinementGain` more than the last
///   frame sent (at the grid's rate), or, once the link has idled for half the queue, at least
///   the last frame's quality (within the queue's room, if larger than its share of the link),
///   or when it carries a deferred cut (above); else it is dropped
///   unlogged. A static scene then spends the link on precision and fresher tensors instead of
///   leaving it idle.
/// - While the link is down (it carries nothing before the next grid frame: an outage in the
///   trace) nothing is sent, a cut waits for the link's return, and the frame rate and the
///   quality held stay as they were.
/// - The link, its trace (`--bandwidth` times) and the account of what the stream is behind or
///   ahead all start at the first frame's time, whatever its timestamp.
public final class RateController {
    /// One admitted frame's decision, or an unchanged frame rate control sent, as `encode
    /// --json` logs it (without rate control: every frame sent, without the link fields).
    public struct Entry: Sendable, Codable {
        /// Presentation time in seconds.
        public let seconds: Double
        /// Index among the source's decoded frames.
        public let sourceFrame: Int
        /// The frame was a cut.
        public let cut: Bool
        /// Sent, or dropped.
        public let sent: Bool
        /// "I" or "P" when sent.
        public let type: String?
        /// The quality it was coded at (dB), when sent.
        public let quality: Double?
        /// Bytes it adds to the stream (packet header, payload, index entry); 0 when dropped.
        public let bytes: Int
        /// The link queue's fullness after the decision (share of what the link carries within the delay).
        public let bufferFullness: Double?
        /// The frame rate the controller was holding (frames per second).
        public let fps: Double?
        /// Why a frame was dropped, sent below the minimum quality, or sent though the gate held
        /// it back as unchanged (to refine, on an idle link, or as a deferred cut's I-frame); nil otherwise.
        public let reason: String?

        /// Sent though the gate held it back as unchanged (`RateController.decide`'s `unchanged`).
        public var sentUnchanged: Bool {
            sent && [RateController.refinementReason, RateController.idleReason, RateController.carriedCutReason].contains(reason)
        }

        /// Every key, null where there is no value (one shape for every line of the log).
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            // To the microsecond: a time of pts x time base read 1.4000000000000001 (found by outside testing).
            try c.encode((seconds * 1e6).rounded() / 1e6, forKey: .seconds)
            try c.encode(sourceFrame, forKey: .sourceFrame)
            try c.encode(cut, forKey: .cut)
            try c.encode(sent, forKey: .sent)
            try c.encode(type, forKey: .type)
            try c.encode(quality, forKey: .quality)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(bufferFullness, forKey: .bufferFullness)
            try c.encode(fps, forKey: .fps)
            try c.encode(reason, forKey: .reason)
        }

        /// Every field; `bufferFullness` and `fps` only under rate control.
        public init(seconds: Double, sourceFrame: Int, cut: Bool, sent: Bool, type: String?, quality: Double?, bytes: Int,
                    bufferFullness: Double?, fps: Double?, reason: String?) {
            (self.seconds, self.sourceFrame, self.cut, self.sent, self.type, self.quality) = (seconds, sourceFrame, cut, sent, type, quality)
            (self.bytes, self.bufferFullness, self.fps, self.reason) = (bytes, bufferFullness, fps, reason)
        }
    }

    /// Nothing could be sent: the link's buffer holds less than the header and any frame.
    public struct NothingSent: Error, CustomStringConvertible {
        public let description: String
    }

    /// Throws `NothingSent` when frames were admitted and none was sent (a stream of its header
    /// alone would look valid and hold nothing).
    public func checkSomethingSent() throws {
        guard let last = log.last, !log.contains(where: \.sent) else { return }
        if trace.bytes(from: startSeconds, to: last.seconds + 1 / gridFPS) == 0 {
            throw NothingSent(description: "rate control sent no frame: the link is down (0 kbit/s) from the first frame to the last")
        }
        let capacity = Int(trace.bytes(from: startSeconds, to: startSeconds + settings.bufferSeconds))
        throw NothingSent(description: "rate control sent no frame: \(Self.format(settings.bufferSeconds)) s of this link holds \(capacity) bytes, "
                          + "less than the stream's \(headerBytes)-byte header and one frame; raise --buffer-seconds or the rate")
    }

    /// Grid divisors, the frame-rate steps (a 30 fps grid reaches 0.23 fps); 4/3 keeps three
    /// grid frames of four, 5/3 three of five. Without 5/3 (a step of 1.5x from 4/3 to 2)
    /// `Tools/bench-rate` averaged 69.0 % (69.9 with it), below the best fixed setting by more
    /// than the noise at 3 points (1 with it); with it scenes at 200 kbit/s went from 57.4 to
    /// 63.1 %, zoom at 200 from 65 to 72, and at 150 / 300 / 600 kbit/s the mean rose 0.9 points.
    static let divisors: [Double] = [1, 4.0 / 3, 5.0 / 3, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128]
    /// The lowest frame rate the controller goes to.
    static let lowestFPS = 0.2

    /// What the stream is held to.
    public let settings: RateSettings
    /// The grid's rate (`--fps`, or the source's): the most the controller sends.
    public let gridFPS: Double
    /// The link's queue as of the last decision.
    public private(set) var link: LinkBuffer
    /// Every decision so far.
    public private(set) var log: [Entry] = []
    /// Warnings, each once.
    public private(set) var warnings: [String] = []
    private var warnedLinkShort = false, warnedCutTooLarge = false, warnedCutLost = false
    /// How long the input is, when known (a file's duration): the link carries every byte by
    /// its end, so the rate over a short clip is the link's, not the link's plus a full buffer.
    public let durationSeconds: Double?
    private let headerBytes: Int
    /// The link's rate over time, counted from the first frame (`BandwidthTrace.shifted`).
    private var trace: BandwidthTrace
    /// The first frame's time (a stream's times need not start at 0: MPEG-TS starts near 1.4 s),
    /// from which the stream is behind or ahead of the link.
    private var startSeconds = 0.0
    /// The input's end: the first frame's time + `durationSeconds`.
    private var endSeconds: Double?
    private var level = 0
    private let lowestLevel: Int
    private var lastSent = -Double.infinity
    /// When the next frame is due at the rate held: on a grid of that rate's spacing, so a
    /// fractional divisor keeps its share of the frames.
    private var nextDue = -Double.infinity
    private var lastQuality: Double
    /// A cut the link could not take yet: the next frame sent is its I-frame.
    private var pendingCut = false
    /// Bytes of the last frame sent, coded at the minimum quality + 4 dB (when below the grid rate).
    private var probeBytes: Int?
    /// Whether a frame came since the last one sent and was not sent: kept back by the rate held,
    /// or held back by the gate as unchanged and not sent to refine.
    private var heldBack = false
    /// Every byte queued so far, header included.
    private var sentBytes: Double

    /// `headerBytes`: the stream's header, queued with the first frame.
    public init(settings: RateSettings, gridFPS: Double, headerBytes: Int, durationSeconds: Double? = nil) {
        self.settings = settings
        self.durationSeconds = durationSeconds.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        let grid = gridFPS.isFinite && gridFPS > 0 ? gridFPS : 30
        self.gridFPS = grid
        trace = settings.trace
        link = LinkBuffer(trace: settings.trace, delaySeconds: settings.bufferSeconds)
        self.headerBytes = headerBytes
        sentBytes = Double(headerBytes)
        lowestLevel = RateController.divisors.lastIndex { grid / $0 >= RateController.lowestFPS } ?? 0
        lastQuality = (settings.minQuality + settings.maxQuality) / 2
    }

    /// The frame rate held now.
    public var fps: Double { gridFPS / RateController.divisors[level] }

    /// Decides for the frame at `seconds`; `trial(quality, intra)` codes it (without sending).
    /// `refresh`: the coder will make it an I-frame anyway (its group is over), so it is coded
    /// as one; unlike a cut it waits for its turn at the rate held and fits the budget like any
    /// frame (sent like a cut, with `--gop 0.1` every frame went as an I-frame at 5-7 dB with
    /// the queue full, and pan at 200 kbit/s ended 22 % over the link's rate). `unchanged`: the
    /// gate held the frame back as static; it may still go to refine the receiver's tensor, or
    /// as a deferred cut's I-frame (logged only when sent). Returns the coded frame to send, or
    /// nil to drop it.
    public func decide(seconds: Double, sourceFrame: Int, cut: Bool, refresh: Bool = false, unchanged: Bool = false,
                       trial: (Double, Bool) -> EncodedFrame) -> EncodedFrame? {
        // Before the first frame there is nothing to refine. A deferred cut goes with a later
        // frame, held back as unchanged or not (a static scene admits none for up to --max-gap).
        if unchanged && log.isEmpty { return nil }
        if log.isEmpty {
            // The link and its trace start with the stream: the header goes just before the first frame.
            trace = settings.trace.shifted(by: seconds)
            link = LinkBuffer(trace: trace, delaySeconds: settings.bufferSeconds, start: seconds)
            link.add(headerBytes)
            startSeconds = seconds
            endSeconds = durationSeconds.map { seconds + $0 }
        }
        link.drain(until: seconds)
        // While the link is down (a 0 kbit/s line of the trace, lasting past the next grid frame)
        // nothing is sent, and the frame rate and the quality held stay as they were: a frame
        // queued now arrives hardly sooner than a fresher one sent when the link returns, and an
        // outage says nothing of the rate the link returns at. (Outages stepped the frame rate down once a frame,
        // logged "buffer full" with the queue empty, and blamed the buffer for a cut's size.)
        if trace.bytes(from: seconds, to: seconds + 1 / gridFPS) == 0 {
            pendingCut = pendingCut || cut
            if pendingCut, trace.bytes(from: seconds, to: endSeconds ?? .greatestFiniteMagnitude) == 0 { warnCutLost(seconds) }
            if unchanged { return nil }
            record(seconds, sourceFrame, cut, nil, nil, pendingCut ? RateController.linkDownCutReason : RateController.linkDownReason)
            return nil
        }
        if unchanged && !pendingCut {
            let refined = refinement(seconds: seconds, sourceFrame: sourceFrame, refresh: refresh, trial: trial)
            // Frames the gate holds back leave the changed ones the budget of several: the
            // quality cap below counts them as frames held back too (bikes at 800 kbit/s, where
            // the gate admitted one frame in four at 12.5 fps, sent them at 31 to 35 dB).
            if refined == nil { heldBack = true }
            return refined
        }
        let mustSend = cut || pendingCut
        let intra = mustSend || refresh
        var trials: [Double: EncodedFrame] = [:]
        func size(_ q: Double) -> Int {
            if trials[q] == nil { trials[q] = trial(q, intra) }
            return StreamEncoder.packetBytes(of: trials[q]!)
        }
        func drop(_ reason: String) -> EncodedFrame? {
            record(seconds, sourceFrame, cut, nil, nil, reason)
            return nil
        }
        if let higher = higherLevel(at: seconds) {
            // The higher rate's spacing counts from the last frame sent, not the lower rate's.
            level = higher
            nextDue = min(nextDue, lastSent + 1 / fps)
        }
        if !mustSend && seconds < nextDue - 0.5 / gridFPS {
            heldBack = true
            return drop("frame rate")
        }
        let (space, behind, toEnd, budget) = allowance(at: seconds)
        let minimum = settings.minQuality
        if mustSend {
            // The frame that carries a deferred cut says so in the log, as the stream stamps it
            // the cut (the log said nothing, or "I-frame below --min-quality"; found by outside testing).
            let carried = unchanged ? RateController.carriedCutReason : pendingCut && !cut ? RateController.deferredCutReason : nil
            if let q = highest(below: budget, upTo: settings.maxQuality, size), q >= minimum {
                return send(trials[q]!, q, seconds, sourceFrame, cut, carried)
            }
            // Below the floor a cut waits for the queue to drain, if the link soon carries what it lacks.
            let floor = max(0, minimum - RateSettings.belowMinimum)
            guard let q = highest(below: space, upTo: minimum, size), q >= floor || !drainsSoon(for: size(floor), at: seconds) else {
                warnOnce(seconds)
                pendingCut = true
                // Even an empty queue at the link's best rate from now on could not hold it: said,
                // not hidden behind "buffer full" (scenes.mp4 at 12 kbit/s lost a scene that way;
                // found by outside testing).
                if Double(size(0)) > trace.highestKilobitsPerSecond(from: seconds) * 125 * link.delaySeconds {
                    warnCutTooLarge(seconds, bytes: size(0))
                    return unchanged ? nil : drop("cut deferred: at 0 dB it is more than the buffer holds")
                }
                // The link, down or low for now, is in the way, not the queue.
                if link.queuedBytes == 0 || Double(size(0)) > link.capacityBytes {
                    return unchanged ? nil : drop("cut deferred: the link carries less than its I-frame within the buffer delay")
                }
                return unchanged ? nil : drop("buffer full: cut deferred")
            }
            if q < minimum { warnOnce(seconds) }
            let below = q < minimum && !unchanged ? (cut ? "cut" : "I-frame") + " below --min-quality" : nil
            return send(trials[q]!, q, seconds, sourceFrame, cut, [carried, below].compactMap { $0 }.joined(separator: ", ").nonEmpty)
        }
        // While frames are held back (by the rate held, or by the gate and not sent), a frame
        // gets at most `RateSettings.capWhileHoldingBack` over the minimum, and a budget that
        // carries that raises the frame rate a step: bikes at 800 kbit/s sent a frame in seven at
        // 40 dB at 8-12 fps, and the queue they filled kept the rate from rising. (When every
        // frame that comes is sent, as from a source slower than the rate held, the budget is the
        // frame's.)
        // A `--quality` at or below the cap leaves nothing to trade (with `--quality 20` every
        // frame at it raised the rate, and the next lowered it: 12.5 <-> 18.75 fps every 0.1 s).
        let cap = minimum + RateSettings.capWhileHoldingBack
        let capped = level > 0 && heldBack && cap < settings.maxQuality
        let top = capped ? cap : settings.maxQuality
        if let q = highest(below: budget, upTo: top, size), q >= minimum {
            if capped && q == top { level -= 1 }
            let frame = send(trials[q]!, q, seconds, sourceFrame, cut, nil)
            if level > 0 { probeBytes = size(min(settings.maxQuality, minimum + 4)) }
            return frame
        }
        // The input ends before the link could carry this frame at the minimum: it goes at its
        // share of what the link still carries by then (all of it for the last frame due) and
        // the queue has room for, if anything fits, so the frames after it get theirs.
        if Double(size(minimum)) > toEnd {
            let share = endSeconds.map { toEnd * min(1, (1 / fps) / max($0 - seconds, 1 / fps)) } ?? toEnd
            guard let q = highest(below: min(share, space), upTo: minimum, size) else {
                // Not even the coarsest frame fits its share: the frames come further apart.
                guard level < lowestLevel else { return drop("the input ends before the link could carry it") }
                level += 1
                return drop("budget: frame rate lowered to \(Self.format(fps)) fps")
            }
            // Below the floor, unless it is the last frame due, the frames come further apart
            // instead (their shares grow): with a 2 s buffer pan at 100 kbit/s sent 23 frames at
            // 0 to 1 dB (receiver top-1 44 %), now 6 at 14.5 to 18 dB (67 %); at 50 kbit/s 7 to
            // 37 %, but 45.2 kbit/s instead of 50. (Waiting instead when only the queue was in
            // the way changed nothing on pan, zoom and scenes, and was removed.)
            let floor = max(0, minimum - RateSettings.belowMinimum)
            if q < floor, level < lowestLevel, let end = endSeconds, end - seconds > 1 / fps {
                level += 1
                return drop("budget: frame rate lowered to \(Self.format(fps)) fps")
            }
            return send(trials[q]!, q, seconds, sourceFrame, cut, RateController.endReason)
        }
        // Still draining a cut's I-frame: this frame pays, the frame rate stays.
        if link.fullness > 0.5 { return drop("buffer full") }
        // What the rate held carries per frame, the queue aside.
        let steady = trace.bytes(from: seconds, to: seconds + 1 / fps) + max(behind, 0)
        // The queue could not hold this frame at the minimum even empty (a short buffer, a low
        // rate): waiting for it to drain never helps, so the frame goes at what fits its budget,
        // down to `RateSettings.belowMinimum` under the minimum (coarser frames flip the
        // receiver's classes more than holding the last one does: held instead). The frames
        // after it come further apart while the rate held carries less per frame than the queue
        // holds (the frame rate gives way before the quality), and closer again once a frame
        // like it fits at a higher rate.
        if Double(size(minimum)) > link.capacityBytes {
            warnOnce(seconds)
            let floor = max(0, minimum - RateSettings.belowMinimum)
            // (Or when not even a frame at the floor fits an empty queue: a dip in the link.)
            if (steady < link.capacityBytes || Double(size(floor)) > link.capacityBytes) && level < lowestLevel { level += 1 }
            guard let q = highest(below: budget, upTo: minimum, size), q >= floor else {
                // Only the queue, still draining, is in the way: the next frame may fit.
                if Double(size(floor)) <= min(link.capacityBytes, steady) { return drop("buffer full") }
                // (Said "buffer full" with the queue empty; found by outside testing.)
                return drop("a frame at \(Self.format(floor)) dB is more than the empty buffer holds or the link carries per frame")
            }
            if level > 0 { probeBytes = size(q) }
            return send(trials[q]!, q, seconds, sourceFrame, cut, "below --min-quality: the buffer holds less than a frame at it")
        }
        // The rate held carries the minimum quality once the queue has drained and the stream
        // has paid back what it is ahead (a cut's I-frame): this frame makes way, the frame rate
        // stays (lowering it for the whole scene costs the receiver more).
        if Double(size(minimum)) <= steady {
            // Ahead of the link by more than this frame (a cut's I-frame not yet paid back), or
            // no room: it makes way.
            guard Double(size(minimum)) <= space, behind > -Double(size(minimum)) else { return drop("buffer draining") }
            return send(trials[minimum]!, minimum, seconds, sourceFrame, cut, nil)
        }
        if level < lowestLevel {
            // The frames after this one come further apart; this one goes at the minimum quality
            // if the queue has room (a dropped frame would leave the link idle).
            level += 1
            let reason = "budget: frame rate lowered to \(Self.format(fps)) fps"
            // When the input ends within the buffer delay the queue could take the rest of the
            // clip: a frame goes only while the stream is not ahead of the link by more than
            // itself (with a 5 s buffer on a 4 s clip every step down sent a frame, and the first
            // second spent the clip).
            let endWithinDelay = endSeconds.map { $0 - seconds <= settings.bufferSeconds } ?? false
            guard Double(size(minimum)) <= space, !endWithinDelay || behind > -Double(size(minimum)) else { return drop(reason) }
            return send(trials[minimum]!, minimum, seconds, sourceFrame, cut, reason)
        }
        warnOnce(seconds)
        guard Double(size(minimum)) <= space else { return drop("buffer full") }
        return send(trials[minimum]!, minimum, seconds, sourceFrame, cut, "over budget at the lowest frame rate")
    }

    /// `decide` for the frame of `stamp`, with the stamp to write when it is sent: the frame that
    /// carries a deferred cut is stamped as the cut, so a reader of the stream sees the scene
    /// change (it said "changed" or "heartbeat": decoding scenes.mp4 at 100 kbit/s showed 1 of its 4 cuts).
    public func decide(_ stamp: StreamEncoder.Stamp, cut: Bool, refresh: Bool, unchanged: Bool,
                       trial: (Double, Bool) -> EncodedFrame) -> (frame: EncodedFrame, stamp: StreamEncoder.Stamp)? {
        var written = stamp
        if pendingCut { written.admission = .cut }
        return decide(seconds: stamp.seconds, sourceFrame: stamp.sourceFrame, cut: cut, refresh: refresh, unchanged: unchanged, trial: trial)
            .map { ($0, written) }
    }

    /// Whether a cut of `bytes` that the queue cannot hold now is worth a wait: at a later
    /// frame's time within `RateSettings.cutWaitSeconds`, and before the input ends (a cut still
    /// waiting at the end would be lost), the queue has room for it, as it drains and as the
    /// link's rate changes (at the end of an outage a cut went at 1 dB into a queue that carried
    /// it no sooner than a full one an instant later).
    private func drainsSoon(for bytes: Int, at seconds: Double) -> Bool {
        let horizon = min(seconds + RateSettings.cutWaitSeconds, endSeconds ?? .infinity)
        return stride(from: seconds + 1 / gridFPS, through: horizon, by: 1 / gridFPS).contains { later in
            let queued = max(0, link.queuedBytes - trace.bytes(from: seconds, to: later))
            return Double(bytes) <= trace.bytes(from: later, to: later + link.delaySeconds) - queued
        }
    }

    /// What a frame at `seconds` may spend: the queue's room (`space`); what the stream is behind
    /// the link (negative: ahead); what the link still carries by the input's end (`toEnd`); and
    /// the frame's `budget`, the least of the room, `toEnd` and its share at the rate held.
    private func allowance(at seconds: Double) -> (space: Double, behind: Double, toEnd: Double, budget: Double) {
        // What the link carries until the next frame is due, less what is still queued, plus what
        // the stream is behind the link so far (frames the gate did not send leave it idle) or
        // minus what it is ahead (cuts over budget), at most half the queue either way: over the
        // clip the stream spends what the link carries; never more than the queue's room.
        let space = link.spaceBytes
        let behind = min(max(trace.bytes(from: startSeconds, to: seconds) - sentBytes, -link.capacityBytes / 2), link.capacityBytes / 2)
        // Nothing planned past the input's end but what the stream is behind (time the gate left
        // the link idle, at most half the queue, which then arrives within the buffer delay
        // after the end): a stream that ends with its queue full would exceed the link's rate
        // over a 4 s clip by a quarter (a 1 s buffer), one that never makes up the idle time
        // would fall short (zoom at 300 kbit/s: 283). Past the end the duration was wrong, and
        // the horizon is dropped.
        let toEnd = endSeconds.flatMap { $0 > seconds ? trace.bytes(from: seconds, to: $0) - link.queuedBytes + max(behind, 0) : nil } ?? .infinity
        let budget = min(space, toEnd, trace.bytes(from: seconds, to: seconds + 1 / fps) - link.queuedBytes + behind)
        return (space, behind, toEnd, budget)
    }

    /// An unchanged frame (`decide`): sent only when it is due at the rate held and its budget
    /// carries `RateSettings.refinementGain` over the last frame sent (at the grid's rate only:
    /// below it the link is short, and a refinement would take the slot of the next changed
    /// frame), or, once the stream is behind the link by all it may make up (half the queue:
    /// what the link carries from now on is lost unless sent), the last frame's quality, within
    /// the queue's room if not its share: the receiver then gets a fresher tensor at no loss of
    /// precision. The bar is the frame the receiver holds, not `--min-quality`'s floor: after a cut sent at 2 dB a fresher 2 dB frame
    /// loses nothing (with the 12 dB floor, receiver top-1 at 30-60 kbit/s fell from 41.8 to
    /// 38.4 %). It is an I-frame when a refresh is due (with `--max-gap 0` the gate admits
    /// nothing in a static scene, and the refresh never came), else a P-frame; one that skips
    /// every channel would decode to what the receiver holds and is not sent. The frame rate
    /// held is left as it is; like any frame sent, it counts for the spacing of the next.
    private func refinement(seconds: Double, sourceFrame: Int, refresh: Bool, trial: (Double, Bool) -> EncodedFrame) -> EncodedFrame? {
        let (space, behind, toEnd, budget) = allowance(at: seconds)
        let idle = behind >= link.capacityBytes / 2
        guard idle || (level == 0 && lastQuality < settings.maxQuality), seconds >= nextDue - 0.5 / gridFPS else { return nil }
        let wanted = min(settings.maxQuality, lastQuality + (idle ? 0 : RateSettings.refinementGain))
        var trials: [Double: EncodedFrame] = [:]
        func size(_ q: Double) -> Int {
            if trials[q] == nil { trials[q] = trial(q, refresh) }
            return StreamEncoder.packetBytes(of: trials[q]!)
        }
        let q: Double
        if Double(size(wanted)) <= budget, let highest = highest(below: budget, upTo: settings.maxQuality, size) {
            q = highest
        } else if idle, Double(size(wanted)) <= min(space, toEnd) {
            // The link has idled: a frame at the held quality may take the queue's room, not only
            // its share (the stream then runs ahead and the frames after it pay). Kept to its
            // share, noise.mp4 at 150 kbit/s sent nothing after 2.56 s, where a frame at 27.5 dB
            // (10 KB) outgrew half the queue and the one frame's link time: 96.5 kbit/s.
            q = wanted
        } else {
            return nil
        }
        // A P-frame that skips every channel decodes to the frame the receiver holds: nothing to send.
        let frame = trials[q]!
        guard frame.type == .intra || frame.channelModes.first != frame.channelModes.reduce(0, +) else { return nil }
        return send(frame, q, seconds, sourceFrame, false, idle ? RateController.idleReason : RateController.refinementReason)
    }

    /// `encode --json`'s reason for a frame not sent while the link is down.
    public static let linkDownReason = "link down"
    /// `encode --json`'s reason for a cut, or a frame after one, while the link is down.
    public static let linkDownCutReason = "link down: cut deferred"

    /// `encode --json`'s reason for an unchanged frame sent to refine the receiver's tensor.
    public static let refinementReason = "unchanged: refines the held frame"
    /// `encode --json`'s reason for an unchanged frame sent because the link had idled.
    public static let idleReason = "unchanged: the link was idle"
    /// `encode --json`'s reason for a frame below the minimum because the link carries less than
    /// a frame at it before the input ends (it said "the input ends", which read as the last
    /// frames only, where the link had dropped seconds before the end; found by outside testing).
    public static let endReason = "below --min-quality: the link carries less than a frame at it before the input ends"
    /// `encode --json`'s reason for a changed frame sent as the I-frame of a deferred cut.
    public static let deferredCutReason = "carries the deferred cut"
    /// `encode --json`'s reason for an unchanged frame sent as the I-frame of a deferred cut.
    public static let carriedCutReason = "unchanged: carries the deferred cut"

    /// The highest quality in [0, `top`] (0.5 dB steps) whose packet is at most `limit` bytes,
    /// searched from the last quality sent; nil when none is.
    private func highest(below limit: Double, upTo top: Double, _ size: (Double) -> Int) -> Double? {
        func fits(_ q: Double) -> Bool { Double(size(q)) <= limit }
        let start = (min(max(lastQuality, 0), top) * 2).rounded(.down) / 2
        var good: Double?, bad: Double?
        var step = 2.0
        if fits(start) {
            good = start
            while let g = good, g < top {
                let next = min(top, g + step)
                if fits(next) { good = next; step *= 2 } else { bad = next; break }
            }
        } else {
            bad = start
            while let b = bad, b > 0 {
                let next = max(0, b - step)
                if fits(next) { good = next; break }
                bad = next
                step *= 2
            }
        }
        guard var g = good else { return nil }
        if var b = bad, b > g {
            while b - g > 0.5 {
                let middle = ((g + b) / 2 * 2).rounded(.down) / 2
                if middle <= g { break }
                if fits(middle) { g = middle } else { b = middle }
            }
        }
        return g
    }

    /// The highest frame rate above the one held at which this frame is due and a frame like the
    /// last one sent, at the minimum quality + 4 dB, fits what the link carries until the next;
    /// nil when none is (the rate rises as soon as the link recovers, by as many steps as it can).
    private func higherLevel(at seconds: Double) -> Int? {
        guard level > 0, let probeBytes else { return nil }
        for candidate in 0..<level {
            let spacing = RateController.divisors[candidate] / gridFPS
            let due = seconds - lastSent >= spacing - 0.5 / gridFPS
            if due && Double(probeBytes) <= trace.bytes(from: seconds, to: seconds + spacing) - link.queuedBytes { return candidate }
        }
        return nil
    }

    /// The link cannot carry the content at the minimum quality, even at the lowest frame rate
    /// or for a cut: said once.
    private func warnOnce(_ seconds: Double) {
        // Not while the link drops within the buffer delay (an outage or a dip ahead): the rate
        // it drops to is judged once it holds (every outage said "the link carries less than
        // this content needs", on a link that carried it before and after).
        let steady = trace.kilobitsPerSecond(at: seconds) * 125 * link.delaySeconds
        guard !warnedLinkShort, link.capacityBytes >= 0.999 * steady else { return }
        warnedLinkShort = true
        warnings.append("the link carries less than this content needs at \(Self.format(settings.minQuality)) dB (first at "
                        + "\(Self.format(seconds)) s): sending cuts below it, the lowest frame rate and what fits")
    }

    /// A cut in an outage that lasts to the input's end (or for ever): said once.
    private func warnCutLost(_ seconds: Double) {
        guard !warnedCutLost else { return }
        warnedCutLost = true
        warnings.append("the link is down (0 kbit/s) from \(Self.format(seconds)) s or before to the input's end: a cut waiting for it is not sent")
    }

    /// A cut whose I-frame an empty queue cannot hold even at 0 dB: said once.
    private func warnCutTooLarge(_ seconds: Double, bytes: Int) {
        guard !warnedCutTooLarge else { return }
        warnedCutTooLarge = true
        warnings.append("a cut's I-frame is more than the buffer holds even at 0 dB (first at \(Self.format(seconds)) s: \(bytes) bytes, "
                        + "the buffer \(Int(link.capacityBytes))): it waits for a later frame that fits, and its scene may never be sent; "
                        + "raise --buffer-seconds or the rate")
    }

    private func send(_ frame: EncodedFrame, _ quality: Double, _ seconds: Double, _ sourceFrame: Int, _ cut: Bool, _ reason: String?) -> EncodedFrame {
        let bytes = StreamEncoder.packetBytes(of: frame)
        link.add(bytes)
        sentBytes += Double(bytes)
        lastSent = seconds
        // A frame sent before it was due (a cut) restarts the spacing from itself.
        nextDue = seconds < nextDue - 0.5 / gridFPS ? seconds + 1 / fps : max(nextDue, seconds - 1 / gridFPS) + 1 / fps
        lastQuality = quality
        pendingCut = false
        heldBack = false
        record(seconds, sourceFrame, cut, frame.type, quality, reason, bytes: bytes)
        return frame
    }

    private func record(_ seconds: Double, _ sourceFrame: Int, _ cut: Bool, _ type: FrameType?, _ quality: Double?, _ reason: String?, bytes: Int = 0) {
        log.append(Entry(seconds: seconds, sourceFrame: sourceFrame, cut: cut, sent: type != nil, type: type?.letter, quality: quality,
                         bytes: bytes, bufferFullness: link.fullness, fps: fps, reason: reason))
    }

    private static func format(_ x: Double) -> String { String(format: "%g", (x * 100).rounded() / 100) }
}

private extension String {
    /// Nil when empty.
    var nonEmpty: String? { isEmpty ? nil : self }
}
