import CairnCore

/// Flags of a command, with the names COMMAND INFO reports.
public struct CommandFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let write = CommandFlags(rawValue: 1 << 0)
    public static let readonly = CommandFlags(rawValue: 1 << 1)
    public static let denyoom = CommandFlags(rawValue: 1 << 2)
    public static let admin = CommandFlags(rawValue: 1 << 3)
    public static let pubsub = CommandFlags(rawValue: 1 << 4)
    public static let noscript = CommandFlags(rawValue: 1 << 5)
    public static let blocking = CommandFlags(rawValue: 1 << 6)
    public static let loading = CommandFlags(rawValue: 1 << 7)
    public static let stale = CommandFlags(rawValue: 1 << 8)
    public static let skipMonitor = CommandFlags(rawValue: 1 << 9)
    public static let fast = CommandFlags(rawValue: 1 << 10)
    public static let noAuth = CommandFlags(rawValue: 1 << 11)
    public static let mayReplicate = CommandFlags(rawValue: 1 << 12)
    public static let noMulti = CommandFlags(rawValue: 1 << 13)
    public static let allowBusy = CommandFlags(rawValue: 1 << 14)
    public static let skipSlowlog = CommandFlags(rawValue: 1 << 15)
    /// Refused before it runs (or is queued) unless a directive allows it, as Redis's
    /// CMD_PROTECTED; not listed by COMMAND, as in Redis.
    public static let protected = CommandFlags(rawValue: 1 << 16)
    /// Derived from the key specs (never declared): the keys are not all at fixed places.
    public static let movableKeys = CommandFlags(rawValue: 1 << 17)
    /// GETKEYS answers an empty array, not an error, when no key is found.
    public static let noMandatoryKeys = CommandFlags(rawValue: 1 << 18)
    /// Refused while a replica loads its primary's data asynchronously (Redis's
    /// repl-diskless-load); reported as Redis reports it.
    public static let noAsyncLoading = CommandFlags(rawValue: 1 << 19)
    /// Cluster redirections would let it through after ASKING (RESTORE-ASKING); reported only.
    public static let asking = CommandFlags(rawValue: 1 << 20)

    static let names: [(CommandFlags, String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyoom, "denyoom"), (.admin, "admin"),
        (.pubsub, "pubsub"), (.noscript, "noscript"), (.blocking, "blocking"), (.loading, "loading"),
        (.stale, "stale"), (.skipMonitor, "skip_monitor"), (.skipSlowlog, "skip_slowlog"), (.asking, "asking"), (.fast, "fast"),
        (.noAuth, "no_auth"), (.mayReplicate, "may_replicate"), (.noMulti, "no_multi"), (.movableKeys, "movablekeys"),
        (.allowBusy, "allow_busy"), (.noMandatoryKeys, "no_mandatory_keys"), (.noAsyncLoading, "no_async_loading"),
    ]

    public var names: [String] { CommandFlags.names.filter { contains($0.0) }.map { $0.1 } }
}

/// A command handler: reads `ctx.args`, writes its reply through `ctx.out`, changes the
/// keyspace and records effects through `ctx`.
public typealias CommandHandler = (CommandContext) -> Void

/// One command described as data: what COMMAND reports, what admission checks before
/// the handler runs (arity, flags), and where its keys are (key specs).
public final class CommandSpec: @unchecked Sendable {
    /// Lowercase name ("get", or "get" inside "config" for subcommands).
    public let name: String
    /// Redis arity: N means exactly N arguments (name included), -N at least N.
    public let arity: Int
    public let flags: CommandFlags
    /// Where the keys are among the arguments.
    public let keySpecs: [KeySpec]
    /// For the commands whose specs cannot find every key or say its flags (SORT, SET).
    public let keyFinder: KeyFinder?
    /// Redis's legacy (first, last, step) key range, derived from the key specs.
    public let firstKey: Int
    public let lastKey: Int
    public let keyStep: Int
    /// ACL categories: the declared ones and those the flags imply.
    public let categories: ACLCategories
    /// Redis's command group ("string", "generic", "connection", "server", ...).
    public let group: String
    public let summary: String
    public let since: String
    public let handler: CommandHandler
    public private(set) var subcommands: [Bytes: CommandSpec] = [:]
    /// "get", or "config|get" for a subcommand: the name Redis's error messages use.
    public private(set) var fullName: String
    /// Calls, time and failures, for INFO commandstats.
    public var stats = CommandStats()
    /// Its bit in an ACL selector's command bitmap (CommandTable assigns it on registry).
    public internal(set) var aclID = -1
    /// Whether it is a container's subcommand (CONFIG|GET).
    public private(set) var isSubcommand = false

    public init(_ name: String, arity: Int, flags: CommandFlags, keys: [KeySpec] = [], keyFinder: KeyFinder? = nil,
                acl: ACLCategories, group: String, since: String = "1.0.0", summary: String,
                handler: @escaping CommandHandler = { _ in }) {
        self.name = name
        self.arity = arity
        self.keySpecs = keys
        self.keyFinder = keyFinder
        let legacy = KeySpec.legacyRange(keys)
        self.flags = legacy.movable ? flags.union(.movableKeys) : flags
        self.firstKey = legacy.first
        self.lastKey = legacy.last
        self.keyStep = legacy.step
        self.categories = acl.union(ACLCategories.implied(by: flags, declared: acl))
        self.group = group
        self.since = since
        self.summary = summary
        self.handler = handler
        self.fullName = name
    }

    public func addSubcommand(_ sub: CommandSpec) {
        sub.fullName = "\(name)|\(sub.name)"
        sub.isSubcommand = true
        subcommands[Bytes(sub.name)] = sub
    }

    public var isWrite: Bool { flags.contains(.write) }

    public func arityAccepts(_ count: Int) -> Bool {
        arity >= 0 ? count == arity : count >= -arity
    }
}

/// Per-command counters for INFO commandstats.
public struct CommandStats: Sendable {
    public var calls = 0
    public var microseconds = 0
    public var failedCalls = 0
    public var rejectedCalls = 0
    /// latency-tracking: LATENCY HISTOGRAM and INFO latencystats.
    public var latency = CommandLatencyHistogram()
    public init() {}
}
