import CairnCore

/// The deterministic change a write made, as the command that reproduces it on replay
/// (Redis's propagation): relative times made absolute, random choices made explicit.
public struct Effect: Equatable, Sendable {
    public var database: Int
    public var arguments: [Bytes]

    public init(database: Int, arguments: [Bytes]) {
        self.database = database
        self.arguments = arguments
    }
}
