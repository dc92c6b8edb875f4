import CairnCore
import CairnRESP
import NIOCore

/// SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH, SPUBLISH, PUBSUB.
/// The subscriptions are the session's; messages reach other clients through the
/// context's `pushes` (the server's durability gate).
enum PubSubCommands {
    static let flags: CommandFlags = [.pubsub, .noscript, .loading, .stale]
    static let shardKeys: [KeySpec] = [.all(from: 1, [.notKey])]

    static var specs: [CommandSpec] {
        [
            CommandSpec("subscribe", arity: -2, flags: flags, acl: [], group: "pubsub", since: "2.0.0",
                        summary: "Listen for messages published to the given channels") { ctx in
                subscribe(ctx, .channel, "subscribe")
            },
            CommandSpec("psubscribe", arity: -2, flags: flags, acl: [], group: "pubsub", since: "2.0.0",
                        summary: "Listen for messages published to channels matching the given patterns") { ctx in
                subscribe(ctx, .pattern, "psubscribe")
            },
            CommandSpec("ssubscribe", arity: -2, flags: flags, keys: shardKeys, acl: [], group: "pubsub", since: "7.0.0",
                        summary: "Listen for messages published to the given shard channels") { ctx in
                subscribe(ctx, .shard, "ssubscribe")
            },
            CommandSpec("unsubscribe", arity: -1, flags: flags, acl: [], group: "pubsub", since: "2.0.0",
                        summary: "Stop listening for messages posted to the given channels") { ctx in
                unsubscribe(ctx, .channel, "unsubscribe")
            },
            CommandSpec("punsubscribe", arity: -1, flags: flags, acl: [], group: "pubsub", since: "2.0.0",
                        summary: "Stop listening for messages posted to channels matching the given patterns") { ctx in
                unsubscribe(ctx, .pattern, "punsubscribe")
            },
            CommandSpec("sunsubscribe", arity: -1, flags: flags, keys: shardKeys, acl: [], group: "pubsub", since: "7.0.0",
                        summary: "Stop listening for messages posted to the given shard channels") { ctx in
                unsubscribe(ctx, .shard, "sunsubscribe")
            },
            CommandSpec("publish", arity: 3, flags: [.pubsub, .loading, .stale, .fast], acl: [], group: "pubsub",
                        since: "2.0.0", summary: "Post a message to a channel") { ctx in
                ctx.out.integer(ctx.pubsub.publish(ctx.args[1], ctx.args[2], through: ctx.pushes))
                ctx.replicaOnly.append(ctx.args)
            },
            CommandSpec("spublish", arity: 3, flags: [.pubsub, .loading, .stale, .fast], keys: [.at(1, [.notKey])], acl: [],
                        group: "pubsub", since: "7.0.0", summary: "Post a message to a shard channel") { ctx in
                ctx.out.integer(ctx.pubsub.publish(ctx.args[1], ctx.args[2], shard: true, through: ctx.pushes))
                ctx.replicaOnly.append(ctx.args)
            },
            pubsubCommand,
        ]
    }

    /// The count a (un)subscribe reply carries: channels and patterns together, shard
    /// channels apart.
    static func count(_ session: ClientSession, _ kind: PubSubRegistry.Kind) -> Int {
        kind == .shard ? session.subscriptions.shardChannels.count : session.subscriptions.channelsAndPatterns
    }

    static func subscribe(_ ctx: CommandContext, _ kind: PubSubRegistry.Kind, _ reply: Bytes) {
        let session = ctx.session
        for name in ctx.args.dropFirst() {
            ctx.pubsub.subscribe(session, to: name, kind)
            confirm(ctx, reply, name, count(session, kind))
        }
    }

