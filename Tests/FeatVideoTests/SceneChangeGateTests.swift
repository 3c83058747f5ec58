import FeatVideo
import Foundation
import TestSupport
import Testing

@Suite struct SceneChangeGateTests {
    /// Every cut of every fixture at its exact frame, and no other (frame 0 opens the first scene).
    @Test(arguments: Fixtures.clips.map(\.file))
    func findsEveryCutExactly(file: String) throws {
        let selected = try Fixtures.select(Fixtures.path(file))
        #expect(selected.map(\.frame.index) == Array(0..<Fixtures.clip(file).frames))
        let cuts = selected.filter { $0.decision == .cut }.map(\.frame.index)
        #expect(cuts == [0] + Fixtures.clip(file).cuts)
    }

    /// Cuts still land on their exact frames when the decimator keeps few frames.
    @Test(arguments: ["1", "5", "10"])
    func cutsAreAdmittedOffTheGrid(fps: String) throws {
        for clip in Fixtures.clips {
            let selected = try Fixtures.select(Fixtures.path(clip.file), settings: GateSettings(fps: Rational(parsing: fps)))
            #expect(selected.filter { $0.decision == .cut }.map(\.frame.index) == [0] + clip.cuts, "\(clip.file) at \(fps) fps")
        }
    }

    @Test func flashIsNeitherCutNorAdmitted() throws {
        let selected = try Fixtures.select(Fixtures.path("flash.mp4"))
        let flash = Fixtures.clip("flash.mp4").flash!
        #expect(selected.filter { $0.decision == .flash }.map(\.frame.index) == Array(flash[0]...flash[1]))
        #expect(selected.filter { $0.decision == .cut }.count == 1)
    }

    @Test func staticSceneAdmitsOnlyTheHeartbeat() throws {
        let selected = try Fixtures.select(Fixtures.path("static.mp4"))
        let admitted = selected.filter { $0.decision.isAdmitted }
        #expect(admitted.map(\.frame.index) == [0, 50, 100])
        #expect(admitted.map(\.decision) == [.cut, .heartbeat, .heartbeat])

        var settings = GateSettings(fps: Rational(5))
        settings.maxGapSeconds = 0.5
        let faster = try Fixtures.select(Fixtures.path("static.mp4"), settings: settings).filter { $0.decision.isAdmitted }
        let gaps = zip(faster, faster.dropFirst()).map { $1.frame.seconds - $0.frame.seconds }
        #expect(faster.count == 10)  // 0, 0.6, 1.2, ... 5.4 s: the first 5 fps grid frame past each 0.5 s gap
        #expect(gaps.allSatisfy { $0 >= 0.5 && $0 <= 0.6 + 1e-9 })
    }

    /// Pixel change alone (no model): the cross-fade's grid frames are sent, without a cut.
    @Test func fadeIsFollowedWithoutACut() throws {
        var settings = GateSettings(fps: Rational(5))
        settings.pixelChangeThreshold = 6
        let selected = try Fixtures.select(Fixtures.path("fade.mp4"), settings: settings)
        let fade = Fixtures.clip("fade.mp4").fade!
        #expect(selected.filter { $0.decision == .cut }.map(\.frame.index) == [0])
        let admittedInFade = selected.filter { $0.decision.isAdmitted && (fade[0]...fade[1]).contains($0.frame.index) }
        #expect(admittedInFade.count == 5)  // every 5 fps grid frame of the fade shows something new
    }

    @Test func decimatorGridAtTenOfThirty() throws {
        let selected = try Fixtures.select(Fixtures.path("scenes.mp4"), settings: GateSettings(fps: Rational(10)))
        let candidates = selected.filter { $0.decision != .decimated }.map(\.frame.index)
        #expect(candidates == Array(stride(from: 0, to: 141, by: 3)))
    }

    /// bikes.mp4 (real footage): its five hard cuts, each within one frame, none added.
    @Test func realFootageCuts() throws {
        let selected = try Fixtures.select(Fixtures.bikes)
        #expect(selected.count == 250)
        let cuts = selected.filter { $0.decision == .cut }.map(\.frame.index).dropFirst()
        let expected = [1.20, 3.04, 5.48, 7.48, 9.68].map { Int(($0 * 25).rounded()) }
        #expect(cuts.count == expected.count)
        for (found, truth) in zip(cuts, expected) { #expect(abs(found - truth) <= 1, "cut at \(found), expected \(truth)") }
        let atFive = try Fixtures.select(Fixtures.bikes, settings: GateSettings(fps: Rational(5)))
        #expect(Array(atFive.filter { $0.decision == .cut }.map(\.frame.index).dropFirst()) == Array(cuts))
    }
}
