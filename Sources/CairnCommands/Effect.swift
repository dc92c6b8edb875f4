import CairnCore

/// The deterministic change a write made, as the command that reproduces it on replay
/// (Redis's propagation): relative times made absolute, random choices made explicit.
///
/// `@unchecked Sendable` for `wire` alone, which is nil whenever an effect leaves the
/// engine's loop (see there).
public struct Effect: Equatable, @unchecked Sendable {
    public var database: Int
    public var arguments: [Bytes]
    /// The client's request exactly as it arrived, when it is `arguments` in the form the
    /// log writes them (a multibulk request with canonical headers, RESPRequestDecoder's
    /// `lastRequestIsCanonical`): the log copies these bytes instead of encoding the
    /// arguments again (a tenth of a SET's instructions). It points into the connection's
    /// input, valid only while that request runs: set for a client's own call, and
    /// committed before the request returns, or cleared (`Engine.dispatch`).
    public var wire: UnsafeRawBufferPointer?

    public init(database: Int, arguments: [Bytes], wire: UnsafeRawBufferPointer? = nil) {
        self.database = database
        self.arguments = arguments
        self.wire = wire
    }

    /// Equal when they change the same thing: where the bytes came from does not count.
    public static func == (a: Effect, b: Effect) -> Bool {
        a.database == b.database && a.arguments == b.arguments
    }
}
