import CairnCommands
import CairnCore
import CairnLog
import CairnSnapshot
import CairnStore
#if canImport(Glibc)
import Glibc
#endif

/// DEBUG, the subset test suites use: SLEEP, SET-ACTIVE-EXPIRE, OBJECT, DIGEST,
/// DIGEST-VALUE, RELOAD and LOADAOF (replay the log into an emptied keyspace), ERROR, LOG,
/// HELP. Refused unless `enable-debug-command` allows it, as in Redis 7: the dispatcher
/// checks that (the spec is `.protected`, ProtectedActions) before the command runs or is
/// queued in MULTI.
enum DebugCommand {

    static func spec(_ engine: Engine) -> CommandSpec {
        CommandSpec("debug", arity: -2, flags: [.admin, .noscript, .loading, .stale, .protected], acl: [], group: "server",
                    summary: "A container for debugging commands") { ctx in
            run(ctx, engine)
        }
    }

    static func run(_ ctx: CommandContext, _ engine: Engine) {
        let sub = ctx.args[1].lowercased.string
        let n = ctx.args.count
        func wrong() {
            ctx.out.error("ERR unknown subcommand or wrong number of arguments for '\(ctx.args[1].string.prefix(128))'. Try DEBUG HELP.")
        }
        switch (sub, n) {
        case ("help", 2):
            writeHelp(ctx, "DEBUG", [
                "DIGEST",
                "    Output a hex signature representing the current DB content.",
                "DIGEST-VALUE <key> [<key> ...]",
                "    Output a hex signature of the values of all the specified keys.",
                "ERROR <string>",
                "    Return a Redis protocol error with <string> as message. Useful for clients",
                "    unit tests to simulate Redis errors.",
                "LOG <message>",
                "    Write <message> to the server log.",
                "HTSTATS <dbid>",
                "    Return hash table statistics of the specified Redis database.",
                "LOADAOF",
                "    Flush the AOF buffers on disk and reload the AOF in memory.",
                "OBJECT <key>",
                "    Show low level info about the key and associated value.",
                "RELOAD",
                "    Take a snapshot, then load it and the log after it into an emptied keyspace.",
                "CHECKPOINT-CRASH <child|manifest|deletes>",
                "    End the process, as a crash would, right after that step of the next",
                "    background checkpoint (for tests).",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ])
        case ("sleep", 3):
            guard let seconds = ctx.args[2].double, seconds >= 0 else {
                // Redis's strtod takes junk as 0; only negative or NaN is meaningless here.
                ctx.out.ok()
                return
            }
            usleep(UInt32(min(seconds, 3600) * 1_000_000))
            ctx.out.ok()
        case ("set-active-expire", 3):
            engine.activeExpireEnabled = ctx.args[2] != "0"
            ctx.out.ok()
        case ("error", 3):
            // The text as given, without an ERR prefix (as Redis 7.0 sends it).
            ctx.out.error(ctx.args[2].string)
        case ("log", 3):
            engine.logger.warning("DEBUG LOG: \(ctx.args[2].string)")
            ctx.out.ok()
        case ("object", 3):
            guard let p = ctx.db.main.find(ctx.args[2]), ctx.peek(ctx.args[2], missEvent: false) != nil else {
                ctx.out.error("ERR no such key")
                return
            }
            let entry = ctx.db.main.entries[p]
            let idle = KeyAccess.idleMilliseconds(entry.aux, nowMs: ctx.nowMs) / 1000
            let refcount: Int64
            if case .int(let v) = entry.value, v >= 0 && v < 10000 { refcount = Int64(Int32.max) } else { refcount = 1 }
            ctx.out.simple("Value at:0x0 refcount:\(refcount) encoding:\(entry.value.encodingName) serializedlength:\(serializedLength(entry.value)) lru:\(entry.aux & 0xFFFFFF) lru_seconds_idle:\(idle)")
        case ("htstats", 3):
            guard let index = ctx.args[2].int64, index >= 0, index < ctx.keyspace.databaseCount else {
                ctx.out.error("ERR Out of range database")
                return
            }
            let db = ctx.keyspace[Int(index)]
            ctx.out.verbatim(tableStats("Dictionary", db.main) + tableStats("Expires", db.expires))
        case ("digest", 2):
            var digest = Digest()
            for i in 0..<ctx.keyspace.databaseCount {
                let db = ctx.keyspace[i]
                for e in db.main.entries where !db.isExpired(e.key, nowMs: ctx.nowMs) {
                    digest.add(database: i, key: e.key, value: e.value, expire: db.expireTime(e.key))
                }
            }
            ctx.out.simple(digest.hex)
        case ("digest-value", _) where n >= 2:
            ctx.out.arrayHeader(n - 2)
            for key in ctx.args.dropFirst(2) {
                var digest = Digest()
                if let v = ctx.peek(key, missEvent: false) { digest.add(database: 0, key: "", value: v, expire: nil) }
                ctx.out.simple(digest.hex)
            }
        case ("checkpoint-crash", 3):
            let step = ctx.args[2].lowercased.string
            guard Checkpointer.crashSteps.contains(step) else {
                ctx.out.error("ERR step must be one of \(Checkpointer.crashSteps.joined(separator: ", "))")
                return
            }
            engine.checkpointer.crashAfter = step
            ctx.out.ok()
        case ("reload", 2), ("loadaof", 2):
            do {
                try reload(engine)
                ctx.out.ok()
            } catch {
                ctx.out.error("ERR Error trying to load the log: \(error)")
            }
        default:
            wrong()
        }
    }

