import CairnCommands
import CairnCore
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
/// happens on `loop` (asserted where it matters).
final class Engine: @unchecked Sendable {
    let loop: EventLoop
    var config: ServerConfig
    let keyspace: Keyspace
    let table: CommandTable
    let ctx: CommandContext
    let logger: Logger
    var clients: [Int64: ClientConnection] = [:]
    var monitors: [ClientConnection] = []
    private var nextClientId: Int64 = 1
    var stats = ServerStats()
    /// The clock reading shared by the commands of the current read batch.
    private var batchNowMs: Int64 = 0
    /// Monotonic microseconds at the end of the last command (or the batch's start).
    private var commandClock: Int64 = 0
    let startTimeMs: Int64
    let runId: String
    var lastSaveUnixSeconds: Int64
    let persistence: Persistence
    /// DEBUG SET-ACTIVE-EXPIRE: whether the cron reclaims expired keys nobody reads.
    var activeExpireEnabled = true
    /// True while the log is being replayed: commands without the `loading` flag get -LOADING.
    var loading = false
    /// Clients waiting in blocking commands, per key, in arrival order.
    var blockedQueues: [BlockedKey: [ClientConnection]] = [:] {
        didSet { ctx.anyClientBlocked = !blockedQueues.isEmpty }
    }
    /// Clients WATCHing each key.
    var watchers: [BlockedKey: [ClientConnection]] = [:]
    /// Connections holding replies until the log is durable.
    private var waiting: [ObjectIdentifier: ClientConnection] = [:]
    /// Called (on the loop) when SHUTDOWN or a signal asks the server to stop.
    var onShutdown: (() -> Void)?
    /// Called after CONFIG SET changed the configuration (log level, ...).
    var onConfigChange: ((ServerConfig) -> Void)?
    /// Snapshots: SAVE, BGSAVE and the automatic checkpoints.
    private(set) var checkpointer: Checkpointer!

    init(loop: EventLoop, config: ServerConfig, logger: Logger, persistence: Persistence) {
        self.loop = loop
        self.persistence = persistence
        self.config = config
        self.logger = logger
        self.keyspace = Keyspace(databaseCount: config.databases)
        self.table = CommandTable.dataCommands()
        let now = Clock.unixMilliseconds()
        self.startTimeMs = now
        self.lastSaveUnixSeconds = now / 1000
        self.runId = (0..<40).map { _ in String("0123456789abcdef".randomElement()!) }.joined()
        self.ctx = CommandContext(keyspace: keyspace, session: ClientSession(id: 0, nowMs: now), settings: config.commandSettings)
        table.register(ConnectionCommands.specs(self))
        table.register(ServerCommands.specs(self))
        table.register(SnapshotCommands.specs(self))
        table.register(TransactionCommands.specs(self))
        checkpointer = Checkpointer(engine: self)
    }

    // MARK: - Clients

    func register(_ channel: Channel) -> ClientConnection? {
        stats.connectionsReceived += 1
        let session = ClientSession(id: nextClientId, nowMs: Clock.unixMilliseconds())
        nextClientId += 1
        session.authenticated = config.requirepass.isEmpty
        let conn = ClientConnection(session: session, channel: channel)
        if clients.count >= config.maxclients {
            stats.rejectedConnections += 1
            return nil
        }
        clients[session.id] = conn
        return conn
    }

    func unregister(_ conn: ClientConnection) {
        removeBlocked(conn)
        unwatchAll(conn)
        clients[conn.session.id] = nil
        waiting[ObjectIdentifier(conn)] = nil
        if conn.isMonitor { monitors.removeAll { $0 === conn } }
    }

    // MARK: - Executing commands

    /// Starts a read batch for `conn`: its output buffer becomes the writer's, and the
    /// batch's commands share one reading of the clock (Redis's command time snapshot).
    func beginBatch(_ conn: ClientConnection) {
        assert(loop.inEventLoop)
        swap(&ctx.out.buffer, &conn.output)
        batchNowMs = Clock.unixMilliseconds()
        commandClock = Clock.monotonicMicroseconds()
        conn.session.lastInteractionMs = batchNowMs
    }

