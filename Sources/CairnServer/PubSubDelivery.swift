import CairnCommands
import CairnCore
import NIOCore

/// Pub/sub messages and keyspace notifications on their way to subscribers: into the
/// subscriber's output through the commit point's `deliver` (so they leave through the
/// durability gate), bounded by `client-output-buffer-limit pubsub`.
extension Engine: PushDelivery {
    func push(_ message: ByteBuffer, to session: ClientSession) {
        guard let conn = session.connection as? ClientConnection, !conn.closeAfterFlush, !conn.closed else { return }
        deliver(message, to: conn)
        enforcePubSubLimit(conn)
    }

    /// Redis's checkClientOutputBufferLimits for the pubsub class: what the subscriber has
    /// not taken yet (output the server holds: a subscriber's output is kept, not handed to
    /// the socket, while the socket is full) past the hard limit, or past the soft limit
    /// for longer than its seconds, closes the connection and drops what it held.
    func enforcePubSubLimit(_ conn: ClientConnection) {
        let limit = config.pubsubOutputLimit
        let held = conn.heldOutputBytes + (conn === batchConnection ? ctx.out.buffer.readableBytes : 0)
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

    /// A subscriber's socket took what was queued: send what was held for it meanwhile.
    func outputWritable(_ conn: ClientConnection) {
        guard conn.session.subscriptions.isActive || conn.hasHeldOutput else { return }
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
