import FeatCodec
import FeatModel
import Foundation

/// Step mode's per-channel steps from the tail's sensitivity (`ChannelSensitivity`), and
/// transformed step mode's per-frequency steps (`FrequencySensitivity`): a channel (or
/// frequency) whose noise moves the logits s times as much gets a step 1/sqrt(s) as large (the
/// equal-slope condition for weighted squared error), normalised to a geometric mean of 1 and
/// kept within a range (`channelLimit`, `frequencyLimit`) so nothing is starved on content
/// unlike the calibration pictures. Measured once per checkpoint and split on
/// `CalibrationImages`, cached under `$FEATSTREAM_HOME/sensitivity`.
public enum TaskWeights {
    /// Calibration pictures per measurement.
    static let pictures = 8
    /// How far a channel's step may stray from the geometric mean: 4x either way.
    public static let channelLimit = 4.0
    /// How far a frequency's step may: 2x. The calibration pictures say the highest 7x7
    /// frequency of MobileNetV2 features.6 counts 1/150 of DC (a step ratio of 12), but on
    /// footage the full ratio gave less top-1 per byte than steps within 2x on bikes, pan and
    /// zoom, and as much on walker (1.5x and s^(-1/4) did no better; README, "Transformed step
    /// mode").
    public static let frequencyLimit = 2.0

    /// The channel weights for `model`, from the cache or measured now (`measuring` is called
    /// first: it takes seconds, minutes for VGG16, and a run that printed nothing meanwhile
    /// looked hung); nil when the checkpoint has no classifier to measure with (the caller says
    /// so). `uncached` gets the reason when the measurement cannot be cached (every run then
    /// measures again).
    public static func weights(for model: Model, measuring: () -> Void = {}, uncached: (String) -> Void = { _ in }) throws -> [Float]? {
        guard model.hasTail else { return nil }
        let sensitivity = try cached(at: cachePath(for: model), count: model.featureShape.dims[0], measuring: measuring, uncached: uncached) {
            try ChannelSensitivity.measure(model, pictures: CalibrationImages.make(count: pictures)).map(Optional.some)
        }
        return weights(fromSensitivity: sensitivity)
    }

    /// The frequency weights (`TileTransform.frequencies`, u major) for `model`, as `weights`.
    public static func frequencyWeights(for model: Model, measuring: () -> Void = {}, uncached: (String) -> Void = { _ in }) throws -> [Float]? {
        guard model.hasTail else { return nil }
        let sensitivity = try cached(at: cachePath(for: model, measure: "-dct7"), count: TileTransform.frequencies, measuring: measuring, uncached: uncached) {
            try FrequencySensitivity.measure(model, pictures: CalibrationImages.make(count: pictures))
        }
        return weights(fromSensitivity: sensitivity, limit: frequencyLimit)
    }

    /// A measurement of `count` values from the cache at `path`, or measured now and cached. A
    /// cache that no measurement gives (nothing above 1e-30, or a value negative, not finite or
    /// over 1e30) is measured again: its weights were all 1 under the header's "task-weighted"
    /// (found by outside testing). A value of 0 is a measurement (a channel the tail ignores).
    static func cached(at path: String, count: Int, measuring: () -> Void = {}, uncached: (String) -> Void = { _ in },
                       measure: () throws -> [Double?]) throws -> [Double?] {
        if let data = FileManager.default.contents(atPath: path), let values = try? JSONDecoder().decode([Double?].self, from: data),
           values.count == count, values.contains(where: { ($0 ?? 0) > 1e-30 }), values.allSatisfy({ $0.map { $0 >= 0 && $0 < 1e30 } ?? true }) {
            return values
        }
        measuring()
        let values = try measure()
        if let data = try? JSONEncoder().encode(values) {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
            // (A cache that could not be written was silent, and every run measured again.)
            if !(FileManager.default.createFile(atPath: temporary, contents: data) && rename(temporary, path) == 0) {
                uncached("\(path): cannot write (\(String(cString: strerror(errno))))")
                unlink(temporary)
            }
        }
        return values
    }

    /// Where the channel sensitivity (`measure` ""), or another measure, of `model`'s checkpoint
    /// and split is cached.
    static func cachePath(for model: Model, measure: String = "") -> String {
        ModelSpec.home + "/sensitivity/\(model.weightsSHA256)-\(model.spec.name)-\(model.split)\(measure).json"
    }

    /// Steps relative to the frame step: s^(-1/2), geometric mean 1, clamped to [1/limit,
    /// limit]; a value not measured (nil) gets 1 and no say in the mean.
    public static func weights(fromSensitivity s: [Double?], limit: Double = channelLimit) -> [Float] {
        let measured = s.compactMap { $0 }
        let floor = (measured.max() ?? 1) * 1e-6
        let raw = s.map { $0.map { 1 / max($0, floor, 1e-30).squareRoot() } }
        let logMean = raw.compactMap { $0 }.reduce(0) { $0 + log($1) } / Double(max(measured.count, 1))
        return raw.map { $0.map { Float(min(limit, max(1 / limit, $0 / exp(logMean)))) } ?? 1 }
    }
}
