import CairnCore
import CairnStore

/// ZRANGE in all its forms, ZRANGESTORE and ZREMRANGEBY*.
extension SortedSetCommands {
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
                withScores = true
            } else if ctx.isOption(j, "limit") && left >= 2 {
                guard let o = ctx.int64Arg(j + 1), let c = ctx.int64Arg(j + 2) else { return }
                limit = (o, c)
                j += 2
            } else if allowsKind && kind == .rank && ctx.isOption(j, "byscore") {
                kind = .score  // a second BYSCORE/BYLEX or REV is a syntax error, as in Redis
            } else if allowsKind && kind == .rank && ctx.isOption(j, "bylex") {
                kind = .lex
            } else if allowsKind && !reverse && ctx.isOption(j, "rev") {
                reverse = true
            } else {
                ctx.syntaxError()
                return
            }
            j += 1
        }
        if limit != nil && kind == .rank {
            ctx.out.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
            return
        }
        if withScores && kind == .lex {
            ctx.out.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
            return
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
            var z: SortedSetValue?
            if !selected.isEmpty {
                z = SortedSetValue()
                for e in selected { _ = set(ctx, z!, e.member, e.score) }
            }
            ctx.out.integer(selected.count)
            if ctx.storeResult(dst, z.map { .zset($0) }, event: "zrangestore", .zset) { ctx.dirty += 1 }
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
        if !doomed.isEmpty {
            ctx.notify(.zset, kind == .rank ? "zremrangebyrank" : kind == .score ? "zremrangebyscore" : "zremrangebylex", key)
            deleteIfEmpty(ctx, key, z)
        }
        ctx.dirty += doomed.count
        ctx.out.integer(doomed.count)
    }
}
