import FeatCodec
import FeatModel
import Dispatch
import FeatVideo

/// Decides sieved frames (`FrameSieve`) with the model in the loop: the head runs on every cut
/// and grid frame, its local change from the last frame sent (`FeatureChange`) goes to
/// `Admission`, and the tensor comes back with the decision (for a static frame too: rate
/// control may send it to refine what the receiver holds).
struct FeatureGate {
    private var admission: Admission
    private var reference: Tensor?
    /// Seconds the head took in all, and how many times it ran.
    private(set) var modelSeconds = 0.0
    private(set) var modelRuns = 0

    init(settings: GateSettings) { admission = Admission(settings: settings) }

    /// The decision, and the head's tensor when the head ran (cut and grid frames). `head` gives
    /// the frame's tensor (the model run now, or one computed before); nil `head`: pixels decide alone.
    mutating func decide(_ sieved: FrameSieve.Sieved, head: ((VideoFrame) throws -> Tensor)?) throws -> (SelectedFrame, Tensor?) {
        guard let head, sieved.kind == .cut || sieved.kind == .grid else { return (admission.decide(sieved), nil) }
        let start = DispatchTime.now().uptimeNanoseconds
        let tensor = try head(sieved.frame)
        modelSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        modelRuns += 1
        let change = sieved.kind == .grid ? reference.map { FeatureChange.score(tensor, from: $0) } : nil
        let selected = admission.decide(sieved, featureChange: change)
        if selected.decision.isAdmitted { reference = tensor }
        return (selected, tensor)
    }
}
