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
}

/// The sweep's samples on a fixture: one per rate and setting, in order, measured on the same
/// stream `encode` writes.
@Suite struct ReportSweepTests {
    @Test func samplesMatchWhatEncodeWrites() throws {
        let model = try Model(spec: try ModelZoo.spec(named: "mobilenet_v2"), threads: 1)
        var options = ReportSweep.Options()
        options.rates = [.perSecond(Rational(1)), .perSecond(Rational(5))]
        options.bits = [4]
        options.crfs = []
        VideoReader.setFFmpegLogging(verbose: false)
        let samples = try ReportSweep.run(try VideoReader(Fixtures.path("scenes.mp4")), model: model, options: options)
        #expect(samples.map(\.setting) == [.quantized(bits: 4, temporal: true), .quantized(bits: 4, temporal: false), .lossless,
                                           .quantized(bits: 4, temporal: true), .quantized(bits: 4, temporal: false), .lossless])
        #expect(samples.map(\.frameRate.description) == ["1", "1", "1", "5", "5", "5"])
        #expect(samples[0].admitted < samples[3].admitted && samples[3].cuts == 4)
        #expect(samples[2].snr == nil && samples[2].top1Agreement == 100 && samples[5].top5Agreement == 100)
        // The 5 fps, 4-bit sample's bitrate is the stream `encode` writes with those settings.
        var gate = GateSettings(fps: Rational(5))
        gate.fps = Rational(5)
        let sink = MemorySink()
        let summary = try FeatureEncoding.run(try VideoReader(Fixtures.path("scenes.mp4")), gate: gate, model: model,
                                              coding: Setting.quantized(bits: 4, temporal: true).coding!, output: sink)
        #expect(summary.stream.frames == samples[3].admitted)
        #expect(abs(summary.kilobitsPerSecond! - samples[3].kilobitsPerSecond) < 1e-9, "encode \(summary.kilobitsPerSecond!), report \(samples[3].kilobitsPerSecond)")
    }
}
