import CairnCommands
import CairnCore
import CairnLog
import CairnRESP
import CairnStore
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The single-threaded heart of the server: every command of every client runs here, on
/// one event loop, to completion and one at a time, so each is atomic without locks.
///
/// `@unchecked Sendable`: NIO's initializers are `@Sendable`, but every use of the engine
/// happens on `loop`, asserted at each entry from outside it (a batch, the writer's
/// reports, the cron, the commit point).
final class Engine: AdmissionPolicy, CallObserver, @unchecked Sendable {
    let loop: EventLoop
    var config: ServerConfig
    let keyspace: Keyspace
    let table: CommandTable
    let ctx: CommandContext
    /// The session of the server's own work on the keyspace (active expiry): no client.
    let serverSession = ClientSession(id: 0, nowMs: 0)
    let logger: Logger
    var clients: [Int64: ClientConnection] = [:]
    var monitors: [ClientConnection] = [] {
        didSet { ctx.observer = monitors.isEmpty ? nil : self }
    }
    private var nextClientId: Int64 = 1
    var stats = ServerStats()
    /// The clock reading shared by the commands of the current read batch.
    private var batchNowMs: Int64 = 0
    /// The connection whose read batch is running: its replies are in `ctx.out`.
    private(set) var batchConnection: ClientConnection?
    /// The client whose script is paused (ScriptPause.swift).
    var scriptConnection: ClientConnection?
    /// Connections delivered a push since the last `flushPushes`.
    var pushedConnections: [ClientConnection] = []
    /// The list `flushPushes` is working through, swapped with `pushedConnections`.
    var pushingNow: [ClientConnection] = []
    /// A task will send the BCAST invalidations of this tick.
    var broadcastScheduled = false
    /// While a command runs under CLIENT REPLY OFF or SKIP: its client's pushes wait here.
    var divertingPushes = false
    var divertedPushes = ByteBufferAllocator().buffer(capacity: 0)
    let startTimeMs: Int64
    let runId: String
    var lastSaveUnixSeconds: Int64
    let persistence: Persistence
    /// DEBUG SET-ACTIVE-EXPIRE: whether the cron reclaims expired keys nobody reads.
    var activeExpireEnabled = true
    /// True while the log is being replayed: commands without the `loading` flag get -LOADING.
    /// True from the start: the listeners are bound before recovery begins on the loop,
    /// and a client connecting in between must get -LOADING, not an empty keyspace and
    /// a log that is not open yet (its writes would be acknowledged and never logged).
    var loading = true {
        didSet { ctx.recordsNewKeys = !loading }
    }
    /// Clients waiting in blocking commands, per key, in arrival order.
    var blockedQueues: [DatabaseKey: [ClientConnection]] = [:] {
        didSet { ctx.anyClientBlocked = !blockedQueues.isEmpty }
    }
    /// Connections holding replies until the log is durable.
    private var waiting: [ObjectIdentifier: ClientConnection] = [:]
    /// CLIENT PAUSE in force, and the clients whose command waits for its end, in order.
    var clientPause: ClientPause?
    /// FAILOVER under way (Failover.swift): writes are paused until it ends.
    var failover: FailoverState?
    /// MIGRATE's cached connections to other servers.
    let migrateConnections = MigrateConnections()
    /// A shutdown waiting for replicas to catch up (ShutdownSequence).
    var pendingShutdown: PendingShutdown?
    var postponedClients: [ClientConnection] = []
    /// maxmemory (MaxMemory.swift): the memory reading, the eviction pool, whether the
    /// last pass left memory over the limit with nothing to evict (Redis's
    /// pre_command_oom_state, which scripts consult), whether passes go on between
    /// commands, and since when memory has been over the limit.
    var memoryGauge = MemoryGauge()
    let eviction = Eviction()
    var outOfMemory = false
    var evictionContinues = false
    var overLimitSinceMicros: Int64?
    var evictionExceededMicros: Int64 = 0
    /// Called (on the loop) when SHUTDOWN or a signal asks the server to stop.
    var onShutdown: (() -> Void)?
    /// Takes CONFIG SET's port, tls-port, bind and tls-* into use (the Server's listeners
    /// and TLS contexts): the refusal (argument, reason), or nil.
    var reconfigureListeners: ((_ old: ServerConfig, _ new: ServerConfig) -> (argument: String, reason: String)?)?
    /// The TLS contexts of tls-port's clients and of the link to a primary (nil: no TLS).
    var tlsContexts: TLSContexts?
    /// Snapshots: SAVE, BGSAVE and the automatic checkpoints.
    private(set) var checkpointer: Checkpointer!
    /// This server's replicas.
    private(set) var replication: ReplicationSource!
    /// This server's primary, when it is a replica.
    var primaryLink: ReplicaLink?
    /// The history this server's continues since its promotion, and where (INFO's
    /// master_replid2; after a restart it is read from the segment headers instead).
    var previousHistory: ReplicationPosition?

