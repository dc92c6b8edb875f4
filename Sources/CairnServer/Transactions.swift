import CairnCommands
import CairnCore
import CairnRESP
import CairnStore

/// A client's MULTI block: the commands queued for EXEC, and whether one was refused
/// while queuing (EXEC then discards the block, as Redis's EXECABORT).
final class QueuedTransaction {
    var commands: [(spec: CommandSpec, arguments: [Bytes])] = []
    /// Bytes of the queued arguments, bounded like a query buffer.
    var bytes = 0
    var refused = false
}

/// A key a client WATCHes; `expiredAtWatch` when it was already past its TTL then (its
/// deletion by expiry is then no change, as in Redis).
struct WatchedKey {
    let database: Int
    let key: Bytes
    var expiredAtWatch: Bool
}

/// MULTI, EXEC, DISCARD, WATCH and UNWATCH (Redis's multi.c). The commands of a block run
/// back to back inside EXEC, so no other client's command comes between them, and their
/// effects make one log record: recovery applies all of the block or none of it.
enum TransactionCommands {
    static func specs(_ engine: Engine) -> [CommandSpec] {
        [
            CommandSpec("multi", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                        group: "transactions", since: "1.2.0", summary: "Mark the start of a transaction block") { ctx in
                guard let conn = engine.clients[ctx.session.id] else { return }
                if conn.transaction != nil {
                    ctx.out.error("ERR MULTI calls can not be nested")
                    return
                }
                conn.transaction = QueuedTransaction()
                ctx.out.ok()
            },
            CommandSpec("exec", arity: 1, flags: [.noscript, .loading, .stale, .skipSlowlog],
                        group: "transactions", since: "1.2.0", summary: "Execute all commands issued after MULTI") { ctx in
                guard let conn = engine.clients[ctx.session.id] else { return }
                engine.exec(conn)
            },
            CommandSpec("discard", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                        group: "transactions", since: "2.0.0", summary: "Discard all commands issued after MULTI") { ctx in
                guard let conn = engine.clients[ctx.session.id] else { return }
                guard conn.transaction != nil else {
                    ctx.out.error("ERR DISCARD without MULTI")
                    return
                }
                conn.transaction = nil
                engine.unwatchAll(conn)
                ctx.out.ok()
            },
            CommandSpec("watch", arity: -2, flags: [.noscript, .loading, .stale, .fast, .allowBusy], keys: (1, -1, 1),
                        group: "transactions", since: "2.2.0",
                        summary: "Watch the given keys to determine execution of the MULTI/EXEC block") { ctx in
                guard let conn = engine.clients[ctx.session.id] else { return }
                if conn.transaction != nil {
                    ctx.out.error("ERR WATCH inside MULTI is not allowed")
                    return
                }
                for key in ctx.args.dropFirst() { engine.watch(conn, key) }
                ctx.out.ok()
            },
            CommandSpec("unwatch", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                        group: "transactions", since: "2.2.0", summary: "Forget about all watched keys") { ctx in
                guard let conn = engine.clients[ctx.session.id] else { return }
                engine.unwatchAll(conn)
                ctx.out.ok()
            },
        ]
    }

    /// Commands that run at once inside MULTI instead of being queued.
    static func runsInsideMulti(_ spec: CommandSpec) -> Bool {
        switch spec.name {
        case "exec", "discard", "multi", "watch", "quit", "reset": return true
        default: return false
        }
    }

    /// Queued argument bytes past which a block is refused (Redis bounds it only by
    /// memory): the query buffer limit, the most one request may carry.
    static func bytesMax(_ engine: Engine) -> Int { engine.config.clientQueryBufferLimit }
}

extension Engine {
    // MARK: - Queuing

    /// Queues a command sent inside MULTI; replies +QUEUED, or refuses the block.
    func queue(_ conn: ClientConnection, _ spec: CommandSpec, _ args: [Bytes]) {
        guard let tx = conn.transaction else { return }
        if spec.flags.contains(.noMulti) {
            refuseQueued(conn, "ERR Command not allowed inside a transaction")
            return
        }
        let size = args.reduce(0) { $0 + $1.count }
        if tx.bytes + size > TransactionCommands.bytesMax(self) {
            refuseQueued(conn, "ERR the commands queued by MULTI exceed client-query-buffer-limit")
            return
        }
        tx.bytes += size
        tx.commands.append((spec, args))
        ctx.out.simple("QUEUED")
    }

