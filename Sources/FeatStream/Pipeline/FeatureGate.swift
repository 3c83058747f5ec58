import FeatCodec
import FeatModel
import Dispatch
import FeatVideo

/// Decides sieved frames (`FrameSieve`) with the model in the loop: the head runs on every cut
/// and grid frame, its local change from the last frame sent (`FeatureChange`) goes to
/// `Admission`, and the tensors of the frames sent come back with the decision.
struct FeatureGate {
    private var admission: Admission
    private let model: Model?
    private var reference: Tensor?
    /// Seconds the head took in all, and how many times it ran.
    private(set) var modelSeconds = 0.0
    private(set) var modelRuns = 0

    /// Without a model, change is measured in pixels only (`GateSettings.pixelChangeThreshold`).
    init(settings: GateSettings, model: Model?) {
        admission = Admission(settings: settings)
        self.model = model
    }

    /// The decision, and the head's tensor when the frame is sent (and a model runs).
    mutating func decide(_ sieved: FrameSieve.Sieved) throws -> (SelectedFrame, Tensor?) {
        guard let model, sieved.kind == .cut || sieved.kind == .grid else { return (admission.decide(sieved), nil) }
        let start = DispatchTime.now().uptimeNanoseconds
        let tensor = try model.features(rgb: sieved.frame.rgb)
        modelSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        modelRuns += 1
        let change = sieved.kind == .grid ? reference.map { FeatureChange.score(tensor, from: $0) } : nil
        let selected = admission.decide(sieved, featureChange: change)
        guard selected.decision.isAdmitted else { return (selected, nil) }
        reference = tensor
        return (selected, tensor)
    }
}
