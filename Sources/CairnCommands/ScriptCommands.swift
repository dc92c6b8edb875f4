import CairnCore
import CCairnLua

/// EVAL, EVALSHA, their _RO forms, and SCRIPT: Lua scripts run by `Scripting`.
enum ScriptCommands {
    static func evalKeys(_ flags: KeyFlags, notes: String? = nil) -> [KeySpec] {
        [KeySpec(flags, .index(2), .keynum(index: 0, first: 1, step: 1), notes: notes)]
    }

    /// Where the key specs give up (a count that is not a whole number), Redis falls back
    /// to evalGetKeys / functionGetKeys: the count at 2 read as atoi reads it, the keys after.
    static var countedKeys: KeyFinder { KeySpec.countedKeys(count: 2, first: 3) }

    static let worstCase = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
    static let worstCaseReadOnly = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"

    static let specs: [CommandSpec] = [
        CommandSpec("eval", arity: -3, flags: [.noscript, .stale, .skipMonitor, .noMandatoryKeys],
                    keys: evalKeys([.rw, .access, .update], notes: worstCase), keyFinder: countedKeys, acl: [.scripting], group: "scripting",
                    since: "2.6.0", summary: "Execute a Lua script server side") { ctx in eval(ctx, bySHA: false, readOnly: false) },
        CommandSpec("evalsha", arity: -3, flags: [.noscript, .stale, .skipMonitor, .noMandatoryKeys],
                    keys: evalKeys([.rw, .access, .update]), keyFinder: countedKeys, acl: [.scripting], group: "scripting",
                    since: "2.6.0", summary: "Execute a Lua script server side") { ctx in eval(ctx, bySHA: true, readOnly: false) },
        CommandSpec("eval_ro", arity: -3, flags: [.readonly, .noscript, .stale, .skipMonitor, .noMandatoryKeys],
                    keys: evalKeys([.ro, .access], notes: worstCaseReadOnly), keyFinder: countedKeys,
                    acl: [.scripting], group: "scripting",
                    since: "7.0.0", summary: "Execute a read-only Lua script server side") { ctx in eval(ctx, bySHA: false, readOnly: true) },
        CommandSpec("evalsha_ro", arity: -3, flags: [.readonly, .noscript, .stale, .skipMonitor, .noMandatoryKeys],
                    keys: evalKeys([.ro, .access]), keyFinder: countedKeys, acl: [.scripting], group: "scripting",
                    since: "7.0.0", summary: "Execute a read-only Lua script server side") { ctx in eval(ctx, bySHA: true, readOnly: true) },
        script,
    ]

    static func eval(_ ctx: CommandContext, bySHA: Bool, readOnly: Bool) {
        guard let (keys, arguments) = keysAndArguments(ctx, badCount: Reply.notInteger) else { return }
        let script: CachedScript
        if bySHA {
            guard let cached = ctx.scripting.script(sha: ctx.args[1]) else {
                ctx.out.error("NOSCRIPT No matching script. Please use EVAL.")
                return
            }
            script = cached
        } else {
            switch ctx.scripting.load(ctx.args[1]) {
            case .success(let loaded): script = loaded
            case .failure(let error): ctx.out.error(error.text.replacingNewlines()); return
            }
        }
        let server = conditions(ctx)
        guard mayRun(ctx, flags: script.flags, readOnlyCommand: readOnly, server: server) else { return }
        ctx.scripting.run(ctx, script, keys: keys, arguments: arguments, readOnly: readOnly,
                          refusesGrowth: refusesGrowth(script.flags, server))
    }

    /// Where the keys and the arguments after EVAL's or FCALL's key count lie in
    /// `ctx.args`, or nil after the error (`badCount` when the count is not a number).
    /// Ranges rather than slices: a slice would hold the arguments' array for the run.
    static func keysAndArguments(_ ctx: CommandContext, badCount: String) -> (keys: Range<Int>, arguments: Range<Int>)? {
        let argc = ctx.args.count
        guard let count = ctx.args[2].int64 else { ctx.out.error(badCount); return nil }
        guard count <= Int64(argc - 3) else {
            ctx.out.error("ERR Number of keys can't be greater than number of args")
            return nil
        }
        guard count >= 0 else { ctx.out.error("ERR Number of keys can't be negative"); return nil }
        let end = 3 + Int(count)
        return (3..<end, end..<argc)
    }

