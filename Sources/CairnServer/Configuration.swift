import CairnCore
import CairnCommands
import CairnRESP

/// When the log is made durable (the write path's `appendfsync`).
public enum FsyncPolicy: String, Sendable, CaseIterable {
    case always, everysec, no
}

/// Every directive the server accepts, with Redis's names and Cairn's embedded defaults.
public struct ServerConfig: Sendable {
    public var port = 6379
    /// Addresses to listen on; a leading "-" marks one whose failure to bind is not fatal.
    public var bind = ["127.0.0.1", "-::1"]
    public var dir = "./cairn-data"
    public var databases = 16
    public var appendfsync = FsyncPolicy.always
    public var loglevel = "notice"
    /// Empty: standard output.
    public var logfile = ""
    /// socket-mark-id: the SO_MARK put on the TCP listening sockets (0: none).
    public var socketMarkId = 0
    /// bind-source-addr: the local address a replica's connection to its primary leaves from.
    public var bindSourceAddr = ""
    /// unixsocket: a path to accept clients on too (empty: none); unixsocketperm its mode
    /// (octal, 0: as the umask leaves it).
    public var unixsocket = ""
    public var unixsocketperm = 0
    /// tls-port and the rest of tls-* (TLSSettings).
    public var tls = TLSSettings()
    /// syslog-enabled, syslog-ident, syslog-facility (SystemLog).
    public var syslogEnabled = false
    public var syslogIdent = "redis"
    public var syslogFacility = "local0"
    public var maxclients = 10000
    /// Close a client idle for this many seconds (0: never).
    public var timeout = 0
    public var tcpKeepalive = 300
    public var tcpBacklog = 511
    public var requirepass = ""
    /// aclfile (users in Redis's file format), `user` lines of the config file (each the
    /// words after "user"), acllog-max-len, and acl-pubsub-default (allchannels: true).
    public var aclfile = ""
    public var userDirectives: [[String]] = []
    public var acllogMaxLen = 128
    public var aclPubsubDefaultAll = false
    public var hz = 10
    public var protoMaxBulkLen = 512 * 1024 * 1024
    public var clientQueryBufferLimit = 1024 * 1024 * 1024
    public var pidfile = ""
    public var protectedMode = true
    /// jemalloc-bg-thread: jemalloc's background thread gives freed pages back to the system.
    public var jemallocBgThread = true
    /// enable-debug-command: "no" (Redis's default), "yes", or "local" (loopback clients only).
    public var enableDebugCommand = "no"
    /// enable-module-command (MODULE LOAD, LOADEX, UNLOAD) and enable-protected-configs
    /// (CONFIG SET dir, dbfilename): the same three values.
    public var enableModuleCommand = "no"
    public var enableProtectedConfigs = "no"
    /// hash-max-listpack-entries / hash-max-listpack-value (and their ziplist aliases).
    public var hashMaxListpackEntries = 512
    public var hashMaxListpackValue = 64
    public var setMaxIntsetEntries = 512
    public var listMaxListpackSize = -2
    public var zsetMaxListpackEntries = 128
    public var zsetMaxListpackValue = 64
    public var hllSparseMaxBytes = 3000
    public var streamNodeMaxBytes = 4096
    public var streamNodeMaxEntries = 100
    /// slowlog-log-slower-than (microseconds; -1: the slow log is off) and slowlog-max-len.
    public var slowlogLogSlowerThan = 10_000
    public var slowlogMaxLen = 128
    /// latency-monitor-threshold (milliseconds; 0: off), latency-tracking, and the
    /// percentiles INFO latencystats reports.
    public var latencyMonitorThreshold = 0
    /// maxmemory (bytes; 0: no limit), maxmemory-policy, maxmemory-samples,
    /// maxmemory-eviction-tenacity, lfu-log-factor, lfu-decay-time.
    public var eviction = EvictionSettings()
    /// maxmemory-clients: what all clients' buffers together may hold before the largest
    /// are closed (0: no limit); a percentage is of maxmemory.
    public var maxmemoryClients = 0
    public var maxmemoryClientsIsPercent = false
    /// replica-ignore-maxmemory: a replica leaves eviction to its primary.
    public var replicaIgnoreMaxmemory = true
    /// Values of the Redis directives Cairn accepts and ignores (InertDirectives).
    public var inertDirectives: [String: String] = [:]
    /// list-compress-depth: nodes kept plain at each end of a list made from now on, the
    /// others compressed (0: none).
    public var listCompressDepth = 0
    public var latencyTracking = true
    public var latencyTrackingInfoPercentiles: [Double] = [50, 99, 99.9]
    /// lua-memory-limit: what the Lua state may allocate; a script that needs more fails
    /// with an error (Cairn's; Redis has no limit). 0: none.
    public var luaMemoryLimit = 1024 * 1024 * 1024
    /// busy-reply-threshold (alias lua-time-limit), in milliseconds: past it a running
    /// script lets other clients in, to answer them -BUSY (0: never).
    public var busyReplyThreshold = 5000
    /// log-segment-size: a log segment is closed and the next begun past this size.
    public var logSegmentSize = 64 * 1024 * 1024
    /// snapshot-compression: how snapshot frames are compressed (zstd, lz4 or none).
    public var snapshotCompression = "zstd"
    /// auto-checkpoint-log-size: a checkpoint starts when the live log (everything since the
    /// last snapshot) grows past this; 0 turns it off. 64 MB replays in about a second.
    public var autoCheckpointLogSize = 64 * 1024 * 1024
    /// auto-checkpoint-percentage: and past this share of the last snapshot's size (as
    /// Redis's auto-aof-rewrite-percentage), so that large datasets do not checkpoint
    /// back to back; 0 leaves only the fixed size.
    public var autoCheckpointPercentage = 100
    /// save: Redis's `<seconds> <changes>` rules; empty (Cairn's default: the log already
    /// keeps every write) means no rule.
    public var saveRules: [SaveRule] = []
    /// rdb-key-save-delay: microseconds the snapshot child sleeps after each key (tests).
    public var rdbKeySaveDelay = 0
    /// snapshot-child-timeout: seconds a snapshot child may run before it is killed.
    public var snapshotChildTimeout = 3600
    /// replicaof <host> <port>: the primary this server follows at start.
    public var replicaof: (host: String, port: Int)?
    public var masterauth = ""
    public var masteruser = ""
    /// replica-read-only: clients of a replica may not write.
    public var replicaReadOnly = true
    /// repl-ping-replica-period: seconds between the PINGs a primary sends its replicas.
    public var replPingReplicaPeriod = 10
    /// repl-timeout: seconds of silence after which a replication link is dropped.
    public var replTimeout = 60
    /// repl-backlog-size: bytes of log a checkpoint keeps on disk beyond its snapshot, so
    /// that a replica away for a while resumes with a partial sync. Departure: Redis's
    /// default is 1mb of memory; the log is on disk, so Cairn keeps 64mb.
    public var replBacklogSize = 64 * 1024 * 1024
    /// repl-backlog-ttl: seconds after the last replica left before old segments are no
    /// longer kept (0: kept for ever).
    public var replBacklogTTL = 3600
    /// client-output-buffer-limit replica's hard limit, read as how far (in stream bytes)
    /// a connected replica may fall behind before it is dropped (its pin holds the log).
    public var replicaLagBytesMax = 256 * 1024 * 1024
    /// client-output-buffer-limit as given, for CONFIG GET (the classes apply through
    /// `replicaLagBytesMax`, `pubsubOutputLimit` and `normalOutputLimit`).
    public var clientOutputBufferLimit = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    /// client-output-buffer-limit pubsub: a client subscribed to anything whose unsent
    /// output passes `hard`, or stays past `soft` for `seconds`, is disconnected.
    public var pubsubOutputLimit = OutputBufferLimit(hard: 32 << 20, soft: 8 << 20, seconds: 60)
    /// client-output-buffer-limit normal: the same for other clients (none by default).
    public var normalOutputLimit = OutputBufferLimit(hard: 0, soft: 0, seconds: 0)
    /// notify-keyspace-events.
    public var notifyKeyspaceEvents: KeyspaceEventClasses = []
    /// tracking-table-max-keys: keys remembered for client-side caching (0: no limit).
    public var trackingTableMaxKeys = 1_000_000
    /// min-replicas-to-write / min-replicas-max-lag: writes are refused (NOREPLICAS) unless
    /// that many replicas acknowledged within that many seconds.
    public var minReplicasToWrite = 0
    public var minReplicasMaxLag = 10
    /// replica-serve-stale-data: whether a replica whose link is down answers data commands.
    public var replicaServeStaleData = true
    public var replicaPriority = 100
    public var replicaAnnounceIP: String?
    public var replicaAnnouncePort: Int?
    /// replica-announced: whether Sentinel should list this replica (INFO replica_announced).
    public var replicaAnnounced = true
    /// shutdown-on-sigterm, shutdown-on-sigint: how a signal shuts the server down;
    /// shutdown-timeout: seconds a shutdown waits for lagging replicas (0: it does not).
    var shutdownOnSigterm = ShutdownOptions()
    var shutdownOnSigint = ShutdownOptions()
    public var shutdownTimeout = 10
    /// The configuration file given on the command line, if any.
    public var configFile: String?

