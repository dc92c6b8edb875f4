import CairnCore
import CairnStore

/// HSET, HGET and the rest of Redis's hash family (t_hash.c).
enum HashCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("hset", arity: -4, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Set the string value of a hash field", handler: { hset($0, reply: .count) }),
        CommandSpec("hmset", arity: -4, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Set multiple hash fields to multiple values", handler: { hset($0, reply: .ok) }),
        CommandSpec("hsetnx", arity: 4, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .insert])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Set the value of a hash field, only if the field does not exist", handler: hsetnx),
        CommandSpec("hget", arity: 3, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Get the value of a hash field", handler: hget),
        CommandSpec("hmget", arity: -3, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Get the values of all the given hash fields", handler: hmget),
        CommandSpec("hgetall", arity: 2, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Get all the fields and values in a hash", handler: { all($0, fields: true, values: true) }),
        CommandSpec("hkeys", arity: 2, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Get all the fields in a hash", handler: { all($0, fields: true, values: false) }),
        CommandSpec("hvals", arity: 2, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Get all the values in a hash", handler: { all($0, fields: false, values: true) }),
        CommandSpec("hdel", arity: -3, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .delete])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Delete one or more hash fields", handler: hdel),
        CommandSpec("hlen", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Get the number of fields in a hash", handler: hlen),
        CommandSpec("hstrlen", arity: 3, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro])], acl: [.hash], group: "hash", since: "3.2.0",
                    summary: "Get the length of the value of a hash field", handler: hstrlen),
        CommandSpec("hexists", arity: 3, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Determine if a hash field exists", handler: hexists),
        CommandSpec("hincrby", arity: 4, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .access, .update])], acl: [.hash], group: "hash", since: "2.0.0",
                    summary: "Increment the integer value of a hash field by the given number", handler: hincrby),
        CommandSpec("hincrbyfloat", arity: 4, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .access, .update])], acl: [.hash], group: "hash", since: "2.6.0",
                    summary: "Increment the float value of a hash field by the given amount", handler: hincrbyfloat),
        CommandSpec("hrandfield", arity: -2, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.hash], group: "hash", since: "6.2.0",
                    summary: "Get one or multiple random fields from a hash", handler: hrandfield),
        CommandSpec("hscan", arity: -3, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.hash], group: "hash", since: "2.8.0",
                    summary: "Incrementally iterate hash fields and associated values", handler: hscan),
    ]

    /// The hash at `key`: `.some(nil)` when absent; nil (after a WRONGTYPE reply) when not a hash.
    static func readHash(_ ctx: CommandContext, _ key: Bytes, write: Bool = false) -> HashValue?? {
        ctx.readValue(key, write: write) { $0.hashValue }
    }

    /// The hash at `key` for writing, created (empty, not yet stored) when absent.
    static func hashForWrite(_ ctx: CommandContext, _ key: Bytes) -> (HashValue, isNew: Bool)? {
        guard let found = readHash(ctx, key, write: true) else { return nil }
        if let h = found { return (h, false) }
        return (HashValue(), true)
    }

    static func store(_ ctx: CommandContext, _ key: Bytes, _ h: HashValue, isNew: Bool) {
        if isNew { ctx.db.add(key, .hash(h), clock: ctx.lruClock) }
    }

    static func set(_ ctx: CommandContext, _ h: HashValue, _ field: Bytes, _ value: Bytes) -> Bool {
        h.set(field, value, maxPackedEntries: ctx.settings.hashMaxPackedEntries,
              maxPackedValueBytes: ctx.settings.hashMaxPackedValueBytes)
    }

    enum SetReply { case count, ok }

    static func hset(_ ctx: CommandContext, reply: SetReply) {
        if ctx.args.count % 2 != 0 {
            ctx.out.error(Reply.wrongArity(ctx.commandName))
            return
        }
        let key = ctx.args[1]
        guard let (h, isNew) = hashForWrite(ctx, key) else { return }
        var added = 0
        var i = 2
        while i < ctx.args.count {
            if set(ctx, h, ctx.args[i], ctx.args[i + 1]) { added += 1 }
            i += 2
        }
        store(ctx, key, h, isNew: isNew)
        ctx.dirty += (ctx.args.count - 2) / 2
        ctx.notify(.hash, "hset", key)
        if reply == .ok { ctx.out.ok() } else { ctx.out.integer(added) }
    }

    static func hsetnx(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let (h, isNew) = hashForWrite(ctx, key) else { return }
        if h.contains(ctx.args[2]) {
            ctx.out.integer(0)
            return
        }
        _ = set(ctx, h, ctx.args[2], ctx.args[3])
        store(ctx, key, h, isNew: isNew)
        ctx.dirty += 1
        ctx.notify(.hash, "hset", key)
        ctx.out.integer(1)
    }

    static func hget(_ ctx: CommandContext) {
        guard let found = readHash(ctx, ctx.args[1]) else { return }
        ctx.out.bulkOrNull(found?.get(ctx.args[2]))
    }

    static func hmget(_ ctx: CommandContext) {
        guard let found = readHash(ctx, ctx.args[1]) else { return }
        ctx.out.arrayHeader(ctx.args.count - 2)
        for field in ctx.args.dropFirst(2) { ctx.out.bulkOrNull(found?.get(field)) }
    }

    static func all(_ ctx: CommandContext, fields: Bool, values: Bool) {
        guard let found = readHash(ctx, ctx.args[1]) else { return }
        guard let h = found else {
            if fields && values { ctx.out.mapHeader(0) } else { ctx.out.arrayHeader(0) }
            return
        }
        if fields && values { ctx.out.mapHeader(h.count) } else { ctx.out.arrayHeader(h.count) }
        h.forEach { f, v in
            if fields { ctx.out.bulk(f) }
            if values { ctx.out.bulk(v) }
        }
    }

    static func hdel(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let found = readHash(ctx, key, write: true) else { return }
        guard let h = found else { ctx.out.integer(0); return }
        ctx.removeMembers(of: key, event: "hdel", .hash, remove: h.remove, isEmpty: { h.count == 0 })
    }

    static func hlen(_ ctx: CommandContext) {
        guard let found = readHash(ctx, ctx.args[1]) else { return }
        ctx.out.integer(found?.count ?? 0)
    }

    static func hstrlen(_ ctx: CommandContext) {
        guard let found = readHash(ctx, ctx.args[1]) else { return }
        ctx.out.integer(found?.get(ctx.args[2])?.count ?? 0)
    }

    static func hexists(_ ctx: CommandContext) {
        guard let found = readHash(ctx, ctx.args[1]) else { return }
        ctx.out.integer(found?.contains(ctx.args[2]) == true ? 1 : 0)
    }

    static func hincrby(_ ctx: CommandContext) {
        guard let incr = ctx.int64Arg(3) else { return }
        let key = ctx.args[1], field = ctx.args[2]
        guard let (h, isNew) = hashForWrite(ctx, key) else { return }
        var current: Int64 = 0
        if let v = h.get(field) {
            guard let n = v.int64 else { ctx.out.error("ERR hash value is not an integer"); return }
            current = n
        }
        let (result, overflow) = current.addingReportingOverflow(incr)
        if overflow { ctx.out.error(Reply.overflow); return }
        _ = set(ctx, h, field, Bytes(result))
        store(ctx, key, h, isNew: isNew)
        ctx.dirty += 1
        ctx.notify(.hash, "hincrby", key)
        ctx.out.integer(result)
    }

    static func hincrbyfloat(_ ctx: CommandContext) {
        guard let incr = ctx.args[3].longDouble else { ctx.out.error(Reply.notFloat); return }
        if incr.isNaN || incr.isInfinite { ctx.out.error("ERR value is NaN or Infinity"); return }
        let key = ctx.args[1], field = ctx.args[2]
        guard let (h, isNew) = hashForWrite(ctx, key) else { return }
        var current: Float80 = 0
        if let v = h.get(field) {
            guard let n = v.longDouble else { ctx.out.error("ERR hash value is not a float"); return }
            current = n
        }
        let result = current + incr
        guard !result.isNaN && !result.isInfinite, let text = formatLongDoubleHuman(result) else {
            ctx.out.error("ERR increment would produce NaN or Infinity")
            return
        }
        _ = set(ctx, h, field, text)
        store(ctx, key, h, isNew: isNew)
        ctx.dirty += 1
        ctx.notify(.hash, "hincrbyfloat", key)
        ctx.propagate(["HSET", key, field, text])
        ctx.out.bulk(text)
    }

    static func hrandfield(_ ctx: CommandContext) {
        guard let parsed = RandomCountArguments.parse(ctx, valuesWord: "withvalues") else { return }
        guard let count = parsed.count else {
            guard let found = readHash(ctx, ctx.args[1]) else { return }
            guard let h = found, h.count > 0 else { ctx.out.null(); return }
            ctx.out.bulk(h.pair(at: Int.random(in: 0..<h.count)).0)
            return
        }
        let withValues = parsed.withValues
        guard let found = readHash(ctx, ctx.args[1]) else { return }
        guard let h = found, h.count > 0, count != 0 else {
            ctx.out.arrayHeader(0)
            return
        }
        let pairs = h.pairs
        guard let chosen = randomSelection(ctx, count: count, size: pairs.count, element: { pairs[$0] }, all: { pairs }) else { return }
        writePairs(ctx, chosen, withValues: withValues)
    }

    /// Fields, or field-value pairs (RESP3: an array of two-element arrays, as Redis 7 sends).
    static func writePairs(_ ctx: CommandContext, _ pairs: [(Bytes, Bytes)], withValues: Bool) {
        if withValues && ctx.out.isRESP3 {
            ctx.out.arrayHeader(pairs.count)
            for (f, v) in pairs {
                ctx.out.arrayHeader(2)
                ctx.out.bulk(f)
                ctx.out.bulk(v)
            }
        } else {
            ctx.out.arrayHeader(withValues ? pairs.count * 2 : pairs.count)
            for (f, v) in pairs {
                ctx.out.bulk(f)
                if withValues { ctx.out.bulk(v) }
            }
        }
    }

    static func hscan(_ ctx: CommandContext) {
        guard let (options, h) = ScanArguments.parse(ctx, collection: { readHash(ctx, ctx.args[1]) }) else { return }
        var pairs: [(Bytes, Bytes)] = []
        var next: UInt64 = 0
        switch h.storage {
        case .packed:
            // A packed hash is small: all of it in one call, as Redis does for listpacks.
            pairs = h.pairs
        case .table(let t):
            let (entries, cursor) = options.walk(t)
            pairs = entries.map { ($0.key, $0.value) }
            next = cursor
        }
        ScanArguments.reply(ctx, cursor: next, items: pairs.filter { options.matches($0.0) }.flatMap { [$0.0, $0.1] })
    }
}
