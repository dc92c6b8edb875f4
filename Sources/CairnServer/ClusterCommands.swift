import CairnCommands

/// CLUSTER, READONLY, READWRITE and ASKING as a Redis with `cluster-enabled no` has them:
/// described in COMMAND as Redis describes them, each refusing with Redis's error.
/// Cairn has no cluster mode (`cluster-enabled yes` is refused at start-up), so a cluster
/// client meets the same answer it would from a stand-alone Redis.
enum ClusterCommands {
    static let disabled = "ERR This instance has cluster support disabled"

    /// The subcommands as Redis 7.0 lists them: name, arity, whether an administrator's
    /// command (admin, dangerous), whether refused while loading asynchronously.
    private static let subcommands: [(name: String, arity: Int, admin: Bool, noAsyncLoading: Bool)] = [
        ("addslots", -3, true, true), ("addslotsrange", -4, true, true), ("bumpepoch", 2, true, true),
        ("count-failure-reports", 3, true, false), ("countkeysinslot", 3, false, false),
        ("delslots", -3, true, true), ("delslotsrange", -4, true, true), ("failover", -2, true, true),
        ("flushslots", 2, true, true), ("forget", 3, true, true), ("getkeysinslot", 4, false, false),
        ("info", 2, false, false), ("keyslot", 3, false, false), ("links", 2, false, false),
        ("meet", -4, true, true), ("myid", 2, false, false), ("nodes", 2, false, false),
        ("replicas", 3, true, false), ("replicate", 3, true, true), ("reset", -2, true, false),
        ("saveconfig", 2, true, true), ("set-config-epoch", 3, true, true), ("setslot", -4, true, true),
        ("shards", 2, false, false), ("slaves", 3, true, false), ("slots", 2, false, false),
    ]

    static func specs() -> [CommandSpec] {
        let cluster = CommandSpec("cluster", arity: -2, flags: [], acl: [], group: "cluster", since: "3.0.0",
                                  summary: "A container for Redis Cluster commands")
        for s in subcommands {
            var flags: CommandFlags = [.stale]
            if s.admin { flags.insert(.admin) }
            if s.noAsyncLoading { flags.insert(.noAsyncLoading) }
            if s.name == "reset" { flags.insert(.noscript) }
            cluster.addSubcommand(refusing(s.name, arity: s.arity, flags: flags, summary: "Redis Cluster: \(s.name)"))
        }
        cluster.addSubcommand(refusing("help", arity: 2, flags: [.loading, .stale], summary: "Show helpful text about the different subcommands"))
        return [
            cluster,
            refusing("readonly", arity: 1, flags: [.loading, .stale, .fast], acl: [.connection],
                     summary: "Enables read queries for a connection to a cluster replica node"),
            refusing("readwrite", arity: 1, flags: [.loading, .stale, .fast], acl: [.connection],
                     summary: "Disables read queries for a connection to a cluster replica node"),
            refusing("asking", arity: 1, flags: [.fast], acl: [.connection],
                     summary: "Sent by cluster clients after an -ASK redirect"),
        ]
    }

    private static func refusing(_ name: String, arity: Int, flags: CommandFlags, acl: ACLCategories = [],
                                 summary: String) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags, acl: acl, group: "cluster", since: "3.0.0", summary: summary) { ctx in
            ctx.out.error(disabled)
        }
    }
}
