import CairnCommands
import CairnCore
import CairnRESP

/// PING, ECHO, QUIT, RESET, HELLO, AUTH, CLIENT, MONITOR: commands about the connection.
enum ConnectionCommands {
    static let redisVersion = "7.0.15"

    static func specs(_ engine: Engine) -> [CommandSpec] {
        [
            CommandSpec("ping", arity: -1, flags: [.fast], acl: [.connection], group: "connection",
                        summary: "Ping the server") { ctx in
                if ctx.args.count > 2 { ctx.out.error(Reply.wrongArity("ping")); return }
                if ctx.session.protocolVersion == 2 && ctx.session.subscriptions.isActive {
                    // In subscribed mode a RESP2 reply must look like a message.
                    ctx.out.arrayHeader(2)
                    ctx.out.bulk("pong")
                    ctx.out.bulk(ctx.args.count == 2 ? ctx.args[1] : "")
                    return
                }
                if ctx.args.count == 2 { ctx.out.bulk(ctx.args[1]) } else { ctx.out.pong() }
            },
            CommandSpec("echo", arity: 2, flags: [.fast, .loading, .stale], acl: [.connection], group: "connection",
                        summary: "Echo the given string") { ctx in ctx.out.bulk(ctx.args[1]) },
            CommandSpec("quit", arity: -1, flags: [.allowBusy, .noAuth, .fast, .stale, .loading, .noscript],
                        acl: [.connection], group: "connection", summary: "Close the connection") { ctx in
                ctx.out.ok()
                ctx.session.connection?.closeAfterReply()
            },
            CommandSpec("reset", arity: 1, flags: [.noscript, .loading, .stale, .fast, .noAuth, .allowBusy],
                        acl: [.connection], group: "connection", since: "6.2.0", summary: "Reset the connection") { ctx in
                let s = ctx.session
                s.databaseIndex = 0
                s.protocolVersion = 2
                s.name = nil
                s.noEvict = false
                s.noTouch = false
                s.user = ctx.users.defaultUser
                s.authenticated = !ctx.users.authRequired
                s.transaction = nil
                ctx.dropSessionState(s)
                if let c = s.connection as? ClientConnection {
                    c.replyMode = .on
                    if c.isMonitor {
                        c.isMonitor = false
                        engine.monitors.removeAll { $0 === c }
                    }
                }
                ctx.out.protocolVersion = 2
                ctx.out.simple("RESET")
            },
            CommandSpec("hello", arity: -1, flags: [.noscript, .loading, .stale, .fast, .noAuth, .allowBusy],
                        acl: [.connection], group: "connection", since: "6.0.0", summary: "Handshake with Redis") { ctx in
                hello(ctx, engine)
            },
            CommandSpec("auth", arity: -2, flags: [.noscript, .loading, .stale, .fast, .noAuth, .allowBusy],
                        acl: [.connection], group: "connection", summary: "Authenticate to the server") { ctx in
                if ctx.args.count > 3 { ctx.syntaxError(); return }
                for i in 1..<ctx.args.count { ctx.redactArgument(i) }
                let user = ctx.args.count == 3 ? ctx.args[1] : "default"
                let pass = ctx.args[ctx.args.count - 1]
                if ctx.args.count == 2 && ctx.users.defaultUser.noPass {
                    ctx.out.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
                    return
                }
                guard authenticate(ctx, user, pass) else {
                    ctx.out.error("WRONGPASS invalid username-password pair or user is disabled.")
                    return
                }
                ctx.out.ok()
            },
            CommandSpec("monitor", arity: 1, flags: [.admin, .noscript, .loading, .stale], acl: [], group: "server",
                        summary: "Listen for all requests received by the server in real time") { ctx in
                guard let c = ctx.session.connection as? ClientConnection else { return }
                if !c.isMonitor {
                    c.isMonitor = true
                    engine.monitors.append(c)
                }
                ctx.out.ok()
            },
            ClientCommand.spec(engine),
        ]
    }

    /// What a RESP2 client in subscribed mode may still run, as in Redis 7.0.
    static func allowedWhileSubscribed(_ spec: CommandSpec) -> Bool {
        switch spec.fullName {
        case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "ping", "quit", "reset":
            return true
        default:
            return false
        }
    }

    /// Logs the session in as `user`, or logs the failure (ACL LOG) and returns false.
    static func authenticate(_ ctx: CommandContext, _ user: Bytes, _ pass: Bytes) -> Bool {
        guard let found = ctx.users.authenticate(user, pass) else {
            ctx.logFailedAuth(ctx.args[0], username: user, session: ctx.session)
            return false
        }
        ctx.session.user = found
        ctx.session.authenticated = true
        return true
    }

    static func hello(_ ctx: CommandContext, _ engine: Engine) {
        var version: Int?
        var next = 1
        if ctx.args.count >= 2 {
            guard let v = ctx.args[1].int64 else {
                ctx.out.error("ERR Protocol version is not an integer or out of range")
                return
            }
            if v < 2 || v > 3 { ctx.out.error("NOPROTO unsupported protocol version"); return }
            version = Int(v)
            next = 2
        }
        var credentials: (Bytes, Bytes)?
        var name: Bytes?
        var j = next
        while j < ctx.args.count {
            let more = ctx.args.count - 1 - j
            if ctx.isOption(j, "auth") && more >= 2 {
                ctx.redactArgument(j + 1)
                ctx.redactArgument(j + 2)
                credentials = (ctx.args[j + 1], ctx.args[j + 2])
                j += 2
            } else if ctx.isOption(j, "setname") && more >= 1 {
                guard ClientCommand.validName(ctx.args[j + 1]) else {
                    ctx.out.error("ERR Client names cannot contain spaces, newlines or special characters.")
                    return
                }
                name = ctx.args[j + 1]
                j += 1
            } else {
                ctx.out.error("ERR Syntax error in HELLO option '\(ctx.args[j].string)'")
                return
            }
            j += 1
        }
        if let (user, pass) = credentials {
            guard authenticate(ctx, user, pass) else {
                ctx.out.error("WRONGPASS invalid username-password pair or user is disabled.")
                return
            }
        }
        if !ctx.session.authenticated && ctx.users.authRequired {
            ctx.out.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
            return
        }
        if let name { ctx.session.name = name.isEmpty ? nil : name }
        if let version {
            ctx.session.protocolVersion = version
            ctx.out.protocolVersion = version
        }
        ctx.out.mapHeader(7)
        ctx.out.bulk("server"); ctx.out.bulk("redis")
        ctx.out.bulk("version"); ctx.out.bulk(redisVersion)
        ctx.out.bulk("proto"); ctx.out.integer(ctx.session.protocolVersion)
        ctx.out.bulk("id"); ctx.out.integer(ctx.session.id)
        ctx.out.bulk("mode"); ctx.out.bulk("standalone")
        ctx.out.bulk("role"); ctx.out.bulk("master")
        ctx.out.bulk("modules"); ctx.out.arrayHeader(0)
    }
}
