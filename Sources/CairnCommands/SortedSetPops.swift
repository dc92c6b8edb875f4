import CairnCore
import CairnStore

/// ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms; ZRANDMEMBER and ZSCAN.
extension SortedSetCommands {
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
        if !popped.isEmpty { self.popped(ctx, key, z, max: max) }
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
            self.popped(ctx, key, z, max: max)
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
            ctx.blockRequest = BlockRequest(awaiting: .sortedSet,
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
            popped(ctx, key, z, max: max)
            ctx.dirty += 1
            ctx.propagate([max ? "ZPOPMAX" : "ZPOPMIN", key])
            ctx.out.arrayHeader(3)
            ctx.out.bulk(key)
            ctx.out.bulk(e.member)
            ctx.out.double(e.score)
            return
        }
        ctx.blockRequest = BlockRequest(awaiting: .sortedSet, database: ctx.session.databaseIndex,
                                        keys: keys, deadlineMs: deadline)
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
        guard let chosen = randomSelection(ctx, count: count, size: z.count, element: { z.element(at: $0)! }, all: { z.elements }) else { return }
        writeElements(ctx, chosen, withScores: withScores)
    }

    static func zscan(_ ctx: CommandContext) {
        guard let (options, z) = ScanArguments.parse(ctx, collection: { readZSet(ctx, ctx.args[1]) }) else { return }
        var pairs: [(Bytes, Double)] = []
        var next: UInt64 = 0
        switch z.storage {
        case .packed(let a):
            pairs = a.pairs.map { ($0.member, $0.score) }  // small: all at once, as Redis does for listpacks
        case .skiplist:
            (pairs, next) = options.walk { cursor, visit in z.scan(cursor: cursor) { visit(($0, $1)) } }
        }
        ScanArguments.reply(ctx, cursor: next,
                            items: pairs.filter { options.matches($0.0) }.flatMap { [$0.0, formatDoubleD2String($0.1)] })
    }
}
