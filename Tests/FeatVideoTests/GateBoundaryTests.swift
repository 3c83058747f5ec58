@testable import FeatVideo
import Foundation
import Testing

/// The gate's rules at their exact boundaries, on synthetic frames whose scores are known.
@Suite struct GateBoundaryTests {
    static let side = VideoFrame.side

    /// A frame at 25 fps of one grey level.
    static func frame(_ index: Int, grey: UInt8) -> VideoFrame {
        VideoFrame(index: index, pts: Int64(index), timeBase: Rational(1, 25), rgb: [UInt8](repeating: grey, count: side * side * 3))
    }

    static func decide(_ frames: [VideoFrame], _ settings: GateSettings) -> [Decision] {
        var gate = SceneChangeGate(settings: settings)
        var decided: [SelectedFrame] = []
        for frame in frames { decided += gate.push(frame) }
        return (decided + gate.finish()).map(\.decision)
    }

    /// A frame whose pixel change from the last frame sent equals --pixel-change exactly is sent;
    /// a hair above the change, it is not.
    @Test func pixelChangeEqualToTheThresholdIsSent() {
        let frames = [Self.frame(0, grey: 100), Self.frame(1, grey: 110)]
        let change = frames[1].thumbnail.distance(to: frames[0].thumbnail)
        #expect(change > 2 && change < 6)
        var settings = GateSettings()
        settings.pixelChangeThreshold = change
        #expect(Self.decide(frames, settings) == [.cut, .changed])
        settings.pixelChangeThreshold = change.nextUp
        #expect(Self.decide(frames, settings) == [.cut, .static])
    }

    /// The features' change: at --change-threshold exactly, sent; just under, not; 0 sends every
    /// grid frame even unmeasured; and the heartbeat after --max-gap.
    @Test func featureChangeAtTheThreshold() {
        let settings = GateSettings()
        func decide(_ change: Float?, settings: GateSettings = GateSettings(), at index: Int = 1) -> Decision {
            var admission = Admission(settings: settings)
            _ = admission.decide(.init(frame: Self.frame(0, grey: 50), kind: .cut, cutScore: nil))
            return admission.decide(.init(frame: Self.frame(index, grey: 50), kind: .grid, cutScore: 0), featureChange: change).decision
        }
        #expect(decide(settings.changeThreshold) == .changed)
        #expect(decide(settings.changeThreshold.nextDown) == .static)
        #expect(decide(nil) == .static)
        var every = GateSettings()
        every.changeThreshold = 0
        #expect(decide(nil, settings: every) == .changed)
        #expect(decide(0, at: 50) == .heartbeat && decide(0, at: 49) == .static)  // 25 fps, --max-gap 2 s
    }

    /// A heartbeat goes at exactly --max-gap after the last frame sent, whatever the timestamps'
    /// size: seconds minus seconds made 0.6 - 0.4 fall short of 0.2 (heartbeats at 0.2 / 0.4 s
    /// gaps in turn), and at 10^12 s lost the millisecond (found by outside testing).
    @Test(arguments: [Int64(0), Int64(90_000_000_000_000)])
    func heartbeatAtExactlyTheMaximumGap(start: Int64) {
        var settings = GateSettings()
        settings.maxGapSeconds = 0.2
        var admission = Admission(settings: settings)
        func frame(_ i: Int) -> VideoFrame {
            VideoFrame(index: i, pts: start + Int64(i), timeBase: Rational(1, 10), rgb: [UInt8](repeating: 50, count: Self.side * Self.side * 3))
        }
        _ = admission.decide(.init(frame: frame(0), kind: .cut, cutScore: nil))
        let decisions = (1...12).map { admission.decide(.init(frame: frame($0), kind: .grid, cutScore: 0), featureChange: 0).decision }
        #expect(decisions == Array(repeating: [Decision.static, .heartbeat], count: 6).flatMap { $0 })
    }

    /// A burst exactly --flash-frames long is a flash; one frame longer, it is a new scene.
    @Test(arguments: [1, 3, 5])
    func burstOfExactlyFlashFramesIsAFlash(flashFrames: Int) {
        var settings = GateSettings()
        settings.flashFrames = flashFrames
        settings.minSceneSeconds = 0
        for length in [flashFrames, flashFrames + 1] {
            let frames = (0..<30).map { i in Self.frame(i, grey: (10..<(10 + length)).contains(i) ? 250 : 20) }
            let decisions = Self.decide(frames, settings)
            if length == flashFrames {
                #expect(decisions.filter { $0 == .cut }.count == 1, "burst of \(length), --flash-frames \(flashFrames): \(decisions)")
                #expect(Array(decisions[10..<(10 + length)]) == [Decision](repeating: .flash, count: length))
            } else {
                #expect(decisions[10] == .cut, "burst of \(length), --flash-frames \(flashFrames): \(decisions)")
            }
        }
    }

    /// The thumbnail holds exact 7 x 7 block means (not rounded down): against a direct
    /// computation in double precision on a picture whose block means are fractional.
    @Test func thumbnailHoldsExactBlockMeans() {
        let side = Self.side, block = Thumbnail.block
        var rgb = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side { for x in 0..<side { for c in 0..<3 { rgb[(y * side + x) * 3 + c] = UInt8((x * 7 + y * 13 + c * 50) % 256) } } }
        let thumbnail = Thumbnail(rgb: rgb)
        let n = Thumbnail.side
        for by in 0..<n {
            for bx in 0..<n {
                var sum = [0.0, 0.0, 0.0]
                for y in (by * block)..<(by * block + block) { for x in (bx * block)..<(bx * block + block) { for c in 0..<3 { sum[c] += Double(rgb[(y * side + x) * 3 + c]) } } }
                let (r, g, b) = (sum[0] / 49, sum[1] / 49, sum[2] / 49)
                let expected = [0.299 * r + 0.587 * g + 0.114 * b, 128 - 0.168736 * r - 0.331264 * g + 0.5 * b, 128 + 0.5 * r - 0.418688 * g - 0.081312 * b]
                for plane in 0..<3 {
                    let value = Double(thumbnail.planes[plane * n * n + by * n + bx])
                    #expect(abs(value - expected[plane]) < 1e-3, "block \(bx),\(by) plane \(plane): \(value) vs \(expected[plane])")
                }
            }
        }
    }

    /// The frame-rate grid is anchored exactly on the first frame: 25 fps to 10 fps puts every
    /// other grid point halfway between two frames, and the tie goes to the earlier one (a grid
    /// one time-base tick late would take the later frame instead).
    @Test func gridAnchoredOnTheFirstFrame() {
        var sieve = FrameSieve(settings: GateSettings(fps: Rational(10)))
        var sieved: [FrameSieve.Sieved] = []
        for i in 0..<21 {
            let frame = VideoFrame(index: i, pts: Int64(i * 512), timeBase: Rational(1, 12800),
                                   rgb: [UInt8](repeating: 90, count: Self.side * Self.side * 3))
            sieved += sieve.push(frame)
        }
        sieved += sieve.finish()
        #expect(sieved.first?.kind == .cut)
        #expect(sieved.filter { $0.kind == .grid }.map(\.frame.index) == [2, 5, 7, 10, 12, 15, 17, 20])
    }
}
