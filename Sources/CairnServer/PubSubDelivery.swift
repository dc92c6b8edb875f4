import CairnCommands
import CairnCore
import NIOCore

/// Pub/sub messages and keyspace notifications on their way to subscribers: into the
/// subscriber's output through the commit point's `deliver` (so they leave through the
/// durability gate), bounded by `client-output-buffer-limit pubsub`.
extension Engine: PushDelivery {
    func push(_ message: ByteBuffer, to session: ClientSession) {
        guard let conn = session.connection as? ClientConnection else { return }
        message.withUnsafeReadableBytes { push(raw: $0, to: conn) }
    }

    /// A push into an open connection's output, within its output-buffer limit.
    @inline(__always)
    private func push(raw message: UnsafeRawBufferPointer, to conn: ClientConnection) {
        guard !conn.closeAfterFlush, !conn.closed else { return }
        deliver(raw: message, to: conn)
        enforceOutputLimit(conn)
    }

    func push(resp2: ByteBuffer, resp3: ByteBuffer, to sessions: [ClientSession]) {
        // The message's bytes in place, the sessions through a buffer pointer, the
        // connection cast without a check (a session's connection is always a
        // ClientConnection here): reference counting per subscriber was most of a
        // delivery's time.
        resp2.withUnsafeReadableBytes { resp2 in
            resp3.withUnsafeReadableBytes { resp3 in
                sessions.withUnsafeBufferPointer { sessions in
                    for session in sessions {
                        guard let connection = session.connection else { continue }
                        let message = session.protocolVersion >= 3 ? resp3 : resp2
                        // The session holds its connection until the engine unregisters it.
                        Unmanaged.passUnretained(unsafeDowncast(connection, to: ClientConnection.self))._withUnsafeGuaranteedRef {
                            push(raw: message, to: $0)
                        }
                    }
                }
            }
        }
    }

    /// Redis's checkClientOutputBufferLimits: what a client has not taken yet past its
    /// class's hard limit, or past the soft limit for longer than its seconds, closes the
    /// connection and drops what it held. A subscriber (pubsub class) has its output kept,
    /// not handed to the socket, while the socket is full; any other client (normal class)
    /// counts what the channel holds too. Replicas read the log (`replicaLagBytesMax`).
    func enforceOutputLimit(_ conn: ClientConnection) {
        guard !conn.isReplica, !conn.closed else { return }
        let subscriber = conn.session.subscriptions.isActive
        let limit = subscriber ? config.pubsubOutputLimit : config.normalOutputLimit
        if limit.hard == 0 && limit.soft == 0 { return }
        var held = conn.heldOutputBytes + (conn === batchConnection ? ctx.out.buffer.readableBytes : 0)
        if !subscriber { held += conn.channelBufferedBytes }
        if held <= 64 * 1024 && conn.softLimitSinceMs == nil { return }  // the common case: far from any limit
        var over = limit.hard > 0 && held > limit.hard
        if limit.soft > 0 && held > limit.soft {
            let now = Clock.unixMilliseconds()
            if let since = conn.softLimitSinceMs {
                over = over || now - since > Int64(limit.seconds) * 1000
            } else {
                conn.softLimitSinceMs = now
            }
        } else if conn.softLimitSinceMs != nil {
            conn.softLimitSinceMs = nil
        }
        guard over else { return }
        logger.warning("Client id=\(conn.session.id) addr=\(conn.address) scheduled to be closed ASAP for overcoming of output buffer limits.")
        if conn === batchConnection { ctx.out.buffer.clear() }
        conn.drop()
    }

    /// How many unsent reply bytes a client's pipeline may run up before the rest of it
    /// waits for its socket: 1 MiB when its class has no output-buffer limit (normal
    /// clients by default, where Redis would let the replies grow without bound); none
    /// when one is set, so that the limit cuts the client as Redis cuts it.
    func pipelinePauseBytes(_ conn: ClientConnection) -> Int {
        let limit = conn.session.subscriptions.isActive ? config.pubsubOutputLimit : config.normalOutputLimit
        return limit.hard == 0 && limit.soft == 0 ? 1 << 20 : Int.max
    }

    /// A subscriber's socket took what was queued: send what was held for it meanwhile.
    /// For another client, what the socket took may end a soft-limit period.
    func outputWritable(_ conn: ClientConnection) {
        guard conn.session.subscriptions.isActive || conn.hasHeldOutput else {
            if conn.softLimitSinceMs != nil { enforceOutputLimit(conn) }
            return
        }
        releaseHeld(conn, durable: persistence.isActive ? persistence.durableLSN : .max)
        flush(conn)
    }
}

/// Client-side caching's invalidations on their way out: after the unit that changed the
/// keys was committed, through the same gate as replies (the running client's own come
/// after its reply, as in Redis); BCAST ones once per event-loop tick, with every key of
/// the tick, as Redis sends them before it sleeps.
extension Engine {
    func deliverInvalidations() {
        // After every command: nothing to do unless a client tracks keys.
        guard ctx.tracking.hasWork else { return }
        if ctx.tracking.hasPendingBroadcast && !broadcastScheduled {
            broadcastScheduled = true
            loop.execute { [self] in
                broadcastScheduled = false
                ctx.tracking.broadcast()
                flushPushes()
            }
        }
        for (session, message) in ctx.tracking.takeOutbox() {
            guard let conn = session.connection as? ClientConnection, !conn.closeAfterFlush, !conn.closed else { continue }
            deliver(message, to: conn)
        }
    }
}
