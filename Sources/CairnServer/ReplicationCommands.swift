import CairnCommands
import CairnCore
import CairnLog

/// REPLICAOF (SLAVEOF), REPLCONF, PSYNC, SYNC, WAIT and ROLE.
enum ReplicationCommands {
    static func specs(_ engine: Engine) -> [CommandSpec] {
        let replicaof: CommandHandler = { ctx in replicaOf(ctx, engine) }
        return [
            CommandSpec("replicaof", arity: 3, flags: [.admin, .noscript, .stale, .noAsyncLoading], acl: [], group: "server", since: "5.0.0",
                        summary: "Make the server a replica of another instance, or promote it as master.", handler: replicaof),
            CommandSpec("slaveof", arity: 3, flags: [.admin, .noscript, .stale, .noAsyncLoading], acl: [], group: "server",
                        summary: "Make the server a replica of another instance, or promote it as master.", handler: replicaof),
            CommandSpec("replconf", arity: -1, flags: [.admin, .noscript, .loading, .stale, .allowBusy], acl: [], group: "server",
                        since: "3.0.0", summary: "An internal command for configuring the replication stream") { ctx in
                replconf(ctx, engine)
            },
            CommandSpec("psync", arity: -3, flags: [.admin, .noscript, .noMulti, .noAsyncLoading], acl: [], group: "server", since: "2.8.0",
                        summary: "Internal command used for replication") { ctx in
                guard let conn = ctx.session.connection as? ClientConnection else { return }
                guard let offset = Int64(ctx.args[2].string) else {
                    ctx.out.error("ERR value is not an integer or out of range")
                    return
                }
                if ctx.args.count > 3 && ctx.args[3].lowercased.string == "failover" {
                    guard takeOver(ctx, engine) else { return }
                }
                guard engine.failover == nil else {
                    ctx.out.error("NOMASTERLINK Can't SYNC while failing over")
                    return
                }
                engine.replication.synchronize(conn, replid: ctx.args[1].string, offset: offset, legacy: false)
            },
            CommandSpec("sync", arity: 1, flags: [.admin, .noscript, .noMulti, .noAsyncLoading], acl: [], group: "server",
                        summary: "Internal command used for replication") { ctx in
                guard let conn = ctx.session.connection as? ClientConnection else { return }
                engine.replication.synchronize(conn, replid: "?", offset: -1, legacy: true)
            },
            CommandSpec("wait", arity: 3, flags: [.noscript], acl: [.connection], group: "generic", since: "3.0.0",
                        summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection") { ctx in
                wait(ctx, engine)
            },
            CommandSpec("waitaof", arity: 4, flags: [.noscript], acl: [.connection], group: "generic", since: "7.2.0",
                        summary: "Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas.") { ctx in
                waitAOF(ctx, engine)
            },
            CommandSpec("role", arity: 1, flags: [.noscript, .loading, .stale, .fast], acl: [.admin, .dangerous], group: "server",
                        since: "2.8.12", summary: "Return the role of the instance in the context of replication") { ctx in
                role(ctx, engine)
            },
        ]
    }

    /// `PSYNC <id> <offset> FAILOVER`: the primary this replica follows, in its FAILOVER,
    /// asks it to take over (the history must be the one this server follows). It
    /// promotes itself; the PSYNC then continues the old primary from this server's log.
    static func takeOver(_ ctx: CommandContext, _ engine: Engine) -> Bool {
        let replid = ctx.args[1].string
        engine.logger.notice("Failover request received for replid \(replid).")
        guard engine.primaryLink != nil else {
            ctx.out.error("ERR PSYNC FAILOVER can't be sent to a master.")
            return false
        }
        guard replid == engine.persistence.stream?.id else {
            ctx.out.error("ERR PSYNC FAILOVER replid must match my replid.")
            return false
        }
        engine.promote()
        return true
    }

    static func replicaOf(_ ctx: CommandContext, _ engine: Engine) {
        guard engine.failover == nil else {
            ctx.out.error("ERR REPLICAOF not allowed while failing over.")
            return
        }
        let host = ctx.args[1].string
        let portText = ctx.args[2].string
        if host.lowercased() == "no" && portText.lowercased() == "one" {
            if engine.primaryLink != nil {
                engine.promote()
                ctx.out.ok()
            } else {
                ctx.out.ok()
            }
            return
        }
        guard let port = Int(portText), port >= 0, port <= 65535 else {
            ctx.out.error("ERR Invalid master port")
            return
        }
        if let link = engine.primaryLink, link.host == host, link.port == port, !link.isStopped {
            ctx.out.simple("OK Already connected to specified master")
            return
        }
        engine.follow(host: host, port: port)
        ctx.out.ok()
    }

