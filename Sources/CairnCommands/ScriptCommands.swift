import CairnCore

/// EVAL, EVALSHA, their _RO forms, and SCRIPT: Lua scripts run by `Scripting`.
enum ScriptCommands {
    static func evalKeys(_ flags: KeyFlags, notes: String? = nil) -> [KeySpec] {
        [KeySpec(flags, .index(2), .keynum(index: 0, first: 1, step: 1), notes: notes)]
    }

    static let worstCase = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"

    static let specs: [CommandSpec] = [
        CommandSpec("eval", arity: -3, flags: [.noscript, .stale, .skipMonitor, .noMandatoryKeys],
                    keys: evalKeys([.rw, .access, .update], notes: worstCase), acl: [.scripting], group: "scripting",
                    since: "2.6.0", summary: "Execute a Lua script server side") { ctx in eval(ctx, bySHA: false, readOnly: false) },
        CommandSpec("evalsha", arity: -3, flags: [.noscript, .stale, .skipMonitor, .noMandatoryKeys],
                    keys: evalKeys([.rw, .access, .update]), acl: [.scripting], group: "scripting",
                    since: "2.6.0", summary: "Execute a Lua script server side") { ctx in eval(ctx, bySHA: true, readOnly: false) },
        CommandSpec("eval_ro", arity: -3, flags: [.readonly, .noscript, .stale, .skipMonitor, .noMandatoryKeys],
                    keys: evalKeys([.ro, .access], notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"),
                    acl: [.scripting], group: "scripting",
                    since: "7.0.0", summary: "Execute a read-only Lua script server side") { ctx in eval(ctx, bySHA: false, readOnly: true) },
        CommandSpec("evalsha_ro", arity: -3, flags: [.readonly, .noscript, .stale, .skipMonitor, .noMandatoryKeys],
                    keys: evalKeys([.ro, .access]), acl: [.scripting], group: "scripting",
                    since: "7.0.0", summary: "Execute a read-only Lua script server side") { ctx in eval(ctx, bySHA: true, readOnly: true) },
        script,
    ]

    static func eval(_ ctx: CommandContext, bySHA: Bool, readOnly: Bool) {
        guard let count = ctx.args[2].int64 else { ctx.out.error(Reply.notInteger); return }
        guard count >= 0 else { ctx.out.error("ERR Number of keys can't be negative"); return }
        guard count <= Int64(ctx.args.count - 3) else {
            ctx.out.error("ERR Number of keys can't be greater than number of args")
            return
        }
        let sha: String
        if bySHA {
            sha = ctx.args[1].lowercased.string
            guard ctx.scripting.scripts[sha] != nil else {
                ctx.out.error("NOSCRIPT No matching script. Please use EVAL.")
                return
            }
        } else {
            switch ctx.scripting.load(ctx.args[1]) {
            case .success(let loaded): sha = loaded
            case .failure(let error): ctx.out.error(error.text.replacingNewlines()); return
            }
        }
        let keys = ctx.args[3..<(3 + Int(count))]
        ctx.scripting.run(ctx, sha: sha, keys: keys, arguments: ctx.args[(3 + Int(count))...], readOnly: readOnly)
    }

    static let script: CommandSpec = {
        let s = CommandSpec("script", arity: -2, flags: [], acl: [], group: "scripting", since: "2.6.0",
                            summary: "A container for Lua scripts management commands")
        s.addSubcommand(CommandSpec("load", arity: 3, flags: [.noscript, .stale], acl: [.scripting], group: "scripting",
                                    since: "2.6.0", summary: "Load the specified Lua script into the script cache.") { ctx in
            switch ctx.scripting.load(ctx.args[2]) {
            case .success(let sha): ctx.out.bulk(sha)
            case .failure(let error): ctx.out.error(error.text.replacingNewlines())
            }
        })
        s.addSubcommand(CommandSpec("exists", arity: -3, flags: [.noscript], acl: [.scripting], group: "scripting",
                                    since: "2.6.0", summary: "Check existence of scripts in the script cache.") { ctx in
            ctx.out.arrayHeader(ctx.args.count - 2)
            for sha in ctx.args.dropFirst(2) { ctx.out.integer(ctx.scripting.scripts[sha.lowercased.string] == nil ? 0 : 1) }
        })
        s.addSubcommand(CommandSpec("flush", arity: -2, flags: [.noscript], acl: [.scripting], group: "scripting",
                                    since: "2.6.0", summary: "Remove all the scripts from the script cache.") { ctx in
            guard ctx.args.count == 2 || ctx.args.count == 3 && (ctx.isOption(2, "sync") || ctx.isOption(2, "async")) else {
                ctx.out.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
                return
            }
            ctx.scripting.flush()
            ctx.out.ok()
        })
        s.addSubcommand(CommandSpec("kill", arity: 2, flags: [.noscript, .allowBusy], acl: [.scripting], group: "scripting",
                                    since: "2.6.0", summary: "Kill the script currently in execution.") { ctx in
            // Scripts run to completion on the engine thread; none is running when a
            // command is read.
            ctx.out.error("NOTBUSY No scripts in execution right now.")
        })
        s.addSubcommand(CommandSpec("help", arity: 2, flags: [.loading, .stale], acl: [.scripting], group: "scripting",
                                    since: "5.0.0", summary: "Show helpful text about the different subcommands") { ctx in
            writeHelp(ctx, "SCRIPT", [
                "DEBUG (YES|SYNC|NO)",
                "    Set the debug mode for subsequent scripts executed.",
                "EXISTS <sha1> [<sha1> ...]",
                "    Return information about the existence of the scripts in the script cache.",
                "FLUSH [ASYNC|SYNC]",
                "    Flush the Lua scripts cache. Very dangerous on replicas.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the scripts cache.",
                "    * SYNC: Synchronously flush the scripts cache.",
                "KILL",
                "    Kill the currently executing Lua script.",
                "LOAD <script>",
                "    Load a script into the scripts cache without executing it.",
            ])
        })
        return s
    }()
}
