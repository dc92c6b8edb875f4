/// Redis 7.0 directives that mean nothing for Cairn (its log is not an AOF, its snapshots
/// not RDB files, it frees memory inline, it runs in the foreground), accepted so that an
/// existing redis.conf starts Cairn: each value is checked as Redis checks it and kept for
/// CONFIG GET, and the server says at start-up which of them it was given and ignores.
/// Directives Cairn does not implement yet but could are not here: they stay refused
/// rather than silently ignored.
enum InertDirectives {
    enum Kind {
        case yesNo
        case integer(ClosedRange<Int>)
        case memory
        case text
        case choice([String])
        /// cluster-announce-hostname: letters, digits, hyphens and dots.
        case hostname
    }

    struct Entry {
        let name: String
        let defaultValue: String
        let kind: Kind
        let mutable: Bool
    }

    static let entries: [Entry] = [
        // Active defragmentation (Cairn's jemalloc is Debian's, without Redis's defrag hints)
        // and the expiry cycle's effort (Cairn's cycle has its own time budget).
        Entry(name: "active-defrag-cycle-max", defaultValue: "25", kind: .integer(1...99), mutable: true),
        Entry(name: "active-defrag-cycle-min", defaultValue: "1", kind: .integer(1...99), mutable: true),
        Entry(name: "active-defrag-ignore-bytes", defaultValue: "104857600", kind: .memory, mutable: true),
        Entry(name: "active-defrag-max-scan-fields", defaultValue: "1000", kind: .integer(1...Int(Int64.max)), mutable: true),
        Entry(name: "active-defrag-threshold-lower", defaultValue: "10", kind: .integer(0...1000), mutable: true),
        Entry(name: "active-defrag-threshold-upper", defaultValue: "100", kind: .integer(0...1000), mutable: true),
        Entry(name: "active-expire-effort", defaultValue: "1", kind: .integer(1...10), mutable: true),
        Entry(name: "activedefrag", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "activerehashing", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "always-show-logo", defaultValue: "no", kind: .yesNo, mutable: false),
        Entry(name: "aof-disable-auto-gc", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "aof-load-truncated", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "aof-rewrite-incremental-fsync", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "aof-timestamp-enabled", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "aof-use-rdb-preamble", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "appenddirname", defaultValue: "appendonlydir", kind: .text, mutable: false),
        Entry(name: "appendfilename", defaultValue: "appendonly.aof", kind: .text, mutable: false),
        // Threads pinned to CPUs (Cairn's threads are NIO's loop, the log writer and
        // snapshot children), Redis's crash report, and its I/O threads.
        Entry(name: "aof_rewrite_cpulist", defaultValue: "", kind: .text, mutable: false),
        Entry(name: "bgsave_cpulist", defaultValue: "", kind: .text, mutable: false),
        Entry(name: "bio_cpulist", defaultValue: "", kind: .text, mutable: false),
        // Cluster mode (cluster-enabled stays no: Cairn has no cluster bus; these mean
        // nothing outside cluster mode in Redis either).
        Entry(name: "cluster-allow-pubsubshard-when-down", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "cluster-allow-reads-when-down", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "cluster-allow-replica-migration", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "cluster-announce-bus-port", defaultValue: "0", kind: .integer(0...65535), mutable: true),
        Entry(name: "cluster-announce-hostname", defaultValue: "", kind: .hostname, mutable: true),
        Entry(name: "cluster-announce-ip", defaultValue: "", kind: .text, mutable: true),
        Entry(name: "cluster-announce-port", defaultValue: "0", kind: .integer(0...65535), mutable: true),
        Entry(name: "cluster-announce-tls-port", defaultValue: "0", kind: .integer(0...65535), mutable: true),
        Entry(name: "cluster-config-file", defaultValue: "nodes.conf", kind: .text, mutable: false),
        Entry(name: "cluster-enabled", defaultValue: "no", kind: .choice(["no"]), mutable: false),
        Entry(name: "cluster-link-sendbuf-limit", defaultValue: "0", kind: .memory, mutable: true),
        Entry(name: "cluster-migration-barrier", defaultValue: "1", kind: .integer(0...Int(Int32.max)), mutable: true),
        Entry(name: "cluster-node-timeout", defaultValue: "15000", kind: .integer(0...Int(Int64.max)), mutable: true),
        Entry(name: "cluster-port", defaultValue: "0", kind: .integer(0...65535), mutable: false),
        Entry(name: "cluster-preferred-endpoint-type", defaultValue: "ip", kind: .choice(["ip", "hostname", "unknown-endpoint"]), mutable: true),
        Entry(name: "cluster-replica-no-failover", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "cluster-replica-validity-factor", defaultValue: "10", kind: .integer(0...Int(Int32.max)), mutable: true),
        Entry(name: "cluster-require-full-coverage", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "crash-log-enabled", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "crash-memcheck-enabled", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "daemonize", defaultValue: "no", kind: .yesNo, mutable: false),
        Entry(name: "dbfilename", defaultValue: "dump.rdb", kind: .text, mutable: true),
        Entry(name: "disable-thp", defaultValue: "yes", kind: .yesNo, mutable: false),
        Entry(name: "dynamic-hz", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "ignore-warnings", defaultValue: "", kind: .text, mutable: true),
        Entry(name: "io-threads", defaultValue: "1", kind: .integer(1...128), mutable: false),
        Entry(name: "io-threads-do-reads", defaultValue: "no", kind: .yesNo, mutable: false),
        Entry(name: "lazyfree-lazy-eviction", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "lazyfree-lazy-expire", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "lazyfree-lazy-server-del", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "lazyfree-lazy-user-del", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "lazyfree-lazy-user-flush", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "no-appendfsync-on-rewrite", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "oom-score-adj", defaultValue: "no", kind: .choice(["no", "yes", "relative", "absolute"]), mutable: true),
        Entry(name: "oom-score-adj-values", defaultValue: "0 200 800", kind: .text, mutable: true),
        Entry(name: "proc-title-template", defaultValue: "{title} {listen-addr} {server-mode}", kind: .text, mutable: true),
        // Cairn's replicas apply what they are sent or drop the link; a payload is always
        // checked whole before RESTORE uses it.
        Entry(name: "propagation-error-behavior", defaultValue: "ignore", kind: .choice(["ignore", "panic", "panic-on-replicas"]), mutable: true),
        Entry(name: "rdb-del-sync-files", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "rdb-save-incremental-fsync", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "rdbchecksum", defaultValue: "yes", kind: .yesNo, mutable: false),
        Entry(name: "rdbcompression", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "repl-disable-tcp-nodelay", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "repl-diskless-load", defaultValue: "disabled", kind: .choice(["disabled", "on-empty-db", "swapdb"]), mutable: true),
        Entry(name: "repl-diskless-sync", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "repl-diskless-sync-delay", defaultValue: "5", kind: .integer(0...Int(Int32.max)), mutable: true),
        Entry(name: "repl-diskless-sync-max-replicas", defaultValue: "0", kind: .integer(0...Int(Int32.max)), mutable: true),
        Entry(name: "replica-ignore-disk-write-errors", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "replica-lazy-flush", defaultValue: "no", kind: .yesNo, mutable: true),
        Entry(name: "sanitize-dump-payload", defaultValue: "no", kind: .choice(["no", "yes", "clients"]), mutable: true),
        Entry(name: "server_cpulist", defaultValue: "", kind: .text, mutable: false),
        Entry(name: "set-proc-title", defaultValue: "yes", kind: .yesNo, mutable: false),
        Entry(name: "stop-writes-on-bgsave-error", defaultValue: "yes", kind: .yesNo, mutable: true),
        Entry(name: "supervised", defaultValue: "no", kind: .choice(["upstart", "systemd", "auto", "no"]), mutable: false),
    ]

