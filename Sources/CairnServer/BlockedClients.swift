import CairnCommands
import CairnCore
import CairnRESP
import CairnStore
import NIOCore

/// A client waiting in BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX,
/// BZMPOP, XREAD or XREADGROUP: what it waits for, and the command to run again when a
/// key it waits on holds something.
final class BlockedClient {
    let request: BlockRequest
    let spec: CommandSpec
    /// The command run when served, and the one the client sent (what SLOWLOG shows).
    let args: [Bytes]
    let sentArgs: [Bytes]
    var timeout: Scheduled<Void>?

    init(request: BlockRequest, spec: CommandSpec, args: [Bytes], sentArgs: [Bytes]? = nil) {
        self.request = request
        self.spec = spec
        self.args = request.rerunArguments ?? args
        self.sentArgs = sentArgs ?? args
    }

    /// An XREADGROUP: a change of its keys (deleted, replaced, its group destroyed) must
    /// reach it, not only a push.
    var watchesItsKeys: Bool {
        if case .streamGroup = request.awaited { return true }
        return false
    }
}

/// Blocked clients: parking, serving in arrival order when a write makes a key they wait
/// on hold something (by running their command again through the one call path, as Redis
/// 7.2 does), timing out, and CLIENT UNBLOCK. Everything here runs on the engine's loop.
extension Engine {
    /// INFO's blocked_clients: clients in a blocking command, and those CLIENT PAUSE holds.
    var blockedClientCount: Int { clients.values.reduce(0) { $0 + ($1.blocked == nil && $1.postponed == nil ? 0 : 1) } }

    /// Parks `conn` on the keys of its request; it gets no reply until served or timed out.
    func block(_ conn: ClientConnection, _ blocked: BlockedClient) {
        let request = blocked.request
        conn.blocked = blocked
        if case .replicaAcks = request.awaited { replication.waiting(conn) }
        for key in Set(request.keys) {
            blockedQueues[DatabaseKey(database: request.database, key: key), default: []].append(conn)
            if blocked.watchesItsKeys { keyspace.touches.watch(request.database, key) }
        }
        if let deadline = request.deadlineMs {
            let delay = max(0, deadline - Clock.unixMilliseconds())
            // The client is found again by id, not held weakly: a weak reference gives an
            // object a side table, and every retain and release of it is slower after.
            // The engine lives as long as the loop that runs this task.
            let id = conn.session.id
            blocked.timeout = loop.scheduleTask(in: .milliseconds(delay)) { [unowned self] in
                guard let conn = clients[id], conn.blocked === blocked else { return }
                finishBlocked(conn) { w in answerUnserved(blocked, &w) }
            }
        }
    }

    /// The answer of a wait that ends unserved (its timeout, CLIENT UNBLOCK): Redis answers
    /// every list and sorted set wait with a null array, BLMOVE's too; WAIT with how many
    /// replicas acknowledged.
    func answerUnserved(_ blocked: BlockedClient, _ w: inout RESPWriter) {
        if case .replicaAcks(let offset, let lsn, _, let local) = blocked.request.awaited {
            replication.answerWait(offset: offset, lsn: lsn, local: local, into: &w)
        } else {
            w.nullArray()
        }
    }

    /// Takes `conn` out of every queue it waits in.
    func removeBlocked(_ conn: ClientConnection) {
        guard let blocked = conn.blocked else { return }
        blocked.timeout?.cancel()
        for key in Set(blocked.request.keys) {
            let dk = DatabaseKey(database: blocked.request.database, key: key)
            blockedQueues[dk]?.removeAll { $0 === conn }
            if blockedQueues[dk]?.isEmpty == true { blockedQueues[dk] = nil }
            if blocked.watchesItsKeys { keyspace.touches.unwatch(blocked.request.database, key) }
        }
        conn.blocked = nil
    }

    /// Writes the final reply of a blocked client (timeout, CLIENT UNBLOCK), unblocks it,
    /// sends the reply (gated by the log like any other) and lets it run its waiting
    /// requests.
    func finishBlocked(_ conn: ClientConnection, reply: (inout RESPWriter) -> Void) {
        removeBlocked(conn)
        var w = RESPWriter(buffer: conn.channel.allocator.buffer(capacity: 0), protocolVersion: conn.session.protocolVersion)
        swap(&w.buffer, &conn.output)
        reply(&w)
        swap(&w.buffer, &conn.output)
        flush(conn)
        loop.execute { conn.resume?() }
    }

