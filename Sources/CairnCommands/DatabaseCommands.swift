import CairnCore
import CairnStore

/// SELECT, SWAPDB, DBSIZE, FLUSHDB, FLUSHALL.
enum DatabaseCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("select", arity: 2, flags: [.loading, .stale, .fast], acl: [.connection], group: "connection",
                    summary: "Change the selected database for the current connection", handler: select),
        CommandSpec("swapdb", arity: 3, flags: [.write, .fast], acl: [.dangerous, .keyspace], group: "server", since: "4.0.0",
                    summary: "Swaps two Redis databases", handler: swapdb),
        CommandSpec("dbsize", arity: 1, flags: [.readonly, .fast], acl: [.keyspace], group: "server",
                    summary: "Return the number of keys in the selected database") { ctx in
            ctx.out.integer(ctx.db.count)
        },
        CommandSpec("flushdb", arity: -1, flags: [.write], acl: [.dangerous, .keyspace], group: "server",
                    summary: "Remove all keys from the current database") { ctx in
            guard parseFlushMode(ctx) else { return }
            ctx.dirty += max(1, ctx.db.count)
            ctx.db.removeAll()
            ctx.tracking.invalidateAll()
            ctx.out.ok()
        },
        CommandSpec("flushall", arity: -1, flags: [.write], acl: [.dangerous, .keyspace], group: "server",
                    summary: "Remove all keys from all databases") { ctx in
            guard parseFlushMode(ctx) else { return }
            ctx.dirty += max(1, ctx.keyspace.totalKeys)
            ctx.keyspace.flushAll()
            ctx.tracking.invalidateAll()
            ctx.out.ok()
        },
    ]

    /// FLUSHDB/FLUSHALL take at most one of ASYNC or SYNC; both empty the keyspace at once here.
    static func parseFlushMode(_ ctx: CommandContext) -> Bool {
        if ctx.args.count > 2 || (ctx.args.count == 2 && !ctx.isOption(1, "async") && !ctx.isOption(1, "sync")) {
            ctx.syntaxError()
            return false
        }
        return true
    }

    static func dbIndex(_ ctx: CommandContext, _ i: Int) -> Int? {
        guard let v = ctx.int32Arg(i) else { return nil }
        guard v >= 0 && v < ctx.keyspace.databaseCount else {
            ctx.out.error(Reply.dbOutOfRange)
            return nil
        }
        return Int(v)
    }

    static func select(_ ctx: CommandContext) {
        guard let id = dbIndex(ctx, 1) else { return }
        ctx.session.databaseIndex = id
        ctx.out.ok()
    }

    static func swapdb(_ ctx: CommandContext) {
        guard let a = ctx.args[1].int64 else { ctx.out.error("ERR invalid first DB index"); return }
        guard let b = ctx.args[2].int64 else { ctx.out.error("ERR invalid second DB index"); return }
        guard a >= 0 && a < ctx.keyspace.databaseCount && b >= 0 && b < ctx.keyspace.databaseCount else {
            ctx.out.error(Reply.dbOutOfRange)
            return
        }
        ctx.keyspace.swap(Int(a), Int(b))
        ctx.dirty += 1
        ctx.readiedDatabases += [Int(a), Int(b)]
        ctx.out.ok()
    }
}