    /// Ends the batch: the replies go back to the connection's buffer, and the records
    /// staged by the batch go to the log writer.
    func endBatch(_ conn: ClientConnection) {
        swap(&ctx.out.buffer, &conn.output)
        drainEffects()
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
                    persistence.submit()
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

    /// Sends a connection's replies, or holds them until the log is durable up to the last
    /// record their commands could have seen (appendfsync always). Replies keep their order:
    /// once one is held, the ones after it wait behind it.
    func flush(_ conn: ClientConnection) {
        let tag = persistence.lastAppliedLSN
        if config.appendfsync == .always && persistence.isActive
            && (tag > persistence.durableLSN || !conn.gated.isEmpty) {
            conn.gate(lsn: tag)
            waiting[ObjectIdentifier(conn)] = conn
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
    private var flushScheduled = false

    private func flushPending() {
        flushScheduled = false
        let conns = pendingFlush
        pendingFlush.removeAll(keepingCapacity: true)
        for conn in conns {
            conn.flushPending = false
            stats.netOutputBytes += conn.flush()
        }
    }

    /// The writer reports progress (on the loop).
    func logProgress(written: UInt64, durable: UInt64) {
        persistence.writtenLSN = max(persistence.writtenLSN, written)
        guard durable > persistence.durableLSN else { return }
        persistence.durableLSN = durable
        for (id, conn) in waiting {
            stats.netOutputBytes += conn.release(durable: durable)
            if conn.gated.isEmpty { waiting[id] = nil }
        }
    }

    /// The writer failed (on the loop): from now on writes are refused; replies held for
    /// records that never became durable are never sent, and their connections are closed.
    func logFailed(_ reason: String) {
        persistence.markFailed(reason)
        logger.warning("Error writing to the log: \(reason). Writes are refused (MISCONF) until a restart recovers from the log.")
        for (_, conn) in waiting {
            stats.netOutputBytes += conn.release(durable: persistence.durableLSN)
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
    func execute(_ conn: ClientConnection, _ args: [Bytes]) {
        ctx.out.protocolVersion = conn.session.protocolVersion
        let mark = ctx.out.buffer.writerIndex
        dispatch(conn, args, batchNowMs)
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
    }

    private func dispatch(_ conn: ClientConnection, _ args: [Bytes], _ now: Int64) {
        let session = conn.session
        guard var spec = table.lookup(args[0]) else {
            var detail = ""
            for a in args.dropFirst() where detail.utf8.count < 128 {
                detail += "'\(String(a.string.prefix(128 - detail.utf8.count)))' "
            }
            let mark = ctx.out.buffer.writerIndex
            conn.transaction?.refused = true
            ctx.out.error("ERR unknown command '\(String(args[0].string.prefix(128)))', with args beginning with: \(detail)")
            countError(at: mark)
            return
        }
        if !spec.arityAccepts(args.count) {
            reject(conn, spec, Reply.wrongArity(spec.fullName))
            return
        }
        if !spec.subcommands.isEmpty && args.count >= 2 {
            guard let sub = spec.subcommands[args[1].lowercased] else {
                reject(conn, spec, Reply.unknownSubcommand(args[1].string, spec.name))
                return
            }
            spec = sub
            if !spec.arityAccepts(args.count) {
                reject(conn, spec, Reply.wrongArity(spec.fullName))
                return
            }
        }
        if spec.flags.contains(.protected) && !DebugCommand.allowed(self, client: conn) {
            reject(conn, spec, DebugCommand.notAllowed)
            return
        }
        if !session.authenticated && !spec.flags.contains(.noAuth) {
            reject(conn, spec, "NOAUTH Authentication required.")
            return
        }
        if loading && !spec.flags.contains(.loading) {
            reject(conn, spec, "LOADING Redis is loading the dataset in memory")
            return
        }
        if spec.isWrite, let reason = persistence.failure {
            reject(conn, spec, "MISCONF Errors writing to the AOF file: \(reason)")
            return
        }
        if conn.transaction != nil && !TransactionCommands.runsInsideMulti(spec) {
            ctx.session = session
            queue(conn, spec, args)
            return
        }
        ctx.session = session
        ctx.nowMs = now
        let errorMark = ctx.out.buffer.writerIndex
        let dirtyBefore = ctx.dirty
        ctx.run(spec, args)
        // Shown once run, as Redis 7 does: SELECT with the database it selected, EXEC after
        // the commands of its block (fed as they run), a blocking command as it blocks.
        feedMonitors(conn, spec, args, now)
        let changedSomething = ctx.dirty != dirtyBefore || !ctx.effects.isEmpty
        if !ctx.effects.isEmpty {
            // One record per command: recovery applies all of a command's effects or none.
            persistence.log(ctx.effects[...])
            ctx.effects.removeAll(keepingCapacity: true)
        }
        if let request = ctx.blockRequest {
            ctx.blockRequest = nil
            block(conn, request)
        }
        if !ctx.readiedDatabases.isEmpty {
            // After SWAPDB any key a client waits on in those databases may hold data now.
            for db in Set(ctx.readiedDatabases) {
                for bk in blockedQueues.keys where bk.database == db { ctx.readiedKeys.append((db, bk.key)) }
            }
            ctx.readiedDatabases.removeAll()
        }
        if !ctx.readiedKeys.isEmpty {
            let ready = ctx.readiedKeys
            ctx.readiedKeys.removeAll()
            if !blockedQueues.isEmpty { serveReadyKeys(ready) }
        }
        if !watchers.isEmpty { applyTouches(changedSomething: changedSomething) }
        // One clock read per command: a command's time runs from the previous one's end
        // (or the batch's start), which adds only its decoding to it.
        let finished = Clock.monotonicMicroseconds()
        let elapsed = finished - commandClock
        commandClock = finished
        session.lastCommandSpec = spec
        let failed = ctx.out.wroteError(since: errorMark)
        spec.stats.calls += 1
        spec.stats.microseconds += Int(elapsed)
        if failed {
            spec.stats.failedCalls += 1
            countError(at: errorMark)
        }
    }

    /// Refuses a command before it runs; inside MULTI this also dooms the block (EXECABORT).
    private func reject(_ conn: ClientConnection, _ spec: CommandSpec, _ message: String) {
        conn.transaction?.refused = true
        let mark = ctx.out.buffer.writerIndex
        ctx.out.error(message)
        spec.stats.rejectedCalls += 1
        countError(at: mark)
    }

    /// Counts the error reply written at `index` of the output: in total and by its code.
    private func countError(at index: Int) {
        stats.errorReplies += 1
        let buffer = ctx.out.buffer
        let end = min(buffer.writerIndex, index + 1 + 64)
        guard index + 1 < end, let view = buffer.viewBytes(at: index + 1, length: end - index - 1) else { return }
        let code = String(decoding: view.prefix { $0 != 32 && $0 != 13 }, as: UTF8.self)
        if stats.errorCodes[code] != nil || stats.errorCodes.count < ServerStats.errorCodesMax {
            stats.errorCodes[code, default: 0] += 1
        }
    }

    /// Effects recorded outside commands (expiry): each becomes a record of its own.
    func drainEffects() {
        guard !ctx.effects.isEmpty else { return }
        for i in ctx.effects.indices { persistence.log(ctx.effects[i...i]) }
        ctx.effects.removeAll(keepingCapacity: true)
    }

    /// Applies one logged effect to the keyspace during recovery; returns the error reply
    /// if the command failed (which means the log and the code disagree).
    func replay(_ effect: Effect, session: ClientSession) -> String? {
        ctx.replay(effect, table: table, session: session)
    }

    // MARK: - MONITOR

    /// Shows a command to the MONITOR clients (not admin commands, nor those Redis hides).
    /// Called for every command: without monitors it is one check, inlined.
    @inline(__always)
    func feedMonitors(_ conn: ClientConnection, _ spec: CommandSpec, _ args: [Bytes], _ nowMs: Int64) {
        if monitors.isEmpty || spec.flags.contains(.admin) || spec.flags.contains(.skipMonitor) { return }
        writeMonitorLine(conn, args, nowMs)
    }

    private func writeMonitorLine(_ conn: ClientConnection, _ args: [Bytes], _ nowMs: Int64) {
        var line = "+\(nowMs / 1000).\(String(format6(Int(nowMs % 1000) * 1000))) [\(conn.session.databaseIndex) \(conn.address)]"
        for a in args { line += " " + quoteForMonitor(a) }
        line += "\r\n"
        var buf = conn.channel.allocator.buffer(capacity: line.utf8.count)
        buf.writeString(line)
        for m in monitors where m !== conn {
            // A monitor that does not read its stream is dropped rather than buffered for.
            if m.channel.isWritable {
                m.push(buf)
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
        let now = Clock.unixMilliseconds()
        stats.sampleOps(nowMs: now, processed: ctx.stats.commandsProcessed)
        if !loading && persistence.failure == nil && activeExpireEnabled {
            ActiveExpiry.cycle(ctx: ctx, nowMs: now, budgetMicroseconds: 25_000 * 10 / Int64(max(1, config.hz)))
            applyTouches(changedSomething: true)
            drainEffects()
            submitLog()
        }
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
                let hex = Array("0123456789abcdef")
                s += "\\x" + String(hex[Int(c >> 4)]) + String(hex[Int(c & 15)])
            }
        }
    }
    return s + "\""
}

/// Wall and monotonic clocks.
enum Clock {
    static func unixMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    static func unixMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    static func monotonicMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
