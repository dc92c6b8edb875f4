import CairnCore
import CairnStore

/// ZADD, ZRANGE and the rest of Redis's sorted set family (t_zset.c), with the set
/// algebra (ZUNION, ZINTER, ZDIFF and their STORE forms) and the blocking pops.
enum SortedSetCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("zadd", arity: -4, flags: [.write, .denyoom, .fast], keys: (1, 1, 1), group: "sorted-set", since: "1.2.0",
                    summary: "Add one or more members to a sorted set, or update its score if it already exists", handler: zadd),
        CommandSpec("zincrby", arity: 4, flags: [.write, .denyoom, .fast], keys: (1, 1, 1), group: "sorted-set", since: "1.2.0",
                    summary: "Increment the score of a member in a sorted set", handler: zincrby),
        CommandSpec("zrem", arity: -3, flags: [.write, .fast], keys: (1, 1, 1), group: "sorted-set", since: "1.2.0",
                    summary: "Remove one or more members from a sorted set", handler: zrem),
        CommandSpec("zcard", arity: 2, flags: [.readonly, .fast], keys: (1, 1, 1), group: "sorted-set", since: "1.2.0",
                    summary: "Get the number of members in a sorted set", handler: zcard),
        CommandSpec("zscore", arity: 3, flags: [.readonly, .fast], keys: (1, 1, 1), group: "sorted-set", since: "1.2.0",
                    summary: "Get the score associated with the given member in a sorted set", handler: zscore),
        CommandSpec("zmscore", arity: -3, flags: [.readonly, .fast], keys: (1, 1, 1), group: "sorted-set", since: "6.2.0",
                    summary: "Get the score associated with the given members in a sorted set", handler: zmscore),
        CommandSpec("zrank", arity: -3, flags: [.readonly, .fast], keys: (1, 1, 1), group: "sorted-set", since: "2.0.0",
                    summary: "Determine the index of a member in a sorted set", handler: { zrank($0, reverse: false) }),
        CommandSpec("zrevrank", arity: -3, flags: [.readonly, .fast], keys: (1, 1, 1), group: "sorted-set", since: "2.0.0",
                    summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
                    handler: { zrank($0, reverse: true) }),
        CommandSpec("zcount", arity: 4, flags: [.readonly, .fast], keys: (1, 1, 1), group: "sorted-set", since: "2.0.0",
                    summary: "Count the members in a sorted set with scores within the given values", handler: { count($0, lex: false) }),
        CommandSpec("zlexcount", arity: 4, flags: [.readonly, .fast], keys: (1, 1, 1), group: "sorted-set", since: "2.8.9",
                    summary: "Count the number of members in a sorted set between a given lexicographical range",
                    handler: { count($0, lex: true) }),
        CommandSpec("zrange", arity: -4, flags: [.readonly], keys: (1, 1, 1), group: "sorted-set", since: "1.2.0",
                    summary: "Return a range of members in a sorted set", handler: { range($0, .generic) }),
        CommandSpec("zrangestore", arity: -5, flags: [.write, .denyoom], keys: (1, 2, 1), group: "sorted-set", since: "6.2.0",
                    summary: "Store a range of members from sorted set into another key", handler: { range($0, .store) }),
        CommandSpec("zrevrange", arity: -4, flags: [.readonly], keys: (1, 1, 1), group: "sorted-set", since: "1.2.0",
                    summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
                    handler: { range($0, .revRank) }),
        CommandSpec("zrangebyscore", arity: -4, flags: [.readonly], keys: (1, 1, 1), group: "sorted-set", since: "1.0.5",
                    summary: "Return a range of members in a sorted set, by score", handler: { range($0, .byScore(reverse: false)) }),
        CommandSpec("zrevrangebyscore", arity: -4, flags: [.readonly], keys: (1, 1, 1), group: "sorted-set", since: "2.2.0",
                    summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
                    handler: { range($0, .byScore(reverse: true)) }),
        CommandSpec("zrangebylex", arity: -4, flags: [.readonly], keys: (1, 1, 1), group: "sorted-set", since: "2.8.9",
                    summary: "Return a range of members in a sorted set, by lexicographical range", handler: { range($0, .byLex(reverse: false)) }),
        CommandSpec("zrevrangebylex", arity: -4, flags: [.readonly], keys: (1, 1, 1), group: "sorted-set", since: "2.8.9",
                    summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings",
                    handler: { range($0, .byLex(reverse: true)) }),
        CommandSpec("zremrangebyrank", arity: 4, flags: [.write], keys: (1, 1, 1), group: "sorted-set", since: "2.0.0",
                    summary: "Remove all members in a sorted set within the given indexes", handler: { removeRange($0, .rank) }),
        CommandSpec("zremrangebyscore", arity: 4, flags: [.write], keys: (1, 1, 1), group: "sorted-set", since: "1.2.0",
                    summary: "Remove all members in a sorted set within the given scores", handler: { removeRange($0, .score) }),
        CommandSpec("zremrangebylex", arity: 4, flags: [.write], keys: (1, 1, 1), group: "sorted-set", since: "2.8.9",
                    summary: "Remove all members in a sorted set between the given lexicographical range", handler: { removeRange($0, .lex) }),
        CommandSpec("zpopmin", arity: -2, flags: [.write, .fast], keys: (1, 1, 1), group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return members with the lowest scores in a sorted set", handler: { pop($0, max: false) }),
        CommandSpec("zpopmax", arity: -2, flags: [.write, .fast], keys: (1, 1, 1), group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return members with the highest scores in a sorted set", handler: { pop($0, max: true) }),
        CommandSpec("zmpop", arity: -4, flags: [.write], group: "sorted-set", since: "7.0.0",
                    summary: "Remove and return members with scores in a sorted set", handler: zmpop),
        CommandSpec("zrandmember", arity: -2, flags: [.readonly], keys: (1, 1, 1), group: "sorted-set", since: "6.2.0",
                    summary: "Get one or multiple random elements from a sorted set", handler: zrandmember),
        CommandSpec("zscan", arity: -3, flags: [.readonly], keys: (1, 1, 1), group: "sorted-set", since: "2.8.0",
                    summary: "Incrementally iterate sorted sets elements and associated scores", handler: zscan),
        CommandSpec("zunion", arity: -3, flags: [.readonly], group: "sorted-set", since: "6.2.0",
                    summary: "Add multiple sorted sets", handler: { combine($0, .union, store: false) }),
        CommandSpec("zunionstore", arity: -4, flags: [.write, .denyoom], keys: (1, 1, 1), group: "sorted-set", since: "2.0.0",
                    summary: "Add multiple sorted sets and store the resulting sorted set in a new key", handler: { combine($0, .union, store: true) }),
        CommandSpec("zinter", arity: -3, flags: [.readonly], group: "sorted-set", since: "6.2.0",
                    summary: "Intersect multiple sorted sets", handler: { combine($0, .inter, store: false) }),
        CommandSpec("zinterstore", arity: -4, flags: [.write, .denyoom], keys: (1, 1, 1), group: "sorted-set", since: "2.0.0",
                    summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", handler: { combine($0, .inter, store: true) }),
        CommandSpec("zdiff", arity: -3, flags: [.readonly], group: "sorted-set", since: "6.2.0",
                    summary: "Subtract multiple sorted sets", handler: { combine($0, .diff, store: false) }),
        CommandSpec("zdiffstore", arity: -4, flags: [.write, .denyoom], keys: (1, 1, 1), group: "sorted-set", since: "6.2.0",
                    summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", handler: { combine($0, .diff, store: true) }),
        CommandSpec("zintercard", arity: -3, flags: [.readonly], group: "sorted-set", since: "7.0.0",
                    summary: "Intersect multiple sorted sets and return the cardinality of the result", handler: zintercard),
        CommandSpec("bzpopmin", arity: -3, flags: [.write, .fast, .blocking], keys: (1, -2, 1), group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
                    handler: { bzpop($0, max: false) }),
        CommandSpec("bzpopmax", arity: -3, flags: [.write, .fast, .blocking], keys: (1, -2, 1), group: "sorted-set", since: "5.0.0",
                    summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
                    handler: { bzpop($0, max: true) }),
        CommandSpec("bzmpop", arity: -5, flags: [.write, .blocking], group: "sorted-set", since: "7.0.0",
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

    static func zadd(_ ctx: CommandContext) {
        var nx = false, xx = false, gt = false, lt = false, ch = false, incr = false
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
        var items: [(Double, Bytes)] = []
        var k = j
        while k < ctx.args.count {
            guard let s = ctx.args[k].double else { ctx.out.error(Reply.notFloat); return }
            items.append((s, ctx.args[k + 1]))
            k += 2
        }
        let key = ctx.args[1]
        guard let found = readZSet(ctx, key, write: true) else { return }
        if found == nil && xx {
            if incr { ctx.out.null() } else { ctx.out.integer(0) }
            return
        }
        let z = found ?? SortedSetValue()
        var added = 0, updated = 0
        var result: Double?
        for (score, member) in items {
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
        if added > 0 { ctx.signalListReady(key) }
        if incr {
            if let result { ctx.out.double(result) } else { ctx.out.null() }
        } else {
            ctx.out.integer(ch ? added + updated : added)
        }
    }

    static func zincrby(_ ctx: CommandContext) {
        guard let incr = ctx.args[2].double else { ctx.out.error(Reply.notFloat); return }
        let key = ctx.args[1], member = ctx.args[3]
        guard let found = readZSet(ctx, key, write: true) else { return }
        let z = found ?? SortedSetValue()
        let new = (z.score(member) ?? 0) + incr
        if new.isNaN { ctx.out.error("ERR resulting score is not a number (NaN)"); return }
        _ = set(ctx, z, member, new)
        if found == nil { ctx.db.add(key, .zset(z), clock: ctx.lruClock) }
        ctx.dirty += 1
        ctx.signalListReady(key)
        ctx.out.double(new)
    }

    static func deleteIfEmpty(_ ctx: CommandContext, _ key: Bytes, _ z: SortedSetValue) {
        if z.count == 0 { ctx.db.delete(key) }
    }

    static func zrem(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let found = readZSet(ctx, key, write: true) else { return }
        guard let z = found else { ctx.out.integer(0); return }
        var removed = 0
        for m in ctx.args.dropFirst(2) where z.remove(m) { removed += 1 }
        deleteIfEmpty(ctx, key, z)
        ctx.dirty += removed
        ctx.out.integer(removed)
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

    // MARK: - Ranges

    enum RangeCommand {
        case generic, store, revRank
        case byScore(reverse: Bool)
        case byLex(reverse: Bool)
    }

    enum RangeKind { case rank, score, lex }

    /// ZRANGE and its older forms, and ZRANGESTORE: one parser, one selection.
    static func range(_ ctx: CommandContext, _ command: RangeCommand) {
        let store = { if case .store = command { return true } else { return false } }()
        let base = store ? 2 : 1
        let source = ctx.args[base]
        var kind = RangeKind.rank
        var reverse = false
        var withScores = false
        var limit: (offset: Int64, count: Int64)?
        switch command {
        case .revRank: reverse = true
        case .byScore(let r): kind = .score; reverse = r
        case .byLex(let r): kind = .lex; reverse = r
        default: break
        }
        var j = base + 3
        let allowsKind: Bool = { switch command { case .generic, .store: return true; default: return false } }()
        while j < ctx.args.count {
            let left = ctx.args.count - j - 1
            if !store && ctx.isOption(j, "withscores") {
                if case .byLex = command { ctx.syntaxError(); return }
                withScores = true
            } else if ctx.isOption(j, "limit") && left >= 2 {
                guard let o = ctx.int64Arg(j + 1), let c = ctx.int64Arg(j + 2) else { return }
                limit = (o, c)
                j += 2
            } else if allowsKind && ctx.isOption(j, "byscore") {
                kind = .score
            } else if allowsKind && ctx.isOption(j, "bylex") {
                kind = .lex
            } else if allowsKind && ctx.isOption(j, "rev") {
                reverse = true
            } else {
                ctx.syntaxError()
                return
            }
            j += 1
        }
        if allowsKind || kind == .rank {
            if limit != nil && kind == .rank {
                ctx.out.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
                return
            }
            if withScores && kind == .lex {
                ctx.out.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
                return
            }
        }
        // For the REV forms the first bound is the high one.
        var first = ctx.args[base + 1], second = ctx.args[base + 2]
        if reverse && kind != .rank { swap(&first, &second) }
        var rankBounds: (Int64, Int64) = (0, 0)
        var scoreBounds: (ScoreBound, ScoreBound)?
        var lexBounds: (LexBound, LexBound)?
        switch kind {
        case .rank:
            guard let s = ctx.int64Arg(base + 1), let e = ctx.int64Arg(base + 2) else { return }
            rankBounds = (s, e)
        case .score:
            guard let lo = parseScore(first), let hi = parseScore(second) else {
                ctx.out.error("ERR min or max is not a float")
                return
            }
            scoreBounds = (lo, hi)
        case .lex:
            guard let lo = parseLex(first), let hi = parseLex(second) else {
                ctx.out.error("ERR min or max not valid string range item")
                return
            }
            lexBounds = (lo, hi)
        }
        guard let found = readZSet(ctx, source) else { return }
        var selected: [(score: Double, member: Bytes)] = []
        if let z = found {
            let n = z.count
            var ranks: Range<Int>
            switch kind {
            case .rank:
                var (s, e) = rankBounds
                if s < 0 { s += Int64(n) }
                if e < 0 { e += Int64(n) }
                if s < 0 { s = 0 }
                if s > e || s >= Int64(n) { ranks = 0..<0 } else {
                    if e >= Int64(n) { e = Int64(n) - 1 }
                    ranks = Int(s)..<Int(e + 1)
                }
            case .score: ranks = scoreRanks(z, scoreBounds!.0, scoreBounds!.1)
            case .lex: ranks = lexRanks(z, lexBounds!.0, lexBounds!.1)
            }
            // Ranks are ascending; REV walks them from the top.
            var offset = 0, take = ranks.count
            if let (o, c) = limit {
                if o < 0 { take = 0 } else {
                    offset = Int(min(o, Int64(ranks.count)))
                    take = c < 0 ? ranks.count - offset : Int(min(c, Int64(ranks.count - offset)))
                }
            }
            if take > 0 {
                // Rank ranges count in the reply's own order; score and lex ranks are
                // ascending and REV walks them from the top.
                let startRank = kind == .rank ? ranks.lowerBound + offset
                    : (reverse ? n - ranks.upperBound + offset : ranks.lowerBound + offset)
                z.walk(from: startRank, reverse: reverse) { s, m in
                    selected.append((s, m))
                    return selected.count < take
                }
            }
        }
        if store {
            let dst = ctx.args[1]
            let existed = ctx.lookupWrite(dst) != nil
            ctx.db.delete(dst)
            if !selected.isEmpty {
                let z = SortedSetValue()
                for e in selected { _ = set(ctx, z, e.member, e.score) }
                ctx.db.add(dst, .zset(z), clock: ctx.lruClock)
            }
            if !selected.isEmpty || existed { ctx.dirty += 1 }
            ctx.out.integer(selected.count)
            return
        }
        writeElements(ctx, selected, withScores: withScores)
    }

    enum RemoveKind { case rank, score, lex }

    static func removeRange(_ ctx: CommandContext, _ kind: RemoveKind) {
        let key = ctx.args[1]
        var select: (SortedSetValue) -> Range<Int>
        switch kind {
        case .rank:
            guard var s = ctx.int64Arg(2), var e = ctx.int64Arg(3) else { return }
            select = { z in
                let n = Int64(z.count)
                if s < 0 { s += n }
                if e < 0 { e += n }
                if s < 0 { s = 0 }
                if s > e || s >= n { return 0..<0 }
                if e >= n { e = n - 1 }
                return Int(s)..<Int(e + 1)
            }
        case .score:
            guard let lo = parseScore(ctx.args[2]), let hi = parseScore(ctx.args[3]) else {
                ctx.out.error("ERR min or max is not a float")
                return
            }
            select = { scoreRanks($0, lo, hi) }
        case .lex:
            guard let lo = parseLex(ctx.args[2]), let hi = parseLex(ctx.args[3]) else {
                ctx.out.error("ERR min or max not valid string range item")
                return
            }
            select = { lexRanks($0, lo, hi) }
        }
        guard let found = readZSet(ctx, key, write: true) else { return }
        guard let z = found else { ctx.out.integer(0); return }
        let ranks = select(z)
        var doomed: [Bytes] = []
        if !ranks.isEmpty {
            z.walk(from: ranks.lowerBound, reverse: false) { _, m in
                doomed.append(m)
                return doomed.count < ranks.count
            }
        }
        for m in doomed { z.remove(m) }
        deleteIfEmpty(ctx, key, z)
        ctx.dirty += doomed.count
        ctx.out.integer(doomed.count)
    }

    // MARK: - Pops

    static func popElements(_ z: SortedSetValue, max: Bool, count: Int) -> [(score: Double, member: Bytes)] {
        var out: [(score: Double, member: Bytes)] = []
        guard count > 0 else { return out }
        z.walk(from: 0, reverse: max) { s, m in
            out.append((s, m))
            return out.count < count
        }
        for e in out { z.remove(e.member) }
        return out
    }

    static func pop(_ ctx: CommandContext, max: Bool) {
        if ctx.args.count > 3 { ctx.syntaxError(); return }
        var count: Int64?
        if ctx.args.count == 3 {
            guard let c = ctx.positiveCountArg(2) else { return }
            count = c
        }
        let key = ctx.args[1]
        guard let found = readZSet(ctx, key, write: true) else { return }
        guard let z = found else { ctx.out.arrayHeader(0); return }
        let popped = popElements(z, max: max, count: Int(min(count ?? 1, Int64(z.count))))
        deleteIfEmpty(ctx, key, z)
        ctx.dirty += popped.count
        if count == nil {
            ctx.out.arrayHeader(popped.isEmpty ? 0 : 2)
            if let e = popped.first {
                ctx.out.bulk(e.member)
                ctx.out.double(e.score)
            }
        } else {
            writeElements(ctx, popped, withScores: true)
        }
    }

    static func zmpop(_ ctx: CommandContext) { zmpop(ctx, offset: 1, deadline: nil) }

    /// ZMPOP (numkeys at `offset` 1) and BZMPOP (timeout first, numkeys at 2).
    static func zmpop(_ ctx: CommandContext, offset: Int, deadline: Int64??) {
        guard let parsed = MultiPopArguments.parse(ctx, offset: offset, sides: ("min", "max")) else { return }
        let max = !parsed.first, count = parsed.count, keys = parsed.keys
        for key in keys {
            guard let found = readZSet(ctx, key, write: true) else { return }
            guard let z = found, z.count > 0 else { continue }
            let popped = popElements(z, max: max, count: Int(min(count, Int64(z.count))))
            deleteIfEmpty(ctx, key, z)
            ctx.dirty += popped.count
            ctx.propagate([max ? "ZPOPMAX" : "ZPOPMIN", key, Bytes(Int64(popped.count))])
            ctx.out.arrayHeader(2)
            ctx.out.bulk(key)
            ctx.out.arrayHeader(popped.count)
            for e in popped {
                ctx.out.arrayHeader(2)
                ctx.out.bulk(e.member)
                ctx.out.double(e.score)
            }
            return
        }
        if let deadline {
            ctx.blockRequest = BlockRequest(operation: .zmultiPop(max: max, count: parsed.blockCount),
                                            database: ctx.session.databaseIndex, keys: keys, deadlineMs: deadline)
            return
        }
        ctx.out.nullArray()
    }

    static func bzmpop(_ ctx: CommandContext) {
        guard let deadline = ctx.timeoutArg(1) else { return }
        zmpop(ctx, offset: 2, deadline: .some(deadline))
    }

    static func bzpop(_ ctx: CommandContext, max: Bool) {
        guard let deadline = ctx.timeoutArg(ctx.args.count - 1) else { return }
        let keys = Array(ctx.args[1..<(ctx.args.count - 1)])
        for key in keys {
            guard let found = readZSet(ctx, key, write: true) else { return }
            guard let z = found, z.count > 0 else { continue }
            let e = popElements(z, max: max, count: 1)[0]
            deleteIfEmpty(ctx, key, z)
            ctx.dirty += 1
            ctx.propagate([max ? "ZPOPMAX" : "ZPOPMIN", key])
            ctx.out.arrayHeader(3)
            ctx.out.bulk(key)
            ctx.out.bulk(e.member)
            ctx.out.double(e.score)
            return
        }
        ctx.blockRequest = BlockRequest(operation: .zpop(max: max), database: ctx.session.databaseIndex,
                                        keys: keys, deadlineMs: deadline)
    }

    // MARK: - Set algebra

    enum Algebra { case union, inter, diff }

    /// The members and scores of a sorted set or a set (score 1) at `key`; nil after
    /// WRONGTYPE; empty when absent.
    static func inputScores(_ ctx: CommandContext, _ key: Bytes) -> [(score: Double, member: Bytes)]? {
        guard let v = ctx.peek(key) else { return [] }
        if let z = v.sortedSetValue { return z.elements }
        if let s = v.setValue { return s.members.map { (1.0, $0) } }
        ctx.wrongType()
        return nil
    }

    static func combine(_ ctx: CommandContext, _ op: Algebra, store: Bool) {
        let base = store ? 2 : 1
        guard let numkeys = ctx.int64Arg(base) else { return }
        if numkeys < 1 {
            ctx.out.error("ERR at least 1 input key is needed for '\(ctx.commandName)' command")
            return
        }
        guard numkeys <= Int64(ctx.args.count - base - 1) else { ctx.syntaxError(); return }
        let n = Int(numkeys)
        var weights = [Double](repeating: 1, count: n)
        var aggregate = "sum"
        var withScores = false
        var j = base + 1 + n
        while j < ctx.args.count {
            let left = ctx.args.count - j - 1
            if op != .diff && ctx.isOption(j, "weights") && left >= n {
                for i in 0..<n {
                    guard let w = ctx.args[j + 1 + i].double else { ctx.out.error("ERR weight value is not a float"); return }
                    weights[i] = w
                }
                j += n
            } else if op != .diff && ctx.isOption(j, "aggregate") && left >= 1 {
                let a = ctx.args[j + 1].lowercased.string
                guard ["sum", "min", "max"].contains(a) else { ctx.syntaxError(); return }
                aggregate = a
                j += 1
            } else if !store && ctx.isOption(j, "withscores") {
                withScores = true
            } else {
                ctx.syntaxError()
                return
            }
            j += 1
        }
        var inputs: [[(score: Double, member: Bytes)]] = []
        for key in ctx.args[(base + 1)..<(base + 1 + n)] {
            guard let elements = inputScores(ctx, key) else { return }
            inputs.append(elements)
        }
        func weighted(_ s: Double, _ i: Int) -> Double {
            let v = s * weights[i]
            return v.isNaN ? 0 : v
        }
        func combineScores(_ a: Double, _ b: Double) -> Double {
            switch aggregate {
            case "min": return Swift.min(a, b)
            case "max": return Swift.max(a, b)
            default:
                let s = a + b
                return s.isNaN ? 0 : s
            }
        }
        var result: [Bytes: Double] = [:]
        switch op {
        case .union:
            for (i, input) in inputs.enumerated() {
                for e in input {
                    let w = weighted(e.score, i)
                    result[e.member] = result[e.member].map { combineScores($0, w) } ?? w
                }
            }
        case .inter:
            let lookups = inputs.map { Dictionary($0.map { ($0.member, $0.score) }, uniquingKeysWith: { a, _ in a }) }
            for e in inputs[0] {
                var score = weighted(e.score, 0)
                var inAll = true
                for i in 1..<max(1, n) where i < n {
                    guard let s = lookups[i][e.member] else { inAll = false; break }
                    score = combineScores(score, weighted(s, i))
                }
                if inAll { result[e.member] = score }
            }
        case .diff:
            let others = inputs.dropFirst().map { Set($0.map(\.member)) }
            for e in inputs[0] where !others.contains(where: { $0.contains(e.member) }) { result[e.member] = e.score }
        }
        let z = SortedSetValue()
        for (m, s) in result { _ = set(ctx, z, m, s) }
        if store {
            let dst = ctx.args[1]
            let existed = ctx.lookupWrite(dst) != nil
            ctx.db.delete(dst)
            if z.count > 0 {
                ctx.db.add(dst, .zset(z), clock: ctx.lruClock)
                ctx.signalListReady(dst)
            }
            if z.count > 0 || existed { ctx.dirty += 1 }
            ctx.out.integer(z.count)
        } else {
            writeElements(ctx, z.elements, withScores: withScores)
        }
    }

    static func zintercard(_ ctx: CommandContext) {
        // Parsed as ZINTER's numkeys is (unlike SINTERCARD's).
        guard let numkeys = ctx.int64Arg(1) else { return }
        if numkeys < 1 {
            ctx.out.error("ERR at least 1 input key is needed for '\(ctx.commandName)' command")
            return
        }
        guard numkeys <= Int64(ctx.args.count - 2) else { ctx.syntaxError(); return }
        let n = Int(numkeys)
        var limit: Int64 = 0
        var j = 2 + n
        while j < ctx.args.count {
            if ctx.isOption(j, "limit") && j + 1 < ctx.args.count {
                guard let l = ctx.args[j + 1].int64, l >= 0 else { ctx.out.error("ERR LIMIT can't be negative"); return }
                limit = l
                j += 2
            } else {
                ctx.syntaxError()
                return
            }
        }
        var inputs: [Set<Bytes>] = []
        var empty = false
        for key in ctx.args[2..<(2 + n)] {
            guard let elements = inputScores(ctx, key) else { return }
            if elements.isEmpty { empty = true }
            inputs.append(Set(elements.map(\.member)))
        }
        var count = 0
        if !empty {
            for m in inputs[0] where inputs.dropFirst().allSatisfy({ $0.contains(m) }) { count += 1 }
        }
        if limit > 0 { count = Swift.min(count, Int(limit)) }
        ctx.out.integer(count)
    }

    // MARK: - Random, scan

    static func zrandmember(_ ctx: CommandContext) {
        guard let parsed = RandomCountArguments.parse(ctx, valuesWord: "withscores") else { return }
        guard let count = parsed.count else {
            guard let found = readZSet(ctx, ctx.args[1]) else { return }
            guard let z = found, z.count > 0 else { ctx.out.null(); return }
            ctx.out.bulk(z.element(at: Int.random(in: 0..<z.count))!.member)
            return
        }
        let withScores = parsed.withValues
        guard let found = readZSet(ctx, ctx.args[1]) else { return }
        guard let z = found, z.count > 0, count != 0 else { ctx.out.arrayHeader(0); return }
        let chosen = randomSelection(count: count, size: z.count, element: { z.element(at: $0)! }, all: { z.elements })
        writeElements(ctx, chosen, withScores: withScores)
    }

    static func zscan(_ ctx: CommandContext) {
        guard let options = ScanArguments.parse(ctx, cursorIndex: 2, allowType: false) else { return }
        guard let found = readZSet(ctx, ctx.args[1]) else { return }
        var pairs: [(Bytes, Double)] = []
        var next: UInt64 = 0
        if let z = found {
            switch z.storage {
            case .packed(let a):
                pairs = a.pairs.map { ($0.member, $0.score) }  // small: all at once, as Redis does for listpacks
            case .skiplist(let t, _):
                let (entries, cursor) = options.walk(t)
                pairs = entries.map { ($0.key, $0.value) }
                next = cursor
            }
        }
        pairs = pairs.filter { options.matches($0.0) }
        ctx.out.arrayHeader(2)
        ctx.out.bulk(Bytes(String(next)))
        ctx.out.arrayHeader(pairs.count * 2)
        for (m, s) in pairs {
            ctx.out.bulk(m)
            ctx.out.bulk(formatDoubleD2String(s))
        }
    }
}
