import CairnCore

/// The connection a session belongs to, as far as commands need it: a script's or a
/// replication stream's session has none.
public protocol SessionConnection: AnyObject {
    /// Closes the connection once the replies produced so far have left (QUIT).
    func closeAfterReply()
    /// The peer's "ip:port" (CLIENT LIST's addr, SLOWLOG's client).
    var address: String { get }
}

/// Everything the server keeps of one client that commands see: its database, protocol,
/// identity, MULTI block and watched keys. A connection has one; so will a script and a
/// replication stream, which run commands without a connection.
public final class ClientSession {
    public let id: Int64
    public var databaseIndex = 0
    public var protocolVersion = 2
    public var name: Bytes?
    public var authenticated = false
    /// The ACL user its commands run as; nil for the server's own sessions (a replication
    /// stream, loading), which may run anything.
    public var user: ACLUser?
    public var libName: String?
    public var libVersion: String?
    public var noEvict = false
    public var noTouch = false
    /// The last command run (CLIENT LIST's cmd=); a reference, not its name, to keep the
    /// per-command path free of string copies.
    /// Not owned: the command table holds every spec for the server's life.
    public unowned(unsafe) var lastCommandSpec: CommandSpec?
    public var lastCommand: String { lastCommandSpec?.fullName ?? "NULL" }
    public let createdAtMs: Int64
    public var lastInteractionMs: Int64
    /// The commands queued since MULTI, until EXEC or DISCARD.
    public var transaction: QueuedTransaction?
    /// The keys this session WATCHes, and whether one of them changed since.
    public var watched: [WatchedKey] = []
    public var watchedKeyChanged = false
    /// Channels, patterns and shard channels (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE).
    public var subscriptions = Subscriptions()
    /// CLIENT TRACKING: nil while off.
    public var tracking: TrackingState?
    /// The connection, for the commands about it (QUIT, MONITOR, CLIENT) and for pushes;
    /// nil for a session without one. Not weak: a weak reference gives the connection a
    /// side table, and every retain and release of it then takes the slow path (a tenth
    /// of the time of pub/sub delivery). The server clears it when the connection goes
    /// (`Engine.unregister`), before the connection can be freed.
    public unowned(unsafe) var connection: SessionConnection?

    public init(id: Int64, nowMs: Int64) {
        self.id = id
        self.createdAtMs = nowMs
        self.lastInteractionMs = nowMs
    }
}

/// A client's MULTI block: the commands queued for EXEC, and whether one was refused
/// while queuing (EXEC then discards the block, as Redis's EXECABORT).
public final class QueuedTransaction {
    public var commands: [(spec: CommandSpec, arguments: [Bytes])] = []
    /// Bytes of the queued arguments, bounded like a query buffer.
    public var bytes = 0
    public var refused = false
    public init() {}

    /// Whether EXEC would run a write (admission treats it as one, as Redis does).
    public var hasWrites: Bool { commands.contains { $0.spec.isWrite } }
}

/// A key a session WATCHes; `expiredAtWatch` when it was already past its TTL then (its
/// deletion by expiry is then no change, as in Redis).
public struct WatchedKey {
    public let database: Int
    public let key: Bytes
    public var expiredAtWatch: Bool
}

/// A key of one database: what blocked clients wait on and WATCH registers.
public struct DatabaseKey: Hashable {
    public let database: Int
    public let key: Bytes
    public init(database: Int, key: Bytes) {
        self.database = database
        self.key = key
    }
}
