import CairnCore
import CairnRESP
import CairnStore
import NIOCore

/// Server-wide settings that data commands consult.
public struct CommandSettings: Sendable {
    /// proto-max-bulk-len: also the largest string a command may build (APPEND, SETRANGE).
    public var stringBytesMax = 512 * 1024 * 1024
    /// hash-max-listpack-entries / -value: past these a hash leaves its packed encoding.
    public var hashMaxPackedEntries = 128
    public var hashMaxPackedValueBytes = 64
    /// set-max-intset-entries: past this many integers a set becomes a table.
    public var setMaxIntSetEntries = 512
    /// zset-max-listpack-entries / -value.
    public var zsetMaxPackedEntries = 128
    public var zsetMaxPackedValueBytes = 64
    /// list-max-listpack-size.
    public var listMaxListpackSize = -2
    public init() {}
}

/// Counters kept by command execution, reported by INFO.
public struct ExecutionStats {
    public var expiredKeys = 0
    public var keyspaceHits = 0
    public var keyspaceMisses = 0
    public var commandsProcessed = 0
    public init() {}
}

/// The engine's execution state for the command being run: the keyspace, the calling
/// client's session, the arguments, the reply writer and the effects recorded so far.
/// One instance serves every command, since commands run one at a time on one thread.
public final class CommandContext {
    public let keyspace: Keyspace
    public var settings: CommandSettings
    public var session: ClientSession
    public var args: [Bytes] = []
    public var out: RESPWriter
    /// The time every part of this command sees (Redis's command time snapshot), Unix ms.
    public var nowMs: Int64 = 0
    /// Effects recorded since the owner last drained them.
    public var effects: [Effect] = []
    /// Changes since the last save (Redis's server.dirty).
    public var dirty: Int = 0
    public var stats = ExecutionStats()
    /// Set by a blocking command that found nothing to pop: the engine parks the client.
    public var blockRequest: BlockRequest?
    /// Keys the last command may have made non-empty lists of (pushes), for waking
    /// blocked clients.
    public var readiedKeys: [(database: Int, key: Bytes)] = []
    /// Databases whose every key may have changed (SWAPDB), for waking blocked clients.
    public var readiedDatabases: [Int] = []
    /// The spec of the command running now.
    public var spec: CommandSpec?
    /// Set by a handler that recorded its own effects instead of its arguments.
    var effectRewritten = false
    var dirtyAtStart = 0
    /// True while the log is replayed at start-up: keys do not expire then (the log may
    /// hold commands on keys whose time has passed since), as in Redis's AOF loading.
    public var replaying = false
    /// Seconds clock for OBJECT IDLETIME, stored per key.
    public var lruClock: UInt32 { UInt32(truncatingIfNeeded: nowMs / 1000) }

    public init(keyspace: Keyspace, session: ClientSession, settings: CommandSettings = CommandSettings()) {
        self.keyspace = keyspace
        self.session = session
        self.settings = settings
        self.out = RESPWriter(buffer: ByteBufferAllocator().buffer(capacity: 0))
    }

    @inlinable
    public var db: Database { keyspace[session.databaseIndex] }

    // MARK: - Running a command

    /// Runs a command that passed lookup and arity checks, then records its effect.
    public func run(_ spec: CommandSpec, _ arguments: [Bytes]) {
        self.spec = spec
        args = arguments
        effectRewritten = false
        dirtyAtStart = dirty
        spec.handler(self)
        if spec.isWrite && dirty != dirtyAtStart && !effectRewritten {
            effects.append(Effect(database: session.databaseIndex, arguments: arguments))
        }
        stats.commandsProcessed += 1
    }

    /// Records `arguments` as this command's effect in place of the command itself.
    public func propagate(_ arguments: [Bytes]) {
        effects.append(Effect(database: session.databaseIndex, arguments: arguments))
        effectRewritten = true
    }

    /// Replaces the command's effect with nothing (a write that changed nothing replayable).
    public func suppressEffect() { effectRewritten = true }

    public var commandName: String { spec?.fullName ?? "" }

    // MARK: - Key lookup with lazy expiry

    /// Deletes `key` if its time has passed (at `now`, the command's time unless given),
    /// recording a DEL effect as Redis propagates it.
    @discardableResult
    public func expireIfNeeded(_ key: Bytes, in db: Database? = nil, dbIndex: Int? = nil, now: Int64? = nil) -> Bool {
        if replaying { return false }
        let d = db ?? self.db
        guard let t = d.expireTime(key), t <= (now ?? nowMs) else { return false }
        d.delete(key)
        stats.expiredKeys += 1
        effects.append(Effect(database: dbIndex ?? session.databaseIndex, arguments: ["DEL", key]))
        return true
    }

