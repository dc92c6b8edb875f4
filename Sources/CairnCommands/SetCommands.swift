import CairnCore
import CairnStore

/// SADD, SMEMBERS, SINTER and the rest of Redis's set family (t_set.c).
enum SetCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("sadd", arity: -3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .insert])], acl: [.set], group: "set",
                    summary: "Add one or more members to a set", handler: sadd),
        CommandSpec("srem", arity: -3, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .delete])], acl: [.set], group: "set",
                    summary: "Remove one or more members from a set", handler: srem),
        CommandSpec("smembers", arity: 2, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.set], group: "set",
                    summary: "Get all the members in a set", handler: smembers),
        CommandSpec("sismember", arity: 3, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro])], acl: [.set], group: "set",
                    summary: "Determine if a given value is a member of a set", handler: sismember),
        CommandSpec("smismember", arity: -3, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.set], group: "set", since: "6.2.0",
                    summary: "Returns the membership associated with the given elements for a set", handler: smismember),
        CommandSpec("scard", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro])], acl: [.set], group: "set",
                    summary: "Get the number of members in a set", handler: scard),
        CommandSpec("spop", arity: -2, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .access, .delete])], acl: [.set], group: "set",
                    summary: "Remove and return one or multiple random members from a set", handler: spop),
        CommandSpec("srandmember", arity: -2, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.set], group: "set",
                    summary: "Get one or multiple random members from a set", handler: srandmember),
        CommandSpec("smove", arity: 4, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .access, .delete]), .at(2, [.rw, .insert])], acl: [.set], group: "set",
                    summary: "Move a member from one set to another", handler: smove),
        CommandSpec("sinter", arity: -2, flags: [.readonly],
                    keys: [.all(from: 1, [.ro, .access])], acl: [.set], group: "set",
                    summary: "Intersect multiple sets", handler: { combine($0, .inter, store: false) }),
        CommandSpec("sinterstore", arity: -3, flags: [.write, .denyoom],
                    keys: [.at(1, [.rw, .update]), .all(from: 2, [.ro, .access])], acl: [.set], group: "set",
                    summary: "Intersect multiple sets and store the resulting set in a key", handler: { combine($0, .inter, store: true) }),
        CommandSpec("sunion", arity: -2, flags: [.readonly],
                    keys: [.all(from: 1, [.ro, .access])], acl: [.set], group: "set",
                    summary: "Add multiple sets", handler: { combine($0, .union, store: false) }),
        CommandSpec("sunionstore", arity: -3, flags: [.write, .denyoom],
                    keys: [.at(1, [.ow, .update]), .all(from: 2, [.ro, .access])], acl: [.set], group: "set",
                    summary: "Add multiple sets and store the resulting set in a key", handler: { combine($0, .union, store: true) }),
        CommandSpec("sdiff", arity: -2, flags: [.readonly],
                    keys: [.all(from: 1, [.ro, .access])], acl: [.set], group: "set",
                    summary: "Subtract multiple sets", handler: { combine($0, .diff, store: false) }),
        CommandSpec("sdiffstore", arity: -3, flags: [.write, .denyoom],
                    keys: [.at(1, [.ow, .update]), .all(from: 2, [.ro, .access])], acl: [.set], group: "set",
                    summary: "Subtract multiple sets and store the resulting set in a key", handler: { combine($0, .diff, store: true) }),
        CommandSpec("sintercard", arity: -3, flags: [.readonly],
                    keys: [KeySpec([.ro, .access], .index(1), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 1, first: 2), acl: [.set], group: "set", since: "7.0.0",
                    summary: "Intersect multiple sets and return the cardinality of the result", handler: sintercard),
        CommandSpec("sscan", arity: -3, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.set], group: "set", since: "2.8.0",
                    summary: "Incrementally iterate Set elements", handler: sscan),
    ]

    /// The set at `key`: `.some(nil)` when absent; nil (after WRONGTYPE) when not a set.
    static func readSet(_ ctx: CommandContext, _ key: Bytes, write: Bool = false) -> SetValue?? {
        ctx.readValue(key, write: write) { $0.setValue }
    }

    /// The set at `key` for changing, with its entry's position (valid until a key is added
    /// or removed): `.some(nil)` when absent; nil (after WRONGTYPE) when not a set.
    static func writableSet(_ ctx: CommandContext, _ key: Bytes) -> (set: SetValue, position: Int)?? {
        guard let p = ctx.lookupWrite(key) else { return .some(nil) }
        guard let s = ctx.withDB({ $0.main.entries[p].value.setValue }) else {
            ctx.wrongType()
            return nil
        }
        return .some((s, p))
    }

    /// Puts `s`, changed from `found` (nil: the key was absent), where it belongs: a new
    /// key, the same entry when its intset was replaced (at `position`, or found again by
    /// key when not given), nothing when the key is gone or the set is still the stored
    /// object.
    static func store(_ ctx: CommandContext, _ key: Bytes, _ s: SetValue, changedFrom found: SetValue?, at position: Int? = nil) {
        guard s.count > 0 else { return }
        guard let found else {
            ctx.db.add(key, .set(s), clock: ctx.lruClock)
            return
        }
        if !s.isStored(as: found) { ctx.db.storeRebuilt(at: position ?? ctx.db.position(key)!, .set(s)) }
    }

    static func sadd(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let found = writableSet(ctx, key) else { return }
        var s = found?.set ?? SetValue()
        var added = 0
        let maxIntSetEntries = ctx.settings.setMaxIntSetEntries
        // By index: a slice of the arguments would retain and release them.
        for i in 2..<ctx.args.count where s.add(ctx.args[i], maxIntSetEntries: maxIntSetEntries) { added += 1 }
        store(ctx, key, s, changedFrom: found?.set, at: found?.position)
        ctx.dirty += added
        if added > 0 { ctx.notify(.set, "sadd", key) }
        ctx.out.integer(added)
    }

    static func srem(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let found = writableSet(ctx, key) else { return }
        guard var s = found?.set else { ctx.out.integer(0); return }
        ctx.removeMembers(of: key, event: "srem", .set, remove: { s.remove($0) }, isEmpty: { s.count == 0 })
        store(ctx, key, s, changedFrom: found?.set, at: found?.position)
    }

    static func writeMembers(_ ctx: CommandContext, _ members: [Bytes]) {
        ctx.out.setHeader(members.count)
        for m in members { ctx.out.bulk(m) }
    }

    static func smembers(_ ctx: CommandContext) {
        guard let found = readSet(ctx, ctx.args[1]) else { return }
        writeMembers(ctx, found?.members ?? [])
    }

    static func sismember(_ ctx: CommandContext) {
        guard let found = readSet(ctx, ctx.args[1]) else { return }
        ctx.out.integer(found?.contains(ctx.args[2]) == true ? 1 : 0)
    }

    static func smismember(_ ctx: CommandContext) {
        guard let found = readSet(ctx, ctx.args[1]) else { return }
        ctx.out.arrayHeader(ctx.args.count - 2)
        for m in ctx.args.dropFirst(2) { ctx.out.integer(found?.contains(m) == true ? 1 : 0) }
    }

    static func scard(_ ctx: CommandContext) {
        guard let found = readSet(ctx, ctx.args[1]) else { return }
        ctx.out.integer(found?.count ?? 0)
    }

    static func spop(_ ctx: CommandContext) {
        let key = ctx.args[1]
        if ctx.args.count > 3 { ctx.syntaxError(); return }
        var count: Int64?
        if ctx.args.count == 3 {
            guard let c = ctx.positiveCountArg(2) else { return }
            count = c
        }
        guard let found = writableSet(ctx, key) else { return }
        guard var s = found?.set else {
            if count == nil { ctx.out.null() } else { ctx.out.setHeader(0) }
            return
        }
        let n = Int(min(count ?? 1, Int64(s.count)))
        var popped: [Bytes] = []
        var members = s.members
        if count != nil && n == members.count {
            popped = members  // the whole set, in its own order, as Redis returns it
            members = []
        }
        for _ in 0..<(popped.isEmpty ? n : 0) {
            let i = Int.random(in: 0..<members.count)
            popped.append(members[i])
            members.swapAt(i, members.count - 1)
            members.removeLast()
        }
        for m in popped { s.remove(m) }
        if n > 0 || count == nil { ctx.notify(.set, "spop", key) }
        if s.count == 0 {
            ctx.db.delete(key)
            ctx.notify(.generic, "del", key)
        } else {
            store(ctx, key, s, changedFrom: found?.set, at: found?.position)
        }
        if n > 0 {
            ctx.dirty += n
            // Replayed as the removal of what was chosen, not as another random choice.
            ctx.propagate(["SREM", key] + popped)
        }
        if count == nil {
            ctx.out.bulkOrNull(popped.first)
        } else {
            writeMembers(ctx, popped)
        }
    }

    static func srandmember(_ ctx: CommandContext) {
        if ctx.args.count > 3 { ctx.syntaxError(); return }
        if ctx.args.count == 2 {
            guard let found = readSet(ctx, ctx.args[1]) else { return }
            guard let s = found, s.count > 0 else { ctx.out.null(); return }
            ctx.out.bulk(s.member(at: Int.random(in: 0..<s.count)))
            return
        }
        guard let count = ctx.randomCountArg(2) else { return }
        guard let found = readSet(ctx, ctx.args[1]) else { return }
        guard let s = found, s.count > 0, count != 0 else { ctx.out.arrayHeader(0); return }
        guard let chosen = randomSelection(ctx, count: count, size: s.count, element: { s.member(at: $0) }, all: { s.members }) else { return }
        // An array, not a set, even in RESP3 (as Redis 7.0 replies).
        ctx.out.arrayHeader(chosen.count)
        for m in chosen { ctx.out.bulk(m) }
    }

    static func smove(_ ctx: CommandContext) {
        let srcKey = ctx.args[1], dstKey = ctx.args[2], member = ctx.args[3]
        guard let srcFound = readSet(ctx, srcKey, write: true) else { return }
        guard let src0 = srcFound else { ctx.out.integer(0); return }
        var src = src0
        // The destination is looked at without the write lookup's WATCH touch: as in Redis,
        // it counts as modified only when the member is added to it.
        let dstValue = ctx.peek(dstKey, missEvent: false)
        if let v = dstValue, v.setValue == nil { ctx.wrongType(); return }
        let dstFound = dstValue?.setValue
        if srcKey == dstKey {
            ctx.out.integer(src.contains(member) ? 1 : 0)
            return
        }
        guard src.remove(member) else { ctx.out.integer(0); return }
        // The entries are found again by key if rebuilt: expiring the destination, or
        // deleting the source, may have moved them.
        ctx.notify(.set, "srem", srcKey)
        if src.count == 0 {
            ctx.db.delete(srcKey)
            ctx.notify(.generic, "del", srcKey)
        } else {
            store(ctx, srcKey, src, changedFrom: src0)
        }
        ctx.dirty += 1
        var dst = dstFound ?? SetValue()
        if dst.add(member, maxIntSetEntries: ctx.settings.setMaxIntSetEntries) {
            ctx.dirty += 1
            if dstFound != nil { ctx.db.touches.touch(ctx.db.index, dstKey) }
            store(ctx, dstKey, dst, changedFrom: dstFound)
            ctx.notify(.set, "sadd", dstKey)
        }
        ctx.out.integer(1)
    }

    enum Operation { case inter, union, diff }

    /// The sets at `keys`, type-checked all first as Redis 7 does; nil after WRONGTYPE.
    static func sets(_ ctx: CommandContext, _ keys: ArraySlice<Bytes>) -> [SetValue?]? {
        var out: [SetValue?] = []
        for k in keys {
            guard let found = readSet(ctx, k) else { return nil }
            out.append(found)
        }
        return out
    }

    static func compute(_ op: Operation, _ sets: [SetValue?]) -> [Bytes] {
        switch op {
        case .inter:
            if sets.contains(where: { $0 == nil }) { return [] }
            let all = sets.map { $0! }.sorted { $0.count < $1.count }
            guard let smallest = all.first else { return [] }
            return smallest.members.filter { m in all.dropFirst().allSatisfy { $0.contains(m) } }
        case .union:
            var seen = Set<Bytes>()
            var out: [Bytes] = []
            for s in sets.compactMap({ $0 }) {
                for m in s.members where seen.insert(m).inserted { out.append(m) }
            }
            return out
        case .diff:
            guard let first = sets.first, let base = first else { return [] }
            let others = sets.dropFirst().compactMap { $0 }
            return base.members.filter { m in !others.contains { $0.contains(m) } }
        }
    }

    static func combine(_ ctx: CommandContext, _ op: Operation, store: Bool) {
        let keys = store ? ctx.args[2...] : ctx.args[1...]
        guard let sets = sets(ctx, keys) else { return }
        let result = SetValue.from(compute(op, sets), maxIntSetEntries: ctx.settings.setMaxIntSetEntries)
        if store {
            let dst = ctx.args[1]
            ctx.out.integer(result.count)
            let event: StaticString = op == .inter ? "sinterstore" : op == .union ? "sunionstore" : "sdiffstore"
            if ctx.storeResult(dst, result.count > 0 ? .set(result) : nil, event: event, .set) { ctx.dirty += 1 }
        } else {
            // The reply lists the result in its own encoding's order, as Redis does.
            writeMembers(ctx, result.members)
        }
    }

    static func sintercard(_ ctx: CommandContext) {
        guard let numkeys = ctx.args[1].int64, numkeys > 0 else {
            ctx.out.error("ERR numkeys should be greater than 0")
            return
        }
        guard numkeys <= Int64(ctx.args.count - 2) else {
            ctx.out.error("ERR Number of keys can't be greater than number of args")
            return
        }
        let n = Int(numkeys)
        guard let limit = ctx.intercardLimit(from: 2 + n) else { return }
        guard let sets = sets(ctx, ctx.args[2..<(2 + n)]) else { return }
        var count = compute(.inter, sets).count
        if limit > 0 { count = min(count, Int(limit)) }
        ctx.out.integer(count)
    }

    static func sscan(_ ctx: CommandContext) {
        guard let (options, s) = ScanArguments.parse(ctx, collection: { readSet(ctx, ctx.args[1]) }) else { return }
        var members: [Bytes] = []
        var next: UInt64 = 0
        switch s.storage {
        case .ints:
            members = s.members  // small: all in one call, as Redis does for intsets
        case .table(let t):
            let (entries, cursor) = options.walk(t)
            members = entries.map(\.key)
            next = cursor
        }
        ScanArguments.reply(ctx, cursor: next, items: members.filter { options.matches($0) })
    }
}