    /// Whether a script with `flags` may start now, as Redis's scriptPrepareForRun
    /// decides: one that declares its flags (a shebang, or a function) and may write is
    /// refused by a read-only command and wherever writes are refused, and needs
    /// allow-stale on a stale replica. Writes the refusal.
    static func mayRun(_ ctx: CommandContext, flags: ScriptFlags, readOnlyCommand: Bool, server: ScriptConditions) -> Bool {
        var refusal: String?
        if !flags.hasShebang {
            if server.stale { refusal = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'." }
        } else if flags.isDisjoint(with: [.noWrites, .allowOOM]) && server.outOfMemory {
            // A script that declares it may write, without allow-oom, counts as a denyoom
            // command (Redis's evalGetCommandFlags).
            refusal = "OOM command not allowed when used memory > 'maxmemory'."
        } else if !flags.contains(.noWrites) && server.readOnlyReplica {
            refusal = "READONLY Can not run script with write flag on readonly replica"
        } else if !flags.contains(.noWrites), let reason = server.persistenceFailure {
            refusal = "MISCONF Errors writing to the AOF file: \(reason)"
        } else if !flags.contains(.noWrites) && readOnlyCommand {
            refusal = "ERR Can not execute a script with write flag using *_ro command."
        } else if !flags.contains(.noWrites) && !server.enoughReplicas {
            refusal = "NOREPLICAS Not enough good replicas to write."
        } else if server.stale && !flags.contains(.allowStale) {
            refusal = "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set"
        }
        if let refusal { ctx.out.error(refusal) }
        return refusal == nil
    }

    /// The server's state as it bears on a script about to start, read once per run.
    static func conditions(_ ctx: CommandContext) -> ScriptConditions {
        ctx.admission?.scriptConditions(ctx.session) ?? ScriptConditions()
    }

    /// Whether a script with `flags` starts unable to grow memory (over maxmemory, and
    /// without allow-oom: Redis's scriptVerifyOOM).
    static func refusesGrowth(_ flags: ScriptFlags, _ server: ScriptConditions) -> Bool {
        !flags.contains(.allowOOM) && server.outOfMemory
    }

    static let busyScript = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    static let busyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."

    /// SCRIPT KILL (`function` false) and FUNCTION KILL: the paused script fails at its
    /// next hook, unless it has written (or is of the other kind).
    static func kill(_ ctx: CommandContext, function: Bool) {
        guard ctx.pausedScript != nil, let run = ctx.scriptRun else {
            ctx.out.error("NOTBUSY No scripts in execution right now.")
            return
        }
        if ctx.dirty != run.dirtyAtStart {
            ctx.out.error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
        } else if run.isFunction != function {
            ctx.out.error(run.isFunction ? busyFunction : busyScript)
        } else {
            cairn_lua_kill()
            ctx.out.ok()
        }
    }

    static let script: CommandSpec = {
        let s = CommandSpec("script", arity: -2, flags: [], acl: [], group: "scripting", since: "2.6.0",
                            summary: "A container for Lua scripts management commands")
        s.addSubcommand(CommandSpec("load", arity: 3, flags: [.noscript, .stale], acl: [.scripting], group: "scripting",
                                    since: "2.6.0", summary: "Load the specified Lua script into the script cache.") { ctx in
            switch ctx.scripting.load(ctx.args[2]) {
            case .success(let loaded): ctx.out.bulk(loaded.sha)
            case .failure(let error): ctx.out.error(error.text.replacingNewlines())
            }
        })
        s.addSubcommand(CommandSpec("exists", arity: -3, flags: [.noscript], acl: [.scripting], group: "scripting",
                                    since: "2.6.0", summary: "Check existence of scripts in the script cache.") { ctx in
            ctx.out.arrayHeader(ctx.args.count - 2)
            for sha in ctx.args.dropFirst(2) { ctx.out.integer(ctx.scripting.script(sha: sha) == nil ? 0 : 1) }
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
            kill(ctx, function: false)
        })
        s.addHelp(acl: [.scripting], since: "5.0.0", [
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
        return s
    }()
}
