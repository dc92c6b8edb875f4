import CairnCore
import CairnStore

/// The arguments SCAN, HSCAN and SSCAN share, parsed as Redis parses them, and the walk
/// of a key table that all three do.
struct ScanArguments {
    var cursor: UInt64
    var count = 10
    /// nil for no MATCH, or MATCH *.
    var pattern: Bytes?
    /// SCAN's TYPE filter.
    var typeName: Bytes?

    /// Parses `cursor` at `cursorIndex` and the options after it; nil after the error reply.
    static func parse(_ ctx: CommandContext, cursorIndex: Int, allowType: Bool) -> ScanArguments? {
        guard let cursor = cursorArg(ctx, cursorIndex) else { return nil }
        return options(ctx, cursor: cursor, from: cursorIndex + 1, allowType: allowType)
    }

    /// The cursor argument at `index`; nil after the error reply.
    private static func cursorArg(_ ctx: CommandContext, _ index: Int) -> UInt64? {
        guard let cursor = parseCursor(ctx.args[index]) else {
            ctx.out.error("ERR invalid cursor")
            return nil
        }
        return cursor
    }

    /// The options from `index` on; nil after the error reply.
    private static func options(_ ctx: CommandContext, cursor: UInt64, from index: Int, allowType: Bool) -> ScanArguments? {
        var result = ScanArguments(cursor: cursor)
        var j = index
        while j < ctx.args.count {
            let more = j + 1 < ctx.args.count
            if ctx.isOption(j, "count") && more {
                guard let c = ctx.int64Arg(j + 1) else { return nil }
                if c < 1 { ctx.syntaxError(); return nil }
                result.count = Int(min(c, Int64(Int32.max)))
            } else if ctx.isOption(j, "match") && more {
                result.pattern = ctx.args[j + 1] == "*" ? nil : ctx.args[j + 1]
            } else if allowType && ctx.isOption(j, "type") && more {
                result.typeName = ctx.args[j + 1]
            } else {
                ctx.syntaxError()
                return nil
            }
            j += 2
        }
        return result
    }

    /// HSCAN, SSCAN and ZSCAN check in Redis's order: the cursor, then the key (absent: an
    /// empty scan, whatever the options; another type: WRONGTYPE), then the options. Nil
    /// once a reply is written.
    static func parse<T>(_ ctx: CommandContext, collection read: () -> T??) -> (ScanArguments, T)? {
        guard let cursor = cursorArg(ctx, 2) else { return nil }
        guard let found = read() else { return nil }
        guard let collection = found else {
            reply(ctx, cursor: 0, items: [])
            return nil
        }
        guard let parsed = options(ctx, cursor: cursor, from: 3, allowType: false) else { return nil }
        return (parsed, collection)
    }

    /// Redis's parseScanCursorOrReply: strtoul semantics (sign allowed, wraps), no spaces.
    static func parseCursor(_ b: Bytes) -> UInt64? {
        var bytes = b.array
        if bytes.isEmpty { return 0 }  // strtoul reads "" as 0, and Redis takes it
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            bytes.removeFirst()
        }
        guard !bytes.isEmpty else { return nil }
        var v: UInt64 = 0
        for c in bytes {
            guard c >= 48 && c <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(c - 48))
            if o1 || o2 { return nil }
            v = s
        }
        return negative ? 0 &- v : v
    }

    /// Walks `table` from the cursor as Redis's scan loop does (up to count * 10 steps, until
    /// `count` entries or the end); returns the entries met and the next cursor.
    func walk<V>(_ table: KeyTable<V>) -> ([KeyTableEntry<V>], UInt64) {
        walk { cursor, visit in table.scan(cursor: cursor, visit) }
    }

    /// The same walk over any table whose `step` visits one home slot's items and returns
    /// the next cursor.
    func walk<Item>(_ step: (UInt64, (Item) -> Void) -> UInt64) -> ([Item], UInt64) {
        var found: [Item] = []
        var next = cursor
        var iterations = count * 10
        repeat {
            next = step(next) { found.append($0) }
            iterations -= 1
        } while next != 0 && iterations > 0 && found.count < count
        return (found, next)
    }

    /// SCAN's reply: the next cursor, then the items found (flat: fields and values, members
    /// and scores, or keys).
    static func reply(_ ctx: CommandContext, cursor: UInt64, items: [Bytes]) {
        ctx.out.arrayHeader(2)
        ctx.out.bulk(Bytes(String(cursor)))
        ctx.out.arrayHeader(items.count)
        for item in items { ctx.out.bulk(item) }
    }

    func matches(_ name: Bytes) -> Bool {
        guard let pattern else { return true }
        return globMatch(pattern: pattern, string: name)
    }
}
