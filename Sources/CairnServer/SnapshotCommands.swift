import CairnCommands
import CairnCore

/// SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE: checkpoints on demand (see `Checkpointer`).
enum SnapshotCommands {
    static func specs(_ engine: Engine) -> [CommandSpec] {
        [
            CommandSpec("save", arity: 1, flags: [.admin, .noscript, .noMulti, .noAsyncLoading], acl: [], group: "server",
                        summary: "Synchronously save the dataset to disk") { ctx in
                do {
                    try engine.checkpointer.saveInForeground()
                    ctx.out.ok()
                } catch {
                    engine.logger.warning("SAVE failed: \(error)")
                    ctx.out.error("ERR \(error)")
                }
            },
            CommandSpec("bgsave", arity: -1, flags: [.admin, .noscript, .noAsyncLoading], acl: [], group: "server",
                        summary: "Asynchronously save the dataset to disk") { ctx in
                var schedule = false
                if ctx.args.count > 1 {
                    guard ctx.args.count == 2, ctx.isOption(1, "schedule") else {
                        ctx.syntaxError()
                        return
                    }
                    schedule = true
                }
                let checkpointer = engine.checkpointer!
                if checkpointer.inProgress {
                    if schedule {
                        checkpointer.scheduled = true
                        ctx.out.simple("Background saving scheduled")
                    } else {
                        ctx.out.error("ERR Background save already in progress")
                    }
                    return
                }
                startBackground(checkpointer, ctx, started: "Background saving started")
            },
            // Redis compacts its AOF with BGREWRITEAOF; Cairn's log is compacted by a
            // checkpoint, so this starts one (or schedules it behind a running one).
            CommandSpec("bgrewriteaof", arity: 1, flags: [.admin, .noscript, .noAsyncLoading], acl: [], group: "server",
                        summary: "Asynchronously rewrite the append-only file") { ctx in
                let checkpointer = engine.checkpointer!
                if checkpointer.inProgress {
                    checkpointer.scheduled = true
                    ctx.out.simple("Background append only file rewriting scheduled")
                    return
                }
                startBackground(checkpointer, ctx, started: "Background append only file rewriting started")
            },
            CommandSpec("lastsave", arity: 1, flags: [.loading, .stale, .fast], acl: [.admin, .dangerous], group: "server",
                        summary: "Get the UNIX time stamp of the last successful save to disk") { ctx in
                ctx.out.integer(engine.lastSaveUnixSeconds)
            },
        ]
    }

    /// Starts a background checkpoint (none is running): `started`, or the reason it could not.
    private static func startBackground(_ checkpointer: Checkpointer, _ ctx: CommandContext, started: String) {
        do {
            try checkpointer.startBackground()
            ctx.out.simple(started)
        } catch {
            ctx.out.error("ERR \(error)")
        }
    }
}
