import FeatCodec
import FeatModel
import Foundation

/// Step mode's per-channel steps from the tail's sensitivity (`ChannelSensitivity`): a channel
/// whose noise moves the logits s times as much gets a step 1/sqrt(s) as large (the equal-slope
/// condition for weighted squared error), normalised to a geometric mean of 1 and kept within
/// 1/4 to 4 so no channel is starved on content unlike the calibration pictures. Measured once
/// per checkpoint and split on `CalibrationImages`, cached under `$FEATSTREAM_HOME/sensitivity`.
public enum TaskWeights {
    /// Calibration pictures per measurement.
    static let pictures = 8

    /// The weights for `model`, from the cache or measured now (`measuring` is called first: it
    /// takes seconds, minutes for VGG16, and a run that printed nothing meanwhile looked hung);
    /// nil when the checkpoint has no classifier to measure with (the caller says so). `uncached`
    /// gets the reason when the measurement cannot be cached (every run then measures again).
    public static func weights(for model: Model, measuring: () -> Void = {}, uncached: (String) -> Void = { _ in }) throws -> [Float]? {
        guard model.hasTail else { return nil }
        let path = cachePath(for: model)
        if let data = FileManager.default.contents(atPath: path),
           let cached = try? JSONDecoder().decode([Double].self, from: data), cached.count == model.featureShape.dims[0] {
            return weights(fromSensitivity: cached)
        }
        measuring()
        let sensitivity = try ChannelSensitivity.measure(model, pictures: CalibrationImages.make(count: pictures))
        if let data = try? JSONEncoder().encode(sensitivity) {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
            // (A cache that could not be written was silent, and every run measured again.)
            if !(FileManager.default.createFile(atPath: temporary, contents: data) && rename(temporary, path) == 0) {
                uncached("\(path): cannot write (\(String(cString: strerror(errno))))")
                unlink(temporary)
            }
        }
        return weights(fromSensitivity: sensitivity)
    }

    /// Where the sensitivity of `model`'s checkpoint and split is cached.
    static func cachePath(for model: Model) -> String {
        ModelSpec.home + "/sensitivity/\(model.weightsSHA256)-\(model.spec.name)-\(model.split).json"
    }

    /// Steps relative to the frame step: s^(-1/2), geometric mean 1, clamped to [1/4, 4].
    public static func weights(fromSensitivity s: [Double]) -> [Float] {
        let floor = (s.max() ?? 1) * 1e-6
        let raw = s.map { 1 / max($0, floor, 1e-30).squareRoot() }
        let logMean = raw.reduce(0) { $0 + log($1) } / Double(max(raw.count, 1))
        return raw.map { Float(min(4, max(0.25, $0 / exp(logMean)))) }
    }
}
