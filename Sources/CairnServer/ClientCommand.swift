import CairnCommands
import CairnCore

/// CLIENT and its subcommands.
enum ClientCommand {
    static func spec(_ engine: Engine) -> CommandSpec {
        let client = CommandSpec("client", arity: -2, flags: [], acl: [], group: "connection", since: "2.4.0",
                                 summary: "A container for client connection commands")
        let flags: CommandFlags = [.noscript, .loading, .stale]
        func sub(_ name: String, _ arity: Int, flags extra: CommandFlags = [], dropping: CommandFlags = [], since: String = "2.4.0",
                 _ summary: String, _ handler: @escaping CommandHandler) {
            client.addSubcommand(CommandSpec(name, arity: arity, flags: flags.union(extra).subtracting(dropping), acl: .connection,
                                             group: "connection",
                                             since: since, summary: summary, handler: handler))
        }
        sub("id", 2, since: "5.0.0", "Returns the client ID for the current connection") { ctx in
            ctx.out.integer(ctx.session.id)
        }
        sub("setname", 3, "Set the current connection name") { ctx in
            guard validName(ctx.args[2]) else {
                ctx.out.error("ERR Client names cannot contain spaces, newlines or special characters.")
                return
            }
            ctx.session.name = ctx.args[2].isEmpty ? nil : ctx.args[2]
            ctx.out.ok()
        }
        sub("getname", 2, since: "2.6.9", "Get the current connection name") { ctx in
            ctx.out.bulkOrNull(ctx.session.name)
        }
        sub("list", -2, flags: [.admin], "Get the list of client connections") { ctx in
            var ids: Set<Int64>?
            var listType: String?
            var j = 2
            while j < ctx.args.count {
                if ctx.isOption(j, "type") && j + 1 < ctx.args.count {
                    let t = ctx.args[j + 1].lowercased
                    guard ["normal", "master", "replica", "slave", "pubsub"].contains(t.string) else {
                        ctx.out.error("ERR Unknown client type '\(ctx.args[j + 1].string)'")
                        return
                    }
                    listType = t == "replica" ? "slave" : t.string
                    j += 2
                } else if ctx.isOption(j, "id") && j + 1 < ctx.args.count {
                    var set = Set<Int64>()
                    for a in ctx.args[(j + 1)...] {
                        guard let v = a.int64, v > 0 else { ctx.out.error("ERR Invalid client ID"); return }
                        set.insert(v)
                    }
                    ids = set
                    j = ctx.args.count
                } else {
                    ctx.syntaxError()
                    return
                }
            }
            var text = ""
            engine.resolveDescriptors()
            for c in engine.clients.values.sorted(by: { $0.session.id < $1.session.id }) {
                if let ids, !ids.contains(c.session.id) { continue }
                if let listType, typeName(c) != listType { continue }
                text += describe(c, ctx) + "\n"
            }
            ctx.out.verbatim(text)
        }
        sub("info", 2, since: "6.2.0", "Returns information about the current client connection.") { ctx in
            guard let c = engine.clients[ctx.session.id] else { ctx.out.null(); return }
            if c.descriptor == nil { engine.resolveDescriptors() }
            ctx.out.verbatim(describe(c, ctx) + "\n")
        }
        sub("kill", -3, flags: [.admin], "Kill the client connection") { ctx in kill(ctx, engine) }
        sub("pause", -3, flags: [.admin], since: "2.9.50", "Stop processing commands from clients for some time") { ctx in
            pause(ctx, engine)
        }
        sub("unpause", 2, flags: [.admin], since: "6.2.0", "Resume processing of clients that were paused") { ctx in
            engine.unpauseClients()
            ctx.out.ok()
        }
        sub("unblock", -3, flags: [.admin], since: "5.0.0", "Unblock a client blocked in a blocking command from a different connection") { ctx in
            guard ctx.args.count <= 4 else {
                // Redis's CLIENT takes UNBLOCK with 3 or 4 arguments only, and answers others so.
                ctx.out.error("ERR unknown subcommand or wrong number of arguments for '\(ctx.args[1].string.prefix(128))'. Try CLIENT HELP.")
                return
            }
            guard let id = ctx.args[2].int64 else { ctx.out.error(Reply.notInteger); return }
            var withError = false
            if ctx.args.count == 4 {
                if ctx.isOption(3, "error") { withError = true } else if !ctx.isOption(3, "timeout") {
                    ctx.out.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
                    return
                }
            }
            ctx.out.integer(engine.unblockByCommand(id, withError: withError) ? 1 : 0)
        }
        sub("no-evict", 3, flags: [.admin], since: "7.0.0", "Set client eviction mode for the current connection") { ctx in
            guard let on = onOff(ctx, 2) else { return }
            ctx.session.noEvict = on
            ctx.out.ok()
        }
        sub("no-touch", 3, since: "7.2.0", "Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.") { ctx in
            guard let on = onOff(ctx, 2) else { return }
            ctx.session.noTouch = on
            ctx.out.ok()
        }
        sub("reply", 3, since: "3.2.0", "Instruct the server whether to reply to commands") { ctx in
            guard let c = engine.clients[ctx.session.id] else { return }
            if ctx.isOption(2, "on") {
                c.replyMode = .on
                ctx.out.ok()
            } else if ctx.isOption(2, "off") {
                c.replyMode = .off
            } else if ctx.isOption(2, "skip") {
                if c.replyMode == .on { c.replyMode = .skipNext }
            } else {
                ctx.syntaxError()
            }
        }
        sub("help", 2, dropping: .noscript, "Show helpful text about the different subcommands") { ctx in
            writeHelp(ctx, "CLIENT", [
                "CACHING (YES|NO)",
                "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
                "GETREDIR",
                "    Return the client ID we are redirecting to when tracking is enabled.",
                "GETNAME",
                "    Return the name of the current connection.",
                "ID",
                "    Return the ID of the current connection.",
                "INFO",
                "    Return information about the current client connection.",
                "KILL <ip:port>",
                "    Kill connection made from <ip:port>.",
                "KILL <option> <value> [<option> <value> [...]]",
                "    Kill connections. Options are:",
                "    * ADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made from the specified address",
                "    * LADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made to specified local address",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Kill connections by type.",
                "    * USER <username>",
                "      Kill connections authenticated by <username>.",
                "    * SKIPME (YES|NO)",
                "      Skip killing current connection (default: yes).",
                "    * ID <client-id>",
                "      Kill connections by client id.",
                "LIST [options ...]",
                "    Return information about client connections. Options:",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Return clients of specified type.",
                "UNPAUSE",
                "    Stop the current client pause, resuming traffic.",
                "PAUSE <timeout> [WRITE|ALL]",
                "    Suspend all, or just write, clients for <timeout> milliseconds.",
                "REPLY (ON|OFF|SKIP)",
                "    Control the replies sent to the current connection.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                "    Unblock the specified blocked client.",
                "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
                "         [OPTIN] [OPTOUT] [NOLOOP]",
                "    Control server assisted client side caching.",
                "TRACKINGINFO",
                "    Report tracking status for the current connection.",
                "NO-EVICT (ON|OFF)",
                "    Protect current client connection from eviction.",
            ])
        }
        for spec in ClientTrackingCommands.specs(engine) { client.addSubcommand(spec) }
        return client
    }