    /// An estimate of the value's size in Redis's RDB encoding (DEBUG OBJECT's serializedlength).
    static func serializedLength(_ v: Value) -> Int {
        if case .int(let i) = v {
            if i >= -128 && i <= 127 { return 2 }
            if i >= -32768 && i <= 32767 { return 3 }
            if i >= Int64(Int32.min) && i <= Int64(Int32.max) { return 5 }
        }
        let n = v.stringBytes?.count ?? 0
        return n + (n < 64 ? 1 : n < 16384 ? 2 : 5)
    }

    /// Takes a snapshot (as Redis's DEBUG RELOAD saves an RDB first; skipped while a
    /// background one runs), empties the keyspace, loads the snapshot and replays the log
    /// after it: the same path as a restart, checked in place.
    static func reload(_ engine: Engine) throws {
        engine.persistence.flushAndWait()
        if !engine.checkpointer.inProgress { try engine.checkpointer.saveInForeground() }
        let fs = engine.persistence.fs
        let reader = try LogReader(directory: engine.config.dir, fs: fs)
        var snapshot: SnapshotReader?
        if let name = reader.manifest?.snapshot {
            let path = engine.checkpointer.snapshotDirectory + "/" + name
            let mapped = try fs.mapFile(path)
            snapshot = try SnapshotReader(path: path, bytes: mapped.bytes, owner: mapped)
        }
        engine.keyspace.flushAll()
        engine.ctx.functions.flush()
        if let snapshot {
            _ = try snapshot.load(into: engine.keyspace, limits: engine.collectionLimits)
            try engine.installFunctionLibraries(from: snapshot)
        }
        let session = ClientSession(id: 0, nowMs: engine.ctx.nowMs)
        while let record = try reader.next() {
            guard record.kind.carriesEffects else { continue }
            for effect in try EffectCodec.decode(record.payload) {
                _ = engine.replay(effect, session: session)
            }
        }
    }
}

/// An order-independent 160-bit digest of a dataset: each key's contribution is mixed
/// from 64-bit hashes and the contributions are XORed, so the order of iteration does not
/// matter (as Redis's DEBUG DIGEST). Not byte-identical to Redis's SHA-1 based digest.
struct Digest {
    var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var empty = true

