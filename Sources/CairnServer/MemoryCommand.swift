import CairnCommands
import CairnCore
import CairnStore
import CCairnSystem
#if canImport(Glibc)
import Glibc
#endif

/// MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP.
enum MemoryCommand {
    static func spec(_ engine: Engine) -> CommandSpec {
        let memory = CommandSpec("memory", arity: -2, flags: [], acl: [], group: "server", since: "4.0.0",
                                 summary: "A container for memory diagnostics commands")
        memory.addSubcommand(CommandSpec("usage", arity: -3, flags: [.readonly], keys: [.at(2, [.ro])], acl: [.read],
                                         group: "server", since: "4.0.0",
                                         summary: "Estimate the memory usage of a key") { ctx in usage(ctx) })
        memory.addSubcommand(CommandSpec("stats", arity: 2, flags: [], acl: [], group: "server", since: "4.0.0",
                                         summary: "Show memory usage details") { ctx in stats(ctx, engine) })
        memory.addSubcommand(CommandSpec("doctor", arity: 2, flags: [], acl: [], group: "server", since: "4.0.0",
                                         summary: "Outputs memory problems report") { ctx in
            ctx.out.verbatim(doctor(MemoryFigures(engine)))
        })
        memory.addSubcommand(CommandSpec("malloc-stats", arity: 2, flags: [], acl: [], group: "server", since: "4.0.0",
                                         summary: "Show allocator internal stats") { ctx in
            guard let report = cairn_malloc_stats_report() else {
                ctx.out.verbatim("Stats not supported for the current allocator")
                return
            }
            defer { free(report) }
            ctx.out.verbatim(String(cString: report))
        })
        memory.addSubcommand(CommandSpec("purge", arity: 2, flags: [], acl: [], group: "server", since: "4.0.0",
                                         summary: "Ask the allocator to release memory") { ctx in
            if cairn_malloc_purge() != 0 && cairn_thread_allocated_net() != 0 {
                ctx.out.error("ERR Error purging dirty pages")
                return
            }
            ctx.out.ok()
        })
        memory.addHelp(acl: [], since: "4.0.0", [
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ])
        return memory
    }

    // MARK: - USAGE

    static func usage(_ ctx: CommandContext) {
        var samples = 5
        if ctx.args.count > 3 {
            guard ctx.args.count == 5, ctx.isOption(3, "samples") else { ctx.syntaxError(); return }
            guard let n = ctx.args[4].int64 else { ctx.out.error(Reply.notInteger); return }
            guard n >= 0 else { ctx.syntaxError(); return }
            samples = n == 0 ? .max : Int(min(n, Int64(Int.max)))
        }
        let key = ctx.args[2]
        guard ctx.peek(key, missEvent: false) != nil, let p = ctx.db.main.find(key) else { ctx.out.null(); return }
        let table = ctx.db.main
        // The key's entry in the table and its share of the slot index.
        var bytes = MemoryLayout<KeyTableEntry<Value>>.stride + 4 * table.slotCount / max(1, table.count)
        if case .large(let a) = key { bytes += arrayBlock(a.capacity) }
        bytes += valueBytes(table.entries[p].value, samples: samples)
        ctx.out.integer(Int64(bytes))
    }

    /// A [UInt8]'s heap block: its 32-byte header and its bytes, in jemalloc's size class.
    static func arrayBlock(_ capacity: Int) -> Int { sizeClass(32 + capacity) }

    /// jemalloc's size class for `n` bytes: multiples of 16 up to 128, then four classes
    /// per doubling.
    static func sizeClass(_ n: Int) -> Int {
        if n <= 8 { return 8 }
        if n <= 128 { return (n + 15) / 16 * 16 }
        let step = 1 << (Int.bitWidth - (n - 1).leadingZeroBitCount - 3)
        return (n + step - 1) / step * step
    }