    /// An error for a command sent inside MULTI: the block will be discarded at EXEC.
    func refuseQueued(_ conn: ClientConnection, _ message: String) {
        conn.transaction?.refused = true
        ctx.out.error(message)
    }

    // MARK: - EXEC

    /// Runs a MULTI block: an array of the replies of its commands, or EXECABORT, or a null
    /// array when a watched key changed. The effects of all its commands are logged as one
    /// record by the caller (`dispatch`), after EXEC returns.
    func exec(_ conn: ClientConnection) {
        guard let tx = conn.transaction else {
            ctx.out.error("ERR EXEC without MULTI")
            return
        }
        conn.transaction = nil
        let changed = conn.watchedKeyChanged || watchedKeyExpired(conn)
        unwatchAll(conn)
        if tx.refused {
            ctx.out.error("EXECABORT Transaction discarded because of previous errors.")
            return
        }
        if changed {
            ctx.out.nullArray()
            return
        }
        ctx.out.arrayHeader(tx.commands.count)
        let session = ctx.session
        for (spec, args) in tx.commands {
            let errorMark = ctx.out.buffer.writerIndex
            if spec.isWrite, let reason = persistence.failure {
                ctx.out.error("MISCONF Errors writing to the AOF file: \(reason)")
            } else {
                ctx.session = session
                ctx.run(spec, args)
                feedMonitors(conn, spec, args, ctx.nowMs)
                if let request = ctx.blockRequest {
                    // A blocking command cannot wait inside a block: it answers as if its
                    // timeout had passed at once.
                    ctx.blockRequest = nil
                    if case .move = request.operation { ctx.out.null() } else { ctx.out.nullArray() }
                }
            }
            spec.stats.calls += 1
            if ctx.out.wroteError(since: errorMark) { spec.stats.failedCalls += 1 }
        }
    }

    // MARK: - WATCH

    func watch(_ conn: ClientConnection, _ key: Bytes) {
        let database = conn.session.databaseIndex
        if conn.watched.contains(where: { $0.database == database && $0.key == key }) { return }
        let expired = keyspace[database].isExpired(key, nowMs: Clock.unixMilliseconds())
        conn.watched.append(WatchedKey(database: database, key: key, expiredAtWatch: expired))
        watchers[BlockedKey(database: database, key: key), default: []].append(conn)
        keyspace.touches.watch(database, key)
    }

    func unwatchAll(_ conn: ClientConnection) {
        for w in conn.watched {
            let bk = BlockedKey(database: w.database, key: w.key)
            watchers[bk]?.removeAll { $0 === conn }
            if watchers[bk]?.isEmpty == true { watchers[bk] = nil }
            keyspace.touches.unwatch(w.database, w.key)
        }
        conn.watched.removeAll()
        conn.watchedKeyChanged = false
        // Nobody watches any more: changes recorded and not yet applied concern nobody,
        // and must not be applied to a later watcher.
        if keyspace.touches.isEmpty { keyspace.touches.touched.removeAll() }
    }

    /// Marks the clients watching the keys changed since the last call (Redis's
    /// touchWatchedKey), or forgets those changes when the command changed nothing.
    func applyTouches(changedSomething: Bool) {
        let touches = keyspace.touches
        guard !touches.touched.isEmpty else { return }
        defer { touches.touched.removeAll() }
        guard changedSomething else { return }
        for (database, key) in touches.touched {
            for conn in watchers[BlockedKey(database: database, key: key)] ?? [] {
                guard let i = conn.watched.firstIndex(where: { $0.database == database && $0.key == key }) else { continue }
                if conn.watched[i].expiredAtWatch && keyspace[database].main.find(key) == nil {
                    // Already past its TTL when watched, and now deleted: logically no
                    // change. A later write of the key counts again.
                    conn.watched[i].expiredAtWatch = false
                    continue
                }
                conn.watchedKeyChanged = true
            }
        }
    }

    /// A watched key whose TTL passed after it was watched, though nothing deleted it yet.
    func watchedKeyExpired(_ conn: ClientConnection) -> Bool {
        let now = Clock.unixMilliseconds()
        return conn.watched.contains { !$0.expiredAtWatch && keyspace[$0.database].isExpired($0.key, nowMs: now) }
    }
}
