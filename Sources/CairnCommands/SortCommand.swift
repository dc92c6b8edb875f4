import CairnCore
import CairnStore

/// SORT and SORT_RO over lists, sets and sorted sets (sort.c): BY (with `*` and `->field`), LIMIT,
/// GET (`#`, patterns, hash fields), ASC/DESC, ALPHA, STORE.
enum SortCommand {
    static let specs: [CommandSpec] = [
        CommandSpec("sort", arity: -2, flags: [.write, .denyoom],
                    keys: [.at(1, [.ro, .access]), KeySpec([.ro, .access], .unknown, .unknown, notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort"), KeySpec([.ow, .update], .unknown, .unknown, notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array")], keyFinder: sortKeys, acl: [.dangerous, .list, .set, .sortedset], group: "generic",
                    summary: "Sort the elements in a list, set or sorted set", handler: { sort($0, readOnly: false) }),
        CommandSpec("sort_ro", arity: -2, flags: [.readonly],
                    keys: [.at(1, [.ro, .access]), KeySpec([.ro, .access], .unknown, .unknown, notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort")],
                    keyFinder: { _ in [KeyReference(position: 1, flags: [.ro, .access])] }, acl: [.dangerous, .list, .set, .sortedset], group: "generic", since: "7.0.0",
                    summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
                    handler: { sort($0, readOnly: true) }),
    ]

    /// SORT's keys for COMMAND GETKEYS: the sorted key, and the destination of the last
    /// STORE, skipping the arguments of LIMIT, GET and BY as Redis's sortGetKeys does
    /// (the keys BY and GET read depend on the data, so they are not named).
    static func sortKeys(_ args: [Bytes]) -> [KeyReference] {
        var keys = [KeyReference(position: 1, flags: [.ro, .access])]
        var store: Int?
        var i = 2
        while i < args.count {
            let word = args[i].lowercased
            if word == "limit" {
                i += 2
            } else if word == "get" || word == "by" {
                i += 1
            } else if word == "store" && i + 1 < args.count {
                store = i + 1
            }
            i += 1
        }
        if let store { keys.append(KeyReference(position: store, flags: [.ow, .update])) }
        return keys
    }

    struct Options {
        var desc = false, alpha = false, dontSort = false
        var limit: (start: Int64, count: Int64)?
        var store: Bytes?
        var by: Bytes?
        var gets: [Bytes] = []
    }

    static func parse(_ ctx: CommandContext, readOnly: Bool) -> Options? {
        var o = Options()
        var j = 2
        let args = ctx.args
        while j < args.count {
            let left = args.count - j - 1
            if ctx.isOption(j, "asc") {
                o.desc = false
            } else if ctx.isOption(j, "desc") {
                o.desc = true
            } else if ctx.isOption(j, "alpha") {
                o.alpha = true
            } else if ctx.isOption(j, "limit") && left >= 2 {
                guard let start = ctx.int64Arg(j + 1), let count = ctx.int64Arg(j + 2) else { return nil }
                o.limit = (start, count)
                j += 2
            } else if ctx.isOption(j, "store") && left >= 1 && !readOnly {
                o.store = args[j + 1]
                j += 1
            } else if ctx.isOption(j, "by") && left >= 1 {
                o.by = args[j + 1]
                // A BY pattern without '*' names no per-element key: do not sort.
                if !args[j + 1].array.contains(UInt8(ascii: "*")) {
                    o.dontSort = true
                } else if !ctx.userReadsAnyKey {
                    ctx.out.error("ERR BY option of SORT denied due to insufficient ACL permissions.")
                    return nil
                }
                j += 1
            } else if ctx.isOption(j, "get") && left >= 1 {
                guard ctx.userReadsAnyKey else {
                    ctx.out.error("ERR GET option of SORT denied due to insufficient ACL permissions.")
                    return nil
                }
                o.gets.append(args[j + 1])
                j += 1
            } else {
                ctx.syntaxError()
                return nil
            }
            j += 1
        }
        return o
    }

    /// Redis's lookupKeyByPattern: `#` is the element itself; the first `*` is replaced by
    /// the element; `key->field` reads a hash field. Only strings and hash fields are found.
    static func lookup(_ ctx: CommandContext, _ pattern: Bytes, _ element: Bytes) -> Bytes? {
        let p = pattern.array
        if p == [UInt8(ascii: "#")] { return element }
        guard let star = p.firstIndex(of: UInt8(ascii: "*")) else { return nil }
        var keyPart = p
        var field: [UInt8]?
        if let arrow = findArrow(p), arrow > star, arrow + 2 < p.count {
            keyPart = Array(p[..<arrow])
            field = Array(p[(arrow + 2)...])
        }
        let key = Array(keyPart[..<star]) + element.array + Array(keyPart[(star + 1)...])
        guard let value = ctx.peek(Bytes(key)) else { return nil }
        if let field {
            guard let h = value.hashValue else { return nil }
            return h.get(Bytes(field))
        }
        return value.stringBytes
    }

    static func findArrow(_ p: [UInt8]) -> Int? {
        guard p.count >= 2 else { return nil }
        for i in 0..<(p.count - 1) where p[i] == UInt8(ascii: "-") && p[i + 1] == UInt8(ascii: ">") { return i }
        return nil
    }

    static func sort(_ ctx: CommandContext, readOnly: Bool) {
        guard var o = parse(ctx, readOnly: readOnly) else { return }
        let key = ctx.args[1]
        let value = o.store != nil ? (ctx.lookupWrite(key).map { ctx.db.main.entries[$0].value }) : ctx.peek(key)
        if value == nil && o.store != nil { ctx.notify(.keyMiss, "keymiss", key) }  // as Redis, with STORE too
        var elements: [Bytes] = []
        var isSet = false
        if let value {
            if let l = value.listValue {
                elements = l.elements
            } else if let s = value.setValue {
                elements = s.members
                isSet = true
            } else if let z = value.sortedSetValue {
                // In score order, which BY nosort keeps (reversed by DESC, as Redis does
                // for sorted sets only).
                elements = z.elements.map(\.member)
                if o.dontSort && o.desc { elements.reverse() }
            } else {
                ctx.wrongType()
                return
            }
        }
        // A set has no order of its own: sorted anyway when stored, so replay agrees, and
        // inside a script, so that its outcome does not depend on the set's order (Redis).
        if o.dontSort && isSet && (o.store != nil || ctx.scriptRun != nil) {
            o.dontSort = false
            o.alpha = true
            o.by = nil
        }
        if !o.dontSort {
            var keyed: [(element: Bytes, weight: Bytes?, score: Double, index: Int)] = []
            keyed.reserveCapacity(elements.count)
            for e in elements {
                let w = o.by.map { lookup(ctx, $0, e) } ?? e
                var score = 0.0
                if !o.alpha, let w {
                    guard let d = w.sortDouble else {
                        ctx.out.error("ERR One or more scores can't be converted into double")
                        return
                    }
                    score = d
                }
                keyed.append((e, w, score, keyed.count))
            }
            let alpha = o.alpha, desc = o.desc
            keyed.sort { a, b in
                var c: Int
                if !alpha {
                    c = a.score < b.score ? -1 : (a.score > b.score ? 1 : compareBytes(a.element, b.element))
                } else {
                    switch (a.weight, b.weight) {
                    case (nil, nil): c = 0
                    case (nil, _): c = -1
                    case (_, nil): c = 1
                    case let (x?, y?): c = compareBytes(x, y)
                    }
                }
                // Equal weights keep their original order (glibc's qsort, which Redis
                // uses, is a merge sort).
                if c == 0 { return a.index < b.index }
                return desc ? c > 0 : c < 0
            }
            elements = keyed.map(\.element)
        }
        // LIMIT, as Redis clamps it.
        var start = 0, end = elements.count - 1
        if let (s, c) = o.limit {
            start = s < 0 ? 0 : Int(min(s, Int64(Int.max / 2)))
            end = c < 0 ? elements.count - 1 : Int(min(Int64(start) + c - 1, Int64(Int.max / 2)))
            if start >= elements.count {
                start = elements.count - 1
                end = elements.count - 2
            }
            if end >= elements.count { end = elements.count - 1 }
        }
        let chosen = start <= end && start >= 0 ? Array(elements[start...end]) : []
        var output: [Bytes?] = []
        for e in chosen {
            if o.gets.isEmpty { output.append(e) } else { for g in o.gets { output.append(lookup(ctx, g, e)) } }
        }
        if let dst = o.store {
            var list: ListValue?
            if !output.isEmpty {
                list = ListValue(fill: ctx.settings.listMaxListpackSize, compressDepth: ctx.settings.listCompressDepth)
                for x in output { list!.pushTail(x ?? .empty) }
            }
            if ctx.storeResult(dst, list.map { .list($0) }, event: "sortstore", .list) { ctx.dirty += output.count + 1 }
            if list != nil { ctx.signalListReady(dst) }
            ctx.out.integer(output.count)
            return
        }
        ctx.out.arrayHeader(output.count)
        for x in output { ctx.out.bulkOrNull(x) }
    }
}
