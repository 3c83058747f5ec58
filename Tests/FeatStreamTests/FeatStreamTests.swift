import FeatCodec
import FeatModel
@testable import FeatStream
import FeatVideo
import Foundation
import TestSupport
import Testing

@Suite struct HandoffQueueTests {
    /// The consumer gives up: the producer's next put says so instead of waiting forever.
    @Test func consumerClosingStopsTheProducer() {
        let queue = HandoffQueue<Int>(capacity: 2)
        #expect(queue.put(1) && queue.put(2))
        queue.close()
        #expect(!queue.put(3))
    }

    /// The producer finishes: the consumer still gets everything, in order, then nil.
    @Test func producerClosingDrainsInOrder() {
        let queue = HandoffQueue<Int>(capacity: 200)
        for i in 0..<150 { #expect(queue.put(i)) }
        queue.close()
        var taken: [Int] = []
        while let i = queue.take() { taken.append(i) }
        #expect(taken == Array(0..<150))
    }

    /// A full queue makes the producer wait until the consumer takes one.
    @Test func fullQueueWaits() {
        let queue = HandoffQueue<Int>(capacity: 1)
        #expect(queue.put(0))
        let done = DispatchSemaphore(value: 0)
        Thread { _ = queue.put(1); done.signal() }.start()
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(queue.take() == 0)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(queue.take() == 1)
    }
}

@Suite struct LineChartTests {
    @Test func logAxisTicksAreDecadesWithTwoAndFive() {
        let (lo, hi) = LineChart.range([3, 470], log: true)
        #expect(lo == 1 && hi == 1000)
        #expect(LineChart.ticks(lo, hi, log: true) == [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
    }

    @Test func linearAxisTicksAreRoundSteps() {
        let (lo, hi) = LineChart.range([0, 100], log: false)
        #expect(lo == -5 && hi == 105)
        #expect(LineChart.ticks(lo, hi, log: false) == [0, 20, 40, 60, 80, 100])
        #expect(LineChart.ticks(0.5, 3.2, log: false) == [0.5, 1, 1.5, 2, 2.5, 3])
    }

    @Test func seriesAreDrawnAndNamed() {
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "a <b>", points: [(1, 2), (3, 4)], dashed: true)])
        let svg = chart.svg()
        #expect(svg.contains("data-name=\"a &lt;b&gt;\"") && svg.contains("stroke-dasharray") && svg.components(separatedBy: "<circle").count == 3)
    }

    /// The page title holds the input's name: escaped like the charts' text.
    @Test func pageTitleIsEscaped() {
        let page = ReportDocuments.html(title: "clip <1> & co", samples: [], charts: [])
        #expect(page.contains("<title>clip &lt;1&gt; &amp; co</title>") && page.contains("<h1>clip &lt;1&gt; &amp; co</h1>"))
    }
}

/// The sweep's samples on a fixture: one per rate and setting, in order, measured on the same
/// stream `encode` writes.
@Suite struct ReportSweepTests {
    @Test func samplesMatchWhatEncodeWrites() throws {
        let model = try FeatureGateTests.loadModel()
        var options = ReportSweep.Options()
        options.rates = [.perSecond(Rational(1)), .perSecond(Rational(5))]
        options.bits = [4]
        options.qualities = [30]
        options.targets = [150]
        options.bufferSeconds = 0.5  // as encode's below: report passes it to rate control
        options.crfs = []
        VideoReader.setFFmpegLogging(verbose: false)
        options.changeThresholds = [GateSettings().changeThreshold]
        let samples = try ReportSweep.run(try VideoReader(Fixtures.path("scenes.mp4")), model: model, options: options)
        let perRate: [Setting] = [.quantized(bits: 4, temporal: true), .quantized(bits: 4, temporal: false), .steps(quality: 30), .lossless]
        #expect(samples.map(\.setting) == perRate + perRate + [.rateControlled(kilobitsPerSecond: 150)])
        #expect(samples.map(\.frameRate.description) == ["1", "1", "1", "1", "5", "5", "5", "5", "5"])
        #expect(samples[0].admitted < samples[4].admitted && samples[4].cuts == 4)
        #expect(samples[3].sent.snr == nil && samples[3].sent.top1 == 100 && samples[7].sent.top5 == 100)
        // The 5 fps samples' bitrates are the streams `encode` writes with those settings: 4 bits,
        // step mode (task-weighted) and rate control.
        var gate = GateSettings(fps: Rational(5))
        gate.fps = Rational(5)
        func encode(_ setting: Setting, rate: RateSettings? = nil) throws -> FeatureEncoding.Summary {
            var coding = setting.coding!
            if coding.quality != nil { coding.channelWeights = try TaskWeights.weights(for: model) }
            return try FeatureEncoding.run(try VideoReader(Fixtures.path("scenes.mp4")), gate: gate, model: model, coding: coding, rate: rate, output: MemorySink())
        }
        var halfSecondBuffer = RateSettings(trace: try BandwidthTrace(kilobitsPerSecond: 150))
        halfSecondBuffer.bufferSeconds = 0.5
        for (k, summary) in [(4, try encode(.quantized(bits: 4, temporal: true))), (6, try encode(.steps(quality: 30))),
                             (8, try encode(.rateControlled(kilobitsPerSecond: 150), rate: halfSecondBuffer))] {
            #expect(summary.stream.frames == samples[k].admitted, "\(samples[k].setting)")
            #expect(abs(summary.kilobitsPerSecond! - samples[k].kilobitsPerSecond) < 1e-9, "\(samples[k].setting): encode \(summary.kilobitsPerSecond!), report \(samples[k].kilobitsPerSecond)")
        }
        #expect(samples[8].admitted < samples[4].admitted, "rate control sent fewer frames than the gate admitted")
    }
}

