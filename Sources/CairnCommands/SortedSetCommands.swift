import CairnCore
import CairnStore

/// ZADD, ZRANGE and the rest of Redis's sorted set family (t_zset.c), with the set
/// algebra (ZUNION, ZINTER, ZDIFF and their STORE forms) and the blocking pops.
enum SortedSetCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("zadd", arity: -4, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.sortedset], group: "sorted-set", since: "1.2.0",
                    summary: "Add one or more members to a sorted set, or update its score if it already exists", handler: zadd),
        CommandSpec("zincrby", arity: 4, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .access, .update])], acl: [.sortedset], group: "sorted-set", since: "1.2.0",
                    summary: "Increment the score of a member in a sorted set", handler: zincrby),
        CommandSpec("zrem", arity: -3, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .delete])], acl: [.sortedset], group: "sorted-set", since: "1.2.0",
                    summary: "Remove one or more members from a sorted set", handler: zrem),
        CommandSpec("zcard", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro])], acl: [.sortedset], group: "sorted-set", since: "1.2.0",
                    summary: "Get the number of members in a sorted set", handler: zcard),
        CommandSpec("zscore", arity: 3, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "1.2.0",
                    summary: "Get the score associated with the given member in a sorted set", handler: zscore),
        CommandSpec("zmscore", arity: -3, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "6.2.0",
                    summary: "Get the score associated with the given members in a sorted set", handler: zmscore),
        CommandSpec("zrank", arity: -3, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "2.0.0",
                    summary: "Determine the index of a member in a sorted set", handler: { zrank($0, reverse: false) }),
        CommandSpec("zrevrank", arity: -3, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "2.0.0",
                    summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
                    handler: { zrank($0, reverse: true) }),
        CommandSpec("zcount", arity: 4, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "2.0.0",
                    summary: "Count the members in a sorted set with scores within the given values", handler: { count($0, lex: false) }),
        CommandSpec("zlexcount", arity: 4, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "2.8.9",
                    summary: "Count the number of members in a sorted set between a given lexicographical range",
                    handler: { count($0, lex: true) }),
        CommandSpec("zrange", arity: -4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "1.2.0",
                    summary: "Return a range of members in a sorted set", handler: { range($0, .generic) }),
        CommandSpec("zrangestore", arity: -5, flags: [.write, .denyoom],
                    keys: [.at(1, [.ow, .update]), .at(2, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "6.2.0",
                    summary: "Store a range of members from sorted set into another key", handler: { range($0, .store) }),
        CommandSpec("zrevrange", arity: -4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "1.2.0",
                    summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
                    handler: { range($0, .revRank) }),
        CommandSpec("zrangebyscore", arity: -4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "1.0.5",
                    summary: "Return a range of members in a sorted set, by score", handler: { range($0, .byScore(reverse: false)) }),
        CommandSpec("zrevrangebyscore", arity: -4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "2.2.0",
                    summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
                    handler: { range($0, .byScore(reverse: true)) }),
        CommandSpec("zrangebylex", arity: -4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "2.8.9",
                    summary: "Return a range of members in a sorted set, by lexicographical range", handler: { range($0, .byLex(reverse: false)) }),
        CommandSpec("zrevrangebylex", arity: -4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "2.8.9",
                    summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings",
                    handler: { range($0, .byLex(reverse: true)) }),
        CommandSpec("zremrangebyrank", arity: 4, flags: [.write],
                    keys: [.at(1, [.rw, .delete])], acl: [.sortedset], group: "sorted-set", since: "2.0.0",
                    summary: "Remove all members in a sorted set within the given indexes", handler: { removeRange($0, .rank) }),
        CommandSpec("zremrangebyscore", arity: 4, flags: [.write],
                    keys: [.at(1, [.rw, .delete])], acl: [.sortedset], group: "sorted-set", since: "1.2.0",
                    summary: "Remove all members in a sorted set within the given scores", handler: { removeRange($0, .score) }),
        CommandSpec("zremrangebylex", arity: 4, flags: [.write],
                    keys: [.at(1, [.rw, .delete])], acl: [.sortedset], group: "sorted-set", since: "2.8.9",
                    summary: "Remove all members in a sorted set between the given lexicographical range", handler: { removeRange($0, .lex) }),
        CommandSpec("zpopmin", arity: -2, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .access, .delete])], acl: [.sortedset], group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return members with the lowest scores in a sorted set", handler: { pop($0, max: false) }),
        CommandSpec("zpopmax", arity: -2, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .access, .delete])], acl: [.sortedset], group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return members with the highest scores in a sorted set", handler: { pop($0, max: true) }),
        CommandSpec("zmpop", arity: -4, flags: [.write],
                    keys: [KeySpec([.rw, .access, .delete], .index(1), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 1, first: 2), acl: [.sortedset], group: "sorted-set", since: "7.0.0",
                    summary: "Remove and return members with scores in a sorted set", handler: zmpop),
        CommandSpec("zrandmember", arity: -2, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "6.2.0",
                    summary: "Get one or multiple random elements from a sorted set", handler: zrandmember),
        CommandSpec("zscan", arity: -3, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.sortedset], group: "sorted-set", since: "2.8.0",
                    summary: "Incrementally iterate sorted sets elements and associated scores", handler: zscan),
        CommandSpec("zunion", arity: -3, flags: [.readonly],
                    keys: [KeySpec([.ro, .access], .index(1), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 1, first: 2), acl: [.sortedset], group: "sorted-set", since: "6.2.0",
                    summary: "Add multiple sorted sets", handler: { combine($0, .union, store: false) }),
        CommandSpec("zunionstore", arity: -4, flags: [.write, .denyoom],
                    keys: [.at(1, [.ow, .update]), KeySpec([.ro, .access], .index(2), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 2, first: 3, store: 1), acl: [.sortedset], group: "sorted-set", since: "2.0.0",
                    summary: "Add multiple sorted sets and store the resulting sorted set in a new key", handler: { combine($0, .union, store: true) }),
        CommandSpec("zinter", arity: -3, flags: [.readonly],
                    keys: [KeySpec([.ro, .access], .index(1), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 1, first: 2), acl: [.sortedset], group: "sorted-set", since: "6.2.0",
                    summary: "Intersect multiple sorted sets", handler: { combine($0, .inter, store: false) }),
        CommandSpec("zinterstore", arity: -4, flags: [.write, .denyoom],
                    keys: [.at(1, [.ow, .update]), KeySpec([.ro, .access], .index(2), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 2, first: 3, store: 1), acl: [.sortedset], group: "sorted-set", since: "2.0.0",
                    summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", handler: { combine($0, .inter, store: true) }),
        CommandSpec("zdiff", arity: -3, flags: [.readonly],
                    keys: [KeySpec([.ro, .access], .index(1), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 1, first: 2), acl: [.sortedset], group: "sorted-set", since: "6.2.0",
                    summary: "Subtract multiple sorted sets", handler: { combine($0, .diff, store: false) }),
        CommandSpec("zdiffstore", arity: -4, flags: [.write, .denyoom],
                    keys: [.at(1, [.ow, .update]), KeySpec([.ro, .access], .index(2), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 2, first: 3, store: 1), acl: [.sortedset], group: "sorted-set", since: "6.2.0",
                    summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", handler: { combine($0, .diff, store: true) }),
        CommandSpec("zintercard", arity: -3, flags: [.readonly],
                    keys: [KeySpec([.ro, .access], .index(1), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 1, first: 2), acl: [.sortedset], group: "sorted-set", since: "7.0.0",
                    summary: "Intersect multiple sorted sets and return the cardinality of the result", handler: zintercard),
        CommandSpec("bzpopmin", arity: -3, flags: [.write, .noscript, .fast, .blocking],
                    keys: [KeySpec([.rw, .access, .delete], .index(1), .range(last: -2, step: 1, limit: 0))], acl: [.sortedset], group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
                    handler: { bzpop($0, max: false) }),
        CommandSpec("bzpopmax", arity: -3, flags: [.write, .noscript, .fast, .blocking],
                    keys: [KeySpec([.rw, .access, .delete], .index(1), .range(last: -2, step: 1, limit: 0))], acl: [.sortedset], group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
                    handler: { bzpop($0, max: true) }),
        CommandSpec("bzmpop", arity: -5, flags: [.write, .blocking],
                    keys: [KeySpec([.rw, .access, .delete], .index(2), .keynum(index: 0, first: 1, step: 1))],
                    keyFinder: KeySpec.countedKeys(count: 2, first: 3), acl: [.sortedset], group: "sorted-set", since: "7.0.0",
                    summary: "Remove and return members with scores in a sorted set or block until one is available", handler: bzmpop),
    ]

    // MARK: - Helpers

    static func readZSet(_ ctx: CommandContext, _ key: Bytes, write: Bool = false) -> SortedSetValue?? {
        ctx.readValue(key, write: write) { $0.sortedSetValue }
    }

    static func set(_ ctx: CommandContext, _ z: SortedSetValue, _ member: Bytes, _ score: Double) -> Bool {
        z.set(member, score, maxPackedEntries: ctx.settings.zsetMaxPackedEntries,
              maxPackedValueBytes: ctx.settings.zsetMaxPackedValueBytes)
    }

    /// One end of a score range: value and whether it is excluded.
    struct ScoreBound { var value: Double; var exclusive: Bool }

    /// Redis's zslParseRange item: strtod over the rest, so "(" alone is an exclusive 0.
    static func parseScore(_ b: Bytes) -> ScoreBound? {
        if b.count > 0 && b[0] == UInt8(ascii: "(") {
            guard let v = b.slice(1..<b.count).rangeDouble else { return nil }
            return ScoreBound(value: v, exclusive: true)
        }
        guard let v = b.rangeDouble else { return nil }
        return ScoreBound(value: v, exclusive: false)
    }

    /// One end of a lex range: -, +, [x, (x.
    enum LexBound { case min, max, inclusive(Bytes), exclusive(Bytes) }

    static func parseLex(_ b: Bytes) -> LexBound? {
        guard b.count > 0 else { return nil }
        switch b[0] {
        case UInt8(ascii: "+") where b.count == 1: return .max
        case UInt8(ascii: "-") where b.count == 1: return .min
        case UInt8(ascii: "["): return .inclusive(b.slice(1..<b.count))
        case UInt8(ascii: "("): return .exclusive(b.slice(1..<b.count))
        default: return nil
        }
    }

    /// Whether `member` is at or after the lower bound `lo`.
    static func lexAtOrAfter(_ member: Bytes, _ lo: LexBound) -> Bool {
        switch lo {
        case .min: return true
        case .max: return false
        case .inclusive(let x): return compareBytes(member, x) >= 0
        case .exclusive(let x): return compareBytes(member, x) > 0
        }
    }

    /// Whether `member` is after the upper bound `hi`.
    static func lexAfter(_ member: Bytes, _ hi: LexBound) -> Bool {
        switch hi {
        case .min: return true
        case .max: return false
        case .inclusive(let x): return compareBytes(member, x) > 0
        case .exclusive(let x): return compareBytes(member, x) >= 0
        }
    }

    /// Ascending ranks [first, last) of the score range min..max.
    static func scoreRanks(_ z: SortedSetValue, _ lo: ScoreBound, _ hi: ScoreBound) -> Range<Int> {
        let first = z.firstRank { s, _ in lo.exclusive ? s > lo.value : s >= lo.value }
        let end = z.firstRank { s, _ in hi.exclusive ? s >= hi.value : s > hi.value }
        return first < end ? first..<end : first..<first
    }

    static func lexRanks(_ z: SortedSetValue, _ lo: LexBound, _ hi: LexBound) -> Range<Int> {
        let first = z.firstRank { _, m in lexAtOrAfter(m, lo) }
        let end = z.firstRank { _, m in lexAfter(m, hi) }
        return first < end ? first..<end : first..<first
    }

    /// Elements with scores: RESP2 flat, RESP3 pairs (as Redis 7 replies).
    static func writeElements(_ ctx: CommandContext, _ elements: [(score: Double, member: Bytes)], withScores: Bool) {
        if withScores && ctx.out.isRESP3 {
            ctx.out.arrayHeader(elements.count)
            for e in elements {
                ctx.out.arrayHeader(2)
                ctx.out.bulk(e.member)
                ctx.out.double(e.score)
            }
        } else {
            ctx.out.arrayHeader(withScores ? elements.count * 2 : elements.count)
            for e in elements {
                ctx.out.bulk(e.member)
                if withScores { ctx.out.double(e.score) }
            }
        }
    }

    // MARK: - ZADD, ZINCRBY, ZREM

    static func zadd(_ ctx: CommandContext) { zadd(ctx, incrementing: false) }

    /// ZINCRBY is ZADD with INCR set, as in Redis (zaddGenericCommand): a flag word where the
    /// increment goes is read as a flag and leaves no complete pair, and an increment that
    /// leaves the score as it was changes nothing (not logged, no WATCH touch).
    static func zincrby(_ ctx: CommandContext) { zadd(ctx, incrementing: true) }

    static func zadd(_ ctx: CommandContext, incrementing: Bool) {
        var nx = false, xx = false, gt = false, lt = false, ch = false, incr = incrementing
        var j = 2
        while j < ctx.args.count {
            if ctx.isOption(j, "nx") { nx = true }
            else if ctx.isOption(j, "xx") { xx = true }
            else if ctx.isOption(j, "gt") { gt = true }
            else if ctx.isOption(j, "lt") { lt = true }
            else if ctx.isOption(j, "ch") { ch = true }
            else if ctx.isOption(j, "incr") { incr = true }
            else { break }
            j += 1
        }
        let pairs = ctx.args.count - j
        if pairs % 2 != 0 || pairs == 0 { ctx.syntaxError(); return }
        if nx && xx { ctx.out.error("ERR XX and NX options at the same time are not compatible"); return }
        if (gt && nx) || (lt && nx) || (gt && lt) {
            ctx.out.error("ERR GT, LT, and/or NX options at the same time are not compatible")
            return
        }
        if incr && pairs > 2 { ctx.out.error("ERR INCR option supports a single increment-element pair"); return }
        // Every score is checked before anything changes; kept on the stack (a pair array
        // cost an allocation and a retain of every member per ZADD).
        withUnsafeTemporaryAllocation(of: Double.self, capacity: pairs / 2) { scores in
            for i in 0..<pairs / 2 {
                guard let s = ctx.args[j + 2 * i].double else { ctx.out.error(Reply.notFloat); return }
                scores[i] = s
            }
            zadd(ctx, scores: UnsafeBufferPointer(scores), firstPair: j,
                 options: (nx: nx, xx: xx, gt: gt, lt: lt, ch: ch, incr: incr))
        }
    }

    /// ZADD's work once its arguments are checked: member `i` is argument `firstPair + 2i + 1`.
    private static func zadd(_ ctx: CommandContext, scores: UnsafeBufferPointer<Double>, firstPair j: Int,
                             options: (nx: Bool, xx: Bool, gt: Bool, lt: Bool, ch: Bool, incr: Bool)) {
        let (nx, xx, gt, lt, ch, incr) = options
        let key = ctx.args[1]
        guard let found = readZSet(ctx, key, write: true) else { return }
        if found == nil && xx {
            if incr { ctx.out.null() } else { ctx.out.integer(0) }
            return
        }
        let z = found ?? SortedSetValue()
        var added = 0, updated = 0
        var result: Double?
        let plain = !nx && !xx && !gt && !lt && !incr
        for i in scores.indices {
            let score = scores[i], member = ctx.args[j + 2 * i + 1]
            if plain {
                // The common ZADD: one lookup that sets the score and says what it was.
                let old = z.replaceScore(member, score, maxPackedEntries: ctx.settings.zsetMaxPackedEntries,
                                         maxPackedValueBytes: ctx.settings.zsetMaxPackedValueBytes)
                if let old { if old != score { updated += 1 } } else { added += 1 }
                continue
            }
            if let old = z.score(member) {
                if nx { continue }
                var new = score
                if incr {
                    new = old + score
                    if new.isNaN {
                        ctx.out.error("ERR resulting score is not a number (NaN)")
                        return
                    }
                }
                if (gt && new <= old) || (lt && new >= old) { continue }
                result = new
                if new != old {
                    _ = set(ctx, z, member, new)
                    updated += 1
                }
            } else {
                if xx { continue }
                _ = set(ctx, z, member, score)
                added += 1
                result = score
            }
        }
        if found == nil && z.count > 0 { ctx.db.add(key, .zset(z), clock: ctx.lruClock) }
        ctx.dirty += added + updated
        if added + updated > 0 { ctx.notify(.zset, incr ? "zincr" : "zadd", key) }
        if added > 0 { ctx.signalListReady(key) }
        if incr {
            if let result { ctx.out.double(result) } else { ctx.out.null() }
        } else {
            ctx.out.integer(ch ? added + updated : added)
        }
    }

    static func deleteIfEmpty(_ ctx: CommandContext, _ key: Bytes, _ z: SortedSetValue) {
        ctx.deleteIfEmpty(key, z.count == 0)
    }

    static func popped(_ ctx: CommandContext, _ key: Bytes, _ z: SortedSetValue, max: Bool) {
        ctx.removed(from: key, event: max ? "zpopmax" : "zpopmin", .zset, leftEmpty: z.count == 0)
    }

    static func zrem(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let found = readZSet(ctx, key, write: true) else { return }
        guard let z = found else { ctx.out.integer(0); return }
        ctx.removeMembers(of: key, event: "zrem", .zset, remove: z.remove, isEmpty: { z.count == 0 })
    }

    // MARK: - Reading one member

    static func zcard(_ ctx: CommandContext) {
        guard let found = readZSet(ctx, ctx.args[1]) else { return }
        ctx.out.integer(found?.count ?? 0)
    }

    static func zscore(_ ctx: CommandContext) {
        guard let found = readZSet(ctx, ctx.args[1]) else { return }
        if let s = found?.score(ctx.args[2]) { ctx.out.double(s) } else { ctx.out.null() }
    }

    static func zmscore(_ ctx: CommandContext) {
        guard let found = readZSet(ctx, ctx.args[1]) else { return }
        ctx.out.arrayHeader(ctx.args.count - 2)
        for m in ctx.args.dropFirst(2) {
            if let s = found?.score(m) { ctx.out.double(s) } else { ctx.out.null() }
        }
    }

    /// ZRANK/ZREVRANK key member [WITHSCORE] (WITHSCORE as Redis 7.2 has it).
    static func zrank(_ ctx: CommandContext, reverse: Bool) {
        var withScore = false
        if ctx.args.count == 4 {
            guard ctx.isOption(3, "withscore") else { ctx.syntaxError(); return }
            withScore = true
        } else if ctx.args.count > 4 {
            ctx.out.error(Reply.wrongArity(ctx.commandName))
            return
        }
        guard let found = readZSet(ctx, ctx.args[1]) else { return }
        guard let z = found, let r = z.rank(ctx.args[2]) else {
            if withScore { ctx.out.nullArray() } else { ctx.out.null() }
            return
        }
        let rank = reverse ? z.count - 1 - r : r
        if withScore {
            ctx.out.arrayHeader(2)
            ctx.out.integer(rank)
            ctx.out.double(z.score(ctx.args[2])!)
        } else {
            ctx.out.integer(rank)
        }
    }

    static func count(_ ctx: CommandContext, lex: Bool) {
        let ranks: (SortedSetValue) -> Range<Int>
        if lex {
            guard let lo = parseLex(ctx.args[2]), let hi = parseLex(ctx.args[3]) else {
                ctx.out.error("ERR min or max not valid string range item")
                return
            }
            ranks = { lexRanks($0, lo, hi) }
        } else {
            guard let lo = parseScore(ctx.args[2]), let hi = parseScore(ctx.args[3]) else {
                ctx.out.error("ERR min or max is not a float")
                return
            }
            ranks = { scoreRanks($0, lo, hi) }
        }
        guard let found = readZSet(ctx, ctx.args[1]) else { return }
        guard let z = found else { ctx.out.integer(0); return }
        ctx.out.integer(ranks(z).count)
    }
}
