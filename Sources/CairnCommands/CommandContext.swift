import CairnCore
import CairnRESP
import CairnStore
import NIOCore

/// Server-wide settings that data commands consult.
public struct CommandSettings: Sendable {
    /// proto-max-bulk-len: also the largest string a command may build (APPEND, SETRANGE).
    public var stringBytesMax = 512 * 1024 * 1024
    /// hash-max-listpack-entries / -value: past these a hash leaves its packed encoding.
    public var hashMaxPackedEntries = 512
    public var hashMaxPackedValueBytes = 64
    /// set-max-intset-entries: past this many integers a set becomes a table.
    public var setMaxIntSetEntries = 512
    /// zset-max-listpack-entries / -value.
    public var zsetMaxPackedEntries = 128
    public var zsetMaxPackedValueBytes = 64
    /// list-max-listpack-size, and list-compress-depth (for lists made from now on).
    public var listMaxListpackSize = -2
    public var listCompressDepth = 0
    /// lua-memory-limit: what the Lua state may allocate (0: no limit).
    public var luaMemoryBytesMax = 1024 * 1024 * 1024
    /// busy-reply-threshold: after this many milliseconds a client's script pauses now
    /// and then, so that the server answers others (-BUSY, SCRIPT KILL); 0: never.
    public var busyReplyThresholdMs = 5000
    /// hll-sparse-max-bytes: past this size a sparse HyperLogLog becomes dense.
    public var hllSparseBytesMax = 3000
    /// stream-node-max-bytes and stream-node-max-entries: when a stream starts a new node.
    public var streamNodeMaxBytes = 4096
    public var streamNodeMaxEntries = 100
    /// notify-keyspace-events.
    public var notifyKeyspaceEvents: KeyspaceEventClasses = []
    /// tracking-table-max-keys.
    public var trackingTableMaxKeys = 1_000_000
    /// client-query-buffer-limit: also bounds the bytes a MULTI block may queue.
    public var queryBufferBytesMax = 1024 * 1024 * 1024
    /// slowlog-log-slower-than (microseconds; negative: off) and slowlog-max-len.
    public var slowLogSlowerThanMicros: Int64 = 10_000
    public var slowLogLengthMax = 128
    /// latency-monitor-threshold (milliseconds; 0: the monitor is off) and latency-tracking.
    public var latencyMonitorThresholdMs: Int64 = 0
    public var latencyTracking = true
    /// maxmemory and its policy; the policy decides what a key's access stamp holds.
    public var eviction = EvictionSettings()
    public init() {}
}

extension CommandSettings {
    /// The encoding limits values are rebuilt with.
    public var collectionLimits: CollectionLimits {
        var l = CollectionLimits()
        l.hashMaxPackedEntries = hashMaxPackedEntries
        l.hashMaxPackedValueBytes = hashMaxPackedValueBytes
        l.setMaxIntSetEntries = setMaxIntSetEntries
        l.listFill = listMaxListpackSize
        l.listCompressDepth = listCompressDepth
        l.zsetMaxPackedEntries = zsetMaxPackedEntries
        l.zsetMaxPackedValueBytes = zsetMaxPackedValueBytes
        l.streamNodeMaxBytes = streamNodeMaxBytes
        l.streamNodeMaxEntries = streamNodeMaxEntries
        return l
    }
}

/// Counters kept by command execution, reported by INFO.
public struct ExecutionStats {
    public var expiredKeys = 0
    public var evictedKeys = 0
    public var keyspaceHits = 0
    public var keyspaceMisses = 0
    public var commandsProcessed = 0
    public var errorReplies = 0
    /// Time spent in the active expiry cycle (expire_cycle_cpu_milliseconds).
    public var expireCycleMicroseconds: Int64 = 0
    /// Error replies by their code (the word after `-`), for INFO errorstats; at most
    /// `errorCodesMax` distinct codes, as Redis bounds its table.
    public var errorCodes: [String: Int] = [:]
    public static let errorCodesMax = 128
    public init() {}
}

/// What the server decides about a command before it runs, beyond its name and arity:
/// authentication, loading, a failed log (MISCONF), protected commands, ACL, OOM,
/// read-only replicas. Implemented by the server (a subclass); asked by `admit`, EXEC and
/// scripts. A class, not a protocol, so that the context can call it through an
/// unowned reference without a retain and a release per command (`admissionRefusal`).
open class AdmissionPolicy {
    public init() {}
    /// Why the call `args` of `spec` may not run for `session` now, as an error reply;
    /// nil when it may.
    open func refusal(_ spec: CommandSpec, _ args: [Bytes], _ session: ClientSession) -> String? { nil }
    /// The server's state as it bears on a script about to start for `session`.
    open func scriptConditions(_ session: ClientSession) -> ScriptConditions { ScriptConditions() }
}

