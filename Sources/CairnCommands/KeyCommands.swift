import CairnCore
import CairnStore

/// DEL, EXISTS, EXPIRE, SCAN and the rest of Redis's generic key family (db.c, expire.c).
enum KeyCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("del", arity: -2, flags: [.write],
                    keys: [.all(from: 1, [.rm, .delete])], acl: [.keyspace], group: "generic",
                    summary: "Delete a key", handler: del),
        CommandSpec("unlink", arity: -2, flags: [.write, .fast],
                    keys: [.all(from: 1, [.rm, .delete])], acl: [.keyspace], group: "generic", since: "4.0.0",
                    summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
                    handler: del),
        CommandSpec("exists", arity: -2, flags: [.readonly, .fast],
                    keys: [.all(from: 1, [.ro])], acl: [.keyspace], group: "generic",
                    summary: "Determine if a key exists", handler: exists),
        CommandSpec("touch", arity: -2, flags: [.readonly, .fast],
                    keys: [.all(from: 1, [.ro])], acl: [.keyspace], group: "generic", since: "3.2.1",
                    summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
                    handler: touch),
        CommandSpec("type", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro])], acl: [.keyspace], group: "generic",
                    summary: "Determine the type stored at key", handler: type),
        CommandSpec("keys", arity: 2, flags: [.readonly], acl: [.dangerous, .keyspace], group: "generic",
                    summary: "Find all keys matching the given pattern", handler: keys),
        CommandSpec("scan", arity: -2, flags: [.readonly], acl: [.keyspace], group: "generic", since: "2.8.0",
                    summary: "Incrementally iterate the keys space", handler: scan),
        CommandSpec("randomkey", arity: 1, flags: [.readonly], acl: [.keyspace], group: "generic",
                    summary: "Return a random key from the keyspace", handler: randomkey),
        CommandSpec("rename", arity: 3, flags: [.write],
                    keys: [.at(1, [.rw, .access, .delete]), .at(2, [.ow, .update])], acl: [.keyspace], group: "generic",
                    summary: "Rename a key", handler: { rename($0, nx: false) }),
        CommandSpec("renamenx", arity: 3, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .access, .delete]), .at(2, [.ow, .insert])], acl: [.keyspace], group: "generic",
                    summary: "Rename a key, only if the new key does not exist", handler: { rename($0, nx: true) }),
        CommandSpec("copy", arity: -3, flags: [.write, .denyoom],
                    keys: [.at(1, [.ro, .access]), .at(2, [.ow, .update])], acl: [.keyspace], group: "generic", since: "6.2.0",
                    summary: "Copy a key", handler: copy),
        CommandSpec("move", arity: 3, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .access, .update])], acl: [.keyspace], group: "generic",
                    summary: "Move a key to another database", handler: move),
        CommandSpec("expire", arity: -3, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.keyspace], group: "generic",
                    summary: "Set a key's time to live in seconds", handler: { expire($0, seconds: true, relative: true) }),
        CommandSpec("pexpire", arity: -3, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.keyspace], group: "generic", since: "2.6.0",
                    summary: "Set a key's time to live in milliseconds", handler: { expire($0, seconds: false, relative: true) }),
        CommandSpec("expireat", arity: -3, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.keyspace], group: "generic", since: "1.2.0",
                    summary: "Set the expiration for a key as a UNIX timestamp", handler: { expire($0, seconds: true, relative: false) }),
        CommandSpec("pexpireat", arity: -3, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.keyspace], group: "generic", since: "2.6.0",
                    summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
                    handler: { expire($0, seconds: false, relative: false) }),
        CommandSpec("ttl", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.keyspace], group: "generic",
                    summary: "Get the time to live for a key in seconds", handler: { ttl($0, ms: false, absolute: false) }),
        CommandSpec("pttl", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.keyspace], group: "generic", since: "2.6.0",
                    summary: "Get the time to live for a key in milliseconds", handler: { ttl($0, ms: true, absolute: false) }),
        CommandSpec("expiretime", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.keyspace], group: "generic", since: "7.0.0",
                    summary: "Get the expiration Unix timestamp for a key", handler: { ttl($0, ms: false, absolute: true) }),
        CommandSpec("pexpiretime", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.keyspace], group: "generic", since: "7.0.0",
                    summary: "Get the expiration Unix timestamp for a key in milliseconds", handler: { ttl($0, ms: true, absolute: true) }),
        CommandSpec("persist", arity: 2, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.keyspace], group: "generic", since: "2.2.0",
                    summary: "Remove the expiration from a key", handler: persist),
        objectCommand,
    ]

    static func del(_ ctx: CommandContext) {
        var deleted = 0
        for key in ctx.args.dropFirst() {
            if !ctx.db.expires.isEmpty { ctx.expireIfNeeded(key) }
            if ctx.db.delete(key) {
                deleted += 1
                ctx.notify(.generic, "del", key)
            }
        }
        ctx.dirty += deleted
        ctx.out.integer(deleted)
    }

    static func exists(_ ctx: CommandContext) {
        var n = 0
        for key in ctx.args.dropFirst() where ctx.peek(key) != nil { n += 1 }
        ctx.out.integer(n)
    }

    static func touch(_ ctx: CommandContext) {
        var n = 0
        for key in ctx.args.dropFirst() where ctx.lookupRead(key) != nil { n += 1 }
        ctx.out.integer(n)
    }

    static func type(_ ctx: CommandContext) {
        if let v = ctx.peek(ctx.args[1]) { ctx.out.simple(v.typeName) } else { ctx.out.simple("none") }
    }

    static func keys(_ ctx: CommandContext) {
        let pattern = ctx.args[1]
        let all = pattern == "*"
        let db = ctx.db
        var found: [Bytes] = []
        for e in db.main.entries where all || globMatch(pattern: pattern, string: e.key) {
            if db.isExpired(e.key, nowMs: ctx.nowMs) { continue }
            found.append(e.key)
        }
        ctx.out.arrayHeader(found.count)
        for k in found { ctx.out.bulk(k) }
    }

    static func scan(_ ctx: CommandContext) {
        guard let options = ScanArguments.parse(ctx, cursorIndex: 1, allowType: true) else { return }
        let db = ctx.db
        let (found, next) = options.walk(db.main)
        var keys: [Bytes] = []
        for entry in found {
            let key = entry.key
            if !options.matches(key) { continue }
            if ctx.expireIfNeeded(key) { continue }
            if let typeName = options.typeName {
                guard let v = db.main[key], typeName.lowercased == Bytes(v.typeName) else { continue }
            }
            keys.append(key)
        }
        ScanArguments.reply(ctx, cursor: next, items: keys)
    }

    static func randomkey(_ ctx: CommandContext) {
        let db = ctx.db
        // Expired keys met on the way are reclaimed; the tries are bounded in case every
        // key is volatile and past its time.
        var tries = 0
        while db.count > 0 {
            let e = db.main.entries[Int.random(in: 0..<db.count)]
            if tries < 100 && ctx.expireIfNeeded(e.key) {
                tries += 1
                continue
            }
            ctx.out.bulk(e.key)
            return
        }
        ctx.out.null()
    }

    static func rename(_ ctx: CommandContext, nx: Bool) {
        let src = ctx.args[1], dst = ctx.args[2]
        guard let p = ctx.lookupWrite(src) else { ctx.out.error(Reply.noSuchKey); return }
        if src == dst {
            if nx { ctx.out.integer(0) } else { ctx.out.ok() }
            return
        }
        let db = ctx.db
        let value = db.main.entries[p].value
        let expire = db.expireTime(src)
        if ctx.lookupWrite(dst) != nil {
            if nx { ctx.out.integer(0); return }
            db.delete(dst)
        }
        db.delete(src)
        db.set(dst, value, clock: ctx.lruClock)
        if let expire { db.setExpire(dst, atMs: expire) }
        ctx.dirty += 1
        ctx.notify(.generic, "rename_from", src)
        ctx.notify(.generic, "rename_to", dst)
        if value.listValue != nil { ctx.signalListReady(dst) }
        if nx { ctx.out.integer(1) } else { ctx.out.ok() }
    }

    static func copy(_ ctx: CommandContext) {
        let src = ctx.args[1], dst = ctx.args[2]
        var replace = false
        var targetIndex = ctx.session.databaseIndex
        var j = 3
        while j < ctx.args.count {
            if ctx.isOption(j, "replace") {
                replace = true
            } else if ctx.isOption(j, "db") && j + 1 < ctx.args.count {
                guard let id = ctx.int64Arg(j + 1) else { return }
                guard id >= 0 && id < ctx.keyspace.databaseCount else { ctx.out.error(Reply.dbOutOfRange); return }
                targetIndex = Int(id)
                j += 1
            } else {
                ctx.syntaxError()
                return
            }
            j += 1
        }
        if targetIndex == ctx.session.databaseIndex && src == dst { ctx.out.error(Reply.sameObject); return }
        guard let value = ctx.peek(src) else { ctx.out.integer(0); return }
        let expire = ctx.db.expireTime(src)
        let target = ctx.keyspace[targetIndex]
        ctx.expireIfNeeded(dst, in: target, dbIndex: targetIndex)
        if target.main.find(dst) != nil {
            if !replace { ctx.out.integer(0); return }
            target.delete(dst)
        }
        target.set(dst, value.deepCopy(), clock: ctx.lruClock)
        if let expire { target.setExpire(dst, atMs: expire) }
        ctx.dirty += 1
        ctx.notify(.generic, "copy_to", dst, database: targetIndex)
        if value.listValue != nil { ctx.signalListReady(dst, database: targetIndex) }
        ctx.out.integer(1)
    }

    static func move(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let id = ctx.int32Arg(2) else { return }
        guard id >= 0 && id < ctx.keyspace.databaseCount else {
            ctx.out.error(Reply.dbOutOfRange)
            return
        }
        let targetIndex = Int(id)
        if targetIndex == ctx.session.databaseIndex { ctx.out.error(Reply.sameObject); return }
        guard let p = ctx.lookupWrite(key) else { ctx.out.integer(0); return }
        let db = ctx.db
        let value = db.main.entries[p].value
        let expire = db.expireTime(key)
        let target = ctx.keyspace[targetIndex]
        ctx.expireIfNeeded(key, in: target, dbIndex: targetIndex)
        if target.main.find(key) != nil { ctx.out.integer(0); return }
        target.set(key, value, clock: ctx.lruClock)
        if let expire { target.setExpire(key, atMs: expire) }
        db.delete(key)
        ctx.dirty += 1
        ctx.notify(.generic, "move_from", key)
        ctx.notify(.generic, "move_to", key, database: targetIndex)
        if value.listValue != nil { ctx.signalListReady(key, database: targetIndex) }
        ctx.out.integer(1)
    }

    // MARK: - Expiry

    static func expire(_ ctx: CommandContext, seconds: Bool, relative: Bool) {
        let key = ctx.args[1]
        var nx = false, xx = false, gt = false, lt = false
        for j in 3..<max(3, ctx.args.count) {
            if ctx.isOption(j, "nx") { nx = true }
            else if ctx.isOption(j, "xx") { xx = true }
            else if ctx.isOption(j, "gt") { gt = true }
            else if ctx.isOption(j, "lt") { lt = true }
            else { ctx.out.error("ERR Unsupported option \(ctx.args[j].string)"); return }
        }
        if nx && (xx || gt || lt) {
            ctx.out.error("ERR NX and XX, GT or LT options at the same time are not compatible")
            return
        }
        if gt && lt {
            ctx.out.error("ERR GT and LT options at the same time are not compatible")
            return
        }
        guard var when = ctx.int64Arg(2) else { return }
        if seconds {
            if when > Int64.max / 1000 || when < Int64.min / 1000 {
                ctx.out.error(Reply.invalidExpireTime(ctx.commandName))
                return
            }
            when *= 1000
        }
        let base = relative ? ctx.nowMs : 0
        if when > Int64.max - base {
            ctx.out.error(Reply.invalidExpireTime(ctx.commandName))
            return
        }
        when += base
        guard ctx.lookupWrite(key) != nil else { ctx.out.integer(0); return }
        let db = ctx.db
        if nx || xx || gt || lt {
            let current = db.expireTime(key)
            if nx && current != nil { ctx.out.integer(0); return }
            if xx && current == nil { ctx.out.integer(0); return }
            if gt && (current == nil || when <= current!) { ctx.out.integer(0); return }
            if lt, let current, when >= current { ctx.out.integer(0); return }
        }
        ctx.dirty += 1
        if when <= ctx.nowMs && !ctx.replaying {
            db.delete(key)
            ctx.propagate(["DEL", key])
            ctx.notify(.generic, "del", key)
        } else {
            db.setExpire(key, atMs: when)
            ctx.propagate(["PEXPIREAT", key, Bytes(when)] + ctx.args.dropFirst(3))
            ctx.notify(.generic, "expire", key)
        }
        ctx.out.integer(1)
    }

    static func ttl(_ ctx: CommandContext, ms: Bool, absolute: Bool) {
        let key = ctx.args[1]
        guard ctx.peek(key) != nil else { ctx.out.integer(-2); return }
        guard let t = ctx.db.expireTime(key) else { ctx.out.integer(-1); return }
        var v = absolute ? t : t - ctx.nowMs
        if v < 0 { v = 0 }
        ctx.out.integer(ms ? v : (v + 500) / 1000)
    }

    static func persist(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard ctx.lookupWrite(key) != nil else { ctx.out.integer(0); return }
        if ctx.db.removeExpire(key) {
            ctx.dirty += 1
            ctx.notify(.generic, "persist", key)
            ctx.out.integer(1)
        } else {
            ctx.out.integer(0)
        }
    }

    // MARK: - OBJECT

    static let objectCommand: CommandSpec = {
        let object = CommandSpec("object", arity: -2, flags: [], acl: [], group: "generic", since: "2.2.3",
                                 summary: "A container for object introspection commands")
        object.addSubcommand(CommandSpec("encoding", arity: 3, flags: [.readonly],
                    keys: [.at(2, [.ro])], acl: [.keyspace], group: "generic",
                                         since: "2.2.3", summary: "Inspect the internal encoding of a Redis object") { ctx in
            guard let v = ctx.peek(ctx.args[2], missEvent: false) else { ctx.out.null(); return }
            ctx.out.bulk(v.encodingName)
        })
        object.addSubcommand(CommandSpec("refcount", arity: 3, flags: [.readonly],
                    keys: [.at(2, [.ro])], acl: [.keyspace], group: "generic",
                                         since: "2.2.3", summary: "Get the number of references to the value of the key") { ctx in
            guard let v = ctx.peek(ctx.args[2], missEvent: false) else { ctx.out.null(); return }
            // Redis shares the integers 0..9999 between keys and reports them as immortal.
            if case .int(let n) = v, n >= 0 && n < 10000 { ctx.out.integer(Int64(Int32.max)) } else { ctx.out.integer(1) }
        })
        object.addSubcommand(CommandSpec("idletime", arity: 3, flags: [.readonly],
                    keys: [.at(2, [.ro])], acl: [.keyspace], group: "generic",
                                         since: "2.2.3", summary: "Get the time since a Redis object was last accessed") { ctx in
            let key = ctx.args[2]
            guard ctx.peek(key, missEvent: false) != nil, let p = ctx.db.main.find(key) else { ctx.out.null(); return }
            if ctx.settings.eviction.policy.tracksFrequency {
                ctx.out.error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
                return
            }
            ctx.out.integer(KeyAccess.idleMilliseconds(ctx.db.main.entries[p].aux, nowMs: ctx.nowMs) / 1000)
        })
        object.addSubcommand(CommandSpec("freq", arity: 3, flags: [.readonly],
                    keys: [.at(2, [.ro])], acl: [.keyspace], group: "generic",
                                         since: "4.0.0", summary: "Get the logarithmic access frequency counter of a Redis object") { ctx in
            guard ctx.peek(ctx.args[2], missEvent: false) != nil, let p = ctx.db.main.find(ctx.args[2]) else { ctx.out.null(); return }
            let e = ctx.settings.eviction
            guard e.policy.tracksFrequency else {
                ctx.out.error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
                return
            }
            ctx.out.integer(Int64(KeyAccess.lfuCounter(ctx.db.main.entries[p].aux, nowMs: ctx.nowMs, decayMinutes: e.lfuDecayMinutes)))
        })
        object.addHelp(acl: [.keyspace], since: "6.2.0", [
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ])
        return object
    }()
}

/// Redis's addReplyHelp: a heading, the lines given, then HELP's own two lines.
public func writeHelp(_ ctx: CommandContext, _ command: String, _ lines: [String]) {
    ctx.out.arrayHeader(lines.count + 3)
    ctx.out.simple("\(command) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    for l in lines { ctx.out.simple(l) }
    ctx.out.simple("HELP")
    ctx.out.simple("    Prints this help.")
}

extension CommandSpec {
    /// Adds the container's HELP subcommand: Redis's addReplyHelp text under the
    /// container's name with `lines`, and HELP's own flags and summary.
    public func addHelp(acl: ACLCategories, since: String, flags: CommandFlags = [.loading, .stale], _ lines: [String]) {
        let command = name.uppercased()
        addSubcommand(CommandSpec("help", arity: 2, flags: flags, acl: acl, group: group, since: since,
                                  summary: "Show helpful text about the different subcommands") { ctx in
            writeHelp(ctx, command, lines)
        })
    }
}
