/// Element-wise activations, fused into the preceding operation where possible.
public enum Activation: String, Sendable {
    case relu, relu6, hardswish, hardsigmoid, sigmoid
}
