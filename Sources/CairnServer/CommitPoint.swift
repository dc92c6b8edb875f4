import CairnCommands
import CairnCore
import CairnLog
import NIOCore

/// The commit point: where the effects of one unit (a client's command, an EXEC block, a
/// blocked client served, one expiry, a PING for replicas, a unit of a replica's stream)
/// become one log record, and where what the unit
/// pushed to other clients is handed to the durability gate.
extension Engine {
    /// Commits the effects collected since the last commit as one unit: one record, so
    /// recovery applies all of it or none of it.
    func commit() {
        // A paused script's effects wait for the rest of it (and other clients' commands
        // are refused meanwhile, -BUSY): the script is still one unit.
        if ctx.pausedScript != nil { return }
        if !ctx.replicaOnly.isEmpty { commitReplicaOnly() }
        guard !ctx.effects.isEmpty else { return }
        if primaryLink != nil {
            // A replica's log holds its primary's records only, at the primary's LSNs: what
            // its clients change (an expired key read away; writes when replica-read-only
            // is off) is not logged, and the primary's own DEL follows in the stream.
            ctx.effects.clearKeepingCapacity()
            return
        }
        // Taken out of the context and read in place: a slice of the context's array would
        // retain and release its storage for every command.
        var unit: [Effect] = []
        swap(&unit, &ctx.effects)
        unit.withUnsafeBufferPointer { commit(unit: $0) }
        unit.clearKeepingCapacity()
        swap(&unit, &ctx.effects)
    }

    /// Commits each collected effect as a unit of its own: expirations found outside
    /// commands (the active cycle), each its own record as Redis propagates each DEL.
    func commitEach() {
        guard !ctx.effects.isEmpty else { return }
        ctx.effects.withUnsafeBufferPointer { all in
            for i in all.indices { commit(unit: UnsafeBufferPointer(rebasing: all[i...i])) }
        }
        ctx.effects.clearKeepingCapacity()
    }

    /// The one place a unit becomes a record (replicas read it from the log).
    private func commit(unit: UnsafeBufferPointer<Effect>) {
        assert(loop.inEventLoop)
        persistence.log(unit)
    }

    /// PUBLISH and SPUBLISH go to replicas as Redis sends them (so that a replica's
    /// subscribers get the messages, and offsets count them as a Redis replica does): a
    /// `stream` record each, while replication is in use (a replica attached, or one
    /// left less than repl-backlog-ttl ago, as Redis keeps its backlog). A replica's own
    /// clients' messages stay local, as in Redis.
    private func commitReplicaOnly() {
        defer { ctx.replicaOnly.clearKeepingCapacity() }
        guard primaryLink == nil, replication.inUse(nowMs: Clock.unixMilliseconds()) else { return }
        for args in ctx.replicaOnly {
            var raw: [UInt8] = []
            ReplicationStream.appendCommand(args, to: &raw)
            commitStream(raw)
        }
    }

    /// Commits bytes of the replication stream that change nothing (a PING or GETACK for
    /// the replicas) as a record of their own, and hands it to the log.
    func commitStream(_ bytes: [UInt8]) {
        assert(loop.inEventLoop)
        persistence.logStream(bytes)
        submitLog()
    }

    /// Commits a unit of this server's primary's stream (a replica) as the primary's
    /// record: the next LSN, the primary's stream end. The replica's own effects from
    /// applying it are not logged (`commit` drops them on a replica).
    func commitReplicated(streamEnd: UInt64, kind: RecordKind, flags: RecordFlags, payload: [UInt8]) throws {
        assert(loop.inEventLoop)
        try persistence.copy(lsn: persistence.lastAppliedLSN + 1, streamEnd: streamEnd, kind: kind, flags: flags, payload: payload)
    }

    /// `commitReplicated` of a unit of effects (read in place).
    func commitReplicated(streamEnd: UInt64, flags: RecordFlags, effects: UnsafeBufferPointer<Effect>) throws {
        assert(loop.inEventLoop)
        try persistence.copy(lsn: persistence.lastAppliedLSN + 1, streamEnd: streamEnd, kind: effects.count == 1 ? .command : .batch,
                             flags: flags, effects: effects)
    }

    /// Queues an out-of-band message (a MONITOR line, a pub/sub message, a keyspace
    /// notification, an invalidation) for `conn`, in order with its replies. It leaves through the same
    /// gate as replies, by `flushPushes` after the pushing unit is committed, so it never
    /// reveals a write that is not yet durable.
    func deliver(_ message: ByteBuffer, to conn: ClientConnection) {
        message.withUnsafeReadableBytes { deliver(raw: $0, to: conn) }
    }

    /// `deliver` of bytes in place (a message delivered to many: no buffer retained per
    /// subscriber).
    func deliver(raw message: UnsafeRawBufferPointer, to conn: ClientConnection) {
        if conn === batchConnection {
            // Its replies are being written into the context's writer right now.
            if divertingPushes { divertedPushes.writeBytes(message) } else { ctx.out.buffer.writeBytes(message) }
            return
        }
        conn.output.writeBytes(message)
        if !conn.pushPending {
            conn.pushPending = true
            pushedConnections.append(conn)
        }
    }

    /// Sends (or holds until durable) what was delivered to other clients; called after
    /// the commit of the unit that delivered it.
    func flushPushes() {
        // What a paused script delivered leaves after its commit.
        if ctx.pausedScript != nil { return }
        deliverInvalidations()
        guard !pushedConnections.isEmpty else { return }
        // Swapped with a kept list, not copied: no array per unit that pushed.
        swap(&pushedConnections, &pushingNow)
        for conn in pushingNow {
            conn.pushPending = false
            flush(conn)
        }
        pushingNow.clearKeepingCapacity()
    }
}
