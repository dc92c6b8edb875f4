import CairnCore
import CairnStore

/// GET, SET and the rest of Redis's string family (t_string.c).
enum StringCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("get", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro, .access])], acl: [.string], group: "string",
                    summary: "Get the value of a key", handler: get),
        CommandSpec("set", arity: -3, flags: [.write, .denyoom],
                    keys: [KeySpec([.rw, .access, .update, .variableFlags], .index(1), .range(last: 0, step: 1, limit: 0), notes: "RW and ACCESS due to the optional `GET` argument")],
                    keyFinder: setKeys, acl: [.string], group: "string", summary: "Set the string value of a key", handler: set),
        CommandSpec("setnx", arity: 3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.ow, .insert])], acl: [.string], group: "string",
                    summary: "Set the value of a key, only if the key does not exist", handler: setnx),
        CommandSpec("setex", arity: 4, flags: [.write, .denyoom],
                    keys: [.at(1, [.ow, .update])], acl: [.string], group: "string", since: "2.0.0",
                    summary: "Set the value and expiration of a key", handler: { setWithTTL($0, milliseconds: false) }),
        CommandSpec("psetex", arity: 4, flags: [.write, .denyoom],
                    keys: [.at(1, [.ow, .update])], acl: [.string], group: "string", since: "2.6.0",
                    summary: "Set the value and expiration in milliseconds of a key", handler: { setWithTTL($0, milliseconds: true) }),
        CommandSpec("getset", arity: 3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .access, .update])], acl: [.string], group: "string",
                    summary: "Set the string value of a key and return its old value", handler: getset),
        CommandSpec("getdel", arity: 2, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .access, .delete])], acl: [.string], group: "string", since: "6.2.0",
                    summary: "Get the value of a key and delete the key", handler: getdel),
        CommandSpec("getex", arity: -2, flags: [.write, .fast],
                    keys: [KeySpec([.rw, .access, .update], .index(1), .range(last: 0, step: 1, limit: 0), notes: "RW and UPDATE because it changes the TTL")], acl: [.string], group: "string", since: "6.2.0",
                    summary: "Get the value of a key and optionally set its expiration", handler: getex),
        CommandSpec("mget", arity: -2, flags: [.readonly, .fast],
                    keys: [.all(from: 1, [.ro, .access])], acl: [.string], group: "string",
                    summary: "Get the values of all the given keys", handler: mget),
        CommandSpec("mset", arity: -3, flags: [.write, .denyoom],
                    keys: [KeySpec([.ow, .update], .index(1), .range(last: -1, step: 2, limit: 0))], acl: [.string], group: "string", since: "1.0.1",
                    summary: "Set multiple keys to multiple values", handler: { mset($0, onlyIfNoneExist: false) }),
        CommandSpec("msetnx", arity: -3, flags: [.write, .denyoom],
                    keys: [KeySpec([.ow, .insert], .index(1), .range(last: -1, step: 2, limit: 0))], acl: [.string], group: "string", since: "1.0.1",
                    summary: "Set multiple keys to multiple values, only if none of the keys exist",
                    handler: { mset($0, onlyIfNoneExist: true) }),
        CommandSpec("append", arity: 3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .insert])], acl: [.string], group: "string", since: "2.0.0",
                    summary: "Append a value to a key", handler: append),
        CommandSpec("strlen", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro])], acl: [.string], group: "string", since: "2.2.0",
                    summary: "Get the length of the value stored in a key", handler: strlen),
        CommandSpec("getrange", arity: 4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.string], group: "string", since: "2.4.0",
                    summary: "Get a substring of the string stored at a key", handler: getrange),
        CommandSpec("substr", arity: 4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.string], group: "string",
                    summary: "Get a substring of the string stored at a key", handler: getrange),
        CommandSpec("setrange", arity: 4, flags: [.write, .denyoom],
                    keys: [.at(1, [.rw, .update])], acl: [.string], group: "string", since: "2.2.0",
                    summary: "Overwrite part of a string at key starting at the specified offset", handler: setrange),
        CommandSpec("incr", arity: 2, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .access, .update])], acl: [.string], group: "string",
                    summary: "Increment the integer value of a key by one", handler: { incrBy($0, fixed: 1) }),
        CommandSpec("decr", arity: 2, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .access, .update])], acl: [.string], group: "string",
                    summary: "Decrement the integer value of a key by one", handler: { incrBy($0, fixed: -1) }),
        CommandSpec("incrby", arity: 3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .access, .update])], acl: [.string], group: "string",
                    summary: "Increment the integer value of a key by the given amount", handler: { incrBy($0, fixed: nil) }),
        CommandSpec("decrby", arity: 3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .access, .update])], acl: [.string], group: "string",
                    summary: "Decrement the integer value of a key by the given number", handler: decrBy),
        CommandSpec("incrbyfloat", arity: 3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .access, .update])], acl: [.string], group: "string", since: "2.6.0",
                    summary: "Increment the float value of a key by the given amount", handler: incrByFloat),
        CommandSpec("lcs", arity: -3, flags: [.readonly],
                    keys: [KeySpec([.ro, .access], .index(1), .range(last: 1, step: 1, limit: 0))], acl: [.string], group: "string", since: "7.0.0",
                    summary: "Find longest common substring", handler: lcs),
    ]

    /// SET's key with the flags its arguments give it: read too when GET is among the
    /// options (Redis's setGetKeys), else overwritten.
    static func setKeys(_ args: [Bytes]) -> [KeyReference] {
        let get = args.dropFirst(3).contains { $0.lowercased == "get" }
        return [KeyReference(position: 1, flags: get ? [.rw, .access, .update] : [.ow, .update])]
    }

    // MARK: - Reading

    /// The string at `key`: `.some(nil)` when absent; nil (after a WRONGTYPE reply) when not a string.
    static func readString(_ ctx: CommandContext, _ key: Bytes) -> Bytes?? {
        guard let p = ctx.lookupRead(key) else { return .some(nil) }
        guard let s = ctx.db.main.entries[p].value.stringBytes else {
            ctx.wrongType()
            return nil
        }
        return .some(s)
    }

    /// `body` of the string at `key`, read where it lies (nil for a missing key), for a
    /// command that only reads it: `readString` copies the value out of its entry, which
    /// retains and releases its storage, a tenth of a pipelined GET. Nil (after a
    /// WRONGTYPE reply) when not a string. `body` must not change the keyspace.
    static func withString<R>(_ ctx: CommandContext, _ key: Bytes, _ body: (UnsafeRawBufferPointer?) -> R) -> R? {
        guard let p = ctx.lookupRead(key) else { return body(nil) }
        let result = ctx.withDB { d in d.main.borrowValue(at: p) { $0.withStringBytes { body($0) } } }
        if result == nil { ctx.wrongType() }
        return result
    }

    static func get(_ ctx: CommandContext) {
        _ = withString(ctx, ctx.args[1]) { bytes in
            if let bytes { ctx.out.bulk(raw: bytes) } else { ctx.out.null() }
        }
    }

    static func mget(_ ctx: CommandContext) {
        ctx.out.arrayHeader(ctx.args.count - 1)
        for key in ctx.args.dropFirst() {
            if let p = ctx.lookupRead(key), let s = ctx.db.main.entries[p].value.stringBytes {
                ctx.out.bulk(s)
            } else {
                ctx.out.null()
            }
        }
    }

    static func strlen(_ ctx: CommandContext) {
        _ = withString(ctx, ctx.args[1]) { ctx.out.integer($0?.count ?? 0) }
    }

    static func getrange(_ ctx: CommandContext) {
        guard var start = ctx.int64Arg(2), var end = ctx.int64Arg(3) else { return }
        guard let found = readString(ctx, ctx.args[1]) else { return }
        let value = found ?? .empty
        let n = Int64(value.count)
        if start < 0 && end < 0 && start > end { ctx.out.bulk(Bytes.empty); return }
        if start < 0 { start = n + start }
        if end < 0 { end = n + end }
        if start < 0 { start = 0 }
        if end < 0 { end = 0 }
        if end >= n { end = n - 1 }
        if start > end || n == 0 { ctx.out.bulk(Bytes.empty); return }
        ctx.out.bulk(value.slice(Int(start)..<Int(end + 1)))
    }

    // MARK: - SET and its options

    struct SetOptions {
        var nx = false, xx = false, get = false, keepTTL = false, persist = false
        /// The expiry argument's position and unit, if any.
        var expireIndex: Int?
        var unitIsSeconds = true
        var relative = true
    }

    /// Redis's parseExtendedStringArgumentsOrReply for SET (`forGetEx` false) and GETEX.
    static func parseSetOptions(_ ctx: CommandContext, from first: Int, forGetEx: Bool) -> SetOptions? {
        var o = SetOptions()
        var j = first
        let args = ctx.args
        while j < args.count {
            let a = args[j]
            let hasNext = j + 1 < args.count
            let hasExpire = o.expireIndex != nil
            if !forGetEx && a.equalsLowercased("nx") && !o.xx {
                o.nx = true
            } else if !forGetEx && a.equalsLowercased("xx") && !o.nx {
                o.xx = true
            } else if !forGetEx && a.equalsLowercased("get") {
                o.get = true
            } else if !forGetEx && a.equalsLowercased("keepttl") && !o.persist && !hasExpire {
                o.keepTTL = true
            } else if forGetEx && a.equalsLowercased("persist") && !hasExpire {
                o.persist = true
            } else if hasNext && !o.keepTTL && !o.persist && !hasExpire,
                      let (seconds, relative) = expireOption(a) {
                o.expireIndex = j + 1
                o.unitIsSeconds = seconds
                o.relative = relative
                j += 1
            } else {
                ctx.syntaxError()
                return nil
            }
            j += 1
        }
        return o
    }

    static func expireOption(_ a: Bytes) -> (seconds: Bool, relative: Bool)? {
        if a.equalsLowercased("ex") { return (true, true) }
        if a.equalsLowercased("px") { return (false, true) }
        if a.equalsLowercased("exat") { return (true, false) }
        if a.equalsLowercased("pxat") { return (false, false) }
        return nil
    }

    /// The absolute expiry time in ms for an EX/PX/EXAT/PXAT argument, or nil after replying
    /// with Redis's error (not an integer; not positive; overflow).
    static func absoluteExpire(_ ctx: CommandContext, _ index: Int, seconds: Bool, relative: Bool) -> Int64? {
        guard var ms = ctx.int64Arg(index) else { return nil }
        if ms <= 0 || (seconds && ms > Int64.max / 1000) {
            ctx.out.error(Reply.invalidExpireTime(ctx.commandName))
            return nil
        }
        if seconds { ms *= 1000 }
        if relative { ms = ms &+ ctx.nowMs }
        if ms <= 0 {
            ctx.out.error(Reply.invalidExpireTime(ctx.commandName))
            return nil
        }
        return ms
    }

    static func set(_ ctx: CommandContext) {
        guard let o = parseSetOptions(ctx, from: 3, forGetEx: false) else { return }
        var expireAt: Int64?
        if let i = o.expireIndex {
            guard let t = absoluteExpire(ctx, i, seconds: o.unitIsSeconds, relative: o.relative) else { return }
            expireAt = t
        }
        setGeneric(ctx, key: ctx.args[1], value: ctx.args[2], nx: o.nx, xx: o.xx, get: o.get,
                   keepTTL: o.keepTTL, expireAt: expireAt)
    }

    /// The common path of SET, SETEX and PSETEX (Redis's setGenericCommand).
    static func setGeneric(_ ctx: CommandContext, key: Bytes, value: Bytes, nx: Bool = false, xx: Bool = false,
                           get: Bool = false, keepTTL: Bool = false, expireAt: Int64?, okReply: Bool = true) {
        if get {
            guard let old = readString(ctx, key) else { return }
            ctx.out.bulkOrNull(old)
        }
        let position = ctx.lookupWrite(key)
        if (nx && position != nil) || (xx && position == nil) {
            if !get { ctx.out.null() }
            return
        }
        let clock = ctx.lruClock
        ctx.withDB { d in
            if let p = position {
                d.replace(at: p, .string(value), keepTTL: keepTTL, clock: clock)
            } else {
                d.add(key, .string(value), clock: clock)
            }
        }
        ctx.dirty += 1
        ctx.notify(.string, "set", key)
        if let t = expireAt {
            ctx.db.setExpire(key, atMs: t)
            ctx.propagate(["SET", key, value, "PXAT", Bytes(t)])
            ctx.notify(.generic, "expire", key)
        } else if get {
            // Replayed without GET, which only shapes the reply.
            ctx.propagate(ctx.args.enumerated().filter { $0.offset < 3 || !$0.element.equalsLowercased("get") }.map { $0.element })
        }
        if !get && okReply { ctx.out.ok() }
    }

    static func setnx(_ ctx: CommandContext) {
        let key = ctx.args[1]
        if ctx.lookupWrite(key) != nil {
            ctx.out.integer(0)
            return
        }
        ctx.db.set(key, .string(ctx.args[2]), clock: ctx.lruClock)
        ctx.dirty += 1
        ctx.notify(.string, "set", key)
        ctx.out.integer(1)
    }

    static func setWithTTL(_ ctx: CommandContext, milliseconds: Bool) {
        guard let t = absoluteExpire(ctx, 2, seconds: !milliseconds, relative: true) else { return }
        setGeneric(ctx, key: ctx.args[1], value: ctx.args[3], expireAt: t)
    }

    static func getset(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let old = readString(ctx, key) else { return }
        ctx.out.bulkOrNull(old)
        ctx.db.set(key, .string(ctx.args[2]), clock: ctx.lruClock)
        ctx.dirty += 1
        ctx.notify(.string, "set", key)
        ctx.propagate(["SET", key, ctx.args[2]])
    }

    static func getdel(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let old = readString(ctx, key) else { return }
        ctx.out.bulkOrNull(old)
        if old != nil {
            ctx.db.delete(key)
            ctx.dirty += 1
            ctx.propagate(["DEL", key])
            ctx.notify(.generic, "del", key)
        }
    }

    static func getex(_ ctx: CommandContext) {
        guard let o = parseSetOptions(ctx, from: 2, forGetEx: true) else { return }
        let key = ctx.args[1]
        guard let p = ctx.lookupRead(key) else { ctx.out.null(); return }
        guard let value = ctx.db.main.entries[p].value.stringBytes else { ctx.wrongType(); return }
        var expireAt: Int64?
        if let i = o.expireIndex {
            guard let t = absoluteExpire(ctx, i, seconds: o.unitIsSeconds, relative: o.relative) else { return }
            expireAt = t
        }
        ctx.out.bulk(value)
        if let t = expireAt {
            if !o.relative && t <= ctx.nowMs && !ctx.replaying {
                ctx.db.delete(key)
                ctx.propagate(["DEL", key])
                ctx.notify(.generic, "del", key)
            } else {
                ctx.db.setExpire(key, atMs: t)
                ctx.propagate(["PEXPIREAT", key, Bytes(t)])
                ctx.notify(.generic, "expire", key)
            }
            ctx.dirty += 1
        } else if o.persist {
            if ctx.db.removeExpire(key) {
                ctx.propagate(["PERSIST", key])
                ctx.dirty += 1
                ctx.notify(.generic, "persist", key)
            }
        }
    }

    static func mset(_ ctx: CommandContext, onlyIfNoneExist: Bool) {
        let args = ctx.args
        if args.count % 2 == 0 {
            ctx.out.error(Reply.wrongArity(ctx.commandName))
            return
        }
        if onlyIfNoneExist {
            var i = 1
            while i < args.count {
                if ctx.lookupWrite(args[i]) != nil {
                    ctx.out.integer(0)
                    return
                }
                i += 2
            }
        }
        var i = 1
        while i < args.count {
            ctx.db.set(args[i], .string(args[i + 1]), clock: ctx.lruClock)
            ctx.notify(.string, "set", args[i])
            i += 2
        }
        ctx.dirty += (args.count - 1) / 2
        if onlyIfNoneExist { ctx.out.integer(1) } else { ctx.out.ok() }
    }

    // MARK: - In-place changes

    static func checkLength(_ ctx: CommandContext, _ size: Int64, _ append: Int64) -> Bool {
        let (total, overflow) = size.addingReportingOverflow(append)
        if overflow || total > Int64(ctx.settings.stringBytesMax) {
            ctx.out.error(Reply.stringTooLong)
            return false
        }
        return true
    }

    static func append(_ ctx: CommandContext) {
        let key = ctx.args[1], tail = ctx.args[2]
        guard let p = ctx.lookupWrite(key) else {
            ctx.db.set(key, .string(tail), clock: ctx.lruClock)
            ctx.dirty += 1
            ctx.notify(.string, "append", key)
            ctx.out.integer(tail.count)
            return
        }
        guard let current = ctx.db.main.entries[p].value.stringBytes else { ctx.wrongType(); return }
        guard checkLength(ctx, Int64(current.count), Int64(tail.count)) else { return }
        var bytes: [UInt8] = []
        ctx.db.main.withValue(at: p) { v in
            if case .raw(let a) = v { bytes = a; v = .int(0) }  // release the array so the append is in place
            else { bytes = current.array }
        }
        tail.withUnsafeBytes { bytes.append(contentsOf: $0) }
        let n = bytes.count
        ctx.db.main.setValue(.raw(bytes), at: p)
        ctx.dirty += 1
        ctx.notify(.string, "append", key)
        ctx.out.integer(n)
    }

    static func setrange(_ ctx: CommandContext) {
        let key = ctx.args[1], patch = ctx.args[3]
        guard let offset = ctx.int64Arg(2) else { return }
        if offset < 0 { ctx.out.error("ERR offset is out of range"); return }
        var bytes: [UInt8]
        let position = ctx.lookupWrite(key)
        if let p = position {
            guard let current = ctx.db.main.entries[p].value.stringBytes else { ctx.wrongType(); return }
            if patch.isEmpty { ctx.out.integer(current.count); return }
            guard checkLength(ctx, offset, Int64(patch.count)) else { return }
            bytes = []
            ctx.db.main.withValue(at: p) { v in
                if case .raw(let a) = v { bytes = a; v = .int(0) } else { bytes = current.array }
            }
        } else {
            if patch.isEmpty { ctx.out.integer(0); return }
            guard checkLength(ctx, offset, Int64(patch.count)) else { return }
            bytes = []
        }
        let end = Int(offset) + patch.count
        if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
        patch.withUnsafeBytes { raw in
            for i in 0..<raw.count { bytes[Int(offset) + i] = raw[i] }
        }
        let n = bytes.count
        if let p = position {
            ctx.db.main.setValue(.raw(bytes), at: p)
        } else {
            ctx.db.set(key, .raw(bytes), clock: ctx.lruClock)
        }
        ctx.dirty += 1
        ctx.notify(.string, "setrange", key)
        ctx.out.integer(n)
    }

    // MARK: - Counters

    static func incrBy(_ ctx: CommandContext, fixed: Int64?) {
        let delta: Int64
        if let fixed { delta = fixed } else {
            guard let d = ctx.int64Arg(2) else { return }
            delta = d
        }
        incrGeneric(ctx, delta)
    }

    static func decrBy(_ ctx: CommandContext) {
        guard let d = ctx.int64Arg(2) else { return }
        if d == Int64.min { ctx.out.error("ERR decrement would overflow"); return }
        incrGeneric(ctx, -d)
    }

    static func incrGeneric(_ ctx: CommandContext, _ delta: Int64) {
        let key = ctx.args[1]
        let p = ctx.lookupWrite(key)
        var current: Int64 = 0
        if let p {
            // The database through withDB: `ctx.db` retains and releases it.
            let value = ctx.withDB { d -> Int64?? in
                switch d.main.entries[p].value {
                case .int(let v): return v
                case let other:
                    guard let s = other.stringBytes else { return nil }
                    return .some(s.int64)
                }
            }
            guard let value else { ctx.wrongType(); return }
            guard let value else { ctx.out.error(Reply.notInteger); return }
            current = value
        }
        let (result, overflow) = current.addingReportingOverflow(delta)
        if overflow { ctx.out.error(Reply.overflow); return }
        ctx.withDB { d in
            if let p {
                d.main.setValue(.int(result), at: p)
            } else {
                d.set(key, .int(result), clock: ctx.lruClock)
            }
        }
        ctx.dirty += 1
        ctx.notify(.string, "incrby", key)
        ctx.out.integer(result)
    }

    static func incrByFloat(_ ctx: CommandContext) {
        let key = ctx.args[1]
        let p = ctx.lookupWrite(key)
        var current: Float80 = 0
        if let p {
            guard let s = ctx.db.main.entries[p].value.stringBytes else { ctx.wrongType(); return }
            guard let v = s.longDouble else { ctx.out.error(Reply.notFloat); return }
            current = v
        }
        guard let delta = ctx.args[2].longDouble else { ctx.out.error(Reply.notFloat); return }
        let result = current + delta
        if result.isNaN || result.isInfinite {
            ctx.out.error("ERR increment would produce NaN or Infinity")
            return
        }
        guard let text = formatLongDoubleHuman(result) else {
            ctx.out.error("ERR increment would produce NaN or Infinity")
            return
        }
        if let p {
            ctx.db.main.setValue(.textString(text), at: p)
        } else {
            ctx.db.set(key, .textString(text), clock: ctx.lruClock)
        }
        ctx.dirty += 1
        ctx.notify(.string, "incrbyfloat", key)
        // Replayed as SET of the result, so float rounding cannot differ on replay.
        ctx.propagate(["SET", key, text, "KEEPTTL"])
        ctx.out.bulk(text)
    }

    // MARK: - LCS

    static func lcs(_ ctx: CommandContext) {
        let va = ctx.peek(ctx.args[1]), vb = ctx.peek(ctx.args[2])
        if (va != nil && va?.stringBytes == nil) || (vb != nil && vb?.stringBytes == nil) {
            ctx.out.error("ERR The specified keys must contain string values")
            return
        }
        let a = va?.stringBytes?.array ?? [], b = vb?.stringBytes?.array ?? []
        var getLen = false, getIdx = false, withMatchLen = false
        var minMatchLen: Int64 = 0
        var j = 3
        while j < ctx.args.count {
            let more = ctx.args.count - 1 - j
            if ctx.isOption(j, "idx") { getIdx = true }
            else if ctx.isOption(j, "len") { getLen = true }
            else if ctx.isOption(j, "withmatchlen") { withMatchLen = true }
            else if ctx.isOption(j, "minmatchlen") && more > 0 {
                guard let v = ctx.int64Arg(j + 1) else { return }
                minMatchLen = max(0, v)
                j += 1
            } else { ctx.syntaxError(); return }
            j += 1
        }
        if getIdx && getLen {
            ctx.out.error("ERR If you want both the length and indexes, please just use IDX.")
            return
        }
        let alen = a.count, blen = b.count
        let cells = (alen + 1) * (blen + 1)
        if cells * 4 > ctx.settings.stringBytesMax {
            ctx.out.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
            return
        }
        // table[i*(blen+1)+j] = length of the LCS of a[0..<i] and b[0..<j].
        var table = [UInt32](repeating: 0, count: cells)
        let w = blen + 1
        if alen > 0 && blen > 0 {
            for i in 1...alen {
                for k in 1...blen {
                    if a[i - 1] == b[k - 1] {
                        table[i * w + k] = table[(i - 1) * w + k - 1] + 1
                    } else {
                        table[i * w + k] = max(table[(i - 1) * w + k], table[i * w + k - 1])
                    }
                }
            }
        }
        let total = Int(table[alen * w + blen])
        var result = [UInt8](repeating: 0, count: total)
        var ranges: [(Int, Int, Int, Int)] = []
        // Walk back from the end, collecting the common string and its contiguous ranges.
        var i = alen, k = blen, idx = total
        var aStart = alen, aEnd = 0, bStart = 0, bEnd = 0  // aStart == alen: no range open
        let computeString = getIdx || !getLen
        while computeString && i > 0 && k > 0 {
            var emit = false
            if a[i - 1] == b[k - 1] {
                result[idx - 1] = a[i - 1]
                if aStart == alen {
                    aStart = i - 1; aEnd = i - 1; bStart = k - 1; bEnd = k - 1
                } else if aStart == i && bStart == k {
                    aStart -= 1; bStart -= 1
                } else {
                    emit = true
                }
                if aStart == 0 || bStart == 0 { emit = true }
                idx -= 1; i -= 1; k -= 1
            } else {
                if table[(i - 1) * w + k] > table[i * w + k - 1] { i -= 1 } else { k -= 1 }
                if aStart != alen { emit = true }
            }
            if emit {
                let matchLen = aEnd - aStart + 1
                if minMatchLen == 0 || Int64(matchLen) >= minMatchLen { ranges.append((aStart, aEnd, bStart, bEnd)) }
                aStart = alen
            }
        }
        if getIdx {
            ctx.out.mapHeader(2)
            ctx.out.bulk("matches")
            ctx.out.arrayHeader(ranges.count)
            for r in ranges {
                ctx.out.arrayHeader(withMatchLen ? 3 : 2)
                ctx.out.arrayHeader(2); ctx.out.integer(r.0); ctx.out.integer(r.1)
                ctx.out.arrayHeader(2); ctx.out.integer(r.2); ctx.out.integer(r.3)
                if withMatchLen { ctx.out.integer(r.1 - r.0 + 1) }
            }
            ctx.out.bulk("len")
            ctx.out.integer(total)
        } else if getLen {
            ctx.out.integer(total)
        } else {
            ctx.out.bulk(Bytes(result))
        }
    }
}