@Suite struct FeatureChangeTests {
    /// One 4 x 4 region of a 28 x 28 map changed by its own energy: score 1; the same change
    /// spread thin over the whole map: 1/49 of it.
    @Test func localChangeAgainstMeanRegionEnergy() {
        let reference = Tensor(shape: [2, 28, 28], values: [Float](repeating: 1, count: 2 * 784))
        var local = reference.values
        for y in 8..<12 { for x in 4..<8 { local[y * 28 + x] += 1; local[784 + y * 28 + x] += 1 } }
        #expect(abs(FeatureChange.score(Tensor(shape: [2, 28, 28], values: local), from: reference) - 1) < 1e-6)
        let spread = reference.values.map { $0 + 1 / 7 }
        #expect(abs(FeatureChange.score(Tensor(shape: [2, 28, 28], values: spread), from: reference) - 1 / 49) < 1e-6)
        #expect(FeatureChange.score(reference, from: reference) == 0)
    }
}

/// The gate with the model in the loop, on material whose truth is known.
@Suite(.serialized) struct FeatureGateTests {
    /// MobileNetV2 (features.6) on one thread; one per suite (a model is not shared across threads).
    static func loadModel() throws -> Model { try Model(spec: try ModelZoo.spec(named: "mobilenet_v2"), threads: 1) }

    let model: Model
    init() throws { model = try Self.loadModel() }

    func select(_ file: String, fps: Int) throws -> [SelectedFrame] {
        VideoReader.setFFmpegLogging(verbose: false)
        var selected: [SelectedFrame] = []
        _ = try FrameSelection.run(try VideoReader(file), settings: GateSettings(fps: Rational(Int64(fps))), model: model) { selected.append($0) }
        return selected
    }

    /// A small figure walking (1.7 % of the picture): at 5 fps every grid frame is sent while it
    /// moves; at 10 fps, where a step (4 pixels of the model's input) changes the features less
    /// than sensor noise does, at least every other one. Once it stands: heartbeats only.
    @Test(arguments: [5, 10])
    func walkerIsFollowedThenLeftAlone(fps: Int) throws {
        let clip = Fixtures.clip("walker.mp4")
        let selected = try select(Fixtures.path("walker.mp4"), fps: fps)
        let grid: [SelectedFrame] = selected.filter { $0.decision != .decimated && $0.decision != .flash }
        let lastMoving = try #require(clip.moving?[1])
        let moving = grid.filter { $0.frame.index <= lastMoving }, still = grid.filter { $0.frame.index > lastMoving + 25 / fps }
        let missed = moving.filter { !$0.decision.isAdmitted }.map { "\($0.frame.index): \($0.changeScore ?? -1)" }
        if fps == 5 {
            #expect(missed.isEmpty, "grid frames not sent while the figure moves: \(missed)")
        } else {
            let sent = moving.map(\.decision.isAdmitted)
            #expect(!zip(sent, sent.dropFirst()).contains { !$0 && !$1 }, "two grid frames in a row not sent: \(missed)")
        }
        #expect(still.allSatisfy { $0.decision == .static || $0.decision == .heartbeat })
        #expect(still.filter { $0.decision == .heartbeat }.map(\.frame.index) == [150])
    }

    /// Sensor noise on a static camera and a static scene: heartbeats only.
    @Test(arguments: ["noise.mp4", "static.mp4"])
    func noiseAndStillnessSendHeartbeatsOnly(file: String) throws {
        let sent = try select(Fixtures.path(file), fps: 5).filter(\.decision.isAdmitted)
        #expect(sent.map(\.decision) == [.cut] + [Decision](repeating: .heartbeat, count: sent.count - 1), "\(sent.map { ($0.frame.index, $0.decision) })")
        #expect(sent.count == (file == "noise.mp4" ? 2 : 3))
    }