/// What the server's state means for a script about to start (Redis's
/// scriptPrepareForRun): a read-only replica, a stale one, a failed log, too few replicas.
public struct ScriptConditions {
    public var readOnlyReplica = false
    public var stale = false
    public var persistenceFailure: String?
    public var enoughReplicas = true
    /// Memory was over maxmemory with nothing to evict before this command (Redis's
    /// pre_command_oom_state): a script may then not grow it until it has written.
    public var outOfMemory = false
    public init() {}
}

/// The script or function running, for FUNCTION STATS, the -BUSY answers and KILL.
public struct ScriptRun {
    public var name: String
    public var command: [Bytes]
    public var startedMicroseconds: Int64
    public var isFunction: Bool
    /// The dirty count when it started: a script that changed it cannot be killed.
    public var dirtyAtStart: Int
    /// The caller's database, given back when the script ends (a SELECT inside a script
    /// is the script's own, as in Redis).
    public var database: Int
    /// Memory was over maxmemory when it started and it lacks allow-oom: its calls of
    /// denyoom commands are refused until it has called a write (Redis's scriptVerifyOOM:
    /// a script is not stopped halfway through its writes).
    public var refusesGrowth = false
}

/// A script paused past busy-reply-threshold: its call's frame and its interpreter, to go
/// on with (`continuePausedScript`) once the server has answered the others.
public struct PausedScript {
    var frame: CallFrame
    let interpreter: LuaInterpreter
}

/// Sees every call that ran for a caller (not replays, nor blocked commands run again):
/// MONITOR is fed from here.
public protocol CallObserver: AnyObject {
    func called(_ frame: CallFrame)
}

/// The engine-wide execution state: the keyspace, the command table, the reply writer,
/// the effects of the unit being built (a command, an EXEC block), the dirty count and
/// the counters. What belongs to one call (its command, arguments, session and time) is
/// in `frame`: `call` gives each call its own and gives the caller's back after it, so
/// calls nest (EXEC running its block; next, a script's redis.call) without one
/// disturbing another. Commands run one at a time on one thread, so one context serves
/// them all.
public final class CommandContext {
    public let keyspace: Keyspace
    public let table: CommandTable
    /// The ACL users and the ACL log.
    public let users: ACLUsers
    /// CLIENT LIST's line for a session, for the ACL log (the server knows connections).
    public var aclClientInfo: ((ClientSession) -> String)?
    public var settings: CommandSettings {
        didSet { updateNewKeyRecording() }
    }
    /// False while a dataset is loaded (a snapshot, the log): no `new` events then.
    public var recordsNewKeys = true {
        didSet { updateNewKeyRecording() }
    }
    /// The current call.
    public internal(set) var frame: CallFrame
    public var out: RESPWriter
    /// Effects recorded since the owner last committed them.
    public var effects: [Effect] = []
    /// Commands that change nothing here but go to replicas (PUBLISH, as Redis propagates
    /// it to replicas only), since the owner last committed.
    public var replicaOnly: [[Bytes]] = []
    /// Changes since the last save (Redis's server.dirty).
    public var dirty: Int = 0
    public var stats = ExecutionStats()
    /// SLOWLOG's entries.
    public var slowLog = SlowLog()
    /// LATENCY's events.
    public var latencyMonitor = LatencyMonitor()
    /// CLIENT PAUSE is on: keys past their time read as gone but are not deleted.
    public var expiryPaused = false
    /// Set by a blocking command that found nothing to pop: the engine parks the client.
    public var blockRequest: BlockRequest?
    /// Keys the last command may have made non-empty lists of (pushes), for waking
    /// blocked clients.
    public var readiedKeys: [(database: Int, key: Bytes)] = []
    /// Databases whose every key may have changed (SWAPDB), for waking blocked clients.
    public var readiedDatabases: [Int] = []
    /// The sessions WATCHing keys.
    public let watches: WatchRegistry
    /// Channels and patterns with their subscribers.
    public let pubsub = PubSubRegistry()
    /// Client-side caching: keys read by tracking clients, invalidations owed.
    public let tracking = TrackingTable()
    /// The Lua interpreter and the script cache.
    public let scripting = Scripting()
    /// Function libraries (FUNCTION LOAD, FCALL), in an interpreter of their own.
    public let functions = FunctionLibraries()
    /// The script or function running, if any.
    public var scriptRun: ScriptRun?
    /// Set when the script of the call that just returned paused (past
    /// busy-reply-threshold): the call is not over, and its effects wait.
    public internal(set) var pausedScript: PausedScript?
    /// Where messages for other clients go (the server's gate); nil without a server.
    public unowned(unsafe) var pushes: PushDelivery?
    /// The server's admission, and MONITOR (set only while somebody monitors, so that
    /// a call without monitors makes no call for it); neither owned nor weak: the server
    /// owns this context and outlives it, and a weak load on every command cost
    /// measurably. The admission is kept `Unmanaged` and called through
    /// `admissionRefusal`, which retains nothing.
    public var admission: AdmissionPolicy? {
        get { admissionReference?.takeUnretainedValue() }
        set { admissionReference = newValue.map { Unmanaged.passUnretained($0) } }
    }
    private var admissionReference: Unmanaged<AdmissionPolicy>?

