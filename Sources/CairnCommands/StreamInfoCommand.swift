import CairnCore
import CairnRESP
import CairnStore

/// XINFO STREAM [FULL [COUNT n]], GROUPS, CONSUMERS and HELP (Redis 7.0's xinfoCommand).
enum StreamInfoCommand {
    static let spec: CommandSpec = {
        let x = CommandSpec("xinfo", arity: -2, flags: [], acl: [], group: "stream", since: "5.0.0",
                            summary: "A container for stream introspection commands")
        x.addSubcommand(CommandSpec("consumers", arity: 4, flags: [.readonly], keys: [.at(2, [.ro, .access])],
                                    acl: [.stream], group: "stream", since: "5.0.0",
                                    summary: "List the consumers in a consumer group", handler: consumers))
        x.addSubcommand(CommandSpec("groups", arity: 3, flags: [.readonly], keys: [.at(2, [.ro, .access])],
                                    acl: [.stream], group: "stream", since: "5.0.0",
                                    summary: "List the consumer groups of a stream", handler: groups))
        x.addSubcommand(CommandSpec("stream", arity: -3, flags: [.readonly], keys: [.at(2, [.ro, .access])],
                                    acl: [.stream], group: "stream", since: "5.0.0",
                                    summary: "Get information about a stream", handler: stream))
        x.addHelp(acl: [.stream], since: "5.0.0", [
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ])
        return x
    }()

    /// The stream at argument 2, or nil after "no such key" or WRONGTYPE.
    static func target(_ ctx: CommandContext) -> StreamValue? {
        guard let found = ctx.readStream(ctx.args[2]) else { return nil }
        guard let s = found else { ctx.out.error(Reply.noSuchKey); return nil }
        return s
    }

    static func consumers(_ ctx: CommandContext) {
        guard let s = target(ctx) else { return }
        guard let g = s.group(ctx.args[3]) else {
            ctx.out.error("NOGROUP No such consumer group '\(ctx.args[3].string)' for key name '\(ctx.args[2].string)'")
            return
        }
        let list = g.sortedConsumers
        ctx.out.arrayHeader(list.count)
        for c in list {
            ctx.out.mapHeader(3)
            ctx.out.bulk("name")
            ctx.out.bulk(c.name)
            ctx.out.bulk("pending")
            ctx.out.integer(c.pending.count)
            ctx.out.bulk("idle")
            ctx.out.integer(max(0, Clock.unixMilliseconds() - c.seenTime))
        }
    }

    static func groups(_ ctx: CommandContext) {
        guard let s = target(ctx) else { return }
        let list = s.sortedGroups
        ctx.out.arrayHeader(list.count)
        for g in list {
            ctx.out.mapHeader(6)
            ctx.out.bulk("name")
            ctx.out.bulk(g.name)
            ctx.out.bulk("consumers")
            ctx.out.integer(g.consumers.count)
            ctx.out.bulk("pending")
            ctx.out.integer(g.pending.count)
            ctx.out.bulk("last-delivered-id")
            StreamReply.id(&ctx.out, g.lastID)
            entriesReadAndLag(ctx, s, g)
        }
    }

    static func entriesReadAndLag(_ ctx: CommandContext, _ s: StreamValue, _ g: StreamGroup) {
        ctx.out.bulk("entries-read")
        if g.entriesRead != StreamGroup.unknownEntriesRead { ctx.out.integer(g.entriesRead) } else { ctx.out.null() }
        ctx.out.bulk("lag")
        if let lag = s.lag(of: g) { ctx.out.integer(lag) } else { ctx.out.null() }
    }