    /// The bytes a value holds, measured by building a copy of it and counting what that
    /// allocated (the thread's jemalloc counters). A collection of more than `samples`
    /// × 1000 elements is measured on a copy of that many of its elements (spread over it)
    /// and the result scaled: Redis samples too, and a copy of all of a huge key would
    /// double its memory for a moment. Streams are copied whole.
    static func valueBytes(_ value: Value, samples: Int) -> Int {
        switch value {
        case .inline, .int: return 0
        case .heap(let a), .raw(let a): return arrayBlock(a.capacity)
        case .stream: return allocated { value.deepCopy() }
        default:
            let count = value.elementCount
            let taken = samples > Int.max / 1000 ? count : min(count, samples * 1000)
            if taken >= count { return allocated { value.deepCopy() } }
            return allocated { value.sample(taken) } * count / max(1, taken)
        }
    }

    /// Bytes `make` allocated on this thread, net, while its result was alive.
    static func allocated(_ make: () -> Value) -> Int {
        let before = Int(cairn_thread_allocated_net())
        let made = make()
        let after = Int(cairn_thread_allocated_net())
        withExtendedLifetime(made) {}
        return max(0, after - before)
    }

    // MARK: - STATS and DOCTOR

    static func stats(_ ctx: CommandContext, _ engine: Engine) {
        let m = MemoryFigures(engine)
        var databases: [(Int, Int, Int)] = []
        for i in 0..<engine.keyspace.databaseCount {
            let db = engine.keyspace[i]
            guard db.count > 0 || !db.expires.isEmpty else { continue }
            databases.append((i, tableOverhead(db.main), tableOverhead(db.expires)))
        }
        let keys = engine.keyspace.totalKeys
        ctx.out.mapHeader(27 + databases.count)
        func field(_ name: String, _ value: Int) { ctx.out.bulk(name); ctx.out.integer(Int64(value)) }
        func ratio(_ name: String, _ value: Double) { ctx.out.bulk(name); ctx.out.double(value) }
        field("peak.allocated", m.peak)
        field("total.allocated", m.used)
        field("startup.allocated", Memory.startupBytes)
        field("replication.backlog", 0)
        field("clients.slaves", m.replicaClients)
        field("clients.normal", m.normalClients)
        field("cluster.links", 0)
        field("aof.buffer", engine.persistence.writer?.bufferedBytes ?? 0)
        field("lua.caches", m.scripts)
        field("functions.caches", m.functions)
        for (i, main, expires) in databases {
            ctx.out.bulk("db.\(i)")
            ctx.out.mapHeader(3)
            field("overhead.hashtable.main", main)
            field("overhead.hashtable.expires", expires)
            field("overhead.hashtable.slot-to-keys", 0)
        }
        field("overhead.total", m.overhead)
        field("keys.count", keys)
        field("keys.bytes-per-key", keys > 0 ? (m.used - Memory.startupBytes) / keys : 0)
        field("dataset.bytes", m.dataset)
        ratio("dataset.percentage", Double(m.dataset) * 100 / Double(max(1, m.used - Memory.startupBytes)))
        ratio("peak.percentage", Double(m.used) * 100 / Double(max(1, m.peak)))
        field("allocator.allocated", m.allocator.allocated)
        field("allocator.active", m.allocator.active)
        field("allocator.resident", m.allocator.resident)
        ratio("allocator-fragmentation.ratio", Double(m.allocator.active) / Double(max(1, m.allocator.allocated)))
        field("allocator-fragmentation.bytes", m.allocator.active - m.allocator.allocated)
        ratio("allocator-rss.ratio", Double(m.allocator.resident) / Double(max(1, m.allocator.active)))
        field("allocator-rss.bytes", m.allocator.resident - m.allocator.active)
        ratio("rss-overhead.ratio", Double(m.rss) / Double(max(1, m.allocator.resident)))
        field("rss-overhead.bytes", m.rss - m.allocator.resident)
        ratio("fragmentation", Double(m.rss) / Double(max(1, m.used)))
        field("fragmentation.bytes", m.rss - m.used)
    }

