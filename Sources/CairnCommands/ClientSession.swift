import CairnCore

/// What the engine knows of one connection: its database, protocol and identity.
public final class ClientSession {
    public let id: Int64
    public var databaseIndex = 0
    public var protocolVersion = 2
    public var name: Bytes?
    public var authenticated = false
    public var libName: String?
    public var libVersion: String?
    public var noEvict = false
    public var noTouch = false
    /// The last command run (CLIENT LIST's cmd=); a reference, not its name, to keep the
    /// per-command path free of string copies.
    public var lastCommandSpec: CommandSpec?
    public var lastCommand: String { lastCommandSpec?.fullName ?? "NULL" }
    public let createdAtMs: Int64
    public var lastInteractionMs: Int64

    public init(id: Int64, nowMs: Int64) {
        self.id = id
        self.createdAtMs = nowMs
        self.lastInteractionMs = nowMs
    }
}