    static func stream(_ ctx: CommandContext) {
        var full = false
        var count: Int64 = 10
        if ctx.args.count > 3 {
            guard ctx.isOption(3, "full") else { StreamGroupCommands.subcommandSyntaxError(ctx); return }
            full = true
            if ctx.args.count > 4 {
                guard ctx.args.count == 6 && ctx.isOption(4, "count") else { StreamGroupCommands.subcommandSyntaxError(ctx); return }
                guard let n = ctx.int64Arg(5) else { return }
                count = max(0, n)
            }
        }
        guard let s = target(ctx) else { return }
        ctx.out.mapHeader(full ? 9 : 10)
        ctx.out.bulk("length")
        ctx.out.integer(s.length)
        ctx.out.bulk("radix-tree-keys")
        ctx.out.integer(s.nodeCount)
        ctx.out.bulk("radix-tree-nodes")
        ctx.out.integer(s.radixTreeNodes)
        ctx.out.bulk("last-generated-id")
        StreamReply.id(&ctx.out, s.lastID)
        ctx.out.bulk("max-deleted-entry-id")
        StreamReply.id(&ctx.out, s.maxDeletedID)
        ctx.out.bulk("entries-added")
        ctx.out.integer(s.entriesAdded)
        ctx.out.bulk("recorded-first-entry-id")
        StreamReply.id(&ctx.out, s.firstID)
        if !full {
            ctx.out.bulk("groups")
            ctx.out.integer(s.sortedGroups.count)
            for reverse in [false, true] {
                ctx.out.bulk(reverse ? "last-entry" : "first-entry")
                var edge: StreamValue.EntryRef?
                s.forEach(reverse: reverse) { edge = $0; return false }
                if let edge { StreamReply.entry(&ctx.out, edge) } else { ctx.out.null() }
            }
            return
        }
        ctx.out.bulk("entries")
        StreamReply.range(&ctx.out, s, from: .zero, to: .max, count: Int(count), reverse: false)
        ctx.out.bulk("groups")
        let list = s.sortedGroups
        ctx.out.arrayHeader(list.count)
        for g in list { fullGroup(ctx, s, g, count: Int(count)) }
    }

    /// The first `count` (0: all) pending entries of a map.
    static func firstPending(_ pel: StreamIDMap<StreamPendingEntry>, _ count: Int) -> [(StreamID, StreamPendingEntry)] {
        var rows: [(StreamID, StreamPendingEntry)] = []
        pel.forEach { id, nack in
            if count != 0 && rows.count >= count { return false }
            rows.append((id, nack))
            return true
        }
        return rows
    }

    static func fullGroup(_ ctx: CommandContext, _ s: StreamValue, _ g: StreamGroup, count: Int) {
        ctx.out.mapHeader(7)
        ctx.out.bulk("name")
        ctx.out.bulk(g.name)
        ctx.out.bulk("last-delivered-id")
        StreamReply.id(&ctx.out, g.lastID)
        entriesReadAndLag(ctx, s, g)
        ctx.out.bulk("pel-count")
        ctx.out.integer(g.pending.count)
        ctx.out.bulk("pending")
        let rows = firstPending(g.pending, count)
        ctx.out.arrayHeader(rows.count)
        for (id, nack) in rows {
            ctx.out.arrayHeader(4)
            StreamReply.id(&ctx.out, id)
            ctx.out.bulk(nack.consumer.name)
            ctx.out.integer(nack.deliveryTime)
            ctx.out.integer(nack.deliveryCount)
        }
        ctx.out.bulk("consumers")
        let consumers = g.sortedConsumers
        ctx.out.arrayHeader(consumers.count)
        for c in consumers {
            ctx.out.mapHeader(4)
            ctx.out.bulk("name")
            ctx.out.bulk(c.name)
            ctx.out.bulk("seen-time")
            ctx.out.integer(c.seenTime)
            ctx.out.bulk("pel-count")
            ctx.out.integer(c.pending.count)
            ctx.out.bulk("pending")
            let own = firstPending(c.pending, count)
            ctx.out.arrayHeader(own.count)
            for (id, nack) in own {
                ctx.out.arrayHeader(3)
                StreamReply.id(&ctx.out, id)
                ctx.out.integer(nack.deliveryTime)
                ctx.out.integer(nack.deliveryCount)
            }
        }
    }
}
