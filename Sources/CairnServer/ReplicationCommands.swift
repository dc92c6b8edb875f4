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
            CommandSpec("role", arity: 1, flags: [.noscript, .loading, .stale, .fast], acl: [.admin, .dangerous], group: "server",
                        since: "2.8.12", summary: "Return the role of the instance in the context of replication") { ctx in
                role(ctx, engine)
            },
        ]
    }

    static func replicaOf(_ ctx: CommandContext, _ engine: Engine) {
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
        if let link = engine.primaryLink, link.host == host, link.port == port {
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
            case "capa", "rdb-only", "rdb-filter-only":
                break
            case "ack":
                // From a replica: no reply, as Redis.
                if let conn, let offset = UInt64(value) { engine.replication.acknowledged(conn, offset: offset) }
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
        guard let timeout = Int64(ctx.args[2].string) else {
            ctx.out.error("ERR timeout is not an integer or out of range")
            return
        }
        guard timeout >= 0 else {
            ctx.out.error("ERR timeout is negative")
            return
        }
        // Every write this client made is at or before the current offset.
        let target = engine.persistence.stream?.offset ?? 0
        let acknowledged = engine.replication.acknowledgements(reaching: target)
        if acknowledged >= wanted || ctx.frame.origin != .client {
            ctx.out.integer(acknowledged)
            return
        }
        ctx.blockRequest = BlockRequest(awaiting: .replicaAcks(offset: target, replicas: wanted), database: 0, keys: [],
                                        deadlineMs: timeout == 0 ? nil : ctx.nowMs + timeout)
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
