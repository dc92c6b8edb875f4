import CairnCore
import CairnRESP
import CairnStore

/// Consumer groups (Redis 7.0's t_stream.c): XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM,
/// and the effects that replay a group's changes exactly (XCLAIM ... FORCE JUSTID LASTID,
/// XGROUP SETID ... ENTRIESREAD), as Redis propagates them.
enum StreamGroupCommands {
    static let specs: [CommandSpec] = [
        xgroup,
        CommandSpec("xack", arity: -4, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
                    handler: xack),
        CommandSpec("xpending", arity: -3, flags: [.readonly],
                    keys: [.at(1, [.ro, .access])], acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
                    handler: xpending),
        CommandSpec("xclaim", arity: -6, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .update])], acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
                    handler: xclaim),
        CommandSpec("xautoclaim", arity: -6, flags: [.write, .fast],
                    keys: [.at(1, [.rw, .delete])], acl: [.stream], group: "stream", since: "6.2.0",
                    summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
                    handler: xautoclaim),
    ]

    // MARK: - Effects

    /// XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last: sets
    /// the pending entry as it is now (or, when the entry is gone, drops it).
    static func claimEffect(_ key: Bytes, _ group: StreamGroup, _ id: StreamID, _ nack: StreamPendingEntry) -> [Bytes] {
        ["XCLAIM", key, group.name, nack.consumer.name, "0", id.bytes, "TIME", Bytes(nack.deliveryTime),
         "RETRYCOUNT", Bytes(nack.deliveryCount), "FORCE", "JUSTID", "LASTID", group.lastID.bytes]
    }

    /// XGROUP SETID key group last ENTRIESREAD n.
    static func setIDEffect(_ key: Bytes, _ group: StreamGroup) -> [Bytes] {
        ["XGROUP", "SETID", key, group.name, group.lastID.bytes, "ENTRIESREAD", Bytes(group.entriesRead)]
    }

    static func noGroup(_ ctx: CommandContext, key: Bytes, group: Bytes) {
        ctx.out.error("NOGROUP No such key '\(key.string)' or consumer group '\(group.string)'")
    }

    // MARK: - XGROUP

    static let xgroup: CommandSpec = {
        let x = CommandSpec("xgroup", arity: -2, flags: [], acl: [], group: "stream", since: "5.0.0",
                            summary: "A container for consumer groups commands")
        let keys: [KeySpec] = [.at(2, [.rw, .update])]
        x.addSubcommand(CommandSpec("create", arity: -5, flags: [.write, .denyoom], keys: [.at(2, [.rw, .insert])],
                                    acl: [.stream], group: "stream", since: "5.0.0",
                                    summary: "Create a consumer group.") { group($0) })
        x.addSubcommand(CommandSpec("setid", arity: -5, flags: [.write], keys: keys, acl: [.stream], group: "stream",
                                    since: "5.0.0", summary: "Set a consumer group to an arbitrary last delivered ID value.") { group($0) })
        x.addSubcommand(CommandSpec("destroy", arity: 4, flags: [.write], keys: [.at(2, [.rw, .delete])], acl: [.stream],
                                    group: "stream", since: "5.0.0", summary: "Destroy a consumer group.") { group($0) })
        x.addSubcommand(CommandSpec("createconsumer", arity: 5, flags: [.write, .denyoom], keys: [.at(2, [.rw, .insert])],
                                    acl: [.stream], group: "stream", since: "6.2.0",
                                    summary: "Create a consumer in a consumer group.") { group($0) })
        x.addSubcommand(CommandSpec("delconsumer", arity: 5, flags: [.write], keys: [.at(2, [.rw, .delete])], acl: [.stream],
                                    group: "stream", since: "5.0.0", summary: "Delete a consumer from a consumer group.") { group($0) })
        x.addHelp(acl: [.stream], since: "5.0.0", [
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ])
        return x
    }()

    static func subcommandSyntaxError(_ ctx: CommandContext) {
        ctx.out.error("ERR unknown subcommand or wrong number of arguments for '\(ctx.args[1].string.prefix(128))'. Try \(ctx.args[0].string.uppercased()) HELP.")
    }

    /// XGROUP CREATE, SETID, DESTROY, CREATECONSUMER and DELCONSUMER (xgroupCommand).
    static func group(_ ctx: CommandContext) {
        let sub = ctx.args[1].lowercased.string
        var makeStream = false
        var entriesRead = StreamGroup.unknownEntriesRead
        if sub == "create" || sub == "setid" {
            var i = 5
            while i < ctx.args.count {
                if sub == "create" && ctx.isOption(i, "mkstream") {
                    makeStream = true
                    i += 1
                } else if ctx.isOption(i, "entriesread") && i + 1 < ctx.args.count {
                    guard let n = ctx.int64Arg(i + 1) else { return }
                    guard n >= 0 || n == StreamGroup.unknownEntriesRead else {
                        ctx.out.error("ERR value for ENTRIESREAD must be positive or -1")
                        return
                    }
                    entriesRead = n
                    i += 2
                } else {
                    subcommandSyntaxError(ctx)
                    return
                }
            }
        }
        let key = ctx.args[2], name = ctx.args[3]
        guard let found = ctx.readStream(key, write: true) else { return }
        if found == nil && !makeStream {
            ctx.out.error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
            return
        }
        let g = found?.group(name)
        if g == nil && ["setid", "createconsumer", "delconsumer"].contains(sub) {
            ctx.out.error("NOGROUP No such consumer group '\(name.string)' for key name '\(key.string)'")
            return
        }
        switch sub {
        case "create":
            guard ctx.args.count <= 8 else { subcommandSyntaxError(ctx); return }
            create(ctx, found, key: key, name: name, entriesRead: entriesRead)
        case "setid":
            guard ctx.args.count == 5 || ctx.args.count == 7 else { subcommandSyntaxError(ctx); return }
            let id: StreamID
            if ctx.args[4] == "$" {
                id = found!.lastID
            } else {
                guard let parsed = ctx.streamIDArg(4) else { return }
                id = parsed
            }
            g!.lastID = id
            g!.entriesRead = entriesRead
            ctx.dirty += 1
            ctx.notify(.stream, "xgroup-setid", key)
            ctx.out.ok()
        case "destroy":
            guard g != nil, found!.destroyGroup(name) else { ctx.out.integer(0); return }
            ctx.dirty += 1
            ctx.notify(.stream, "xgroup-destroy", key)
            // Its blocked readers get -NOGROUP.
            ctx.signalListReady(key)
            ctx.out.integer(1)
        case "createconsumer":
            let (_, created) = g!.consumer(ctx.args[4], now: ctx.nowMs)
            if created {
                ctx.dirty += 1
                ctx.notify(.stream, "xgroup-createconsumer", key)
            }
            ctx.out.integer(created ? 1 : 0)
        default:
            guard let pending = g!.deleteConsumer(ctx.args[4]) else { ctx.out.integer(0); return }
            ctx.dirty += 1
            ctx.notify(.stream, "xgroup-delconsumer", key)
            ctx.out.integer(pending)
        }
    }

    static func create(_ ctx: CommandContext, _ found: StreamValue?, key: Bytes, name: Bytes, entriesRead: Int64) {
        let id: StreamID
        if ctx.args[4] == "$" {
            id = found?.lastID ?? .zero
        } else {
            guard let parsed = ctx.streamIDArg(4, strict: true) else { return }
            id = parsed
        }
        var s = found
        if s == nil {
            let created = StreamValue()
            ctx.db.add(key, .stream(created), clock: ctx.lruClock)
            s = created
        }
        guard s!.createGroup(name, lastID: id, entriesRead: entriesRead) != nil else {
            ctx.out.error("BUSYGROUP Consumer Group name already exists")
            return
        }
        ctx.dirty += 1
        ctx.notify(.stream, "xgroup-create", key)
        ctx.out.ok()
    }

    // MARK: - XACK

    static func xack(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let found = ctx.readStream(key) else { return }  // a read lookup in Redis (keymiss, keyspace_misses)
        guard let s = found, let g = s.group(ctx.args[2]) else { ctx.out.integer(0); return }
        var ids: [StreamID] = []
        for i in 3..<ctx.args.count {
            guard let id = ctx.streamIDArg(i, strict: true) else { return }
            ids.append(id)
        }
        var acknowledged = 0
        for id in ids where g.acknowledge(id) { acknowledged += 1 }
        ctx.dirty += acknowledged
        ctx.out.integer(acknowledged)
    }

    // MARK: - XPENDING

    static func xpending(_ ctx: CommandContext) {
        let argc = ctx.args.count
        guard argc == 3 || (argc >= 6 && argc <= 9) else { ctx.syntaxError(); return }
        var start = StreamID.zero, end = StreamID.max
        var count: Int64 = 0, minIdle: Int64 = 0
        var consumerName: Bytes?
        if argc >= 6 {
            var at = 3
            if ctx.isOption(3, "idle") {
                guard let n = ctx.int64Arg(4) else { return }
                minIdle = n
                guard argc >= 8 else { ctx.syntaxError(); return }
                at += 2
            }
            guard let n = ctx.int64Arg(at + 2) else { return }
            count = max(0, n)
            guard let s = ctx.streamIntervalArg(at, isStart: true), let e = ctx.streamIntervalArg(at + 1, isStart: false) else { return }
            (start, end) = (s, e)
            if at + 3 < argc { consumerName = ctx.args[at + 3] }
        }
        let key = ctx.args[1]
        guard let found = ctx.readStream(key) else { return }
        guard let s = found, let g = s.group(ctx.args[2]) else { noGroup(ctx, key: key, group: ctx.args[2]); return }
        if argc == 3 {
            summary(ctx, g)
            return
        }
        var pel = g.pending
        if let consumerName {
            guard let c = g.consumers[consumerName] else { ctx.out.arrayHeader(0); return }
            pel = c.pending
        }
        var rows: [(StreamID, StreamPendingEntry)] = []
        pel.forEach(from: start, to: end) { id, nack in
            guard count > 0 else { return false }
            if minIdle != 0 && ctx.nowMs - nack.deliveryTime < minIdle { return true }
            rows.append((id, nack))
            count -= 1
            return true
        }
        ctx.out.arrayHeader(rows.count)
        for (id, nack) in rows {
            ctx.out.arrayHeader(4)
            StreamReply.id(&ctx.out, id)
            ctx.out.bulk(nack.consumer.name)
            ctx.out.integer(max(0, ctx.nowMs - nack.deliveryTime))
            ctx.out.integer(nack.deliveryCount)
        }
    }

    static func summary(_ ctx: CommandContext, _ g: StreamGroup) {
        ctx.out.arrayHeader(4)
        ctx.out.integer(g.pending.count)
        guard let first = g.pending.first, let last = g.pending.last else {
            ctx.out.null()
            ctx.out.null()
            ctx.out.nullArray()
            return
        }
        StreamReply.id(&ctx.out, first.0)
        StreamReply.id(&ctx.out, last.0)
        let busy = g.sortedConsumers.filter { !$0.pending.isEmpty }
        ctx.out.arrayHeader(busy.count)
        for c in busy {
            ctx.out.arrayHeader(2)
            ctx.out.bulk(c.name)
            ctx.out.bulk(Bytes(Int64(c.pending.count)))
        }
    }

    // MARK: - XCLAIM and XAUTOCLAIM

    /// Moves a pending entry to `consumer` (creating the consumer first if needed), at
    /// `time`, with its delivery count set, kept, or counted up.
    static func transfer(_ ctx: CommandContext, _ key: Bytes, _ g: StreamGroup, _ id: StreamID, _ nack: StreamPendingEntry,
                         to consumer: inout StreamConsumer?, name: Bytes, time: Int64, retryCount: Int64?, justID: Bool) {
        let c = resolve(ctx, key, g, &consumer, name: name)
        nack.deliveryTime = time
        if let retryCount { nack.deliveryCount = retryCount } else if !justID { nack.deliveryCount += 1 }
        if nack.consumer !== c {
            nack.consumer.pending.remove(id)
            nack.consumer = c
            c.pending.insert(id, nack)
        }
    }

    /// The claiming consumer, looked up (or created) once per command and seen now.
    static func resolve(_ ctx: CommandContext, _ key: Bytes, _ g: StreamGroup, _ consumer: inout StreamConsumer?,
                        name: Bytes) -> StreamConsumer {
        if let consumer { return consumer }
        let (c, created) = g.consumer(name, now: ctx.nowMs)
        c.seenTime = ctx.nowMs
        if created {
            ctx.dirty += 1
            ctx.notify(.stream, "xgroup-createconsumer", key)
        }
        consumer = c
        return c
    }

    static func writeClaimed(_ ctx: CommandContext, _ s: StreamValue, _ id: StreamID, justID: Bool) {
        if justID {
            StreamReply.id(&ctx.out, id)
        } else if let e = s.entry(id) {
            StreamReply.entry(&ctx.out, e)
        } else {
            ctx.out.null()
        }
    }

    static func xclaim(_ ctx: CommandContext) {
        defer { ctx.suppressEffect() }
        let key = ctx.args[1]
        guard let found = ctx.readStream(key) else { return }  // a read lookup in Redis (keymiss, keyspace_misses)
        guard let s = found, let g = s.group(ctx.args[2]) else { noGroup(ctx, key: key, group: ctx.args[2]); return }
        guard let minIdleArg = ctx.int64Arg(4, error: "ERR Invalid min-idle-time argument for XCLAIM") else { return }
        let minIdle = max(0, minIdleArg)
        var ids: [StreamID] = []
        var j = 5
        while j < ctx.args.count, let (id, _) = StreamID.parse(ctx.args[j], missingSeq: 0, strict: true) {
            ids.append(id)
            j += 1
        }
        let now = ctx.nowMs
        var force = false, justID = false
        var deliveryTime: Int64?
        var retryCount: Int64?
        var lastID = StreamID.zero
        while j < ctx.args.count {
            let more = ctx.args.count - 1 - j
            if ctx.isOption(j, "force") {
                force = true
            } else if ctx.isOption(j, "justid") {
                justID = true
            } else if ctx.isOption(j, "idle") && more > 0 {
                j += 1
                guard let n = ctx.int64Arg(j, error: "ERR Invalid IDLE option argument for XCLAIM") else { return }
                deliveryTime = now &- n
            } else if ctx.isOption(j, "time") && more > 0 {
                j += 1
                guard let n = ctx.int64Arg(j, error: "ERR Invalid TIME option argument for XCLAIM") else { return }
                deliveryTime = n
            } else if ctx.isOption(j, "retrycount") && more > 0 {
                j += 1
                guard let n = ctx.int64Arg(j, error: "ERR Invalid RETRYCOUNT option argument for XCLAIM") else { return }
                retryCount = n
            } else if ctx.isOption(j, "lastid") && more > 0 {
                j += 1
                guard let id = ctx.streamIDArg(j, strict: true) else { return }
                lastID = id
            } else {
                ctx.out.error("ERR Unrecognized XCLAIM option '\(ctx.args[j].string)'")
                return
            }
            j += 1
        }
        var propagateLastID = false
        if lastID > g.lastID {
            g.lastID = lastID
            propagateLastID = true
        }
        var time = deliveryTime ?? now
        if time < 0 || time > now { time = now }
        var claimed: [StreamID] = []
        var consumer: StreamConsumer?
        for id in ids {
            var nack = g.pending[id]
            guard s.contains(id) else {
                if let nack {
                    ctx.propagate(claimEffect(key, g, id, nack))
                    propagateLastID = false
                    ctx.dirty += 1
                    _ = g.acknowledge(id)
                }
                continue
            }
            var fresh = false
            if force && nack == nil {
                // A pending entry made from nothing (Redis's NACK starts at one delivery);
                // the minimum idle time does not apply to it.
                let c = resolve(ctx, key, g, &consumer, name: ctx.args[3])
                let made = StreamPendingEntry(deliveryTime: now, deliveryCount: 1, consumer: c)
                g.pending.insert(id, made)
                c.pending.insert(id, made)
                nack = made
                fresh = true
            }
            guard let nack else { continue }
            if !fresh && minIdle != 0 && now - nack.deliveryTime < minIdle { continue }
            transfer(ctx, key, g, id, nack, to: &consumer, name: ctx.args[3], time: time, retryCount: retryCount, justID: justID)
            claimed.append(id)
            ctx.propagate(claimEffect(key, g, id, nack))
            propagateLastID = false
            ctx.dirty += 1
        }
        if propagateLastID {
            ctx.propagate(setIDEffect(key, g))
            ctx.dirty += 1
        }
        ctx.out.arrayHeader(claimed.count)
        for id in claimed { writeClaimed(ctx, s, id, justID: justID) }
    }

    static func xautoclaim(_ ctx: CommandContext) {
        defer { ctx.suppressEffect() }
        guard let minIdleArg = ctx.int64Arg(4, error: "ERR Invalid min-idle-time argument for XAUTOCLAIM") else { return }
        let minIdle = max(0, minIdleArg)
        guard let start = ctx.streamIntervalArg(5, isStart: true) else { return }
        var count: Int64 = 100
        var justID = false
        var j = 6
        while j < ctx.args.count {
            let more = ctx.args.count - 1 - j
            if ctx.isOption(j, "count") && more > 0 {
                let maxCount = Int64.max / 16
                guard let n = ctx.args[j + 1].int64, n >= 1, n <= maxCount else {
                    ctx.out.error("ERR COUNT must be > 0")
                    return
                }
                count = n
                j += 1
            } else if ctx.isOption(j, "justid") {
                justID = true
            } else {
                ctx.syntaxError()
                return
            }
            j += 1
        }
        let key = ctx.args[1]
        guard let found = ctx.readStream(key) else { return }  // a read lookup in Redis (keymiss, keyspace_misses)
        guard let s = found, let g = s.group(ctx.args[2]) else { noGroup(ctx, key: key, group: ctx.args[2]); return }
        var attempts = count * 10
        // The pending entries the scan may visit, and the one after them (the cursor).
        var visit: [(StreamID, StreamPendingEntry)] = []
        g.pending.forEach(from: start) { id, nack in
            visit.append((id, nack))
            return Int64(visit.count) <= attempts
        }
        let now = ctx.nowMs
        var claimed: [StreamID] = []
        var deleted: [StreamID] = []
        var consumer: StreamConsumer?
        var next = 0
        while attempts > 0 && count > 0 && next < visit.count {
            attempts -= 1
            let (id, nack) = visit[next]
            next += 1
            guard s.contains(id) else {
                ctx.propagate(claimEffect(key, g, id, nack))
                ctx.dirty += 1
                _ = g.acknowledge(id)
                deleted.append(id)
                count -= 1
                continue
            }
            if minIdle != 0 && now - nack.deliveryTime < minIdle { continue }
            transfer(ctx, key, g, id, nack, to: &consumer, name: ctx.args[3], time: now, retryCount: nil, justID: justID)
            claimed.append(id)
            count -= 1
            ctx.propagate(claimEffect(key, g, id, nack))
            ctx.dirty += 1
        }
        ctx.out.arrayHeader(3)
        StreamReply.id(&ctx.out, next < visit.count ? visit[next].0 : .zero)
        ctx.out.arrayHeader(claimed.count)
        for id in claimed { writeClaimed(ctx, s, id, justID: justID) }
        ctx.out.arrayHeader(deleted.count)
        for id in deleted { StreamReply.id(&ctx.out, id) }
    }
}