    init(loop: EventLoop, config: ServerConfig, logger: Logger, persistence: Persistence) {
        self.loop = loop
        self.persistence = persistence
        self.config = config
        self.logger = logger
        self.keyspace = Keyspace(databaseCount: config.databases)
        self.table = CommandTable.dataCommands()
        let now = Clock.unixMilliseconds()
        self.startTimeMs = now
        Memory.startupBytes = Memory.usedBytes()
        self.lastSaveUnixSeconds = now / 1000
        self.runId = String(decoding: Hex.randomDigits(40), as: UTF8.self)
        self.ctx = CommandContext(keyspace: keyspace, session: ClientSession(id: 0, nowMs: now), settings: config.commandSettings,
                                  table: table)
        super.init()
        table.register(ConnectionCommands.specs(self))
        table.register(ServerCommands.specs(self))
        table.register([MemoryCommand.spec(self), ModuleCommand.spec(self), MigrateCommand.spec(self), LolwutCommand.spec()])
        table.register(ClusterCommands.specs())
        table.register(SnapshotCommands.specs(self))
        table.register(ReplicationCommands.specs(self))
        table.register([FailoverCommand.spec(self)])
        table.register(ACLCommand.spec(self))
        checkpointer = Checkpointer(engine: self)
        replication = ReplicationSource(engine: self)
        ctx.admission = self
        ctx.pushes = self
        ctx.tracking.sessionWithID = { [unowned self] id in clients[id]?.session }
        ctx.aclClientInfo = { [unowned self] session in
            guard let c = clients[session.id] else { return "" }
            if c.descriptor == nil { resolveDescriptors() }
            return ClientCommand.describe(c, ctx, nowMs: Clock.unixMilliseconds())
        }
        // redis.log's levels (debug, verbose, notice, warning) into the server's log.
        let log: (Int, String) -> Void = { level, line in
            logger.log(level: [.debug, .info, .notice, .warning][level], "\(line)")
        }
        ctx.scripting.interpreter.log = log
        ctx.functions.interpreter.log = log
    }

    // MARK: - Clients

    /// A new client; a plain TCP one (`writesDirectly`) gets its socket's descriptor for
    /// DirectSocketWrites.
    func register(_ channel: Channel, writesDirectly: Bool) -> ClientConnection? {
        stats.connectionsReceived += 1
        let session = ClientSession(id: nextClientId, nowMs: Clock.unixMilliseconds())
        nextClientId += 1
        session.user = ctx.users.defaultUser
        session.authenticated = !ctx.users.authRequired
        let conn = ClientConnection(session: session, channel: channel)
        if clients.count >= config.maxclients {
            stats.rejectedConnections += 1
            return nil
        }
        clients[session.id] = conn
        if writesDirectly && !conn.isUnixSocket,
           let fd = SocketDescriptors.find(local: conn.localAddress, remote: conn.address, skipping: directDescriptors) {
            conn.descriptor = fd
            conn.directWrites.attach(fd)
            directDescriptors.insert(fd)
        }
        return conn
    }

