import CairnCommands
import CairnCore

/// COMMAND, COMMAND COUNT, COMMAND INFO, COMMAND DOCS, COMMAND LIST: the table described as data.
enum CommandInfo {
    static func spec(_ engine: Engine) -> CommandSpec {
        let command = CommandSpec("command", arity: -1, flags: [.loading, .stale], acl: [.connection], group: "server", since: "2.8.13",
                                  summary: "Get array of Redis command details") { ctx in
            let all = engine.table.sorted
            ctx.out.arrayHeader(all.count)
            for c in all { writeInfo(ctx, c) }
        }
        let flags: CommandFlags = [.loading, .stale]
        command.addSubcommand(CommandSpec("count", arity: 2, flags: flags, acl: [.connection], group: "server", since: "2.8.13",
                                          summary: "Get total number of Redis commands") { ctx in
            ctx.out.integer(engine.table.commands.count)
        })
        command.addSubcommand(CommandSpec("list", arity: -2, flags: flags, acl: [.connection], group: "server", since: "7.0.0",
                                          summary: "Get an array of Redis command names") { ctx in
            listNames(ctx, engine)
        })
        command.addSubcommand(CommandSpec("info", arity: -2, flags: flags, acl: [.connection], group: "server", since: "2.8.13",
                                          summary: "Get array of specific Redis command details, or all when no argument is given") { ctx in
            let names = ctx.args.dropFirst(2)
            if names.isEmpty {
                let all = engine.table.sorted
                ctx.out.arrayHeader(all.count)
                for c in all { writeInfo(ctx, c) }
                return
            }
            ctx.out.arrayHeader(names.count)
            for n in names {
                if let c = lookup(engine, n) { writeInfo(ctx, c) } else { ctx.out.null() }
            }
        })
        command.addSubcommand(CommandSpec("docs", arity: -2, flags: flags, acl: [.connection], group: "server", since: "7.0.0",
                                          summary: "Get array of specific Redis command documentation") { ctx in
            let names = ctx.args.dropFirst(2)
            let chosen = names.isEmpty ? engine.table.sorted : names.compactMap { lookup(engine, $0) }
            ctx.out.mapHeader(chosen.count)
            for c in chosen { writeDocs(ctx, c) }
        })
        command.addSubcommand(CommandSpec("getkeys", arity: -4, flags: flags, acl: [.connection], group: "server", since: "2.8.13",
                                          summary: "Extract keys given a full Redis command") { ctx in
            getKeys(ctx, engine, withFlags: false)
        })
        command.addSubcommand(CommandSpec("getkeysandflags", arity: -4, flags: flags, acl: [.connection], group: "server", since: "7.0.0",
                                          summary: "Extract keys and access flags given a full Redis command") { ctx in
            getKeys(ctx, engine, withFlags: true)
        })
        command.addHelp(acl: [.connection], since: "5.0.0", flags: flags, [
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ])
        return command
    }

    /// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: every
    /// command and subcommand ("config|get") as Redis lists them. Cairn loads no modules,
    /// so FILTERBY MODULE lists nothing.
    static func listNames(_ ctx: CommandContext, _ engine: Engine) {
        var keep: (CommandSpec) -> Bool = { _ in true }
        switch ctx.args.count {
        case 2: break
        case 5 where ctx.args[2].lowercased.string == "filterby":
            let value = ctx.args[4].string
            switch ctx.args[3].lowercased.string {
            case "module": keep = { _ in false }
            case "aclcat":
                let category = ACLCategories(name: value)
                keep = { spec in category.map { spec.categories.contains($0) } ?? false }
            case "pattern": keep = { globMatch(pattern: value, string: $0.fullName, noCase: true) }
            default: return ctx.out.error("ERR syntax error")
            }
        default: return ctx.out.error("ERR syntax error")
        }
        var names: [String] = []
        for spec in engine.table.sorted {
            if keep(spec) { names.append(spec.fullName) }
            for sub in spec.subcommands.values.sorted(by: { $0.name < $1.name }) where keep(sub) {
                names.append(sub.fullName)
            }
        }
        ctx.out.arrayHeader(names.count)
        for n in names { ctx.out.bulk(n) }
    }

    /// A name or "container|sub".
    static func lookup(_ engine: Engine, _ name: Bytes) -> CommandSpec? {
        let parts = name.string.lowercased().split(separator: "|", maxSplits: 1).map(String.init)
        guard let top = engine.table.lookup(Bytes(parts[0])) else { return nil }
        if parts.count == 2 { return top.subcommands[Bytes(parts[1])] }
        return top
    }