    /// Position of a live key in the current database, for reading: counts hits and misses
    /// and refreshes the access time unless the client asked for NO-TOUCH.
    @inlinable
    public func lookupRead(_ key: Bytes) -> Int? {
        let d = db
        if !d.expires.isEmpty { expireIfNeeded(key) }
        guard let p = d.main.find(key) else {
            stats.keyspaceMisses += 1
            return nil
        }
        stats.keyspaceHits += 1
        if !session.noTouch { d.main.setAux(lruClock, at: p) }
        return p
    }

    /// Position of a live key in the current database, for writing.
    @inlinable
    public func lookupWrite(_ key: Bytes) -> Int? {
        let d = db
        if !d.expires.isEmpty { expireIfNeeded(key) }
        guard let p = d.main.find(key) else { return nil }
        // Collections are changed in place after this lookup, out of `Database`'s sight.
        d.touches.touch(d.index, key)
        d.main.setAux(lruClock, at: p)
        return p
    }

    /// A live key's value without touching its access time or the hit counters.
    public func peek(_ key: Bytes) -> Value? {
        let d = db
        if !d.expires.isEmpty { expireIfNeeded(key) }
        return d.main[key]
    }

    // MARK: - Argument helpers

    /// Integer argument `index`, or writes Redis's error and returns nil.
    public func int64Arg(_ index: Int, error: String = Reply.notInteger) -> Int64? {
        if let v = args[index].int64 { return v }
        out.error(error)
        return nil
    }

    /// A 32-bit integer argument (Redis's getIntFromObjectOrReply), or nil after its error.
    public func int32Arg(_ index: Int) -> Int32? {
        guard let v = args[index].int64 else { out.error(Reply.notInteger); return nil }
        guard v >= Int64(Int32.min) && v <= Int64(Int32.max) else {
            out.error("ERR value is out of range, value must between -2147483648 and 2147483647")
            return nil
        }
        return Int32(v)
    }

    /// A count that must be 0 or more (Redis's getPositiveLongFromObjectOrReply): one
    /// error for both a non-integer and a negative value.
    public func positiveCountArg(_ index: Int) -> Int64? {
        guard let v = args[index].int64, v >= 0 else {
            out.error("ERR value is out of range, must be positive")
            return nil
        }
        return v
    }

    /// The count of HRANDFIELD and SRANDMEMBER: any integer but LLONG_MIN, whose negation
    /// (repetitions allowed) would not fit.
    public func randomCountArg(_ index: Int) -> Int64? {
        guard let v = args[index].int64 else { out.error(Reply.notInteger); return nil }
        guard v >= -Int64.max else {
            out.error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
            return nil
        }
        return v
    }

    /// Whether any client is blocked on a key (kept by the server): when none is, pushes
    /// need not note their keys, which spares an array per push.
    public var anyClientBlocked = false

    /// Notes that `key` may now hold a list that blocked clients wait for.
    public func signalListReady(_ key: Bytes, database: Int? = nil) {
        guard anyClientBlocked else { return }
        readiedKeys.append((database ?? session.databaseIndex, key))
    }

    /// A blocking command's timeout in seconds (decimals allowed; 0 waits for ever) as an
    /// absolute deadline, or nil after Redis's error reply. `.some(nil)`: no deadline.
    /// As in Redis 7.0, the milliseconds are rounded up first (so -0.0001 is 0, for ever);
    /// a count past Int64 is "negative" (C's conversion gives INT64_MIN there), and a
    /// deadline past Int64 is no deadline.
    public func timeoutArg(_ index: Int) -> Int64?? {
        guard let seconds = args[index].longDouble else {
            out.error("ERR timeout is not a float or out of range")
            return nil
        }
        let ms = (seconds * 1000).rounded(.up)
        guard ms >= 0, ms < 9_223_372_036_854_775_808 else { out.error("ERR timeout is negative"); return nil }
        let count = Int64(ms)
        if count == 0 || count > Int64.max - nowMs { return .some(nil) }
        return .some(nowMs + count)
    }

    public func isOption(_ index: Int, _ lower: StaticString) -> Bool {
        args[index].equalsLowercased(lower)
    }

    public func wrongType() { out.error(Reply.wrongType) }
    public func syntaxError() { out.error(Reply.syntax) }
}
