import CairnCommands
import CairnCore
import Glibc

/// ACL and its subcommands, as Redis 7.0 has them: users (SETUSER, GETUSER, DELUSER,
/// LIST, USERS, WHOAMI), categories (CAT), the log (LOG), DRYRUN, GENPASS, and the aclfile
/// (LOAD, SAVE).
enum ACLCommand {
    static func spec(_ engine: Engine) -> CommandSpec {
        let acl = CommandSpec("acl", arity: -2, flags: [], acl: [], group: "server", since: "6.0.0",
                              summary: "A container for Access List Control commands")
        let base: CommandFlags = [.noscript, .loading, .stale]
        func sub(_ name: String, _ arity: Int, admin: Bool = true, _ summary: String, _ handler: @escaping CommandHandler) {
            acl.addSubcommand(CommandSpec(name, arity: arity, flags: admin ? base.union(.admin) : base, acl: [],
                                          group: "server", since: "6.0.0", summary: summary, handler: handler))
        }
        sub("setuser", -3, "Modify or create the rules for a specific ACL user") { setUser($0, engine) }
        sub("getuser", 3, "Get the rules for a specific ACL user") { getUser($0) }
        sub("deluser", -3, "Remove the specified ACL users and the associated rules") { ctx in
            if ctx.args[2...].contains(where: { $0 == "default" }) {
                ctx.out.error("ERR The 'default' user cannot be removed")
                return
            }
            let removed = ctx.args[2...].compactMap { ctx.users.remove($0.string) }
            engine.closeClients(of: removed)
            ctx.out.integer(removed.count)
        }
        sub("list", 2, "List the current ACL rules in ACL config file format") { ctx in
            let all = ctx.users.all
            ctx.out.arrayHeader(all.count)
            for u in all { ctx.out.bulk(ctx.users.describe(u)) }
        }
        sub("users", 2, "List all configured ACL users") { ctx in
            let all = ctx.users.all
            ctx.out.arrayHeader(all.count)
            for u in all { ctx.out.bulk(u.name) }
        }
        sub("whoami", 2, admin: false, "Return the name of the user associated to the current connection") { ctx in
            ctx.out.bulk(ctx.session.user?.name ?? "default")
        }
        sub("cat", -2, admin: false, "List the ACL categories or the commands inside a category") { cat($0) }
        sub("log", -2, "List latest events denied because of ACLs in place") { log($0) }
        sub("dryrun", -4, "Returns whether the user can execute the given command without executing the command.") { dryRun($0) }
        sub("genpass", -2, admin: false, "Generate a pseudorandom secure password to use for ACL users") { genPass($0) }
        sub("load", 2, "Reload the ACLs from the configured ACL file") { ctx in
            guard hasFile(ctx, engine) else { return }
            if let errors = engine.loadACLFile() { ctx.out.error("ERR " + errors) } else { ctx.out.ok() }
        }
        sub("save", 2, "Save the current ACL rules in the configured ACL file") { ctx in
            guard hasFile(ctx, engine) else { return }
            if engine.saveACLFile() { ctx.out.ok() } else {
                ctx.out.error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
            }
        }
        acl.addHelp(acl: [], since: "6.0.0", helpLines)
        return acl
    }

    private static func hasFile(_ ctx: CommandContext, _ engine: Engine) -> Bool {
        if !engine.config.aclfile.isEmpty { return true }
        ctx.out.error("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.")
        return false
    }

    /// Redis's reply for a subcommand given the wrong number of arguments.
    private static func syntaxError(_ ctx: CommandContext) {
        ctx.out.error("ERR unknown subcommand or wrong number of arguments for '\(ctx.args[1].string.prefix(128))'. Try ACL HELP.")
    }

    static func setUser(_ ctx: CommandContext, _ engine: Engine) {
        for j in 2..<ctx.args.count { ctx.redactArgument(j) }
        let name = ctx.args[2]
        if ACLSelector.hasSpaces(name.withUnsafeBytes { Array($0) }) {
            ctx.out.error("ERR Usernames can't contain spaces or null characters")
            return
        }
        switch ctx.users.setUser(name.string, Array(ctx.args[3...])) {
        case .failure(let failure):
            ctx.out.error("ERR " + failure.message)
        case .success(let before):
            if before != nil, let user = ctx.users.user(named: name.string) {
                engine.closeSubscribersNoLongerAllowed(user)
            }
            ctx.out.ok()
        }
    }