    /// The descriptors of connected clients that write directly (skipped when looking for
    /// a new client's).
    private var directDescriptors = DescriptorSet()

    func unregister(_ conn: ClientConnection) {
        if let fd = conn.directWrites.attachedDescriptor { directDescriptors.remove(fd) }
        conn.directWrites.stop()
        removeBlocked(conn)
        ctx.dropSessionState(conn.session)
        conn.session.connection = nil
        clients[conn.session.id] = nil
        waiting[ObjectIdentifier(conn)] = nil
        if conn.postponed != nil { postponedClients.removeAll { $0 === conn } }
        if conn.isMonitor { monitors.removeAll { $0 === conn } }
        if conn.isReplica { replication.forget(conn) }
    }

    // MARK: - Executing commands

    /// Starts a read batch for `conn`: its output buffer becomes the writer's, and the
    /// batch's commands share one reading of the clock (Redis's command time snapshot).
    func beginBatch(_ conn: ClientConnection) {
        assert(loop.inEventLoop)
        swap(&ctx.out.buffer, &conn.output)
        batchConnection = conn
        batchNowMs = Clock.unixMilliseconds()
        ctx.commandClock = Clock.monotonicMicroseconds()
        conn.session.lastInteractionMs = batchNowMs
    }

    /// Starts loading the table slots, then the entries, of the keys of a pipeline's
    /// requests before they run (their second argument: the first key of nearly every
    /// command; for the others a prefetch is a wasted hint, never a fault); then, for keys
    /// holding a hash or set table, the same for the third argument (the field or member
    /// of HSET, HGET, SADD, SISMEMBER and the like).
    func prefetchKeys(of requests: [[Bytes]], database: Int) {
        guard database < ctx.keyspace.databaseCount else { return }
        let table = ctx.keyspace[database].main
        prefetchKeyEntries(of: requests, in: table)
        prefetchMembers(of: requests, in: table)
    }

