import CairnCore

/// FCALL, FCALL_RO and FUNCTION: Redis 7.0's function libraries (`FunctionLibraries`).
enum FunctionCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("fcall", arity: -3, flags: [.noscript, .stale, .skipMonitor, .noMandatoryKeys],
                    keys: ScriptCommands.evalKeys([.rw, .access, .update], notes: ScriptCommands.worstCase), keyFinder: ScriptCommands.countedKeys,
                    acl: [.scripting], group: "scripting", since: "7.0.0", summary: "Invoke a function") { ctx in
            fcall(ctx, readOnly: false)
        },
        CommandSpec("fcall_ro", arity: -3, flags: [.readonly, .noscript, .stale, .skipMonitor, .noMandatoryKeys],
                    keys: ScriptCommands.evalKeys([.ro, .access], notes: ScriptCommands.worstCaseReadOnly), keyFinder: ScriptCommands.countedKeys,
                    acl: [.scripting], group: "scripting", since: "7.0.0", summary: "Invoke a read-only function") { ctx in
            fcall(ctx, readOnly: true)
        },
        function,
    ]

    static func fcall(_ ctx: CommandContext, readOnly: Bool) {
        guard let function = ctx.functions.function(named: ctx.args[1]) else {
            ctx.out.error("ERR Function not found")
            return
        }
        guard let (keys, arguments) = ScriptCommands.keysAndArguments(ctx, badCount: "ERR Bad number of keys provided") else { return }
        let server = ScriptCommands.conditions(ctx)
        guard ScriptCommands.mayRun(ctx, flags: function.flags, readOnlyCommand: readOnly, server: server) else { return }
        ctx.functions.run(ctx, function, keys: keys, arguments: arguments,
                          refusesGrowth: ScriptCommands.refusesGrowth(function.flags, server))
    }

    static func subcommand(_ name: String, arity: Int, flags: CommandFlags, summary: String,
                           _ handler: @escaping (CommandContext) -> Void) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags, acl: [.scripting], group: "scripting", since: "7.0.0",
                    summary: summary, handler: handler)
    }

    static let function: CommandSpec = {
        let s = CommandSpec("function", arity: -2, flags: [], acl: [], group: "scripting", since: "7.0.0",
                            summary: "A container for function commands")
        s.addSubcommand(subcommand("load", arity: -3, flags: [.write, .denyoom, .noscript], summary: "Create a function with the given arguments (name, code, description)", load))
        s.addSubcommand(subcommand("delete", arity: 3, flags: [.write, .noscript], summary: "Delete a function by name") { ctx in
            guard ctx.functions.delete(ctx.args[2].string) else { ctx.out.error("ERR Library not found"); return }
            ctx.dirty += 1
            ctx.out.ok()
        })
        s.addSubcommand(subcommand("flush", arity: -2, flags: [.write, .noscript], summary: "Deleting all functions") { ctx in
            guard ctx.args.count <= 3 else { subcommandSyntaxError(ctx); return }
            guard ctx.args.count == 2 || ctx.isOption(2, "sync") || ctx.isOption(2, "async") else {
                ctx.out.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
                return
            }
            ctx.functions.flush()
            ctx.dirty += 1
            ctx.out.ok()
        })
        s.addSubcommand(subcommand("restore", arity: -3, flags: [.write, .denyoom, .noscript], summary: "Restore all the functions on the given payload", restore))
        s.addSubcommand(subcommand("dump", arity: 2, flags: [.noscript], summary: "Dump all functions into a serialized binary payload") { ctx in
            ctx.functions.dump().withUnsafeBytes { ctx.out.bulk(raw: $0) }
        })
        s.addSubcommand(subcommand("list", arity: -2, flags: [.noscript], summary: "List information about all the functions", list))
        s.addSubcommand(subcommand("stats", arity: 2, flags: [.noscript, .allowBusy], summary: "Return information about the function currently running (name, description, duration)", stats))
        s.addSubcommand(subcommand("kill", arity: 2, flags: [.noscript, .allowBusy], summary: "Kill the function currently in execution.") { ctx in
            ScriptCommands.kill(ctx, function: true)
        })
        s.addHelp(acl: [.scripting], since: "7.0.0", helpLines)
        return s
    }()

    static func subcommandSyntaxError(_ ctx: CommandContext) {
        ctx.out.error("ERR unknown subcommand or wrong number of arguments for '\(ctx.args[1].string.prefix(128))'. Try FUNCTION HELP.")
    }

    static func load(_ ctx: CommandContext) {
        var replace = false
        for option in ctx.args[2..<(ctx.args.count - 1)] {
            guard option.equalsLowercased("replace") else {
                ctx.out.error("ERR Unknown option given: \(option.string)")
                return
            }
            replace = true
        }
        switch ctx.functions.load(ctx.args[ctx.args.count - 1], replace: replace) {
        case .success(let name):
            ctx.dirty += 1
            ctx.out.bulk(name)
        case .failure(let error):
            ctx.out.error(error.text.replacingNewlines())
        }
    }

    static func restore(_ ctx: CommandContext) {
        guard ctx.args.count <= 4 else { subcommandSyntaxError(ctx); return }
        var policy = FunctionLibraries.RestorePolicy.append
        if ctx.args.count == 4 {
            if ctx.isOption(3, "append") {
                policy = .append
            } else if ctx.isOption(3, "replace") {
                policy = .replace
            } else if ctx.isOption(3, "flush") {
                policy = .flush
            } else {
                ctx.out.error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
                return
            }
        }
        if let error = ctx.functions.restore(ctx.args[2].array, policy: policy) {
            ctx.out.error(error.text.replacingNewlines())
            return
        }
        ctx.dirty += 1
        ctx.out.ok()
    }

    static func list(_ ctx: CommandContext) {
        var withCode = false
        var pattern: Bytes?
        var i = 2
        while i < ctx.args.count {
            if !withCode && ctx.isOption(i, "withcode") {
                withCode = true
            } else if pattern == nil && ctx.isOption(i, "libraryname") {
                guard i + 1 < ctx.args.count else { ctx.out.error("ERR library name argument was not given"); return }
                i += 1
                pattern = ctx.args[i]
            } else {
                ctx.out.error("ERR Unknown argument \(ctx.args[i].string)")
                return
            }
            i += 1
        }
        let libraries = ctx.functions.libraries.keys.sorted().compactMap { ctx.functions.libraries[$0] }.filter { library in
            pattern.map { globMatch(pattern: $0, string: Bytes(library.name), noCase: true) } ?? true
        }
        ctx.out.arrayHeader(libraries.count)
        for library in libraries {
            ctx.out.mapHeader(withCode ? 4 : 3)
            ctx.out.bulk("library_name")
            ctx.out.bulk(library.name)
            ctx.out.bulk("engine")
            ctx.out.bulk("LUA")
            ctx.out.bulk("functions")
            ctx.out.arrayHeader(library.functions.count)
            for f in library.functions {
                ctx.out.mapHeader(3)
                ctx.out.bulk("name")
                ctx.out.bulk(f.name)
                ctx.out.bulk("description")
                if let d = f.description { ctx.out.bulk(d) } else { ctx.out.null() }
                ctx.out.bulk("flags")
                let names = ScriptFlags.names.filter { f.flags.contains($0.1) }
                ctx.out.setHeader(names.count)
                for (name, _) in names { ctx.out.bulk(name) }
            }
            if withCode {
                ctx.out.bulk("library_code")
                ctx.out.bulk(library.code)
            }
        }
    }

    static func stats(_ ctx: CommandContext) {
        if ctx.pausedScript != nil, ctx.scriptRun?.isFunction == false {
            ctx.out.error(ScriptCommands.busyScript)
            return
        }
        ctx.out.mapHeader(2)
        ctx.out.bulk("running_script")
        if let run = ctx.scriptRun {
            ctx.out.mapHeader(3)
            ctx.out.bulk("name")
            ctx.out.bulk(run.name)
            ctx.out.bulk("command")
            ctx.out.arrayHeader(run.command.count)
            for a in run.command { ctx.out.bulk(a) }
            ctx.out.bulk("duration_ms")
            ctx.out.integer(Int64((Clock.monotonicMicroseconds() - run.startedMicroseconds) / 1000))
        } else {
            ctx.out.null()
        }
        ctx.out.bulk("engines")
        ctx.out.mapHeader(1)
        ctx.out.bulk("LUA")
        ctx.out.mapHeader(2)
        ctx.out.bulk("libraries_count")
        ctx.out.integer(Int64(ctx.functions.libraries.count))
        ctx.out.bulk("functions_count")
        ctx.out.integer(Int64(ctx.functions.functionCount))
    }

    static let helpLines = [
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
    ]
}