    static func replconf(_ ctx: CommandContext, _ engine: Engine) {
        let args = ctx.args
        guard args.count % 2 == 1 else {
            ctx.out.error("ERR syntax error")
            return
        }
        let conn = ctx.session.connection as? ClientConnection
        var i = 1
        while i < args.count {
            let option = args[i].lowercased.string
            let value = args[i + 1].string
            switch option {
            case "listening-port":
                guard let port = Int(value) else { ctx.out.error("ERR value is not an integer or out of range"); return }
                conn?.replicaListeningPort = port
            case "ip-address":
                conn?.replicaAnnouncedIP = value
            case "capa":
                conn?.replicaCapabilities.insert(value.lowercased())
            case "rdb-only", "rdb-filter-only":
                break
            case "ack":
                // From a replica: no reply, as Redis. `FACK <offset>` after it: what it has
                // on disk (Redis 7.2).
                let durable = args.count >= i + 4 && args[i + 2].lowercased.string == "fack" ? UInt64(args[i + 3].string) : nil
                if let conn, let offset = UInt64(value) { engine.replication.acknowledged(conn, offset: offset, durable: durable) }
                return
            case "getack":
                // Only a primary asks; a replica answers it in its stream (ReplicaLink).
                return
            default:
                ctx.out.error("ERR Unrecognized REPLCONF option: \(args[i].string)")
                return
            }
            i += 2
        }
        ctx.out.ok()
    }

    static func wait(_ ctx: CommandContext, _ engine: Engine) {
        guard engine.primaryLink == nil else {
            ctx.out.error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
            return
        }
        guard let wanted = Int(ctx.args[1].string) else {
            ctx.out.error("ERR value is not an integer or out of range")
            return
        }
        guard let timeout = timeout(ctx, ctx.args[2]) else { return }
        waitFor(ctx, engine, replicas: wanted, local: nil, timeout: timeout)
    }

    /// A WAIT or WAITAOF timeout in milliseconds, or nil after the error Redis gives.
    static func timeout(_ ctx: CommandContext, _ argument: Bytes) -> Int64? {
        guard let timeout = Int64(argument.string) else {
            ctx.out.error("ERR timeout is not an integer or out of range")
            return nil
        }
        guard timeout >= 0 else {
            ctx.out.error("ERR timeout is negative")
            return nil
        }
        return timeout
    }

    /// WAIT and WAITAOF: answers at once when satisfied (or inside MULTI), else parks the
    /// client until acknowledgements (or this server's own durability) catch up with
    /// every write made so far, or the timeout.
    static func waitFor(_ ctx: CommandContext, _ engine: Engine, replicas: Int, local: Int?, timeout: Int64) {
        // Every write this client made is at or before the current offset and LSN.
        let target = engine.persistence.stream?.offset ?? 0
        let lsn = engine.persistence.lastAppliedLSN
        let replication = engine.replication!
        if replication.waitSatisfied(offset: target, lsn: lsn, replicas: replicas, local: local) || ctx.frame.origin != .client {
            replication.answerWait(offset: target, lsn: lsn, local: local, into: &ctx.out)
            return
        }
        ctx.blockRequest = BlockRequest(awaiting: .replicaAcks(offset: target, lsn: lsn, replicas: replicas, local: local),
                                        database: 0, keys: [], deadlineMs: timeout == 0 ? nil : ctx.nowMs + timeout)
    }

    /// WAITAOF numlocal numreplicas timeout (Redis 7.2): this server's log durable through
    /// every write made so far (numlocal 1), and that many replicas with them on disk.
    static func waitAOF(_ ctx: CommandContext, _ engine: Engine) {
        guard let local = Int(ctx.args[1].string), local >= 0, let replicas = Int(ctx.args[2].string), replicas >= 0 else {
            ctx.out.error("ERR value is out of range, must be positive")
            return
        }
        guard let timeout = timeout(ctx, ctx.args[3]) else { return }
        guard engine.primaryLink == nil else {
            ctx.out.error("ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.")
            return
        }
        waitFor(ctx, engine, replicas: replicas, local: local, timeout: timeout)
    }

    static func role(_ ctx: CommandContext, _ engine: Engine) {
        if let link = engine.primaryLink {
            ctx.out.arrayHeader(5)
            ctx.out.bulk("slave")
            ctx.out.bulk(link.host)
            ctx.out.integer(link.port)
            ctx.out.bulk(link.state.rawValue)
            ctx.out.integer(link.isUp ? Int(link.appliedOffset) : -1)
            return
        }
        let peers = engine.replication.peers.filter { $0.state == .online }
        ctx.out.arrayHeader(3)
        ctx.out.bulk("master")
        ctx.out.integer(Int(engine.persistence.stream?.offset ?? 0))
        ctx.out.arrayHeader(peers.count)
        for peer in peers {
            ctx.out.arrayHeader(3)
            ctx.out.bulk(peer.ip)
            ctx.out.bulk(String(peer.listeningPort))
            ctx.out.bulk(String(peer.ackOffset))
        }
    }
}