    mutating func add(database: Int, key: Bytes, value: Value, expire: Int64?) {
        empty = false
        var valueBytes = value.stringBytes ?? ""
        if case .hash(let h) = value {
            // Order-independent over the fields: XOR of each pair's hash, as text.
            var x: UInt64 = 0
            h.forEach { f, v in x ^= f.hash64(seed: 17) &* 31 &+ v.hash64(seed: 29) }
            valueBytes = Bytes("hash:\(x)")
        }
        if case .list(let list) = value {
            // Order matters in a list: chain the element hashes.
            var x: UInt64 = 0
            for e in list.elements { x = (x &* 1_099_511_628_211) ^ e.hash64(seed: 53) }
            valueBytes = Bytes("list:\(x)")
        }
        if case .zset(let z) = value {
            var x: UInt64 = 0
            for e in z.elements { x ^= e.member.hash64(seed: 59) &+ e.score.bitPattern }
            valueBytes = Bytes("zset:\(x)")
        }
        if case .stream(let s) = value { valueBytes = Bytes("stream:\(Digest.stream(s))") }
        if case .set(let set) = value {
            var x: UInt64 = 0
            for m in set.members { x ^= m.hash64(seed: 41) }
            valueBytes = Bytes("set:\(x)")
        }
        let seedBase = UInt64(database) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(bitPattern: expire ?? -1)
        for i in 0..<3 {
            let seed = seedBase &+ UInt64(i) &* 0xD6E8_FEB8_6659_FD93
            let h = key.hash64(seed: seed) ^ (valueBytes.hash64(seed: seed ^ 0xA5A5) &* 0x2545_F491_4F6C_DD1D)
            switch i {
            case 0: words.0 ^= h
            case 1: words.1 ^= h
            default: words.2 ^= h
            }
        }
    }

    /// A stream's entries in order, its IDs and counters, and its groups: pending entries
    /// with their consumer, delivery time and count, and the consumers' names (not their
    /// seen times, which a replay sets anew).
    static func stream(_ s: StreamValue) -> UInt64 {
        var x: UInt64 = 0
        func mix(_ v: UInt64) { x = (x &* 1_099_511_628_211) ^ v }
        func mix(_ id: StreamID) { mix(id.ms); mix(id.seq) }
        s.forEach { e in
            mix(e.id)
            for p in e.pairs { mix(p.hash64(seed: 61)) }
            return true
        }
        mix(s.lastID)
        mix(s.maxDeletedID)
        mix(UInt64(bitPattern: s.entriesAdded))
        for g in s.sortedGroups {
            mix(g.name.hash64(seed: 67))
            mix(g.lastID)
            mix(UInt64(bitPattern: g.entriesRead))
            for c in g.sortedConsumers { mix(c.name.hash64(seed: 71)) }
            g.pending.forEach { id, nack in
                mix(id)
                mix(nack.consumer.name.hash64(seed: 73))
                mix(UInt64(bitPattern: nack.deliveryTime))
                mix(UInt64(bitPattern: nack.deliveryCount))
                return true
            }
        }
        return x
    }

    var hex: String {
        if empty { return String(repeating: "0", count: 40) }
        func h(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return String((h(words.0) + h(words.1) + h(words.2)).prefix(40))
    }
}

/// DEBUG HTSTATS's text for one key table: Redis's header and sizes, and the room the
/// dense entry array has beyond its keys (Cairn's table has no chains to report).
private func tableStats<V>(_ name: String, _ table: KeyTable<V>) -> String {
    let header = "[\(name) HT]\nHash table 0 stats (main hash table):\n"
    guard !table.isEmpty else { return header + "No stats available for empty dictionaries\n" }
    return header + " table size: \(table.slotCount)\n number of elements: \(table.count)\n"
        + " entries capacity: \(table.entries.capacity)\n"
}