    /// Redis's second names for some of them: the same value under either name.
    static let aliases = [
        "cluster-slave-no-failover": "cluster-replica-no-failover",
        "cluster-slave-validity-factor": "cluster-replica-validity-factor",
        "slave-lazy-flush": "replica-lazy-flush",
    ]

    static var directives: [Directive] {
        entries.map { directive($0, name: $0.name) }
            + aliases.compactMap { alias, name in entries.first { $0.name == name }.map { directive($0, name: alias) } }
    }

    static func directive(_ e: Entry, name: String) -> Directive {
        Directive(name: name, mutable: e.mutable, isProtected: e.name == "dbfilename", get: { $0.inertDirectives[e.name] ?? e.defaultValue }) { c, args in
            if e.name == "cluster-enabled", args.count == 1, args[0].lowercased() == "yes" {
                throw ConfigError("Cairn has no cluster mode; cluster-enabled must be no")
            }
            c.inertDirectives[e.name] = try value(e, args)
        }
    }

    /// The value as CONFIG GET will show it, or Redis's complaint about it.
    static func value(_ e: Entry, _ args: [String]) throws -> String {
        if case .text = e.kind { return args.joined(separator: " ") }
        guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
        let v = args[0]
        switch e.kind {
        case .yesNo:
            guard ["yes", "no"].contains(v.lowercased()) else { throw ConfigError("argument must be 'yes' or 'no'") }
            return v.lowercased()
        case .integer(let range):
            guard let n = Int(v) else { throw ConfigError("argument couldn't be parsed into an integer") }
            guard range.contains(n) else {
                throw ConfigError("argument must be between \(range.lowerBound) and \(range.upperBound) inclusive")
            }
            return String(n)
        case .memory:
            guard let n = Directives.parseMemory(v) else { throw ConfigError("argument must be a memory value") }
            return String(n)
        case .choice(let options):
            guard options.contains(v.lowercased()) else {
                throw ConfigError("argument(s) must be one of the following: " + options.joined(separator: ", "))
            }
            return v.lowercased()
        case .hostname:
            guard v.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
                throw ConfigError("Hostnames may only contain alphanumeric characters, hyphens or dots")
            }
            return v
        case .text:
            return v
        }
    }
}