    /// The admission policy's refusal of a call, if any (no policy: none).
    @inline(__always)
    public func admissionRefusal(_ spec: CommandSpec, _ args: [Bytes], _ session: ClientSession) -> String? {
        admissionReference?._withUnsafeGuaranteedRef { $0.refusal(spec, args, session) }
    }
    public unowned(unsafe) var observer: CallObserver?
    /// Monotonic microseconds at the end of the last client call (or its batch's start):
    /// a client call's time runs from there, one clock read per command.
    public var commandClock: Int64 = 0
    /// Calls in progress, and per depth the frame of the caller while a call runs, or the
    /// frame the last call at that depth used, kept for the next (`call`).
    var callDepth = 0
    var parkedFrames: [CallFrame] = []
    /// The access stamp of a key made now (KeyAccess): the second under LRU, a fresh
    /// counter under LFU.
    public var lruClock: UInt32 {
        settings.eviction.policy.tracksFrequency ? KeyAccess.lfuNewStamp(nowMs: nowMs) : KeyAccess.lruStamp(nowMs: nowMs)
    }

    /// Records an access to the entry at `p` of `d`: its time, or one more to its counter.
    @inlinable
    public func touchAccess(_ d: Database, at p: Int) {
        let e = settings.eviction
        if e.policy.tracksFrequency {
            let stamp = KeyAccess.lfuTouched(d.main.entries[p].aux, nowMs: nowMs, logFactor: e.lfuLogFactor,
                                             decayMinutes: e.lfuDecayMinutes)
            d.main.setAux(stamp, at: p)
        } else {
            d.main.setAux(KeyAccess.lruStamp(nowMs: nowMs), at: p)
        }
    }

    public init(keyspace: Keyspace, session: ClientSession, settings: CommandSettings = CommandSettings(),
                table: CommandTable = .dataCommands()) {
        self.keyspace = keyspace
        self.table = table
        self.users = ACLUsers(table: table)
        self.settings = settings
        self.frame = CallFrame(spec: nil, args: [], session: session, nowMs: session.createdAtMs, origin: .nested,
                               dirtyAtStart: 0, effectsAtStart: 0)
        self.out = RESPWriter(buffer: ByteBufferAllocator().buffer(capacity: 0))
        self.watches = WatchRegistry(keyspace: keyspace)
        updateNewKeyRecording()
    }

    /// The keyspace records the keys it adds only while `new` events are sent.
    private func updateNewKeyRecording() {
        tracking.maxKeys = settings.trackingTableMaxKeys
        scripting.interpreter.memoryLimit = settings.luaMemoryBytesMax
        functions.interpreter.memoryLimit = settings.luaMemoryBytesMax
        let classes = settings.notifyKeyspaceEvents
        keyspace.touches.recordsNewKeys = recordsNewKeys && classes.contains(.newKey)
            && !classes.isDisjoint(with: [.keyspace, .keyevent])
        if !keyspace.touches.recordsNewKeys { keyspace.touches.newKeys.removeAll() }
    }

    // MARK: - The current call

    // Read in place (`_read`): a plain getter would retain and release the arguments on
    // every `ctx.args[i]`.
    public var args: [Bytes] { _read { yield frame.args } }
    public var spec: CommandSpec? { _read { yield frame.spec } }
    public var session: ClientSession { _read { yield frame.session } }
    /// The time every part of this call sees (Redis's command time snapshot), Unix ms.
    public var nowMs: Int64 {
        get { frame.nowMs }
        set { frame.nowMs = newValue }
    }
    /// True while the log is replayed: keys do not expire then (the log may hold commands
    /// on keys whose time has passed since), as in Redis's AOF loading.
    public var replaying: Bool { frame.origin == .replay || frame.origin == .replicated }