    static func getUser(_ ctx: CommandContext) {
        guard let user = ctx.users.user(named: ctx.args[2].string) else {
            ctx.out.null()
            return
        }
        let selectors = ctx.users.selectorFields(user)
        ctx.out.mapHeader(6)
        ctx.out.bulk("flags")
        ctx.out.setHeader(user.flagNames.count)
        for f in user.flagNames { ctx.out.bulk(f) }
        ctx.out.bulk("passwords")
        ctx.out.arrayHeader(user.passwords.count)
        for p in user.passwords { ctx.out.bulk(p) }
        writeSelector(ctx, selectors[0])
        ctx.out.bulk("selectors")
        ctx.out.arrayHeader(selectors.count - 1)
        for s in selectors.dropFirst() {
            ctx.out.mapHeader(3)
            writeSelector(ctx, s)
        }
    }

    private static func writeSelector(_ ctx: CommandContext, _ s: (commands: String, keys: String, channels: String)) {
        ctx.out.bulk("commands"); ctx.out.bulk(s.commands)
        ctx.out.bulk("keys"); ctx.out.bulk(s.keys)
        ctx.out.bulk("channels"); ctx.out.bulk(s.channels)
    }

    static func cat(_ ctx: CommandContext) {
        guard ctx.args.count <= 3 else { syntaxError(ctx); return }
        guard ctx.args.count == 3 else {
            ctx.out.arrayHeader(ACLCategories.allNames.count)
            for n in ACLCategories.allNames { ctx.out.bulk(n) }
            return
        }
        guard let category = ACLCategories(name: ctx.args[2].string) else {
            ctx.out.error("ERR Unknown category '\(ctx.args[2].string.prefix(128))'")
            return
        }
        let names = ctx.table.aclOrder.filter { !$0.categories.isDisjoint(with: category) }.map(\.fullName)
        ctx.out.arrayHeader(names.count)
        for n in names { ctx.out.bulk(n) }
    }

    static func log(_ ctx: CommandContext) {
        guard ctx.args.count <= 3 else { syntaxError(ctx); return }
        var count = 10
        if ctx.args.count == 3 {
            if ctx.isOption(2, "reset") {
                ctx.users.log.reset()
                ctx.out.ok()
                return
            }
            guard let n = ctx.args[2].int64 else { ctx.out.error("ERR value is not an integer or out of range"); return }
            count = Int(max(0, min(n, Int64(Int.max))))
        }
        let entries = ctx.users.log.entries.prefix(count)
        let now = Clock.unixMilliseconds()
        ctx.out.arrayHeader(entries.count)
        for e in entries {
            ctx.out.mapHeader(7)
            ctx.out.bulk("count"); ctx.out.integer(e.count)
            ctx.out.bulk("reason"); ctx.out.bulk(e.reason.logName)
            ctx.out.bulk("context"); ctx.out.bulk(e.context.rawValue)
            ctx.out.bulk("object"); ctx.out.bulk(e.object)
            ctx.out.bulk("username"); ctx.out.bulk(e.username)
            ctx.out.bulk("age-seconds"); ctx.out.double(Double(now - e.timeMs) / 1000)
            ctx.out.bulk("client-info"); ctx.out.bulk(e.clientInfo)
        }
    }

    /// ACL DRYRUN user command args...: whether the user could make the call (nothing is
    /// logged).
    static func dryRun(_ ctx: CommandContext) {
        guard let user = ctx.users.user(named: ctx.args[2].string) else {
            ctx.out.error("ERR User '\(ctx.args[2].string)' not found")
            return
        }
        let call = Array(ctx.args[3...])
        guard var spec = ctx.table.lookup(call[0]) else {
            ctx.out.error("ERR Command '\(call[0].string)' not found")
            return
        }
        if !spec.subcommands.isEmpty && call.count >= 2 {
            guard let sub = spec.subcommands[call[1].lowercased] else {
                ctx.out.error("ERR Command '\(call[0].string)' not found")
                return
            }
            spec = sub
        }
        guard spec.arityAccepts(call.count) else {
            ctx.out.error("ERR wrong number of arguments for '\(spec.fullName)' command")
            return
        }
        guard let (denial, position) = user.refusal(spec, call) else {
            ctx.out.ok()
            return
        }
        switch denial {
        case .command: ctx.out.bulk("This user has no permissions to run the '\(spec.fullName)' command")
        case .key: ctx.out.bulk("This user has no permissions to access the '\(call[position].string)' key")
        default: ctx.out.bulk("This user has no permissions to access the '\(call[position].string)' channel")
        }
    }

    static func genPass(_ ctx: CommandContext) {
        guard ctx.args.count <= 3 else { syntaxError(ctx); return }
        var bits: Int64 = 256
        if ctx.args.count == 3 {
            guard let n = ctx.args[2].int64 else { ctx.out.error("ERR value is not an integer or out of range"); return }
            bits = n
        }
        guard bits > 0 && bits <= 4096 else {
            ctx.out.error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
            return
        }
        ctx.out.bulk(Bytes(Hex.randomDigits(Int((bits + 3) / 4))))
    }

    static let helpLines = [
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
    ]
}