    private func prefetchKeyEntries(of requests: [[Bytes]], in table: KeyTable<Value>) {
        // Through a buffer pointer, by index: binding or copying a request out of the array
        // would retain and release it.
        requests.withUnsafeBufferPointer { requests in
            // A key repeated from the request before (a pipeline into one list, hash or set)
            // is loading already.
            func repeatsKey(_ i: Int, _ k: Int) -> Bool {
                i > 0 && requests[i - 1].count > k && requests[i - 1][k] == requests[i][k]
            }
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: requests.count) { hashes in
                var n = 0
                for i in requests.indices where requests[i].count > 1 {
                    // By pointer: passing the request retained and released it.
                    let k = Self.firstKeyIndex(requests.baseAddress! + i)
                    guard !repeatsKey(i, k) else { continue }
                    hashes[n] = table.prefetchSlot(requests[i][k])
                    n += 1
                }
                for i in 0..<n { table.prefetchEntry(hash: hashes[i]) }
            }
        }
    }

    /// Where a request's first key is, for the prefetch: the second argument for nearly
    /// every command; the fourth for EVAL, EVALSHA, FCALL and their _RO forms given a key
    /// (their second is the script, the third the number of keys). A hint only.
    private static func firstKeyIndex(_ request: UnsafePointer<[Bytes]>) -> Int {
        guard request.pointee.count > 3 else { return 1 }
        let runsScript = request.pointee[0].hasLowercasedPrefix("eval") || request.pointee[0].hasLowercasedPrefix("fcall")
        return runsScript && request.pointee[2] != "0" ? 3 : 1
    }

    private func prefetchMembers(of requests: [[Bytes]], in table: KeyTable<Value>) {
        var members: [MemberPrefetch] = []
        var valueKey: Bytes?
        var value: Value?
        // By index through a buffer pointer, as above: `for request in requests` retained
        // and released every request.
        requests.withUnsafeBufferPointer { requests in
            for i in requests.indices where requests[i].count > 2 && Self.mayNameAMember(requests[i][0]) {
                if valueKey != requests[i][1] {
                    valueKey = requests[i][1]
                    value = table.find(requests[i][1]).map { table.entries[$0].value }
                }
                guard let value, let started = MemberPrefetch.start(value, member: requests[i][2]) else { continue }
                if members.isEmpty { members.reserveCapacity(requests.count) }
                members.append(started)
            }
        }
        for m in members { m.finish() }
    }

    /// Whether `command` may be one whose third argument is a hash field or set member
    /// (H..., SADD, SREM, SISMEMBER, SMISMEMBER): the others (SET above all) would look
    /// their key up once more for nothing. A hint: a wrong guess costs a prefetch.
    private static func mayNameAMember(_ command: Bytes) -> Bool {
        command.hasLowercasedPrefix("h") || command.hasLowercasedPrefix("sa") || command.hasLowercasedPrefix("sr")
            || command.hasLowercasedPrefix("si") || command.hasLowercasedPrefix("sm")
    }

    /// Ends the batch: the replies go back to the connection's buffer, and the records
    /// staged by the batch go to the log writer.
    /// The replies the batch's client has accumulated (they are in the context's writer
    /// until endBatch).
    var batchOutputBytes: Int { ctx.out.buffer.readableBytes }

    func endBatch(_ conn: ClientConnection) {
        assert(loop.inEventLoop)
        swap(&ctx.out.buffer, &conn.output)
        batchConnection = nil
        submitLog()
    }

    private var submitScheduled = false

    /// Hands staged records to the log writer. With appendfsync always, at once: replies
    /// wait for them. With everysec and no, at most every few milliseconds: replies do not
    /// wait, and waking the writer thread for every read batch cost a third of unpipelined
    /// throughput on two cores. A crash of the process can then lose the last few
    /// milliseconds, within what those policies allow (everysec: a second).
    func submitLog() {
        if config.appendfsync == .always {
            // Once per event-loop tick, after every ready client was read: one group for all.
            if !submitScheduled && persistence.hasStaged {
                submitScheduled = true
                loop.execute { [self] in
                    submitScheduled = false
                    submitDurably()
                }
            }
        } else if !submitScheduled && persistence.hasStaged {
            submitScheduled = true
            loop.scheduleTask(in: .milliseconds(5)) { [self] in
                submitScheduled = false
                persistence.submit()
            }
        }
    }

    private(set) var inlineSync = InlineSync()

    /// appendfsync always: hands the tick's records to the writer thread, or, for a writer
    /// alone (InlineSync), writes and syncs them here and sends the replies they held.
    private func submitDurably() {
        guard let writer = persistence.writer,
              inlineSync.applies(stagedRecords: writer.stagedRecords, heldClients: waiting.count, nowUs: ctx.commandClock) else {
            persistence.submit()
            return
        }
        let started = Clock.monotonicNanoseconds()
        guard writer.writeAndSyncHere() else { return }
        let ended = Clock.monotonicNanoseconds()
        inlineSync.synced(tookNs: ended - started, endedNs: ended)
        takeLogProgress()
    }

    /// Takes the writer's progress and acts on it (its announcement, or a sync on the loop).
    func takeLogProgress() {
        let p = persistence.takeProgress()
        logProgress(written: p.written, durable: p.durable)
    }

    /// Sends a connection's replies, or holds them until the log is durable up to the last
    /// record their commands could have seen (appendfsync always). Replies keep their order:
    /// once one is held, the ones after it wait behind it.
    func flush(_ conn: ClientConnection) {
        // A paused script delivered to this client: all of its output waits for the
        // script's commit (flushPushes after it), in order.
        if conn.pushPending && ctx.pausedScript != nil { return }
        let tag = persistence.lastAppliedLSN
        if config.appendfsync == .always && persistence.isActive
            && (tag > persistence.durableLSN || !conn.gated.isEmpty) {
            conn.gate(lsn: tag)
            waiting[ObjectIdentifier(conn)] = conn
            inlineSync.held(ObjectIdentifier(conn), nowUs: ctx.commandClock)
        } else if conn.output.readableBytes > 0 || conn.closeAfterFlush {
            // Sent once per event-loop tick, after every ready client was read and run,
            // as Redis writes its replies before it sleeps: the client is woken once for
            // all of them, not once per connection read.
            if !conn.flushPending {
                conn.flushPending = true
                pendingFlush.append(conn)
            }
            if !flushScheduled {
                flushScheduled = true
                loop.execute { [self] in flushPending() }
            }
        }
    }

    private var pendingFlush: [ClientConnection] = []
    /// The list being flushed, kept to swap with `pendingFlush` (no array per tick).
    private var flushingNow: [ClientConnection] = []
    private var flushScheduled = false

    private func flushPending() {
        flushScheduled = false
        swap(&pendingFlush, &flushingNow)
        defer { flushingNow.clearKeepingCapacity() }
        // The latest first, as Redis writes its clients_pending_write list: a publisher's
        // reply leaves before the messages to its subscribers, so it can send its next
        // request while the kernel delivers those.
        for conn in flushingNow.reversed() {
            conn.flushPending = false
            let sent = conn.flush()  // before touching stats: a flush can re-enter the engine
            stats.netOutputBytes += sent
            stats.writesProcessed += 1
            enforceOutputLimit(conn)
        }
        evictClientsIfNeeded()
    }

    /// The writer reports progress (on the loop).
    func logProgress(written: UInt64, durable: UInt64) {
        assert(loop.inEventLoop)
        if ctx.settings.latencyMonitorThresholdMs > 0, let writer = persistence.writer {
            // Redis samples its inline fsync under always; Cairn's writer thread syncs
            // under every policy, so everysec gets an event of its own.
            let event = config.appendfsync == .always ? "aof-fsync-always" : "aof-fsync-everysec"
            ctx.sampleLatency(event, milliseconds: Int64(writer.takeSlowestSync() / 1_000_000))
        }
        persistence.writtenLSN = max(persistence.writtenLSN, written)
        if durable > persistence.durableLSN {
            persistence.durableLSN = durable
            for (id, conn) in waiting {
                releaseHeld(conn, durable: durable)
                if conn.gated.isEmpty { waiting[id] = nil }
            }
        }
        replication.pumpAll()
        replication.serveWaiters()
        primaryLink?.logProgressed()
    }

    /// Sends `conn`'s held replies up to `durable`, counting how long they waited.
    func releaseHeld(_ conn: ClientConnection, durable: UInt64) {
        let released = conn.takeReleased(durable: durable, nowNs: Clock.monotonicNanoseconds(), holdTimes: &stats.replyHolds)
        stats.netOutputBytes += released?.readableBytes ?? 0
        conn.sendReleased(released)
        enforceOutputLimit(conn)
    }

    /// The log was started over (a replica's full sync) after the old one was closed, so
    /// everything it held is on disk: replies held for its LSNs go now (the new log's LSNs
    /// may be lower, and would never reach them).
    func releaseHeldReplies() {
        assert(loop.inEventLoop)
        for (_, conn) in waiting { releaseHeld(conn, durable: .max) }
        waiting.removeAll()
    }

    /// The writer failed (on the loop): from now on writes are refused; replies held for
    /// records that never became durable are never sent, and their connections are closed.
    func logFailed(_ reason: String) {
        assert(loop.inEventLoop)
        persistence.markFailed(reason)
        logger.warning("Error writing to the log: \(reason). Writes are refused (MISCONF) until a restart recovers from the log.")
        for (_, conn) in waiting {
            releaseHeld(conn, durable: persistence.durableLSN)
            if !conn.gated.isEmpty {
                conn.gated.removeAll()
                conn.gatedBytes = 0
                conn.closeAfterFlush = true
                _ = conn.flush()
            }
        }
        waiting.removeAll()
    }

    /// Runs one request from `conn` inside a batch, leaving the reply in the writer.
    /// `wire`: the request as it arrived, when the log can take it as it is (Effect.wire).
    /// The request is moved through the call and handed back (CommandContext.call(moving:)).
    func execute(_ conn: ClientConnection, _ args: inout [Bytes], wire: UnsafeRawBufferPointer? = nil) {
        ctx.out.protocolVersion = conn.session.protocolVersion
        let mark = ctx.out.buffer.writerIndex
        // CLIENT REPLY OFF and SKIP silence replies, not pushes (messages, (un)subscribe
        // confirmations), as in Redis: those are kept aside and put back after.
        divertingPushes = conn.replyMode == .off || conn.replyMode == .skipThis
        dispatch(conn, &args, batchNowMs, wire)
        divertingPushes = false
        if conn.isReplica {
            // A primary answers nothing to its replicas (REPLCONF ACK among others).
            ctx.out.buffer.moveWriterIndex(to: mark)
            return
        }
        switch conn.replyMode {
        case .off:
            ctx.out.buffer.moveWriterIndex(to: mark)
        case .skipThis:
            ctx.out.buffer.moveWriterIndex(to: mark)
            conn.replyMode = .on
        case .skipNext:
            conn.replyMode = .skipThis
        case .on:
            break
        }
        if divertedPushes.readableBytes > 0 {
            ctx.out.buffer.writeBuffer(&divertedPushes)
            divertedPushes.clear()
        }
    }

    /// A client's request: admitted, queued inside MULTI or called; then its effects
    /// committed, the client parked if it blocks, the clients its writes woke served, and
    /// what it pushed to others sent through the gate.
    private func dispatch(_ conn: ClientConnection, _ args: inout [Bytes], _ now: Int64, _ wire: UnsafeRawBufferPointer?) {
        let session = conn.session
        // The table keeps its commands for good: the spec is used without a retain.
        guard let admitted = ctx.admit(args, session: session) else { return }
        admitted._withUnsafeGuaranteedRef { spec in run(conn, spec, &args, now, wire) }
    }

    private func run(_ conn: ClientConnection, _ spec: CommandSpec, _ args: inout [Bytes], _ now: Int64, _ wire: UnsafeRawBufferPointer?) {
        let session = conn.session
        if writesPaused && pauseHolds(spec, conn) {
            postpone(conn, args)
            return
        }
        if session.transaction != nil && !TransactionCommands.runsInsideMulti(spec) {
            TransactionCommands.queue(ctx, spec, args, session: session)
            return
        }
        let scriptWasPaused = ctx.pausedScript != nil
        ctx.call(spec, moving: &args, session: session, nowMs: now, origin: .client, wire: wire)
        if !scriptWasPaused && ctx.pausedScript != nil {
            // Its effects are committed later, after this request's input is gone.
            for i in ctx.effects.indices { ctx.effects[i].wire = nil }
            pauseForScript(conn)
            return
        }
        commit()
        if let request = ctx.blockRequest {
            ctx.blockRequest = nil
            block(conn, BlockedClient(request: request, spec: spec, args: args))
        }
        serveBlockedClients()
        flushPushes()
    }

    /// Admission beyond name and arity (AdmissionPolicy), in Redis's order.
    override func refusal(_ spec: CommandSpec, _ args: [Bytes], _ session: ClientSession) -> String? {
        // Flag first: passing the whole configuration would copy it on every command.
        if spec.flags.contains(.protected), let refused = ProtectedActions.refusal(spec, config, session) { return refused }
        if !session.authenticated && !spec.flags.contains(.noAuth) && ctx.users.authRequired {
            return "NOAUTH Authentication required."
        }
        // A script's calls are checked (and answered) by the script's own path.
        if ctx.scriptRun == nil, let user = session.user, !user.unrestricted,
           let refused = ctx.aclRefusal(spec, args, session) {
            return refused
        }
        // A client's command (not one inside EXEC or a script): evict first, as Redis
        // does before each command, and refuse for memory before any later check.
        if config.eviction.maxmemory > 0 && !ctx.insideCall, let reason = outOfMemoryRefusal(spec, session) {
            return reason
        }
        if session.protocolVersion == 2 && session.subscriptions.isActive && !ConnectionCommands.allowedWhileSubscribed(spec) {
            return "ERR Can't execute '\(spec.fullName)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        }
        if loading && !spec.flags.contains(.loading) { return "LOADING Redis is loading the dataset in memory" }
        if !spec.flags.contains(.allowBusy), let busy = ctx.busyReply { return busy }
        if primaryLink != nil {
            if servesStaleDataOnly && !spec.flags.contains(.stale) {
                return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
            }
            guard config.replicaReadOnly else { return nil }
            return writes(spec, session) ? "READONLY You can't write against a read only replica." : nil
        }
        // The rest refuse writes only when something is amiss: most commands stop here.
        guard config.minReplicasToWrite > 0 || persistence.failure != nil else { return nil }
        if writes(spec, session) && tooFewGoodReplicas {
            return "NOREPLICAS Not enough good replicas to write."
        }
        // PING too, as in Redis: a health check must see that writes are refused.
        if let reason = persistence.failure, writes(spec, session) || spec.fullName == "ping" {
            return "MISCONF Errors writing to the AOF file: \(reason)"
        }
        return nil
    }

    /// The server's state as it bears on a script about to start (AdmissionPolicy).
    override func scriptConditions(_ session: ClientSession) -> ScriptConditions {
        var c = ScriptConditions()
        c.readOnlyReplica = primaryLink != nil && config.replicaReadOnly
        c.stale = servesStaleDataOnly
        c.persistenceFailure = persistence.failure
        c.enoughReplicas = !tooFewGoodReplicas
        c.outOfMemory = outOfMemory && config.eviction.maxmemory > 0
        return c
    }

    /// A replica whose link is down while replica-serve-stale-data is no: only commands
    /// (and scripts) allowed on stale data run.
    private var servesStaleDataOnly: Bool {
        primaryLink.map { !$0.isUp && !config.replicaServeStaleData } ?? false
    }

    /// min-replicas-to-write is set and fewer replicas than that are up to date.
    private var tooFewGoodReplicas: Bool {
        config.minReplicasToWrite > 0
            && replication.goodReplicas(maxLagSeconds: config.minReplicasMaxLag) < config.minReplicasToWrite
    }

    /// Whether admission treats a command as a write: a write command, or an EXEC whose
    /// block holds one (queued before a refusal began), as Redis does.
    private func writes(_ spec: CommandSpec, _ session: ClientSession) -> Bool {
        spec.isWrite || (spec.fullName == "exec" && session.transaction?.hasWrites == true)
    }

    /// Applies one logged effect to the keyspace during recovery; returns the error reply
    /// if the command failed (which means the log and the code disagree).
    func replay(_ effect: Effect, session: ClientSession, origin: CallOrigin = .replay, nowMs: Int64? = nil) -> String? {
        ctx.replay(effect, session: session, origin: origin, nowMs: nowMs)
    }

    // MARK: - MONITOR

    /// Shows a call to the MONITOR clients (CallObserver; not admin commands, nor those
    /// Redis hides), as Redis 7 does once it ran: SELECT with the database it selected,
    /// EXEC after the commands of its block, a blocking command as it blocks. Called for
    /// every call while somebody monitors (the observer is unset otherwise).
    func called(_ frame: CallFrame) {
        guard let spec = frame.spec, !spec.flags.contains(.admin), !spec.flags.contains(.skipMonitor) else { return }
        writeMonitorLine(frame)
    }

    private func writeMonitorLine(_ frame: CallFrame) {
        let client = frame.session.connection as? ClientConnection
        let address = client?.address ?? "lua"
        let nowMs = frame.nowMs
        var line = "+\(nowMs / 1000).\(String(format6(Int(nowMs % 1000) * 1000))) [\(frame.session.databaseIndex) \(address)]"
        for a in frame.args { line += " " + quoteForMonitor(a) }
        line += "\r\n"
        var buf = ByteBufferAllocator().buffer(capacity: line.utf8.count)
        buf.writeString(line)
        for m in monitors where m !== client {
            // A monitor that does not read its stream is dropped rather than buffered for.
            if m.channel.isWritable {
                deliver(buf, to: m)
            } else {
                logger.info("Closing a MONITOR client that does not keep up: id=\(m.session.id) addr=\(m.address)")
                m.closeAfterFlush = true
                _ = m.flush()
            }
        }
    }

    private func format6(_ v: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }

    // MARK: - Periodic work (Redis's serverCron)

    func startCron() {
        let period = TimeAmount.milliseconds(Int64(1000 / max(1, min(config.hz, 500))))
        loop.scheduleRepeatedTask(initialDelay: period, delay: period) { [self] _ in
            cron()
        }
    }

    func cron() {
        assert(loop.inEventLoop)
        let now = Clock.unixMilliseconds()
        stats.opsSamples.add(time: now, value: ctx.stats.commandsProcessed)
        stats.inputSamples.add(time: now, value: stats.netInputBytes)
        stats.outputSamples.add(time: now, value: stats.netOutputBytes)
        stats.replInputSamples.add(time: now, value: stats.netReplInputBytes)
        stats.replOutputSamples.add(time: now, value: stats.netReplOutputBytes)
        stats.syncSamples.add(time: Clock.monotonicMicroseconds(), value: persistence.writer?.counts.syncMicroseconds ?? 0)
        replication.cron(nowMs: now)
        updateFailover(nowMs: now)
        checkPendingShutdown(askAgain: true)
        migrateConnections.closeIdle(nowMs: now)
        primaryLink?.cron(nowMs: now)
        evictClientsIfNeeded()
        // What other threads allocated and freed since the last reading (MemoryGauge).
        if config.eviction.maxmemory > 0 { memoryGauge.refresh(log: persistence.writer) }
        // Nothing changes the keyspace, and no checkpoint starts, while a script is paused.
        if ctx.pausedScript != nil { return }
        // A replica's keys expire by its primary's DELs, as in Redis.
        if !loading && persistence.failure == nil && activeExpireEnabled && primaryLink == nil && !writesPaused {
            ActiveExpiry.cycle(ctx: ctx, session: serverSession, nowMs: now, budgetMicroseconds: 25_000 * 10 / Int64(max(1, config.hz)))
            ctx.applyKeyChanges(changed: true, by: nil)
            commitEach()
            submitLog()
        }
        ctx.tracking.evictKeys()
        flushPushes()  // the expiries' notifications and invalidations, and the evictions'
        checkpointer.cron(nowMs: now)
        if config.timeout > 0 {
            let limit = Int64(config.timeout) * 1000
            for c in clients.values where !c.isMonitor && now - c.session.lastInteractionMs > limit {
                c.closeAfterFlush = true
                _ = c.flush()
            }
        }
    }
}

/// Redis's sdscatrepr: a quoted string with C escapes, for MONITOR and CLIENT LIST.
func quoteForMonitor(_ b: Bytes) -> String {
    var s = "\""
    b.withUnsafeBytes { raw in
        for c in raw {
            switch c {
            case UInt8(ascii: "\\"): s += "\\\\"
            case UInt8(ascii: "\""): s += "\\\""
            case 10: s += "\\n"
            case 13: s += "\\r"
            case 9: s += "\\t"
            case 7: s += "\\a"
            case 8: s += "\\b"
            case 32...126: s.unicodeScalars.append(Unicode.Scalar(c))
            default:
                s += "\\x" + Hex.lowercase([c])
            }
        }
    }
    return s + "\""
}
