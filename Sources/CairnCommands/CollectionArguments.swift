import CairnCore
import CairnStore

/// Argument shapes that several collection families share.

/// `numkeys key [key ...] <side> [COUNT count]` of LMPOP, BLMPOP, ZMPOP and BZMPOP.
struct MultiPopArguments {
    var keys: [Bytes]
    /// LEFT (lists) or MIN (sorted sets).
    var first: Bool
    var count: Int64 = 1

    /// Parses from `offset` (numkeys); `sides` are the two accepted words, first one first.
    static func parse(_ ctx: CommandContext, offset: Int, sides: (StaticString, StaticString)) -> MultiPopArguments? {
        guard let numkeys = ctx.args[offset].int64, numkeys > 0 else {
            ctx.out.error("ERR numkeys should be greater than 0")
            return nil
        }
        // More keys than arguments is a syntax error (compared before any sum can overflow).
        guard numkeys <= Int64(ctx.args.count - offset - 2) else { ctx.syntaxError(); return nil }
        let n = Int(numkeys)
        let first: Bool
        if ctx.isOption(offset + 1 + n, sides.0) { first = true } else if ctx.isOption(offset + 1 + n, sides.1) { first = false } else {
            ctx.syntaxError()
            return nil
        }
        var result = MultiPopArguments(keys: Array(ctx.args[(offset + 1)..<(offset + 1 + n)]), first: first)
        var j = offset + 2 + n
        var counted = false  // a second COUNT is a syntax error, as in Redis
        while j < ctx.args.count {
            if !counted && ctx.isOption(j, "count") && j + 1 < ctx.args.count {
                counted = true
                guard let c = ctx.args[j + 1].int64, c > 0 else { ctx.out.error("ERR count should be greater than 0"); return nil }
                result.count = c
                j += 2
            } else {
                ctx.syntaxError()
                return nil
            }
        }
        return result
    }
}

/// `key [count [WITHVALUES|WITHSCORES]]` of HRANDFIELD and ZRANDMEMBER.
struct RandomCountArguments {
    /// nil: no count given (one element, or null).
    var count: Int64?
    var withValues = false

    static func parse(_ ctx: CommandContext, valuesWord: StaticString) -> RandomCountArguments? {
        let n = ctx.args.count
        if n == 2 { return RandomCountArguments(count: nil) }
        var result = RandomCountArguments(count: nil)
        // The count is read before the words after it are checked, as Redis does.
        guard let count = ctx.randomCountArg(2) else { return nil }
        if n == 4 {
            guard ctx.isOption(3, valuesWord) else { ctx.syntaxError(); return nil }
            result.withValues = true
        } else if n > 4 {
            ctx.syntaxError()
            return nil
        }
        // Pairs double the reply: Redis refuses counts whose double would not fit.
        if result.withValues && (count < -Int64.max / 2 || count > Int64.max / 2) {
            ctx.out.error("ERR value is out of range")
            return nil
        }
        result.count = count
        return result
    }
}

/// The most elements a negative count may ask HRANDFIELD, SRANDMEMBER or ZRANDMEMBER for.
/// Redis takes any count and builds the reply until memory runs out; a reply that
/// grows with a number in the request gets a bound here, as the input sizes do.
let randomRepeatsMax: Int64 = 10_000_000

/// The choice HRANDFIELD, SRANDMEMBER and ZRANDMEMBER make for a count: a negative
/// count picks |count| with repetitions, a count at least the size takes everything
/// (in the collection's order), a smaller one takes distinct elements at random.
/// nil after the error reply for a negative count past `randomRepeatsMax`.
func randomSelection<T>(_ ctx: CommandContext, count: Int64, size: Int, element: (Int) -> T, all: () -> [T]) -> [T]? {
    if count < 0 {
        guard -count <= randomRepeatsMax else {
            ctx.out.error("ERR count is out of range: a negative count may ask for at most \(randomRepeatsMax) elements")
            return nil
        }
        return (0..<Int(-count)).map { _ in element(Int.random(in: 0..<size)) }
    }
    if count >= size { return all() }
    return Array(all().shuffled().prefix(Int(count)))
}

extension CommandContext {
    /// HDEL, SREM, ZREM: removes each member named from argument 2 on, deletes the key
    /// once the collection is empty, and replies with the number removed. Notifies
    /// `event` (of class `cls`), then `del` if the key went.
    func removeMembers(of key: Bytes, event: StaticString, _ cls: KeyspaceEventClasses,
                       remove: (Bytes) -> Bool, isEmpty: () -> Bool) {
        var removed = 0
        for member in args.dropFirst(2) {
            if remove(member) { removed += 1 }
            if isEmpty() { break }
        }
        dirty += removed
        // A collection is empty only once something was removed from it.
        if removed > 0 { self.removed(from: key, event: event, cls, leftEmpty: isEmpty()) }
        out.integer(removed)
    }

    /// Deletes `key` when its collection was left empty, with the `del` event.
    func deleteIfEmpty(_ key: Bytes, _ leftEmpty: Bool) {
        guard leftEmpty else { return }
        db.delete(key)
        notify(.generic, "del", key)
    }

    /// After elements were taken from `key` (a pop): the command's event, then the key's
    /// deletion and `del` if nothing is left, in Redis's order.
    func removed(from key: Bytes, event: StaticString, _ cls: KeyspaceEventClasses, leftEmpty: Bool) {
        notify(cls, event, key)
        deleteIfEmpty(key, leftEmpty)
    }

    /// The destination of a STORE command (SINTERSTORE, ZUNIONSTORE, ZRANGESTORE, SORT
    /// STORE): `value` replaces it (its TTL dropped), or an empty result (nil) deletes it;
    /// then `event`, or `del`, as Redis notifies them. Returns whether anything changed.
    @discardableResult
    func storeResult(_ dst: Bytes, _ value: Value?, event: StaticString, _ cls: KeyspaceEventClasses) -> Bool {
        let existed = lookupWrite(dst) != nil
        if let value {
            db.set(dst, value, clock: lruClock)
            notify(cls, event, dst)
            return true
        }
        guard existed else { return false }
        db.delete(dst)
        notify(.generic, "del", dst)
        return true
    }

    /// `[LIMIT limit]` after the keys of SINTERCARD and ZINTERCARD (0: no limit); nil after
    /// the error reply.
    func intercardLimit(from index: Int) -> Int64? {
        var limit: Int64 = 0
        var j = index
        while j < args.count {
            guard isOption(j, "limit") && j + 1 < args.count else {
                syntaxError()
                return nil
            }
            guard let l = args[j + 1].int64, l >= 0 else {
                out.error("ERR LIMIT can't be negative")
                return nil
            }
            limit = l
            j += 2
        }
        return limit
    }

    /// The value at `key` as the type `extract` accepts: `.some(nil)` when absent; nil
    /// (after a WRONGTYPE reply) when the key holds another type.
    func readValue<T>(_ key: Bytes, write: Bool, _ extract: (Value) -> T?) -> T?? {
        guard let p = write ? lookupWrite(key) : lookupRead(key) else { return .some(nil) }
        guard let v = withDB({ $0.main.borrowValue(at: p, extract) }) else {
            wrongType()
            return nil
        }
        return .some(v)
    }
}