    static func writeInfo(_ ctx: CommandContext, _ c: CommandSpec) {
        ctx.out.arrayHeader(10)
        ctx.out.bulk(c.fullName)
        ctx.out.integer(c.arity)
        let flags = c.flags.names
        ctx.out.setHeader(flags.count)
        for f in flags { ctx.out.simple(f) }
        ctx.out.integer(c.firstKey)
        ctx.out.integer(c.lastKey)
        ctx.out.integer(c.keyStep)
        let cats = c.categories.names
        ctx.out.setHeader(cats.count)
        for cat in cats { ctx.out.simple("@" + cat) }
        ctx.out.setHeader(0)  // tips
        writeKeySpecs(ctx, c.keySpecs)
        // Redis 7.0 answers an empty set for a command without subcommands, else an array.
        let subs = c.subcommands.values.sorted { $0.name < $1.name }
        if subs.isEmpty { ctx.out.setHeader(0) } else { ctx.out.arrayHeader(subs.count) }
        for s in subs { writeInfo(ctx, s) }
    }

    /// The key specs as Redis 7.0's COMMAND INFO shows them.
    static func writeKeySpecs(_ ctx: CommandContext, _ specs: [KeySpec]) {
        ctx.out.setHeader(specs.count)
        for spec in specs {
            ctx.out.mapHeader(spec.notes == nil ? 3 : 4)
            if let notes = spec.notes {
                ctx.out.bulk("notes"); ctx.out.bulk(notes)
            }
            ctx.out.bulk("flags"); writeFlags(ctx, spec.flags)
            ctx.out.bulk("begin_search")
            switch spec.begin {
            case .index(let index): writeSearch(ctx, "index", [("index", index)])
            case .keyword(let keyword, let from): writeSearch(ctx, "keyword", [("startfrom", from)], keyword: keyword)
            case .unknown: writeSearch(ctx, "unknown", [])
            }
            ctx.out.bulk("find_keys")
            switch spec.find {
            case .range(let last, let step, let limit):
                writeSearch(ctx, "range", [("lastkey", last), ("keystep", step), ("limit", limit)])
            case .keynum(let index, let first, let step):
                writeSearch(ctx, "keynum", [("keynumidx", index), ("firstkey", first), ("keystep", step)])
            case .unknown:
                writeSearch(ctx, "unknown", [])
            }
        }
    }

    /// `{type, spec: {fields}}`, the shape of begin_search and find_keys; a keyword comes
    /// first in its spec.
    private static func writeSearch(_ ctx: CommandContext, _ type: String, _ fields: [(String, Int)], keyword: String? = nil) {
        ctx.out.mapHeader(2)
        ctx.out.bulk("type"); ctx.out.bulk(type)
        ctx.out.bulk("spec"); ctx.out.mapHeader(fields.count + (keyword == nil ? 0 : 1))
        if let keyword { ctx.out.bulk("keyword"); ctx.out.bulk(keyword) }
        for (name, value) in fields {
            ctx.out.bulk(name); ctx.out.integer(value)
        }
    }

    static func writeFlags(_ ctx: CommandContext, _ flags: KeyFlags) {
        let names = flags.names
        ctx.out.setHeader(names.count)
        for n in names { ctx.out.simple(n) }
    }

    /// COMMAND GETKEYS and GETKEYSANDFLAGS: the keys of a command line, found by the
    /// command's key specs (or its own finder), with Redis 7.0's errors.
    static func getKeys(_ ctx: CommandContext, _ engine: Engine, withFlags: Bool) {
        let line = Array(ctx.args.dropFirst(2))
        var found = engine.table.lookup(line[0])
        if let top = found, !top.subcommands.isEmpty, line.count > 1 { found = top.subcommands[line[1].lowercased] }
        guard let spec = found else { ctx.out.error("ERR Invalid command specified"); return }
        guard spec.hasKeys else { ctx.out.error("ERR The command has no key arguments"); return }
        guard spec.arityAccepts(line.count) else {
            ctx.out.error("ERR Invalid number of arguments specified for command")
            return
        }
        let keys = spec.keys(in: line)
        if keys.isEmpty && !spec.flags.contains(.noMandatoryKeys) {
            ctx.out.error("ERR Invalid arguments specified for command")
            return
        }
        ctx.out.arrayHeader(keys.count)
        for key in keys {
            if withFlags {
                ctx.out.arrayHeader(2)
                ctx.out.bulk(line[key.position])
                writeFlags(ctx, key.flags)
            } else {
                ctx.out.bulk(line[key.position])
            }
        }
    }

    static func writeDocs(_ ctx: CommandContext, _ c: CommandSpec) {
        ctx.out.bulk(c.fullName)
        let subs = c.subcommands.values.sorted { $0.name < $1.name }
        ctx.out.mapHeader(subs.isEmpty ? 3 : 4)
        ctx.out.bulk("summary"); ctx.out.bulk(c.summary)
        ctx.out.bulk("since"); ctx.out.bulk(c.since)
        ctx.out.bulk("group"); ctx.out.bulk(c.group)
        if !subs.isEmpty {
            ctx.out.bulk("subcommands")
            ctx.out.mapHeader(subs.count)
            for s in subs { writeDocs(ctx, s) }
        }
    }
}
