import CairnCore
import CairnStore

/// XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM and XSETID (Redis's t_stream.c); the read
/// and group commands are in their own files.
enum StreamCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("xadd", arity: -5, flags: [.write, .denyoom, .fast],
                    keys: [KeySpec([.rw, .update], .index(1), .range(last: 0, step: 1, limit: 0),
                                   notes: "UPDATE instead of INSERT because of the optional trimming feature")],
                    acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Appends a new entry to a stream", handler: xadd),
        CommandSpec("xtrim", arity: -4, flags: [.write],
                    keys: [.at(1, [.rw, .delete])], acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Trims the stream to (approximately if '~' is passed) a certain size", handler: xtrim),
        CommandSpec("xdel", arity: -3, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .delete])], acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
                    handler: xdel),
        CommandSpec("xlen", arity: 2, flags: [.readonly, .fast],
                    keys: [.at(1, [.ro])], acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Return the number of entries in a stream", handler: xlen),
        CommandSpec("xrange", arity: -4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
                    handler: { range($0, reverse: false) }),
        CommandSpec("xrevrange", arity: -4, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
                    handler: { range($0, reverse: true) }),
        CommandSpec("xsetid", arity: -3, flags: [.write, .denyoom, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "An internal command for replicating stream values", handler: xsetid),
    ] + StreamReadCommands.specs + StreamGroupCommands.specs + [StreamInfoCommand.spec]

    static func xadd(_ ctx: CommandContext) {
        guard let parsed = StreamTrimArguments.parse(ctx, xadd: true), let idIndex = parsed.idIndex else { return }
        let fieldsAt = idIndex + 1
        let pairCount = ctx.args.count - fieldsAt
        guard pairCount >= 2 && pairCount % 2 == 0 else {
            ctx.out.error(Reply.wrongArity(ctx.commandName))
            return
        }
        if let id = parsed.id, parsed.seqGiven, id.isZero {
            ctx.out.error("ERR The ID specified in XADD must be greater than 0-0")
            return
        }
        let key = ctx.args[1]
        guard let found = ctx.readStream(key, write: true) else { return }
        var stream = found
        if stream == nil {
            if parsed.noMakeStream {
                ctx.out.null()
                return
            }
            let created = StreamValue()
            ctx.db.add(key, .stream(created), clock: ctx.lruClock)
            stream = created
        }
        let s = stream!
        if s.lastID == .max {
            ctx.out.error("ERR The stream has exhausted the last possible ID, unable to add more items")
            return
        }
        guard let id = newID(ctx, s, parsed) else { return }
        let pairs = ctx.args[fieldsAt...]
        var elementBytes = 0
        for p in pairs { elementBytes += p.count }
        guard elementBytes <= StreamValue.nodeBytesLimit else {
            ctx.out.error("ERR Elements are too large to be stored")
            return
        }
        s.append(id, pairs, nodeMaxBytes: ctx.settings.streamNodeMaxBytes, nodeMaxEntries: ctx.settings.streamNodeMaxEntries)
        StreamReply.id(&ctx.out, id)
        ctx.dirty += 1
        ctx.notify(.stream, "xadd", key)
        var logged = ctx.args
        var rewrite = false
        if parsed.strategy != nil {
            if parsed.trim(s, rewriting: &logged) > 0 { ctx.notify(.stream, "xtrim", key) }
            rewrite = parsed.approximate
        }
        if parsed.id == nil || !parsed.seqGiven {
            logged[idIndex] = id.bytes
            rewrite = true
        }
        if rewrite { ctx.propagate(logged) }
        ctx.signalListReady(key)
    }

    /// The ID of a new entry (streamAppendItem): the one given, `ms-*` completed, or the
    /// next after the last by the clock. Nil after the error.
    static func newID(_ ctx: CommandContext, _ s: StreamValue, _ parsed: StreamTrimArguments) -> StreamID? {
        let tooSmall = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
        var id: StreamID
        if let given = parsed.id {
            if parsed.seqGiven {
                id = given
            } else if s.lastID.ms == given.ms {
                // Redis 7.0 fails here without setting errno to EDOM, so it answers
                // with its other XADD error.
                guard s.lastID.seq < .max else { ctx.out.error("ERR Elements are too large to be stored"); return nil }
                id = StreamID(ms: given.ms, seq: s.lastID.seq + 1)
            } else {
                id = given
            }
        } else {
            let now = UInt64(max(0, ctx.nowMs))
            id = now > s.lastID.ms ? StreamID(ms: now, seq: 0) : (s.lastID.successor ?? .max)
        }
        guard id > s.lastID else { ctx.out.error(tooSmall); return nil }
        return id
    }

    static func xtrim(_ ctx: CommandContext) {
        guard let parsed = StreamTrimArguments.parse(ctx, xadd: false) else { return }
        let key = ctx.args[1]
        guard let found = ctx.readStream(key, write: true) else { return }
        guard let s = found else { ctx.out.integer(0); return }
        var logged = ctx.args
        let removed = parsed.trim(s, rewriting: &logged)
        if removed > 0 {
            ctx.notify(.stream, "xtrim", key)
            if parsed.approximate { ctx.propagate(logged) }
            ctx.dirty += removed
        }
        ctx.out.integer(removed)
    }

    static func xdel(_ ctx: CommandContext) {
        var ids: [StreamID] = []
        for i in 2..<ctx.args.count {
            guard let id = ctx.streamIDArg(i, strict: true) else { return }
            ids.append(id)
        }
        let key = ctx.args[1]
        guard let found = ctx.readStream(key, write: true) else { return }
        guard let s = found else { ctx.out.integer(0); return }
        var deleted = 0
        var firstDeleted = false
        for id in ids where s.delete(id) {
            if id == s.firstID { firstDeleted = true }
            if id > s.maxDeletedID { s.maxDeletedID = id }
            deleted += 1
        }
        if deleted > 0 {
            if s.length == 0 {
                s.firstID = .zero
            } else if firstDeleted {
                s.firstID = s.edgeID(first: true)
            }
            ctx.notify(.stream, "xdel", key)
            ctx.dirty += deleted
        }
        ctx.out.integer(deleted)
    }

    static func xlen(_ ctx: CommandContext) {
        guard let found = ctx.readStream(ctx.args[1]) else { return }
        ctx.out.integer(found?.length ?? 0)
    }

    static func range(_ ctx: CommandContext, reverse: Bool) {
        guard let start = ctx.streamIntervalArg(reverse ? 3 : 2, isStart: true),
              let end = ctx.streamIntervalArg(reverse ? 2 : 3, isStart: false) else { return }
        var count: Int64 = -1
        var j = 4
        while j < ctx.args.count {
            guard ctx.isOption(j, "count") && j + 1 < ctx.args.count else { ctx.syntaxError(); return }
            guard let n = ctx.int64Arg(j + 1) else { return }
            count = max(0, n)
            j += 2
        }
        guard let found = ctx.readStream(ctx.args[1]) else { return }
        guard let s = found else { ctx.out.arrayHeader(0); return }
        if count == 0 {
            ctx.out.nullArray()
            return
        }
        StreamReply.range(&ctx.out, s, from: start, to: end, count: count < 0 ? 0 : Int(count), reverse: reverse)
    }

    static func xsetid(_ ctx: CommandContext) {
        guard let id = ctx.streamIDArg(2, strict: true) else { return }
        var entriesAdded: Int64 = -1
        var maxDeleted = StreamID.zero
        var i = 3
        while i < ctx.args.count {
            let more = ctx.args.count - 1 - i
            if ctx.isOption(i, "entriesadded") && more > 0 {
                guard let n = ctx.int64Arg(i + 1) else { return }
                guard n >= 0 else { ctx.out.error("ERR entries_added must be positive"); return }
                entriesAdded = n
            } else if ctx.isOption(i, "maxdeletedid") && more > 0 {
                guard let m = ctx.streamIDArg(i + 1, strict: true) else { return }
                guard id >= m else {
                    ctx.out.error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
                    return
                }
                maxDeleted = m
            } else {
                ctx.syntaxError()
                return
            }
            i += 2
        }
        let key = ctx.args[1]
        guard let found = ctx.readStream(key, write: true) else { return }
        guard let s = found else { ctx.out.error(Reply.noSuchKey); return }
        if s.length > 0 {
            guard id >= s.edgeID(first: false) else {
                ctx.out.error("ERR The ID specified in XSETID is smaller than the target stream top item")
                return
            }
            if entriesAdded != -1 && Int64(s.length) > entriesAdded {
                ctx.out.error("ERR The entries_added specified in XSETID is smaller than the target stream length")
                return
            }
        }
        s.lastID = id
        if entriesAdded != -1 { s.entriesAdded = entriesAdded }
        if !maxDeleted.isZero { s.maxDeletedID = maxDeleted }
        ctx.notify(.stream, "xsetid", key)
        ctx.dirty += 1
        ctx.out.ok()
    }
}