    public init() {}

    /// maxmemory-clients in bytes (a percentage taken of maxmemory); 0: no limit.
    public var clientMemoryLimit: Int {
        maxmemoryClientsIsPercent ? eviction.maxmemory / 100 * maxmemoryClients : maxmemoryClients
    }

    public var respLimits: RESPLimits {
        var l = RESPLimits()
        l.bulkBytesMax = protoMaxBulkLen
        l.queryBufferBytesMax = clientQueryBufferLimit
        return l
    }
}

/// One class of client-output-buffer-limit (0: no limit).
public struct OutputBufferLimit: Sendable, Equatable {
    public var hard: Int
    public var soft: Int
    public var seconds: Int
}

/// `save <seconds> <changes>`: snapshot when at least `changes` writes happened and
/// `seconds` passed since the last snapshot.
public struct SaveRule: Sendable, Equatable {
    public var seconds: Int
    public var changes: Int
}

/// A bad directive or value, with Redis's wording.
public struct ConfigError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One directive: how to read and write it, and whether CONFIG SET may change it.
struct Directive {
    let name: String
    let mutable: Bool
    /// CONFIG SET may change it only where enable-protected-configs allows (Redis's
    /// PROTECTED_CONFIG: dir and dbfilename).
    var isProtected = false
    let get: (ServerConfig) -> String
    let set: (inout ServerConfig, [String]) throws -> Void
}