    @inlinable
    public var db: Database { keyspace[session.databaseIndex] }

    /// The current database, lent to `body` without retaining it (`db` retains and
    /// releases it on every use; Keyspace.withDatabase).
    @inlinable
    public func withDB<R>(_ body: (Database) throws -> R) rethrows -> R {
        try keyspace.withDatabase(session.databaseIndex, body)
    }

    public var commandName: String { spec?.fullName ?? "" }

    /// True inside a command (EXEC's block, a script's redis.call), false for a request
    /// being admitted from outside.
    public var insideCall: Bool { frame.spec != nil }

    /// Runs `body` in a frame of its own for `session` at `nowMs`, outside any command:
    /// the server's own work on the keyspace (active expiry, loading).
    public func withFrame(session: ClientSession, nowMs: Int64, origin: CallOrigin = .nested, _ body: () throws -> Void) rethrows {
        let caller = frame
        frame = CallFrame(spec: nil, args: [], session: session, nowMs: nowMs, origin: origin,
                          dirtyAtStart: dirty, effectsAtStart: effects.count)
        defer { frame = caller }
        try body()
    }

    /// Records `arguments` as this command's effect in place of the command itself.
    public func propagate(_ arguments: [Bytes]) {
        effects.append(Effect(database: session.databaseIndex, arguments: arguments))
        frame.effectRewritten = true
    }

    /// Replaces the command's effect with nothing (a write that changed nothing replayable).
    public func suppressEffect() { frame.effectRewritten = true }

    // MARK: - Key lookup with lazy expiry

    /// Deletes `key` if its time has passed (at `now`, the command's time unless given),
    /// recording a DEL effect as Redis propagates it.
    @discardableResult
    public func expireIfNeeded(_ key: Bytes, in db: Database? = nil, dbIndex: Int? = nil, now: Int64? = nil) -> Bool {
        if replaying { return false }
        let d = db ?? self.db
        guard let t = d.expireTime(key), t <= (now ?? nowMs) else { return false }
        // During CLIENT PAUSE a key past its time reads as gone but stays, so that nothing
        // is written (a failover waits for the stream to stand still), as in Redis.
        if expiryPaused { return true }
        d.delete(key)
        stats.expiredKeys += 1
        effects.append(Effect(database: dbIndex ?? session.databaseIndex, arguments: ["DEL", key]))
        notify(.expired, "expired", key, database: dbIndex ?? d.index)
        // An expiry is the server's change, not the client's (BCAST NOLOOP still hears of it).
        if tracking.isActive { tracking.invalidate(key, by: nil, current: session) }
        return true
    }

    /// Position of a live key in the current database, for reading: counts hits and misses
    /// and refreshes the access time unless the client asked for NO-TOUCH.
    @inlinable
    public func lookupRead(_ key: Bytes) -> Int? {
        withDB { d in
            let gone = !d.expires.isEmpty && expireIfNeeded(key) && expiryPaused
            guard !gone, let p = d.main.find(key) else {
                stats.keyspaceMisses += 1
                notify(.keyMiss, "keymiss", key)
                return nil
            }
            stats.keyspaceHits += 1
            if !session.noTouch { touchAccess(d, at: p) }
            return p
        }
    }

    /// Position of a live key in the current database, for writing.
    @inlinable
    public func lookupWrite(_ key: Bytes) -> Int? {
        withDB { d in
            if !d.expires.isEmpty && expireIfNeeded(key) && expiryPaused { return nil }
            guard let p = d.main.find(key) else { return nil }
            // Collections are changed in place after this lookup, out of `Database`'s sight.
            d.touches.touch(d.index, key)
            touchAccess(d, at: p)
            return p
        }
    }

    /// A live key's value without touching its access time or the hit counters. A miss
    /// raises `keymiss` unless `missEvent` is false (OBJECT, DEBUG and write lookups do
    /// not raise it in Redis).
    public func peek(_ key: Bytes, missEvent: Bool = true) -> Value? {
        let d = db
        let gone = !d.expires.isEmpty && expireIfNeeded(key) && expiryPaused
        let value = gone ? nil : d.main[key]
        if value == nil && missEvent { notify(.keyMiss, "keymiss", key) }
        return value
    }

    // MARK: - Argument helpers

    /// Shows argument `index` of this call as "(redacted)" in the slow log (a password).
    public func redactArgument(_ index: Int) {
        frame.redactedArguments.append(index)
    }

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
