import CairnCore
import CairnRESP
import CairnStore

/// MULTI, EXEC, DISCARD, WATCH and UNWATCH (Redis's multi.c), on the caller's session.
/// The commands of a block run back to back inside EXEC, each through `call`, so no other
/// client's command comes between them, and their effects make one unit for the commit
/// point: recovery applies all of the block or none of it.
public enum TransactionCommands {
    public static let specs: [CommandSpec] = [
        CommandSpec("multi", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                    acl: [.transaction], group: "transactions", since: "1.2.0", summary: "Mark the start of a transaction block") { ctx in
            if ctx.session.transaction != nil {
                ctx.out.error("ERR MULTI calls can not be nested")
                return
            }
            ctx.session.transaction = QueuedTransaction()
            ctx.out.ok()
        },
        CommandSpec("exec", arity: 1, flags: [.noscript, .loading, .stale, .skipSlowlog],
                    acl: [.transaction], group: "transactions", since: "1.2.0", summary: "Execute all commands issued after MULTI", handler: exec),
        CommandSpec("discard", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                    acl: [.transaction], group: "transactions", since: "2.0.0", summary: "Discard all commands issued after MULTI") { ctx in
            guard ctx.session.transaction != nil else {
                ctx.out.error("ERR DISCARD without MULTI")
                return
            }
            ctx.session.transaction = nil
            ctx.watches.unwatchAll(ctx.session)
            ctx.out.ok()
        },
        CommandSpec("watch", arity: -2, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                    keys: [.all(from: 1, [.ro])],
                    acl: [.transaction], group: "transactions", since: "2.2.0",
                    summary: "Watch the given keys to determine execution of the MULTI/EXEC block") { ctx in
            if ctx.session.transaction != nil {
                ctx.out.error("ERR WATCH inside MULTI is not allowed")
                return
            }
            for key in ctx.args.dropFirst() { ctx.watches.watch(ctx.session, key, nowMs: Clock.unixMilliseconds()) }
            ctx.out.ok()
        },
        CommandSpec("unwatch", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy],
                    acl: [.transaction], group: "transactions", since: "2.2.0", summary: "Forget about all watched keys") { ctx in
            ctx.watches.unwatchAll(ctx.session)
            ctx.out.ok()
        },
    ]

    /// Commands that run at once inside MULTI instead of being queued.
    public static func runsInsideMulti(_ spec: CommandSpec) -> Bool {
        switch spec.fullName {
        case "exec", "discard", "multi", "watch", "quit", "reset": return true
        default: return false
        }
    }

    /// Queues a command sent inside MULTI; replies +QUEUED, or refuses the block. Queued
    /// argument bytes are bounded by the query buffer limit (Redis bounds them only by
    /// memory), the most one request may carry.
    public static func queue(_ ctx: CommandContext, _ spec: CommandSpec, _ args: [Bytes], session: ClientSession) {
        guard let tx = session.transaction else { return }
        if spec.flags.contains(.noMulti) {
            ctx.refuseQueued(session, "ERR Command not allowed inside a transaction")
            return
        }
        let size = args.reduce(0) { $0 + $1.count }
        if tx.bytes + size > ctx.settings.queryBufferBytesMax {
            ctx.refuseQueued(session, "ERR the commands queued by MULTI exceed client-query-buffer-limit")
            return
        }
        tx.bytes += size
        tx.commands.append((spec, args))
        ctx.out.simple("QUEUED")
    }

    /// Runs a MULTI block: an array of the replies of its commands, or EXECABORT, or a null
    /// array when a watched key changed. Each queued command is admitted again (the log may
    /// have failed since it was queued) and run as a nested call.
    static func exec(_ ctx: CommandContext) {
        let session = ctx.session
        guard let tx = session.transaction else {
            ctx.out.error("ERR EXEC without MULTI")
            return
        }
        session.transaction = nil
        let changed = session.watchedKeyChanged || ctx.watches.watchedKeyExpired(session, nowMs: Clock.unixMilliseconds())
        ctx.watches.unwatchAll(session)
        if tx.refused {
            ctx.out.error("EXECABORT Transaction discarded because of previous errors.")
            return
        }
        if changed {
            ctx.out.nullArray()
            return
        }
        ctx.out.arrayHeader(tx.commands.count)
        for (spec, args) in tx.commands {
            if let reason = ctx.admissionRefusal(spec, args, session) {
                ctx.refuse(spec, session, reason)
                continue
            }
            ctx.call(spec, args)
        }
    }
}

extension CommandContext {
    /// An error for a command sent inside MULTI: the block will be discarded at EXEC.
    func refuseQueued(_ session: ClientSession, _ message: String) {
        session.transaction?.refused = true
        out.error(message)
    }
}