enum Directives {
    static func int(_ name: String, mutable: Bool = true, _ range: ClosedRange<Int>,
                    _ kp: WritableKeyPath<ServerConfig, Int>) -> Directive {
        Directive(name: name, mutable: mutable, get: { String($0[keyPath: kp]) }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            guard let v = Int(args[0]) else { throw ConfigError("argument couldn't be parsed into an integer") }
            guard range.contains(v) else {
                throw ConfigError("argument must be between \(range.lowerBound) and \(range.upperBound) inclusive")
            }
            c[keyPath: kp] = v
        }
    }

    static func memory(_ name: String, minimum: Int, _ kp: WritableKeyPath<ServerConfig, Int>) -> Directive {
        Directive(name: name, mutable: true, get: { String($0[keyPath: kp]) }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            guard let v = parseMemory(args[0]) else { throw ConfigError("argument must be a memory value") }
            guard v >= minimum else { throw ConfigError("argument must be a memory value at least \(minimum)") }
            c[keyPath: kp] = v
        }
    }

    static func string(_ name: String, mutable: Bool = true, _ kp: WritableKeyPath<ServerConfig, String>) -> Directive {
        Directive(name: name, mutable: mutable, get: { $0[keyPath: kp] }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            c[keyPath: kp] = args[0]
        }
    }

