import CairnCore

/// SLOWLOG GET [count], LEN, RESET and HELP (Redis's slowlogCommand).
enum SlowLogCommand {
    static let specs: [CommandSpec] = {
        let s = CommandSpec("slowlog", arity: -2, flags: [], acl: [], group: "server", since: "2.2.12",
                            summary: "A container for slow log commands")
        s.addSubcommand(CommandSpec("get", arity: -2, flags: [.admin, .loading, .stale], acl: [], group: "server",
                                    since: "2.2.12", summary: "Get the slow log's entries", handler: get))
        s.addSubcommand(CommandSpec("len", arity: 2, flags: [.admin, .loading, .stale], acl: [], group: "server",
                                    since: "2.2.12", summary: "Get the slow log's length") { ctx in
            ctx.out.integer(ctx.slowLog.count)
        })
        s.addSubcommand(CommandSpec("reset", arity: 2, flags: [.admin, .loading, .stale], acl: [], group: "server",
                                    since: "2.2.12", summary: "Clear all entries from the slow log") { ctx in
            ctx.slowLog.reset()
            ctx.out.ok()
        })
        s.addHelp(acl: [], since: "6.2.0", [
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ])
        return [s]
    }()

    /// The newest entries (10 unless a count is given; -1: all), newest first.
    static func get(_ ctx: CommandContext) {
        if ctx.args.count > 3 {
            ctx.out.error("ERR unknown subcommand or wrong number of arguments for '\(ctx.args[1].string.prefix(128))'. Try SLOWLOG HELP.")
            return
        }
        var limit = 10
        if ctx.args.count == 3 {
            guard let n = ctx.args[2].int64, n >= -1 else {
                ctx.out.error("ERR count should be greater than or equal to -1")
                return
            }
            limit = n == -1 ? ctx.slowLog.count : Int(clamping: n)
        }
        let entries = ctx.slowLog.newest(limit)
        ctx.out.arrayHeader(entries.count)
        for e in entries {
            ctx.out.arrayHeader(6)
            ctx.out.integer(e.id)
            ctx.out.integer(e.unixSeconds)
            ctx.out.integer(e.microseconds)
            ctx.out.arrayHeader(e.arguments.count)
            for a in e.arguments { ctx.out.bulk(a) }
            ctx.out.bulk(e.client)
            ctx.out.bulk(e.clientName)
        }
    }
}