    /// Camera motion (pan, zoom) and a cross-fade: every grid frame shows something new.
    @Test(arguments: ["pan.mp4", "zoom.mp4", "fade.mp4"])
    func motionIsFollowed(file: String) throws {
        let grid = try select(Fixtures.path(file), fps: 5).filter { $0.decision != .decimated }
        let sent = grid.filter(\.decision.isAdmitted).count
        #expect(sent >= grid.count - (file == "zoom.mp4" ? 4 : 1), "\(file): \(sent) of \(grid.count) grid frames sent")
    }
}

/// Receiver-side fidelity as the report gives it, against a computation by hand: the head on
/// every frame, the frames the gate sends, the receiver holding the latest one, the tail.
@Suite struct ReceiverFidelityTests {
    /// The codec benchmarks' SNR: frame k against frame k, summed over every value.
    @Test func featureSNRComparesFrameByFrame() throws {
        let reference = [Tensor(shape: [1, 1, 2], values: [3, 4]), Tensor(shape: [1, 1, 2], values: [0, 5])]
        let received = [Tensor(shape: [1, 1, 2], values: [2, 3]), Tensor(shape: [1, 1, 2], values: [0, 5])]
        #expect(abs(try #require(featureSNR(reference: reference, received: received)) - 10 * log10(25.0)) < 1e-9)
        #expect(featureSNR(reference: reference, received: reference) == nil)
    }

    @Test func reportMatchesHoldingByHand() throws {
        let model = try FeatureGateTests.loadModel()
        VideoReader.setFFmpegLogging(verbose: false)
        let (frames, _) = try Fixtures.readAll(Fixtures.path("scenes.mp4"))
        let tensors = try frames.map { try model.features(rgb: $0.rgb) }
        let classes = try tensors.map { t -> Int in let l = try model.logits(features: t); return l.indices.max { l[$0] < l[$1] }! }
        var sent: [Int] = []
        _ = try FrameSelection.run(try VideoReader(Fixtures.path("scenes.mp4")), settings: GateSettings(fps: Rational(5)), model: model) {
            if $0.decision.isAdmitted { sent.append($0.frame.index) }
        }
        func byHand(_ references: [Int]) -> (top1: Double, snr: Double?, frames: String) {
            var agree = 0, signal = 0.0, noise = 0.0, frames = ""
            for i in references {
                let held = sent.last { $0 <= i }!
                if classes[held] == classes[i] { agree += 1 }
                frames += classes[held] == classes[i] ? "1" : "0"
                for (x, y) in zip(tensors[i].values, tensors[held].values) { signal += Double(x * x); noise += Double((x - y) * (x - y)) }
            }
            return (100 * Double(agree) / Double(references.count), noise == 0 ? nil : 10 * log10(signal / noise), frames)
        }
        var options = ReportSweep.Options()
        (options.rates, options.bits, options.qualities, options.crfs) = ([.perSecond(Rational(5))], [], [], [])
        let lossless = try #require(try ReportSweep.run(try VideoReader(Fixtures.path("scenes.mp4")), model: model, options: options).first)
        #expect(lossless.setting == .lossless && lossless.admitted == sent.count)
        let source = byHand(Array(frames.indices)), grid = byHand(Array(stride(from: 0, to: frames.count, by: 6)))  // 30 fps to 5
        #expect(lossless.source.frames == frames.count && lossless.grid.frames == 24)
        #expect(lossless.source.top1 == source.top1 && lossless.grid.top1 == grid.top1, "report \(String(describing: lossless.source.top1)) / \(String(describing: lossless.grid.top1)), by hand \(source.top1) / \(grid.top1)")
        #expect(lossless.source.top1Frames == source.frames && lossless.grid.top1Frames == grid.frames)
        #expect(source.frames.contains("0"))  // the frames the gate holds back flip some classes
        #expect(abs((lossless.source.snr ?? .infinity) - (source.snr ?? .infinity)) < 1e-3)
        #expect(lossless.grid.snr == nil && grid.snr == nil)  // every grid frame of scenes.mp4 is sent
        #expect(lossless.sent.top1 == 100 && lossless.sent.snr == nil)
    }
}

/// Step mode's channel weights from the tail's sensitivity.
@Suite struct TaskWeightsTests {
    /// A channel s times as sensitive gets a step 1/sqrt(s) as large; geometric mean 1; within
    /// 1/4 to 4.
    @Test func weightsFollowTheSensitivity() {
        let w = TaskWeights.weights(fromSensitivity: [1, 4, 16, 0.25])
        #expect(abs(w[0] / w[1] - 2) < 1e-5 && abs(w[1] / w[2] - 2) < 1e-5 && abs(w[3] / w[0] - 2) < 1e-5)
        #expect(abs(w.reduce(Float(1), *) - 1) < 1e-4)
        let clamped = TaskWeights.weights(fromSensitivity: [1, 1e8, 1e-8, 0])
        #expect(clamped.allSatisfy { (0.25...4).contains($0) } && clamped[1] == 0.25 && clamped[2] == 4)
    }