    /// A key table's own bytes: its slot index and its entry array (the entries hold
    /// the keys inline; values are the dataset's).
    static func tableOverhead<V>(_ table: KeyTable<V>) -> Int {
        table.slotCount * 4 + table.entries.capacity * MemoryLayout<KeyTableEntry<V>>.stride
    }

    /// Redis's getMemoryDoctorReport, on the same thresholds.
    static func doctor(_ m: MemoryFigures) -> String {
        if m.used < 5 << 20 {
            return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
        }
        var reports: [String] = []
        if Double(m.peak) / Double(m.used) > 1.5 {
            reports.append(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak. MEMORY PURGE asks the allocator to give back what it can.\n\n")
        }
        let fragmentation = Double(m.allocator.active) / Double(max(1, m.allocator.allocated))
        if fragmentation > 1.1 && m.allocator.active - m.allocator.allocated > 10 << 20 {
            reports.append(" * Allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1 (\(InfoReport.format2(fragmentation))): the allocator holds more pages than the data needs. MEMORY PURGE, or a restart (which reloads the data compactly), gives them back.\n\n")
        }
        if Double(m.rss) / Double(max(1, m.allocator.resident)) > 1.1 && m.rss - m.allocator.resident > 10 << 20 {
            reports.append(" * Non-allocator RSS: This instance's resident memory is more than 10% and 10 MB above what the allocator holds: memory outside the allocator, such as a snapshot child's copy-on-write pages shared with the parent.\n\n")
        }
        if m.clientCount > 0 && m.normalClients / m.clientCount > 200 << 10 {
            reports.append(" * Big client buffers: The clients output buffers are in general too big, over 200 KB per client on average. This may result from clients reading their replies slowly (or not at all), or from commands with very large replies; client-output-buffer-limit bounds them.\n\n")
        }
        if m.replicaCount > 0 && m.replicaClients / m.replicaCount > 10 << 20 {
            reports.append(" * Big replica buffers: The replica output buffers are over 10 MB per replica on average: replicas are behind, or the link to them is slow.\n\n")
        }
        if m.scriptCount > 1000 {
            reports.append(" * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and EVALed instead of being parameterized (with KEYS and ARGV), SCRIPT LOADed and called by EVALSHA. SCRIPT FLUSH empties the cache.\n\n")
        }
        if reports.isEmpty {
            return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
        }
        return "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + reports.joined()
            + "I'm here to keep you safe, Sam. I want to help you.\n"
    }
}

/// The memory figures INFO memory, MEMORY STATS and MEMORY DOCTOR share.
struct MemoryFigures {
    let used: Int, rss: Int, peak: Int
    let allocator: (allocated: Int, active: Int, resident: Int)
    let normalClients: Int, replicaClients: Int, clientCount: Int, replicaCount: Int
    let scripts: Int, functions: Int, scriptCount: Int
    let overhead: Int, dataset: Int

    init(_ e: Engine) {
        used = Memory.usedBytes()
        rss = Memory.residentBytes()
        peak = Memory.peak(used)
        allocator = Memory.allocatorStats(used: used, rss: rss)
        replicaCount = e.replication.peers.count
        clientCount = e.clients.count - replicaCount
        replicaClients = e.replicaOutputBytes()
        normalClients = e.clients.values.reduce(0) { $0 + ($1.isReplica ? 0 : $1.heldOutputBytes) }
        scripts = e.ctx.scripting.scripts.values.reduce(0) { $0 + $1.body.count }
        functions = e.ctx.functions.libraries.values.reduce(0) { $0 + $1.code.count }
        scriptCount = e.ctx.scripting.scripts.count
        let vm = e.ctx.scripting.interpreter.memoryUsed + e.ctx.functions.interpreter.memoryUsed
        // Redis counts a dataset's overhead (its tables, per key) itself; Cairn counts
        // as overhead what the server holds beside the data: what it held at start-up,
        // the clients' and replicas' pending output, and the scripting engines.
        overhead = Memory.startupBytes + normalClients + replicaClients + vm
        dataset = max(0, used - overhead)
    }
}