    /// A percentile as Redis writes it in CONFIG GET and INFO: "50", "99.9".
    static func formatPercentile(_ p: Double) -> String {
        // Six decimals, as C's %f, then the trailing zeros dropped.
        let micro = Int64((p * 1_000_000).rounded())
        var fraction = String(micro % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(micro / 1_000_000)" + (fraction.isEmpty ? "" : "." + fraction)
    }

    static func boolean(_ name: String, mutable: Bool = true, _ kp: WritableKeyPath<ServerConfig, Bool>) -> Directive {
        Directive(name: name, mutable: mutable, get: { $0[keyPath: kp] ? "yes" : "no" }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            switch args[0].lowercased() {
            case "yes": c[keyPath: kp] = true
            case "no": c[keyPath: kp] = false
            default: throw ConfigError("argument must be 'yes' or 'no'")
            }
        }
    }

    static func shutdownOnSignal(_ name: String, _ kp: WritableKeyPath<ServerConfig, ShutdownOptions>) -> Directive {
        Directive(name: name, mutable: true, get: { $0[keyPath: kp].directiveText }) { c, args in
            c[keyPath: kp] = try ShutdownOptions(directive: args)
        }
    }

    static func announceIP(_ name: String) -> Directive {
        Directive(name: name, mutable: true, get: { $0.replicaAnnounceIP ?? "" }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            c.replicaAnnounceIP = args[0].isEmpty ? nil : args[0]
        }
    }

    static func announcePort(_ name: String) -> Directive {
        Directive(name: name, mutable: true, get: { String($0.replicaAnnouncePort ?? 0) }) { c, args in
            guard args.count == 1, let port = Int(args[0]) else { throw ConfigError("argument couldn't be parsed into an integer") }
            guard (0...65535).contains(port) else { throw ConfigError("argument must be between 0 and 65535 inclusive") }
            c.replicaAnnouncePort = port == 0 ? nil : port
        }
    }

    /// A setting of ProtectedActions: no, yes or local; fixed at start-up, as in Redis.
    static func protectedAction(_ name: String, _ kp: WritableKeyPath<ServerConfig, String>) -> Directive {
        Directive(name: name, mutable: false, get: { $0[keyPath: kp] }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            let v = args[0].lowercased()
            guard ["yes", "no", "local"].contains(v) else { throw ConfigError("argument(s) must be one of the following: no, yes, local") }
            c[keyPath: kp] = v
        }
    }

    nonisolated(unsafe) static let all: [Directive] = implemented + TLSDirectives.directives + InertDirectives.directives

    nonisolated(unsafe) static let implemented: [Directive] = [
        int("port", 0...65535, \.port),
        Directive(name: "bind", mutable: true, get: { $0.bind.joined(separator: " ") }) { c, args in
            // CONFIG SET gives the addresses as one argument, a file as several.
            let words = args.flatMap { $0.split(separator: " ").map(String.init) }
            guard !words.isEmpty else { throw ConfigError("wrong number of arguments") }
            guard words.count <= 16 else { throw ConfigError("Too many bind addresses specified.") }
            c.bind = words
        },
        Directive(name: "dir", mutable: false, isProtected: true, get: { $0.dir }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            c.dir = args[0]
        },
        int("databases", mutable: false, 1...Int(Int32.max), \.databases),
        Directive(name: "appendfsync", mutable: true, get: { $0.appendfsync.rawValue }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            guard let p = FsyncPolicy(rawValue: args[0].lowercased()) else { throw ConfigError("argument(s) must be one of the following: always, everysec, no") }
            c.appendfsync = p
        },
        Directive(name: "loglevel", mutable: true, get: { $0.loglevel }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            let v = args[0].lowercased()
            guard ["debug", "verbose", "notice", "warning", "nothing"].contains(v) else {
                throw ConfigError("argument(s) must be one of the following: debug, verbose, notice, warning, nothing")
            }
            c.loglevel = v
        },
        string("logfile", mutable: false, \.logfile),
        boolean("syslog-enabled", mutable: false, \.syslogEnabled),
        string("unixsocket", mutable: false, \.unixsocket),
        int("socket-mark-id", mutable: false, 0...Int(UInt32.max), \.socketMarkId),
        string("bind-source-addr", \.bindSourceAddr),
        Directive(name: "unixsocketperm", mutable: false, get: { String($0.unixsocketperm, radix: 8) }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            guard let v = Int(args[0], radix: 8) else { throw ConfigError("argument couldn't be parsed into an integer") }
            guard (0...0o777).contains(v) else { throw ConfigError("argument must be between 0 and 777 inclusive") }
            c.unixsocketperm = v
        },
        string("syslog-ident", mutable: false, \.syslogIdent),
        Directive(name: "syslog-facility", mutable: false, get: { $0.syslogFacility }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            let v = args[0].lowercased()
            guard SystemLog.facilities[v] != nil else {
                throw ConfigError("argument(s) must be one of the following: user, local0, local1, local2, local3, local4, local5, local6, local7")
            }
            c.syslogFacility = v
        },
        int("maxclients", 1...Int(Int32.max), \.maxclients),
        int("timeout", 0...Int(Int32.max), \.timeout),
        int("tcp-keepalive", 0...Int(Int32.max), \.tcpKeepalive),
        int("tcp-backlog", mutable: false, 0...Int(Int32.max), \.tcpBacklog),
        string("requirepass", \.requirepass),
        string("aclfile", mutable: false, \.aclfile),
        int("acllog-max-len", 0...Int(Int64.max), \.acllogMaxLen),
        Directive(name: "acl-pubsub-default", mutable: true, get: { $0.aclPubsubDefaultAll ? "allchannels" : "resetchannels" }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            switch args[0].lowercased() {
            case "allchannels": c.aclPubsubDefaultAll = true
            case "resetchannels": c.aclPubsubDefaultAll = false
            default: throw ConfigError("argument(s) must be one of the following: allchannels, resetchannels")
            }
        },
        int("hz", 0...Int(Int32.max), \.hz),
        memory("proto-max-bulk-len", minimum: 1024 * 1024, \.protoMaxBulkLen),
        memory("client-query-buffer-limit", minimum: 1024 * 1024, \.clientQueryBufferLimit),
        string("pidfile", mutable: false, \.pidfile),
        boolean("protected-mode", \.protectedMode),
        boolean("jemalloc-bg-thread", \.jemallocBgThread),
        memory("log-segment-size", minimum: 4096, \.logSegmentSize),
        int("hash-max-listpack-entries", 0...Int(Int32.max), \.hashMaxListpackEntries),
        int("hash-max-listpack-value", 0...Int(Int32.max), \.hashMaxListpackValue),
        int("hash-max-ziplist-entries", 0...Int(Int32.max), \.hashMaxListpackEntries),
        int("hash-max-ziplist-value", 0...Int(Int32.max), \.hashMaxListpackValue),
        int("set-max-intset-entries", 0...Int(Int32.max), \.setMaxIntsetEntries),
        int("list-max-listpack-size", Int(Int32.min)...Int(Int32.max), \.listMaxListpackSize),  // below -5 works as -5, as in Redis
        int("zset-max-listpack-entries", 0...Int(Int32.max), \.zsetMaxListpackEntries),
        int("zset-max-listpack-value", 0...Int(Int32.max), \.zsetMaxListpackValue),
        int("zset-max-ziplist-entries", 0...Int(Int32.max), \.zsetMaxListpackEntries),
        int("zset-max-ziplist-value", 0...Int(Int32.max), \.zsetMaxListpackValue),
        memory("hll-sparse-max-bytes", minimum: 0, \.hllSparseMaxBytes),
        memory("stream-node-max-bytes", minimum: 0, \.streamNodeMaxBytes),
        int("stream-node-max-entries", 0...Int(Int64.max), \.streamNodeMaxEntries),
        int("slowlog-log-slower-than", -1...Int.max, \.slowlogLogSlowerThan),
        int("slowlog-max-len", 0...Int.max, \.slowlogMaxLen),
        int("latency-monitor-threshold", 0...Int.max, \.latencyMonitorThreshold),
        boolean("latency-tracking", \.latencyTracking),
        Directive(name: "latency-tracking-info-percentiles", mutable: true,
                  get: { $0.latencyTrackingInfoPercentiles.map(formatPercentile).joined(separator: " ") }) { c, args in
            let values = try args.flatMap { $0.split(separator: " ") }.map { word -> Double in
                guard let v = Double(word) else { throw ConfigError("Invalid latency-tracking-info-percentiles parameters") }
                guard v >= 0, v <= 100 else {
                    throw ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
                }
                return v
            }
            c.latencyTrackingInfoPercentiles = values
        },
        memory("lua-memory-limit", minimum: 0, \.luaMemoryLimit),
        int("busy-reply-threshold", 0...Int.max, \.busyReplyThreshold),
        int("lua-time-limit", 0...Int.max, \.busyReplyThreshold),
        int("list-max-ziplist-size", Int(Int32.min)...Int(Int32.max), \.listMaxListpackSize),
        Directive(name: "snapshot-compression", mutable: true, get: { $0.snapshotCompression }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            let v = args[0].lowercased()
            guard ["zstd", "lz4", "none"].contains(v) else { throw ConfigError("argument(s) must be one of the following: zstd, lz4, none") }
            c.snapshotCompression = v
        },
        memory("auto-checkpoint-log-size", minimum: 0, \.autoCheckpointLogSize),
        int("auto-checkpoint-percentage", 0...Int(Int32.max), \.autoCheckpointPercentage),
        // Redis's AOF rewrite triggers mean the same for Cairn's checkpoints.
        memory("auto-aof-rewrite-min-size", minimum: 0, \.autoCheckpointLogSize),
        int("auto-aof-rewrite-percentage", 0...Int(Int32.max), \.autoCheckpointPercentage),
        memory("maxmemory", minimum: 0, \.eviction.maxmemory),
        Directive(name: "maxmemory-policy", mutable: true, get: { $0.eviction.policy.rawValue }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            guard let p = EvictionPolicy(rawValue: args[0].lowercased()) else {
                throw ConfigError("argument(s) must be one of the following: " + EvictionPolicy.allCases.map(\.rawValue).joined(separator: ", "))
            }
            c.eviction.policy = p
        },
        int("maxmemory-samples", 1...Int(Int32.max), \.eviction.samples),
        Directive(name: "maxmemory-clients", mutable: true,
                  get: { $0.maxmemoryClientsIsPercent ? "\($0.maxmemoryClients)%" : String($0.maxmemoryClients) }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            if args[0].hasSuffix("%") {
                guard let p = Int(args[0].dropLast()), p >= 0 else { throw ConfigError("argument must be a memory or percent value") }
                guard p <= 100 else { throw ConfigError("percentage argument must be less or equal to 100") }
                (c.maxmemoryClients, c.maxmemoryClientsIsPercent) = (p, true)
            } else {
                guard let v = parseMemory(args[0]) else { throw ConfigError("argument must be a memory or percent value") }
                (c.maxmemoryClients, c.maxmemoryClientsIsPercent) = (v, false)
            }
        },
        int("maxmemory-eviction-tenacity", 0...100, \.eviction.tenacity),
        int("lfu-log-factor", 0...Int(Int32.max), \.eviction.lfuLogFactor),
        int("lfu-decay-time", 0...Int(Int32.max), \.eviction.lfuDecayMinutes),
        boolean("replica-ignore-maxmemory", \.replicaIgnoreMaxmemory),
        boolean("slave-ignore-maxmemory", \.replicaIgnoreMaxmemory),
        int("list-compress-depth", 0...Int(Int32.max), \.listCompressDepth),
        int("rdb-key-save-delay", 0...Int(Int32.max), \.rdbKeySaveDelay),
        int("snapshot-child-timeout", 1...Int(Int32.max), \.snapshotChildTimeout),
        Directive(name: "save", mutable: true,
                  get: { $0.saveRules.map { "\($0.seconds) \($0.changes)" }.joined(separator: " ") }) { c, args in
            let words = args.joined(separator: " ").split(separator: " ").map(String.init)
            guard words.count % 2 == 0 else { throw ConfigError("Invalid save parameters") }
            var rules: [SaveRule] = []
            var i = 0
            while i < words.count {
                guard let seconds = Int(words[i]), let changes = Int(words[i + 1]), seconds >= 0, changes >= 0 else {
                    throw ConfigError("Invalid save parameters")
                }
                rules.append(SaveRule(seconds: seconds, changes: changes))
                i += 2
            }
            c.saveRules = rules
        },
        Directive(name: "replicaof", mutable: false, get: { c in c.replicaof.map { "\($0.host) \($0.port)" } ?? "" }) { c, args in
            try parseReplicaOf(&c, args)
        },
        Directive(name: "slaveof", mutable: false, get: { c in c.replicaof.map { "\($0.host) \($0.port)" } ?? "" }) { c, args in
            try parseReplicaOf(&c, args)
        },
        string("masterauth", \.masterauth),
        string("masteruser", \.masteruser),
        boolean("replica-read-only", \.replicaReadOnly),
        boolean("slave-read-only", \.replicaReadOnly),
        int("repl-ping-replica-period", 1...Int(Int32.max), \.replPingReplicaPeriod),
        int("repl-ping-slave-period", 1...Int(Int32.max), \.replPingReplicaPeriod),
        int("repl-timeout", 1...Int(Int32.max), \.replTimeout),
        memory("repl-backlog-size", minimum: 0, \.replBacklogSize),
        int("repl-backlog-ttl", 0...Int(Int32.max), \.replBacklogTTL),
        int("min-replicas-to-write", 0...Int(Int32.max), \.minReplicasToWrite),
        int("min-slaves-to-write", 0...Int(Int32.max), \.minReplicasToWrite),
        int("min-replicas-max-lag", 0...Int(Int32.max), \.minReplicasMaxLag),
        int("min-slaves-max-lag", 0...Int(Int32.max), \.minReplicasMaxLag),
        boolean("replica-serve-stale-data", \.replicaServeStaleData),
        boolean("slave-serve-stale-data", \.replicaServeStaleData),
        int("replica-priority", 0...Int(Int32.max), \.replicaPriority),
        int("slave-priority", 0...Int(Int32.max), \.replicaPriority),
        Directive(name: "client-output-buffer-limit", mutable: true, get: { $0.clientOutputBufferLimit }) { c, args in
            try parseClientOutputBufferLimit(&c, args)
        },
        Directive(name: "notify-keyspace-events", mutable: true, get: { $0.notifyKeyspaceEvents.letters }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            guard let classes = KeyspaceEventClasses(letters: args[0]) else {
                throw ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
            }
            c.notifyKeyspaceEvents = classes
        },
        int("tracking-table-max-keys", 0...Int.max, \.trackingTableMaxKeys),
        announceIP("replica-announce-ip"),
        announceIP("slave-announce-ip"),
        announcePort("replica-announce-port"),
        announcePort("slave-announce-port"),
        boolean("replica-announced", \.replicaAnnounced),
        // The log is Cairn's AOF and is always on: `appendonly no` (redis.conf's default) is
        // accepted from a file and changes nothing; CONFIG GET answers yes (redis-benchmark
        // and other tools read it); CONFIG SET takes yes and refuses no (configSet).
        Directive(name: "appendonly", mutable: true, get: { _ in "yes" }) { _, args in
            guard args.count == 1, ["yes", "no"].contains(args[0].lowercased()) else { throw ConfigError("argument must be 'yes' or 'no'") }
        },
        shutdownOnSignal("shutdown-on-sigterm", \.shutdownOnSigterm),
        shutdownOnSignal("shutdown-on-sigint", \.shutdownOnSigint),
        int("shutdown-timeout", 0...Int(Int32.max), \.shutdownTimeout),
        protectedAction("enable-debug-command", \.enableDebugCommand),
        protectedAction("enable-module-command", \.enableModuleCommand),
        protectedAction("enable-protected-configs", \.enableProtectedConfigs),
    ]

    /// `<class> <hard> <soft> <seconds>` repeated; the replica class's hard limit bounds
    /// how far a replica may fall behind (0: no limit).
    static func parseClientOutputBufferLimit(_ c: inout ServerConfig, _ args: [String]) throws {
        let words = args.joined(separator: " ").split(separator: " ").map(String.init)
        guard !words.isEmpty, words.count % 4 == 0 else { throw ConfigError("Wrong number of arguments in buffer limit configuration.") }
        var classes: [String: [Int]] = [:]
        for i in stride(from: 0, to: words.count, by: 4) {
            var name = words[i].lowercased()
            if name == "replica" { name = "slave" }
            guard ["normal", "slave", "pubsub"].contains(name) else { throw ConfigError("Invalid client class specified in buffer limit configuration.") }
            guard let hard = parseMemory(words[i + 1]), let soft = parseMemory(words[i + 2]), let seconds = Int(words[i + 3]), seconds >= 0 else {
                throw ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
            }
            classes[name] = [hard, soft, seconds]
        }
        var current: [String: [Int]] = [:]
        let old = c.clientOutputBufferLimit.split(separator: " ").map(String.init)
        for i in stride(from: 0, to: old.count, by: 4) { current[old[i]] = old[(i + 1)...(i + 3)].compactMap { Int($0) } }
        current.merge(classes) { $1 }
        c.clientOutputBufferLimit = ["normal", "slave", "pubsub"].map { name in
            "\(name) " + (current[name] ?? [0, 0, 0]).map(String.init).joined(separator: " ")
        }.joined(separator: " ")
        if let p = current["pubsub"], p.count == 3 { c.pubsubOutputLimit = OutputBufferLimit(hard: p[0], soft: p[1], seconds: p[2]) }
        if let n = current["normal"], n.count == 3 { c.normalOutputLimit = OutputBufferLimit(hard: n[0], soft: n[1], seconds: n[2]) }
        let replicaHard = current["slave"]?[0] ?? 0
        c.replicaLagBytesMax = replicaHard == 0 ? Int.max / 2 : replicaHard
    }

    static func parseReplicaOf(_ c: inout ServerConfig, _ args: [String]) throws {
        guard args.count == 2 else { throw ConfigError("wrong number of arguments") }
        if args[0].lowercased() == "no" && args[1].lowercased() == "one" {
            c.replicaof = nil
            return
        }
        guard let port = Int(args[1]), (0...65535).contains(port) else { throw ConfigError("Invalid master port") }
        c.replicaof = (args[0], port)
    }

    nonisolated(unsafe) static let byName: [String: Directive] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Redis's memtoull: a number with an optional k, kb, m, mb, g, gb suffix.
    static func parseMemory(_ text: String) -> Int? {
        let t = text.lowercased()
        let units: [(String, Int)] = [("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10),
                                      ("g", 1_000_000_000), ("m", 1_000_000), ("k", 1000), ("b", 1)]
        for (suffix, mul) in units where t.hasSuffix(suffix) {
            guard let n = Int(t.dropLast(suffix.count)), n >= 0 else { return nil }
            let (v, o) = n.multipliedReportingOverflow(by: mul)
            return o ? nil : v
        }
        guard let n = Int(t), n >= 0 else { return nil }
        return n
    }
}

/// Reads redis.conf syntax and redis-server's command line into a `ServerConfig`.
public enum ConfigLoader {
    /// `cairn-server [config-file] [--directive value ...]`, as redis-server takes them.
    /// Throws a message in redis-server's FATAL CONFIG FILE ERROR style.
    public static func load(arguments: [String], readFile: (String) throws -> String) throws -> ServerConfig {
        var config = ServerConfig()
        var args = arguments
        var text = ""
        if let first = args.first, !first.hasPrefix("--") {
            config.configFile = first
            do { text = try readFile(first) } catch {
                throw ConfigError("Fatal error, can't open config file '\(first)': \(error)")
            }
            args.removeFirst()
            text += "\n"
        }
        // Command-line options become config lines: `--port 7000 --bind a b`.
        var line = ""
        for a in args {
            if a.hasPrefix("--") {
                if !line.isEmpty { text += line + "\n" }
                line = String(a.dropFirst(2))
            } else {
                guard !line.isEmpty else { throw ConfigError("Invalid argument '\(a)': expected an option such as --port") }
                line += " " + quoteArgument(a)
            }
        }
        if !line.isEmpty { text += line + "\n" }
        try apply(text, to: &config)
        return config
    }

    static func quoteArgument(_ a: String) -> String {
        if !a.isEmpty && !a.contains(where: { $0 == " " || $0 == "\"" || $0 == "'" || $0 == "\\" }) { return a }
        return "\"" + a.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"") + "\""
    }

    public static func apply(_ text: String, to config: inout ServerConfig) throws {
        var lineNumber = 0
        var sawSave = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = rawLine.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            func fail(_ reason: String) -> ConfigError {
                ConfigError("""

                *** FATAL CONFIG FILE ERROR (Cairn) ***
                Reading the configuration file, at line \(lineNumber)
                >>> '\(trimmed)'
                \(reason)
                """)
            }
            guard let words = splitInlineArguments(Array(trimmed.utf8)) else { throw fail("Unbalanced quotes in configuration line") }
            guard let nameBytes = words.first else { continue }
            let name = nameBytes.string.lowercased()
            let values = words.dropFirst().map { $0.string }
            // `user` lines add up, and are read once the users can be (ACLConfiguration).
            if name == "user" {
                guard values.count >= 1 else { throw fail("Error in user declaration: wrong number of arguments") }
                config.userDirectives.append(Array(values))
                continue
            }
            guard let d = Directives.byName[name] else { throw fail("Bad directive or wrong number of arguments") }
            let rulesBefore = config.saveRules
            do { try d.set(&config, Array(values)) } catch let e as ConfigError { throw fail(e.message) }
            // As in redis.conf, several `save` lines add up (`save ""` clears them).
            if name == "save" {
                if sawSave && !config.saveRules.isEmpty { config.saveRules = rulesBefore + config.saveRules }
                sawSave = true
            }
        }
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    /// Replaces every occurrence of a single-character `target`.
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        var result = ""
        for c in self {
            if c == target { result += replacement } else { result.append(c) }
        }
        return result
    }
}
