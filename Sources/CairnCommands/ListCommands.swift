import CairnCore
import CairnStore

/// LPUSH, LRANGE and the rest of Redis's list family (t_list.c). The blocking commands
/// serve at once when they can, else leave a `BlockRequest` for the engine, which serves
/// the client later (`BlockedClients` in CairnServer).
enum ListCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("lpush", arity: -3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .insert])], acl: [.list], group: "list",
                    summary: "Prepend one or multiple elements to a list", handler: { push($0, head: true, onlyExisting: false) }),
        CommandSpec("rpush", arity: -3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .insert])], acl: [.list], group: "list",
                    summary: "Append one or multiple elements to a list", handler: { push($0, head: false, onlyExisting: false) }),
        CommandSpec("lpushx", arity: -3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .insert])], acl: [.list], group: "list", since: "2.2.0",
                    summary: "Prepend an element to a list, only if the list exists", handler: { push($0, head: true, onlyExisting: true) }),
        CommandSpec("rpushx", arity: -3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .insert])], acl: [.list], group: "list", since: "2.2.0",
                    summary: "Append an element to a list, only if the list exists", handler: { push($0, head: false, onlyExisting: true) }),
        CommandSpec("lpop", arity: -2, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .access, .delete])], acl: [.list], group: "list",
                    summary: "Remove and get the first elements in a list", handler: { pop($0, head: true) }),
        CommandSpec("rpop", arity: -2, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .access, .delete])], acl: [.list], group: "list",
                    summary: "Remove and get the last elements in a list", handler: { pop($0, head: false) }),
        CommandSpec("llen", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro])], acl: [.list], group: "list",
                    summary: "Get the length of a list", handler: llen),
        CommandSpec("lrange", arity: 4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.list], group: "list",
                    summary: "Get a range of elements from a list", handler: lrange),
        CommandSpec("lindex", arity: 3, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.list], group: "list",
                    summary: "Get an element from a list by its index", handler: lindex),
        CommandSpec("lset", arity: 4, flags: [.write, .denyoom],
                    keys: [.at(1, [.rw, .update])], acl: [.list], group: "list",
                    summary: "Set the value of an element in a list by its index", handler: lset),
        CommandSpec("linsert", arity: 5, flags: [.write, .denyoom],
                    keys: [.at(1, [.rw, .insert])], acl: [.list], group: "list", since: "2.2.0",
                    summary: "Insert an element before or after another element in a list", handler: linsert),
        CommandSpec("lrem", arity: 4, flags: [.write],
                    keys: [.at(1, [.rw, .delete])], acl: [.list], group: "list",
                    summary: "Remove elements from a list", handler: lrem),
        CommandSpec("ltrim", arity: 4, flags: [.write],
                    keys: [.at(1, [.rw, .delete])], acl: [.list], group: "list",
                    summary: "Trim a list to the specified range", handler: ltrim),
        CommandSpec("lpos", arity: -3, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.list], group: "list", since: "6.0.6",
                    summary: "Return the index of matching elements on a list", handler: lpos),
        CommandSpec("lmove", arity: 5, flags: [.write, .denyoom],
                    keys: [.at(1, [.rw, .access, .delete]), .at(2, [.rw, .insert])], acl: [.list], group: "list", since: "6.2.0",
                    summary: "Pop an element from a list, push it to another list and return it", handler: lmove),
        CommandSpec("rpoplpush", arity: 3, flags: [.write, .denyoom],
                    keys: [.at(1, [.rw, .access, .delete]), .at(2, [.rw, .insert])], acl: [.list], group: "list", since: "1.2.0",
                    summary: "Remove the last element in a list, prepend it to another list and return it", handler: rpoplpush),
        CommandSpec("lmpop", arity: -4, flags: [.write],
                    keys: [KeySpec([.rw, .access, .delete], .index(1), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 1, first: 2), acl: [.list], group: "list", since: "7.0.0",
                    summary: "Pop elements from a list", handler: { lmpop($0, offset: 1, deadline: nil) }),
        CommandSpec("blpop", arity: -3, flags: [.write, .noscript, .blocking],
                    keys: [KeySpec([.rw, .access, .delete], .index(1), .range(last: -2, step: 1, limit: 0))], acl: [.list], group: "list", since: "2.0.0",
                    summary: "Remove and get the first element in a list, or block until one is available",
                    handler: { bpop($0, left: true) }),
        CommandSpec("brpop", arity: -3, flags: [.write, .noscript, .blocking],
                    keys: [KeySpec([.rw, .access, .delete], .index(1), .range(last: -2, step: 1, limit: 0))], acl: [.list], group: "list", since: "2.0.0",
                    summary: "Remove and get the last element in a list, or block until one is available",
                    handler: { bpop($0, left: false) }),
        CommandSpec("blmove", arity: 6, flags: [.write, .denyoom, .noscript, .blocking],
                    keys: [.at(1, [.rw, .access, .delete]), .at(2, [.rw, .insert])], acl: [.list], group: "list", since: "6.2.0",
                    summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
                    handler: blmove),
        CommandSpec("brpoplpush", arity: 4, flags: [.write, .denyoom, .noscript, .blocking],
                    keys: [.at(1, [.rw, .access, .delete]), .at(2, [.rw, .insert])], acl: [.list], group: "list", since: "2.2.0",
                    summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
                    handler: brpoplpush),
        CommandSpec("blmpop", arity: -5, flags: [.write, .blocking],
                    keys: [KeySpec([.rw, .access, .delete], .index(2), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 2, first: 3), acl: [.list], group: "list", since: "7.0.0",
                    summary: "Pop elements from a list, or block until one is available", handler: blmpop),
    ]

    /// The list at `key`: `.some(nil)` when absent; nil (after WRONGTYPE) when not a list.
    static func readList(_ ctx: CommandContext, _ key: Bytes, write: Bool = false) -> ListValue?? {
        ctx.readValue(key, write: write) { $0.listValue }
    }

    static func push(_ ctx: CommandContext, head: Bool, onlyExisting: Bool) {
        let key = ctx.args[1]
        guard let found = readList(ctx, key, write: true) else { return }
        if found == nil && onlyExisting { ctx.out.integer(0); return }
        let list = found ?? ListValue(fill: ctx.settings.listMaxListpackSize, compressDepth: ctx.settings.listCompressDepth)
        // By index: a slice of the arguments would retain and release them.
        for i in 2..<ctx.args.count {
            if head { list.pushHead(ctx.args[i]) } else { list.pushTail(ctx.args[i]) }
        }
        if found == nil { ctx.db.add(key, .list(list), clock: ctx.lruClock) }
        ctx.dirty += ctx.args.count - 2
        ctx.notify(.list, head ? "lpush" : "rpush", key)
        ctx.signalListReady(key)
        ctx.out.integer(list.count)
    }

    static func deleteIfEmpty(_ ctx: CommandContext, _ key: Bytes, _ list: ListValue) {
        ctx.deleteIfEmpty(key, list.count == 0)
    }

    static func popped(_ ctx: CommandContext, _ key: Bytes, _ list: ListValue, head: Bool) {
        ctx.removed(from: key, event: head ? "lpop" : "rpop", .list, leftEmpty: list.count == 0)
    }

    static func pop(_ ctx: CommandContext, head: Bool) {
        if ctx.args.count > 3 { ctx.out.error(Reply.wrongArity(ctx.commandName)); return }
        var count: Int64?
        if ctx.args.count == 3 {
            guard let c = ctx.positiveCountArg(2) else { return }
            count = c
        }
        let key = ctx.args[1]
        guard let found = readList(ctx, key, write: true) else { return }
        guard let list = found else {
            if count == nil { ctx.out.null() } else { ctx.out.nullArray() }
            return
        }
        guard let count else {
            ctx.out.bulkOrNull(head ? list.popHead() : list.popTail())
            popped(ctx, key, list, head: head)
            ctx.dirty += 1
            return
        }
        let n = Int(min(count, Int64(list.count)))
        ctx.out.arrayHeader(n)
        for _ in 0..<n { ctx.out.bulkOrNull(head ? list.popHead() : list.popTail()) }
        if n > 0 { popped(ctx, key, list, head: head) }
        ctx.dirty += n
    }

    static func llen(_ ctx: CommandContext) {
        guard let found = readList(ctx, ctx.args[1]) else { return }
        ctx.out.integer(found?.count ?? 0)
    }

    static func lrange(_ ctx: CommandContext) {
        guard var start = ctx.int64Arg(2), var end = ctx.int64Arg(3) else { return }
        guard let found = readList(ctx, ctx.args[1]) else { return }
        guard let list = found else { ctx.out.arrayHeader(0); return }
        let n = Int64(list.count)
        if start < 0 { start = n + start }
        if end < 0 { end = n + end }
        if start < 0 { start = 0 }
        if start > end || start >= n { ctx.out.arrayHeader(0); return }
        if end >= n { end = n - 1 }
        ctx.out.arrayHeader(Int(end - start + 1))
        list.forEachRaw(from: Int(start), through: Int(end)) { _, e in
            ctx.out.bulk(raw: e)
            return true
        }
    }

    static func lindex(_ ctx: CommandContext) {
        // The key first, then the index, as Redis checks them.
        guard let found = readList(ctx, ctx.args[1]) else { return }
        guard let list = found else { ctx.out.null(); return }
        guard var index = ctx.int64Arg(2) else { return }
        if index < 0 { index += Int64(list.count) }
        ctx.out.bulkOrNull(index >= 0 && index < Int64(list.count) ? list.element(at: Int(index)) : nil)
    }

    static func lset(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let found = readList(ctx, key, write: true) else { return }
        guard let list = found else { ctx.out.error(Reply.noSuchKey); return }
        guard var index = ctx.int64Arg(2) else { return }
        if index < 0 { index += Int64(list.count) }
        guard index >= 0 && index < Int64(list.count) else { ctx.out.error("ERR index out of range"); return }
        var elements = list.elements
        elements[Int(index)] = ctx.args[3]
        list.replaceAll(elements)
        ctx.dirty += 1
        ctx.notify(.list, "lset", key)
        ctx.out.ok()
    }

    static func linsert(_ ctx: CommandContext) {
        let after: Bool
        if ctx.isOption(2, "after") { after = true } else if ctx.isOption(2, "before") { after = false } else {
            ctx.syntaxError()
            return
        }
        let key = ctx.args[1]
        guard let found = readList(ctx, key, write: true) else { return }
        guard let list = found else { ctx.out.integer(0); return }
        var elements = list.elements
        guard let i = elements.firstIndex(of: ctx.args[3]) else { ctx.out.integer(-1); return }
        elements.insert(ctx.args[4], at: after ? i + 1 : i)
        list.replaceAll(elements)
        ctx.dirty += 1
        ctx.notify(.list, "linsert", key)
        ctx.out.integer(list.count)
    }

    static func lrem(_ ctx: CommandContext) {
        guard let count = ctx.int64Arg(2) else { return }
        let key = ctx.args[1], target = ctx.args[3]
        guard let found = readList(ctx, key, write: true) else { return }
        guard let list = found else { ctx.out.integer(0); return }
        var elements = list.elements
        var removed = 0
        let limit = count == 0 ? Int.max : Int(min(count.magnitude, UInt64(Int.max)))
        if count >= 0 {
            var kept: [Bytes] = []
            kept.reserveCapacity(elements.count)
            for e in elements {
                if removed < limit && e == target { removed += 1 } else { kept.append(e) }
            }
            elements = kept
        } else {
            var kept: [Bytes] = []
            for e in elements.reversed() {
                if removed < limit && e == target { removed += 1 } else { kept.append(e) }
            }
            elements = kept.reversed()
        }
        if removed > 0 {
            list.replaceAll(elements)
            ctx.notify(.list, "lrem", key)
            deleteIfEmpty(ctx, key, list)
            ctx.dirty += removed
        }
        ctx.out.integer(removed)
    }

    static func ltrim(_ ctx: CommandContext) {
        guard var start = ctx.int64Arg(2), var end = ctx.int64Arg(3) else { return }
        let key = ctx.args[1]
        guard let found = readList(ctx, key, write: true) else { return }
        guard let list = found else { ctx.out.ok(); return }
        let n = Int64(list.count)
        if start < 0 { start = n + start }
        if end < 0 { end = n + end }
        if start < 0 { start = 0 }
        var elements: [Bytes] = []
        if !(start > end || start >= n) {
            if end >= n { end = n - 1 }
            elements = Array(list.elements[Int(start)...Int(end)])
        }
        if elements.count != list.count { list.replaceAll(elements) }
        ctx.notify(.list, "ltrim", key)
        deleteIfEmpty(ctx, key, list)
        ctx.dirty += 1
        ctx.out.ok()
    }

    static func lpos(_ ctx: CommandContext) {
        var rank: Int64 = 1
        var count: Int64?
        var maxlen: Int64 = 0
        var j = 3
        while j < ctx.args.count {
            guard j + 1 < ctx.args.count else { ctx.syntaxError(); return }
            if ctx.isOption(j, "rank") {
                guard let r = ctx.int64Arg(j + 1) else { return }
                if r == 0 {
                    ctx.out.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
                    return
                }
                rank = r
            } else if ctx.isOption(j, "count") {
                // Not an integer answers as a negative one does (Redis's getPositiveLongFromObjectOrReply).
                guard let c = ctx.args[j + 1].int64, c >= 0 else { ctx.out.error("ERR COUNT can't be negative"); return }
                count = c
            } else if ctx.isOption(j, "maxlen") {
                guard let m = ctx.args[j + 1].int64, m >= 0 else { ctx.out.error("ERR MAXLEN can't be negative"); return }
                maxlen = m
            } else {
                ctx.syntaxError()
                return
            }
            j += 2
        }
        guard let found = readList(ctx, ctx.args[1]) else { return }
        guard let list = found else {
            if count != nil { ctx.out.arrayHeader(0) } else { ctx.out.null() }
            return
        }
        let target = ctx.args[2]
        let elements = list.elements
        let fromTail = rank < 0
        // Skip |rank| - 1 matches (RANK LLONG_MIN, whose magnitude does not fit, skips none, as in Redis).
        var skip = rank == Int64.min ? 0 : Int(min(rank.magnitude - 1, UInt64(Int.max)))
        let wanted = count.map { $0 == 0 ? Int.max : Int(min($0, Int64(Int.max))) } ?? 1
        var matches: [Int] = []
        var examined: Int64 = 0
        let indices: AnySequence<Int> = fromTail ? AnySequence(elements.indices.reversed()) : AnySequence(elements.indices)
        for i in indices {
            if maxlen != 0 && examined >= maxlen { break }
            examined += 1
            if elements[i] == target {
                if skip > 0 { skip -= 1; continue }
                matches.append(i)
                if matches.count >= wanted { break }
            }
        }
        if count != nil {
            ctx.out.arrayHeader(matches.count)
            for m in matches { ctx.out.integer(m) }
        } else if let first = matches.first {
            ctx.out.integer(first)
        } else {
            ctx.out.null()
        }
    }

    static func side(_ ctx: CommandContext, _ i: Int) -> Bool? {
        if ctx.isOption(i, "left") { return true }
        if ctx.isOption(i, "right") { return false }
        ctx.syntaxError()
        return nil
    }

    static func move(_ ctx: CommandContext, fromHead: Bool, toHead: Bool) {
        let srcKey = ctx.args[1], dstKey = ctx.args[2]
        guard let srcFound = readList(ctx, srcKey, write: true) else { return }
        guard let src = srcFound, src.count > 0 else { ctx.out.null(); return }
        guard let dstFound = readList(ctx, dstKey, write: true) else { return }
        guard let element = fromHead ? src.popHead() : src.popTail() else { ctx.out.null(); return }
        let dst: ListValue
        if srcKey == dstKey {
            dst = src
        } else {
            dst = dstFound ?? ListValue(fill: ctx.settings.listMaxListpackSize, compressDepth: ctx.settings.listCompressDepth)
            if dstFound == nil { ctx.db.add(dstKey, .list(dst), clock: ctx.lruClock) }
        }
        if toHead { dst.pushHead(element) } else { dst.pushTail(element) }
        // As Redis: the push's event before the pop's.
        ctx.notify(.list, toHead ? "lpush" : "rpush", dstKey)
        popped(ctx, srcKey, src, head: fromHead)
        ctx.dirty += 1
        ctx.signalListReady(dstKey)
        ctx.out.bulk(element)
    }

    static func lmove(_ ctx: CommandContext) {
        guard let from = side(ctx, 3), let to = side(ctx, 4) else { return }
        move(ctx, fromHead: from, toHead: to)
    }

    static func rpoplpush(_ ctx: CommandContext) {
        move(ctx, fromHead: false, toHead: true)
    }

    /// LMPOP (numkeys at `offset` 1) and BLMPOP (timeout first, numkeys at 2).
    static func lmpop(_ ctx: CommandContext, offset: Int, deadline: Int64??) {
        guard let parsed = MultiPopArguments.parse(ctx, offset: offset, sides: ("left", "right")) else { return }
        let head = parsed.first, count = parsed.count, keys = parsed.keys
        for key in keys {
            guard let found = readList(ctx, key, write: true) else { return }
            guard let list = found, list.count > 0 else { continue }
            let k = Int(min(count, Int64(list.count)))
            ctx.out.arrayHeader(2)
            ctx.out.bulk(key)
            ctx.out.arrayHeader(k)
            for _ in 0..<k { ctx.out.bulkOrNull(head ? list.popHead() : list.popTail()) }
            popped(ctx, key, list, head: head)
            ctx.dirty += k
            ctx.propagate([head ? "LPOP" : "RPOP", key, Bytes(Int64(k))])
            return
        }
        if let deadline {
            ctx.blockRequest = BlockRequest(awaiting: .list,
                                            database: ctx.session.databaseIndex, keys: keys, deadlineMs: deadline)
            return
        }
        ctx.out.nullArray()
    }

    static func blmpop(_ ctx: CommandContext) {
        guard let deadline = ctx.timeoutArg(1) else { return }
        lmpop(ctx, offset: 2, deadline: .some(deadline))
    }

    static func bpop(_ ctx: CommandContext, left: Bool) {
        guard let deadline = ctx.timeoutArg(ctx.args.count - 1) else { return }
        let keys = Array(ctx.args[1..<(ctx.args.count - 1)])
        for key in keys {
            guard let found = readList(ctx, key, write: true) else { return }
            guard let list = found, list.count > 0 else { continue }
            let element = (left ? list.popHead() : list.popTail())!
            popped(ctx, key, list, head: left)
            ctx.dirty += 1
            ctx.propagate([left ? "LPOP" : "RPOP", key])
            ctx.out.arrayHeader(2)
            ctx.out.bulk(key)
            ctx.out.bulk(element)
            return
        }
        ctx.blockRequest = BlockRequest(awaiting: .list, database: ctx.session.databaseIndex,
                                        keys: keys, deadlineMs: deadline)
    }

    /// BLMOVE and BRPOPLPUSH: the move at once when the source has elements.
    static func blockingMove(_ ctx: CommandContext, fromLeft: Bool, toLeft: Bool, timeoutIndex: Int) {
        guard let deadline = ctx.timeoutArg(timeoutIndex) else { return }
        let src = ctx.args[1], dst = ctx.args[2]
        guard let found = readList(ctx, src, write: true) else { return }
        if let list = found, list.count > 0 {
            let written = ctx.out.buffer.writerIndex
            move(ctx, fromHead: fromLeft, toHead: toLeft)
            if ctx.out.buffer.getInteger(at: written, as: UInt8.self) == UInt8(ascii: "$") {
                ctx.propagate(["LMOVE", src, dst, fromLeft ? "LEFT" : "RIGHT", toLeft ? "LEFT" : "RIGHT"])
            }
            return
        }
        ctx.blockRequest = BlockRequest(awaiting: .list, answersNullBulk: true,
                                        database: ctx.session.databaseIndex, keys: [src], deadlineMs: deadline)
    }

    static func blmove(_ ctx: CommandContext) {
        guard let from = side(ctx, 3), let to = side(ctx, 4) else { return }
        blockingMove(ctx, fromLeft: from, toLeft: to, timeoutIndex: 5)
    }

    static func brpoplpush(_ ctx: CommandContext) {
        blockingMove(ctx, fromLeft: false, toLeft: true, timeoutIndex: 3)
    }
}