    static func onOff(_ ctx: CommandContext, _ i: Int) -> Bool? {
        if ctx.isOption(i, "on") { return true }
        if ctx.isOption(i, "off") { return false }
        ctx.syntaxError()
        return nil
    }

    /// Redis accepts printable ASCII other than space in client names.
    static func validName(_ name: Bytes) -> Bool {
        name.withUnsafeBytes { raw in raw.allSatisfy { $0 > 32 && $0 < 127 } }
    }

    /// A CLIENT LIST line. Only the client asking runs a command while this runs, so its
    /// argv-mem is the arguments of the command at hand (inside EXEC, the queued one, as
    /// in Redis); every other client's is 0.
    static func describe(_ c: ClientConnection, _ ctx: CommandContext, nowMs: Int64? = nil) -> String {
        let s = c.session, nowMs = nowMs ?? ctx.nowMs
        let argumentBytes = s === ctx.session ? ctx.args.reduce(0) { $0 + $1.count } : 0
        let age = (nowMs - s.createdAtMs) / 1000
        let idle = (nowMs - s.lastInteractionMs) / 1000
        // Redis's letters in Redis's order.
        var flags = ""
        if c.isMonitor { flags += "O" } else if c.isReplica { flags += "S" }
        if s.subscriptions.isActive { flags += "P" }
        if s.transaction != nil { flags += "x" }
        if c.blocked != nil || c.postponed != nil { flags += "b" }
        if s.tracking != nil { flags += "t" }
        if s.tracking?.brokenRedirect == true { flags += "R" }
        if s.tracking?.mode.contains(.bcast) == true { flags += "B" }
        if s.watchedKeyChanged { flags += "d" }
        if c.closeAfterFlush { flags += "c" }
        if c.isUnixSocket { flags += "U" }
        if s.noEvict { flags += "e" }
        if s.noTouch { flags += "T" }
        if flags.isEmpty { flags = "N" }
        let (outputBytes, totalBytes) = c.memory(argumentBytes: argumentBytes)
        let multiBytes = s.transaction?.bytes ?? 0
        return "id=\(s.id) addr=\(c.address) laddr=\(c.localAddress) fd=\(c.descriptor ?? -1) name=\(s.name?.string ?? "") age=\(age) idle=\(idle) flags=\(flags) db=\(s.databaseIndex) sub=\(s.subscriptions.channels.count) psub=\(s.subscriptions.patterns.count) ssub=\(s.subscriptions.shardChannels.count) multi=\(s.transaction.map { $0.commands.count } ?? -1) qbuf=\(c.queryBufferBytes) qbuf-free=\(c.queryBufferFree) argv-mem=\(argumentBytes) multi-mem=\(multiBytes) rbs=0 rbp=0 obl=\(c.output.readableBytes) oll=\(c.gated.count) omem=\(outputBytes) tot-mem=\(totalBytes) events=\(c.readPaused ? "" : "r") cmd=\(s.lastCommand) user=\(s.user?.name ?? "default") redir=\(s.tracking?.redirect ?? -1) resp=\(s.protocolVersion)"
    }