    /// MobileNetV2's features.6 channels differ in how much the tail notices them (4.1x over 8
    /// pictures), the measure is repeatable, and the weights stay in range.
    @Test func sensitivityOfTheRealTail() throws {
        let model = try FeatureGateTests.loadModel()
        let pictures = CalibrationImages.make(count: 2)
        let s = try ChannelSensitivity.measure(model, pictures: pictures)
        #expect(s.count == 32 && s.allSatisfy { $0.isFinite && $0 > 0 })
        #expect(s.max()! / s.min()! > 2, "span \(s.max()! / s.min()!)")
        #expect(try ChannelSensitivity.measure(model, pictures: pictures) == s)
        let weights = try #require(try TaskWeights.weights(for: model))
        #expect(weights.count == 32 && weights.allSatisfy { (0.25...4).contains($0) })
    }

    /// A cached measurement is used only if a measurement could give it: a cache of zeros or
    /// denormals alone, negatives, huge values, nothing measured, the wrong count or not JSON is
    /// measured again and rewritten (a corrupt cache was used, found by outside testing); a
    /// channel measured at 0 beside others is a measurement.
    @Test func aCorruptCacheIsMeasuredAgain() throws {
        let path = NSTemporaryDirectory() + "featstream-cache-\(UUID().uuidString).json"
        defer { unlink(path) }
        let measured: [Double?] = [4, nil, 0.5]
        for (text, measures) in [("[0,0,0]", true), ("[-1,null,2]", true), ("[1e-320,0,1e-31]", true), ("[1e300,1,1]", true), ("[null,null,null]", true),
                                 ("[1,2]", true), ("garbage", true), ("[1e-20,null,3]", false), ("[0,null,3]", false)] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            var calls = 0
            let values = try TaskWeights.cached(at: path, count: 3) { calls += 1; return measured }
            #expect((calls == 1) == measures && (values == measured) == measures, "\(text): \(values)")
            if measures { #expect(try JSONDecoder().decode([Double?].self, from: Data(contentsOf: URL(fileURLWithPath: path))) == measured) }
        }
    }

    /// The tail notices MobileNetV2 features.6's low 7x7 DCT frequencies far more than its high
    /// ones (DC over 20x the highest on 2 pictures), the measure is repeatable, and the
    /// frequency weights grow with frequency within 1/2 to 2. A frequency a map does not have
    /// (under 7 wide) gets weight 1 and no say in the mean.
    @Test func frequencySensitivityOfTheRealTail() throws {
        let model = try FeatureGateTests.loadModel()
        let pictures = CalibrationImages.make(count: 2)
        let s = try FrequencySensitivity.measure(model, pictures: pictures).map { try #require($0) }
        #expect(s.count == 49 && s.allSatisfy { $0.isFinite && $0 > 0 })
        #expect(s[0] > 20 * s[48] && s[0] > s[1] && s[0] > s[7], "DC \(s[0]), (0, 1) \(s[1]), (1, 0) \(s[7]), (6, 6) \(s[48])")
        #expect(try FrequencySensitivity.measure(model, pictures: pictures).map { $0! } == s)
        let weights = try #require(try TaskWeights.frequencyWeights(for: model))
        #expect(weights.count == 49 && weights.allSatisfy { (0.5...2).contains($0) } && weights[0] == 0.5 && weights[48] == 2, "\(weights)")
        let partial = TaskWeights.weights(fromSensitivity: [4, nil, 1, nil], limit: 8)
        #expect(partial[1] == 1 && partial[3] == 1 && abs(partial[0] * partial[2] - 1) < 1e-5 && abs(partial[2] / partial[0] - 2) < 1e-5)
    }
}

/// `features --timestamps` in a folder that is not there fails before any frame is decided (it
/// failed after the whole run; found by outside testing).
@Suite struct FeatureExportTests {
    @Test func anUnwritableTimestampsPathFailsBeforeTheRun() throws {
        let model = try FeatureGateTests.loadModel()
        let dir = NSTemporaryDirectory() + "featstream-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var decided = 0
        #expect(throws: OutputError.self) {
            _ = try FeatureExport.run(try VideoReader(Fixtures.path("scenes.mp4")), gate: GateSettings(), model: model, output: dir + "/x.npy",
                                      timestampsPath: dir + "/nodir/t.json") { _ in decided += 1 }
        }
        #expect(decided == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}