    /// Ends a blocked call with `error`, counted as that call's failure.
    private func failBlocked(_ conn: ClientConnection, _ blocked: BlockedClient, _ error: String) {
        ctx.countBlockedCallFailure(blocked.spec, message: error)
        finishBlocked(conn) { $0.error(error) }
    }

    /// Serves the clients waiting on the keys the last unit signalled (pushes; every
    /// waited key of a database SWAPDB changed), first come first served, each by running
    /// its command again; what those runs push signals further keys (BLMOVE's
    /// destination), served in turn.
    func serveBlockedClients() {
        if ctx.pausedScript != nil { return }
        if !ctx.readiedDatabases.isEmpty {
            for db in Set(ctx.readiedDatabases) {
                for dk in blockedQueues.keys where dk.database == db { ctx.readiedKeys.append((db, dk.key)) }
            }
            ctx.readiedDatabases.removeAll()
        }
        guard !ctx.readiedKeys.isEmpty else { return }
        guard !blockedQueues.isEmpty else {
            ctx.readiedKeys.removeAll()
            return
        }
        // Redis looks the key up again when it serves, at the time of serving: a key whose
        // time has passed by then (an EXEC that pushed and expired it, a SWAPDB that brought
        // an expired one) is deleted and its waiters stay blocked.
        let now = Clock.unixMilliseconds()
        var next = 0
        while next < ctx.readiedKeys.count {
            let (database, key) = ctx.readiedKeys[next]
            next += 1
            guard let waiters = blockedQueues[DatabaseKey(database: database, key: key)] else { continue }
            let db = keyspace[database]
            if ctx.expireIfNeeded(key, in: db, dbIndex: database, now: now) { commit() }
            for waiter in waiters {
                // A waiter whose kind does not match the key's type stays blocked, as in Redis.
                guard let blocked = waiter.blocked else { continue }
                switch blocked.request.wakeUp(key: key, value: db.main[key]) {
                case .wait: continue
                case .serve: reprocess(waiter, blocked, key: key, nowMs: now)
                case .fail(let error): failBlocked(waiter, blocked, error)
                }
            }
        }
        ctx.readiedKeys.removeAll()
    }

    /// Runs a blocked client's command again through `call`, its replies written to its
    /// own output, and commits its effects as a unit of their own, before the reply is
    /// handed to the gate.
    private func reprocess(_ waiter: ClientConnection, _ blocked: BlockedClient, key: Bytes, nowMs: Int64) {
        removeBlocked(waiter)
        var writer = RESPWriter(buffer: waiter.channel.allocator.buffer(capacity: 0), protocolVersion: waiter.session.protocolVersion)
        swap(&writer.buffer, &waiter.output)
        swap(&writer, &ctx.out)
        let args = blocked.request.arguments(servedBy: key, blocked.args)
        ctx.call(blocked.spec, args, session: waiter.session, nowMs: nowMs, origin: .reprocess, shownArguments: blocked.sentArgs)
        swap(&writer, &ctx.out)
        swap(&writer.buffer, &waiter.output)
        commit()
        if ctx.blockRequest != nil {
            // Nothing to take after all: it waits on, for all its keys, until its first
            // deadline.
            ctx.blockRequest = nil
            block(waiter, BlockedClient(request: blocked.request, spec: blocked.spec, args: blocked.args, sentArgs: blocked.sentArgs))
            return
        }
        flush(waiter)
        loop.execute { waiter.resume?() }
    }

    /// REPLICAOF host port (or FAILOVER's hand-over): every blocked client gets Redis's
    /// error and its connection closes after it, as Redis disconnects them. A command
    /// held by a pause is not blocked: it runs, or is refused, when the pause ends.
    func unblockAllForNewPrimary() {
        for conn in clients.values {
            guard let blocked = conn.blocked else { continue }
            conn.closeAfterFlush = true
            failBlocked(conn, blocked, "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")
        }
    }

    /// CLIENT UNBLOCK: true when the client was blocked.
    func unblockByCommand(_ id: Int64, withError: Bool) -> Bool {
        guard let conn = clients[id], let blocked = conn.blocked else { return false }
        finishBlocked(conn) { w in
            if withError {
                let message = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
                ctx.countBlockedCallFailure(blocked.spec, message: message)
                w.error(message)
            } else {
                answerUnserved(blocked, &w)
            }
        }
        return true
    }
}