    /// CLIENT PAUSE timeout [WRITE|ALL] (milliseconds; ALL unless WRITE is given).
    static func pause(_ ctx: CommandContext, _ engine: Engine) {
        guard ctx.args.count <= 4 else {
            ctx.out.error("ERR unknown subcommand or wrong number of arguments for '\(ctx.args[1].string.prefix(128))'. Try CLIENT HELP.")
            return
        }
        guard let ms = ctx.args[2].int64 else { ctx.out.error("ERR timeout is not an integer or out of range"); return }
        guard ms >= 0 else { ctx.out.error("ERR timeout is negative"); return }
        var all = true
        if ctx.args.count == 4 {
            if ctx.isOption(3, "write") { all = false } else if !ctx.isOption(3, "all") {
                ctx.out.error("ERR CLIENT PAUSE mode must be WRITE or ALL")
                return
            }
        }
        engine.pauseClients(allCommands: all, forMs: ms)
        ctx.out.ok()
    }

    static func kill(_ ctx: CommandContext, _ engine: Engine) {
        if ctx.args.count == 3 {
            // Old form: CLIENT KILL addr:port.
            let addr = ctx.args[2].string
            guard let c = engine.clients.values.first(where: { $0.address == addr }) else {
                ctx.out.error("ERR No such client")
                return
            }
            close(c, ctx)
            ctx.out.ok()
            return
        }
        var id: Int64?, addr: String?, laddr: String?, user: String?, type: String?
        var skipMe = true
        var j = 2
        while j < ctx.args.count {
            guard j + 1 < ctx.args.count else { ctx.syntaxError(); return }
            let v = ctx.args[j + 1]
            if ctx.isOption(j, "id") {
                guard let n = v.int64, n > 0 else { ctx.out.error("ERR client-id should be greater than 0"); return }
                id = n
            } else if ctx.isOption(j, "addr") {
                addr = v.string
            } else if ctx.isOption(j, "laddr") {
                laddr = v.string
            } else if ctx.isOption(j, "user") {
                guard ctx.users.user(named: v.string) != nil else {
                    ctx.out.error("ERR No such user '\(v.string)'")
                    return
                }
                user = v.string
            } else if ctx.isOption(j, "type") {
                let t = v.lowercased.string
                guard ["normal", "master", "replica", "slave", "pubsub"].contains(t) else {
                    ctx.out.error("ERR Unknown client type '\(v.string)'")
                    return
                }
                type = t
            } else if ctx.isOption(j, "skipme") {
                if v.equalsLowercased("yes") { skipMe = true } else if v.equalsLowercased("no") { skipMe = false } else {
                    ctx.syntaxError()
                    return
                }
            } else {
                ctx.syntaxError()
                return
            }
            j += 2
        }
        var killed = 0
        for c in engine.clients.values {
            if let id, c.session.id != id { continue }
            if let addr, c.address != addr { continue }
            if let laddr, c.localAddress != laddr { continue }
            if let user, c.session.user?.name != user { continue }
            if let type, (type == "replica" ? "slave" : type) != typeName(c) { continue }
            if skipMe && c.session.id == ctx.session.id { continue }
            close(c, ctx)
            killed += 1
        }
        ctx.out.integer(killed)
    }

    /// Redis's getClientType as CLIENT LIST and KILL filter by it: a replica (not a
    /// MONITOR), a client subscribed to anything, or normal. (This server's link to its
    /// own primary is not among its clients.)
    static func typeName(_ c: ClientConnection) -> String {
        if c.isReplica && !c.isMonitor { return "slave" }
        if c.session.subscriptions.isActive { return "pubsub" }
        return "normal"
    }

    /// Closes a client after its pending replies; the calling client only after this reply.
    static func close(_ c: ClientConnection, _ ctx: CommandContext) {
        c.closeAfterFlush = true
        if c.session.id != ctx.session.id { _ = c.flush() }
    }
}
