import CairnCore
import CairnRESP
import CairnStore

/// XREAD and XREADGROUP (Redis 7.0's xreadCommand): entries after an ID from several
/// streams, or a consumer group's next entries (recorded as pending) or a consumer's own
/// pending history; BLOCK waits for new entries, and a served client runs its command
/// again.
enum StreamReadCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("xread", arity: -4, flags: [.readonly, .blocking],
                    keys: [KeySpec([.ro, .access], .keyword("STREAMS", from: 1), .range(last: -1, step: 1, limit: 2))],
                    acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
                    handler: { read($0, grouped: false) }),
        CommandSpec("xreadgroup", arity: -7, flags: [.write, .blocking],
                    keys: [KeySpec([.ro, .access], .keyword("STREAMS", from: 4), .range(last: -1, step: 1, limit: 2))],
                    acl: [.stream], group: "stream", since: "5.0.0",
                    summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
                    handler: { read($0, grouped: true) }),
    ]

    /// Entries a blocked XREAD gets at most when it gave no COUNT.
    static let blockedCountDefault: Int64 = 1000

    struct Options {
        var timeoutMs: Int64?
        var count: Int64 = 0
        var streamsAt = 0
        var streamCount = 0
        var group: Bytes?
        var consumer: Bytes?
        var noAck = false
    }

    static func parseOptions(_ ctx: CommandContext, grouped: Bool) -> Options? {
        var o = Options()
        let args = ctx.args
        var i = 1
        while i < args.count {
            let more = args.count - i - 1
            if ctx.isOption(i, "block") && more > 0 {
                if ctx.scriptRun != nil {
                    ctx.out.error("ERR \(args[0].string) command is not allowed with BLOCK option from scripts")
                    return nil
                }
                i += 1
                guard let ms = args[i].int64 else { ctx.out.error("ERR timeout is not an integer or out of range"); return nil }
                guard ms >= 0 else { ctx.out.error("ERR timeout is negative"); return nil }
                o.timeoutMs = ms
            } else if ctx.isOption(i, "count") && more > 0 {
                i += 1
                guard let n = ctx.int64Arg(i) else { return nil }
                o.count = max(0, n)
            } else if ctx.isOption(i, "streams") && more > 0 {
                o.streamsAt = i + 1
                let n = args.count - o.streamsAt
                guard n % 2 == 0 else {
                    // Redis 7.0's text, XREADGROUP's too.
                    ctx.out.error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
                    return nil
                }
                o.streamCount = n / 2
                break
            } else if ctx.isOption(i, "group") && more >= 2 {
                guard grouped else {
                    ctx.out.error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
                    return nil
                }
                o.group = args[i + 1]
                o.consumer = args[i + 2]
                i += 2
            } else if ctx.isOption(i, "noack") {
                guard grouped else {
                    ctx.out.error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
                    return nil
                }
                o.noAck = true
            } else {
                ctx.syntaxError()
                return nil
            }
            i += 1
        }
        guard o.streamsAt > 0 else { ctx.syntaxError(); return nil }
        if grouped && o.group == nil {
            ctx.out.error("ERR Missing GROUP option for XREADGROUP")
            return nil
        }
        return o
    }

    /// One stream to read: its key, the ID to read after (`nil`: XREADGROUP's `>`), its
    /// stream and group.
    struct Source {
        var key: Bytes
        var after: StreamID?
        var stream: StreamValue?
        var group: StreamGroup?
    }

    static func read(_ ctx: CommandContext, grouped: Bool) {
        defer { if grouped { ctx.suppressEffect() } }
        guard let o = parseOptions(ctx, grouped: grouped), let sources = resolve(ctx, o) else { return }
        var served: [Int] = []
        for (i, src) in sources.enumerated() {
            // Redis looks every key up again when it serves (keyspace hits and misses, and
            // keymiss events, count twice); the value is the one `resolve` found.
            _ = ctx.lookupRead(src.key)
            guard let s = src.stream else { continue }
            if let group = src.group {
                if src.after != nil || (s.length > 0 && s.edgeID(first: false) > group.lastID) { served.append(i) }
            } else if s.length > 0 && s.edgeID(first: false) > src.after! {
                served.append(i)
            }
        }
        if !served.isEmpty {
            if ctx.out.isRESP3 { ctx.out.mapHeader(served.count) } else { ctx.out.arrayHeader(served.count) }
            for i in served {
                if !ctx.out.isRESP3 { ctx.out.arrayHeader(2) }
                ctx.out.bulk(sources[i].key)
                serve(ctx, sources[i], o)
            }
            return
        }
        if let timeout = o.timeoutMs {
            var request = BlockRequest(awaiting: grouped ? .streamGroup(name: o.group!) : .stream(after: sources.map { $0.after! }),
                                       database: ctx.session.databaseIndex, keys: sources.map { $0.key },
                                       deadlineMs: timeout == 0 ? nil : ctx.nowMs + timeout)
            request.rerunArguments = rerunArguments(ctx, o, sources)
            ctx.blockRequest = request
            return
        }
        ctx.out.nullArray()
    }

    /// Looks up every stream (and group) and resolves `$`; nil after the error.
    static func resolve(_ ctx: CommandContext, _ o: Options) -> [Source]? {
        var sources: [Source] = []
        for k in 0..<o.streamCount {
            let key = ctx.args[o.streamsAt + k]
            let idArg = ctx.args[o.streamsAt + o.streamCount + k]
            guard let found = ctx.readStream(key) else { return nil }
            var src = Source(key: key, after: nil, stream: found, group: nil)
            if let name = o.group {
                guard let s = found, let g = s.group(name) else {
                    ctx.out.error("NOGROUP No such key '\(key.string)' or consumer group '\(name.string)' in XREADGROUP with GROUP option")
                    return nil
                }
                src.group = g
            }
            if idArg == "$" {
                if o.group != nil {
                    ctx.out.error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
                    return nil
                }
                src.after = found?.lastID ?? .zero
            } else if idArg == ">" {
                if o.group == nil {
                    ctx.out.error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
                    return nil
                }
            } else {
                guard let id = ctx.streamIDArg(o.streamsAt + o.streamCount + k, strict: true) else { return nil }
                src.after = id
            }
            sources.append(src)
        }
        return sources
    }

    /// The command a blocked client runs when served: XREAD's `$` made the IDs it stood
    /// for, and the COUNT Redis gives a blocked read that gave none.
    static func rerunArguments(_ ctx: CommandContext, _ o: Options, _ sources: [Source]) -> [Bytes] {
        var args = Array(ctx.args[..<(o.streamsAt - 1)])
        if o.count == 0 { args += ["COUNT", Bytes(blockedCountDefault)] }
        args.append(ctx.args[o.streamsAt - 1])
        args += sources.map { $0.key }
        for (k, src) in sources.enumerated() {
            args.append(o.group == nil ? src.after!.bytes : ctx.args[o.streamsAt + o.streamCount + k])
        }
        return args
    }

    /// Writes one stream's entries: new ones past `after` for XREAD; for XREADGROUP the
    /// group's next ones (then pending for the consumer, unless NOACK), or the consumer's
    /// pending history past the ID given.
    static func serve(_ ctx: CommandContext, _ src: Source, _ o: Options) {
        let s = src.stream!
        guard let group = src.group else {
            StreamReply.range(&ctx.out, s, from: src.after!.successor ?? .max, to: .max, count: Int(o.count), reverse: false)
            return
        }
        let (consumer, created) = group.consumer(o.consumer!, now: ctx.nowMs)
        consumer.seenTime = ctx.nowMs
        if created {
            ctx.notify(.stream, "xgroup-createconsumer", src.key)
            ctx.propagate(["XGROUP", "CREATECONSUMER", src.key, group.name, consumer.name])
            ctx.dirty += 1
        }
        ctx.dirty += 1
        if let after = src.after {
            history(ctx, src, consumer, from: after.successor ?? .max, count: Int(o.count))
        } else {
            deliver(ctx, src, consumer, count: Int(o.count), noAck: o.noAck)
        }
    }

    /// The group's entries past its last delivered ID (streamReplyWithRange with a group).
    static func deliver(_ ctx: CommandContext, _ src: Source, _ consumer: StreamConsumer, count: Int, noAck: Bool) {
        let s = src.stream!, group = src.group!
        var entries: [StreamValue.EntryRef] = []
        s.forEach(from: group.lastID.successor ?? .max) { e in
            entries.append(e)
            return count == 0 || entries.count < count
        }
        ctx.out.arrayHeader(entries.count)
        var movedLastID = false
        for e in entries {
            if e.id > group.lastID {
                advance(group, in: s, to: e.id)
                movedLastID = true
            }
            StreamReply.entry(&ctx.out, e)
            guard !noAck else { continue }
            let nack: StreamPendingEntry
            if let existing = group.pending[e.id] {
                existing.consumer.pending.remove(e.id)
                existing.consumer = consumer
                existing.deliveryTime = ctx.nowMs
                existing.deliveryCount = 1
                nack = existing
            } else {
                nack = StreamPendingEntry(deliveryTime: ctx.nowMs, deliveryCount: 1, consumer: consumer)
                group.pending.insert(e.id, nack)
            }
            consumer.pending.insert(e.id, nack)
            ctx.propagate(StreamGroupCommands.claimEffect(src.key, group, e.id, nack))
        }
        if movedLastID { ctx.propagate(StreamGroupCommands.setIDEffect(src.key, group)) }
    }

    /// Moves a group's last delivered ID to `id`, keeping its entries-read count
    /// (Redis 7.0's arithmetic: counted on while no tombstone lies ahead, estimated else).
    static func advance(_ group: StreamGroup, in s: StreamValue, to id: StreamID) {
        if group.entriesRead != StreamGroup.unknownEntriesRead && !s.rangeHasTombstones(from: id) {
            group.entriesRead += 1
        } else if s.entriesAdded != 0 {
            group.entriesRead = s.entriesRead(upTo: id) ?? StreamGroup.unknownEntriesRead
        }
        group.lastID = id
    }

    /// The consumer's pending entries from `from` (streamReplyWithRangeFromConsumerPEL):
    /// each delivered again (its count and time updated), or the ID with a null when the
    /// entry is gone from the stream.
    static func history(_ ctx: CommandContext, _ src: Source, _ consumer: StreamConsumer, from: StreamID, count: Int) {
        let s = src.stream!
        var pending: [(StreamID, StreamPendingEntry)] = []
        consumer.pending.forEach(from: from) { id, nack in
            pending.append((id, nack))
            return count == 0 || pending.count < count
        }
        ctx.out.arrayHeader(pending.count)
        for (id, nack) in pending {
            guard let e = s.entry(id) else {
                ctx.out.arrayHeader(2)
                StreamReply.id(&ctx.out, id)
                ctx.out.nullArray()
                continue
            }
            StreamReply.entry(&ctx.out, e)
            nack.deliveryTime = ctx.nowMs
            nack.deliveryCount += 1
            // Redis 7.0 does not propagate this; logging it keeps delivery counts exact
            // across a restart.
            ctx.propagate(StreamGroupCommands.claimEffect(src.key, src.group!, id, nack))
        }
    }
}
