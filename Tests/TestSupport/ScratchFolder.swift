import Foundation

/// A folder of a test's own in the temporary directory, removed with everything in it when the
/// last reference goes: held by a suite, whose instance lives for one test. (Tests that made
/// their folders by hand and left them filled /tmp by about 190 MB a `make test`.)
public final class ScratchFolder: Sendable {
    /// The folder, which exists.
    public let path: String

    public init() {
        path = NSTemporaryDirectory() + "featstream-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path in the folder (not created).
    public func file(_ name: String) -> String { path + "/" + name }
}
