import CairnCore
import CairnStore

/// ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD.
extension SortedSetCommands {
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

    /// The numkeys argument at `index` of ZUNION/ZINTER/ZDIFF(STORE) and ZINTERCARD,
    /// checked against the keys that follow it; nil after replying with the error.
    static func inputKeyCount(_ ctx: CommandContext, at index: Int) -> Int? {
        guard let numkeys = ctx.int64Arg(index) else { return nil }
        if numkeys < 1 {
            ctx.out.error("ERR at least 1 input key is needed for '\(ctx.commandName)' command")
            return nil
        }
        guard numkeys <= Int64(ctx.args.count - index - 1) else { ctx.syntaxError(); return nil }
        return Int(numkeys)
    }

    static func combine(_ ctx: CommandContext, _ op: Algebra, store: Bool) {
        let base = store ? 2 : 1
        guard let n = inputKeyCount(ctx, at: base) else { return }
        // The inputs are read (WRONGTYPE) before the options are parsed, as in Redis.
        var inputs: [[(score: Double, member: Bytes)]] = []
        for key in ctx.args[(base + 1)..<(base + 1 + n)] {
            guard let elements = inputScores(ctx, key) else { return }
            inputs.append(elements)
        }
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
            ctx.out.integer(z.count)
            let event: StaticString = op == .union ? "zunionstore" : op == .inter ? "zinterstore" : "zdiffstore"
            if ctx.storeResult(dst, z.count > 0 ? .zset(z) : nil, event: event, .zset) { ctx.dirty += 1 }
            if z.count > 0 { ctx.signalListReady(dst) }
        } else {
            writeElements(ctx, z.elements, withScores: withScores)
        }
    }

    static func zintercard(_ ctx: CommandContext) {
        // Parsed as ZINTER's numkeys is (unlike SINTERCARD's).
        guard let n = inputKeyCount(ctx, at: 1) else { return }
        guard let limit = ctx.intercardLimit(from: 2 + n) else { return }
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
}