    /// Each name given, or every one the session has (in no particular order, as Redis's
    /// dictionary order); with none at all, one reply with a null name.
    static func unsubscribe(_ ctx: CommandContext, _ kind: PubSubRegistry.Kind, _ reply: Bytes) {
        let session = ctx.session
        var names = Array(ctx.args.dropFirst())
        if names.isEmpty {
            switch kind {
            case .channel: names = Array(session.subscriptions.channels)
            case .pattern: names = Array(session.subscriptions.patterns)
            case .shard: names = Array(session.subscriptions.shardChannels)
            }
            if names.isEmpty {
                confirm(ctx, reply, nil, count(session, kind))
                return
            }
        }
        for name in names {
            ctx.pubsub.unsubscribe(session, from: name, kind)
            confirm(ctx, reply, name, count(session, kind))
        }
    }

    /// A confirmation is a push (in RESP2 an array that looks like one): it goes out
    /// through the server's push path, which CLIENT REPLY OFF does not silence, as in Redis.
    private static func confirm(_ ctx: CommandContext, _ reply: Bytes, _ name: Bytes?, _ count: Int) {
        var w = RESPWriter(buffer: ByteBufferAllocator().buffer(capacity: 32 + (name?.count ?? 0)),
                           protocolVersion: ctx.session.protocolVersion)
        w.pushHeader(3)
        w.bulk(reply)
        w.bulkOrNull(name)
        w.integer(count)
        if let pushes = ctx.pushes { pushes.push(w.buffer, to: ctx.session) } else { ctx.out.raw(w.buffer) }
    }

    static let pubsubCommand: CommandSpec = {
        let pubsub = CommandSpec("pubsub", arity: -2, flags: [], acl: [], group: "pubsub", since: "2.8.0",
                                 summary: "A container for Pub/Sub commands")
        let flags: CommandFlags = [.pubsub, .loading, .stale]
        pubsub.addSubcommand(CommandSpec("channels", arity: -2, flags: flags, acl: [], group: "pubsub", since: "2.8.0",
                                         summary: "List active channels") { ctx in
            channels(ctx, shard: false)
        })
        pubsub.addSubcommand(CommandSpec("shardchannels", arity: -2, flags: flags, acl: [], group: "pubsub", since: "7.0.0",
                                         summary: "List active shard channels") { ctx in
            channels(ctx, shard: true)
        })
        pubsub.addSubcommand(CommandSpec("numsub", arity: -2, flags: flags, acl: [], group: "pubsub", since: "2.8.0",
                                         summary: "Get the count of subscribers for channels") { ctx in
            numsub(ctx, shard: false)
        })
        pubsub.addSubcommand(CommandSpec("shardnumsub", arity: -2, flags: flags, acl: [], group: "pubsub", since: "7.0.0",
                                         summary: "Get the count of subscribers for shard channels") { ctx in
            numsub(ctx, shard: true)
        })
        pubsub.addSubcommand(CommandSpec("numpat", arity: 2, flags: flags, acl: [], group: "pubsub", since: "2.8.0",
                                         summary: "Get the count of unique patterns pattern subscriptions") { ctx in
            ctx.out.integer(ctx.pubsub.patterns.count)
        })
        pubsub.addHelp(acl: [], since: "6.2.0", [
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ])
        return pubsub
    }()

    private static func channels(_ ctx: CommandContext, shard: Bool) {
        guard ctx.args.count <= 3 else {
            ctx.out.error("ERR unknown subcommand or wrong number of arguments for '\(ctx.args[1].string.prefix(128))'. Try PUBSUB HELP.")
            return
        }
        let found = ctx.pubsub.activeChannels(matching: ctx.args.count == 3 ? ctx.args[2] : nil, shard: shard)
        ctx.out.arrayHeader(found.count)
        for c in found { ctx.out.bulk(c) }
    }

    private static func numsub(_ ctx: CommandContext, shard: Bool) {
        ctx.out.arrayHeader((ctx.args.count - 2) * 2)
        for c in ctx.args.dropFirst(2) {
            ctx.out.bulk(c)
            ctx.out.integer(ctx.pubsub.subscriberCount(c, shard: shard))
        }
    }
}
