import CairnCore
import CairnRDB
import CairnStore

/// DUMP and RESTORE with Redis 7.0's payloads (`DumpPayload`): a key's value leaves one
/// server and arrives in another, Cairn or Redis.
enum DumpRestoreCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("dump", arity: 2, flags: [.readonly], keys: [.at(1, [.ro, .access])],
                    acl: [.keyspace], group: "generic", since: "2.6.0",
                    summary: "Return a serialized version of the value stored at the specified key.", handler: dump),
        CommandSpec("restore", arity: -4, flags: [.write, .denyoom], keys: [.at(1, [.ow, .update])],
                    acl: [.keyspace, .dangerous], group: "generic", since: "2.6.0",
                    summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
                    handler: restore),
        // What a cluster's MIGRATE sends; without cluster mode it is RESTORE, as in Redis.
        CommandSpec("restore-asking", arity: -4, flags: [.write, .denyoom, .asking], keys: [.at(1, [.ow, .update])],
                    acl: [.keyspace, .dangerous], group: "server", since: "3.0.0",
                    summary: "An internal command for migrating keys in a cluster", handler: restore),
    ]

    static func dump(_ ctx: CommandContext) {
        guard let p = ctx.lookupRead(ctx.args[1]) else { ctx.out.null(); return }
        ctx.out.bulk(Bytes(DumpPayload.make(ctx.db.main.entries[p].value)))
    }

    /// RESTORE's options after the payload; nil after the error reply.
    struct Options {
        var replace = false
        var absoluteTTL = false
        var idleSeconds: Int64?
        var frequency: Int64?
    }

    static func options(_ ctx: CommandContext) -> Options? {
        var o = Options()
        var j = 4
        while j < ctx.args.count {
            let more = j + 1 < ctx.args.count
            if ctx.isOption(j, "replace") {
                o.replace = true
            } else if ctx.isOption(j, "absttl") {
                o.absoluteTTL = true
            } else if ctx.isOption(j, "idletime") && more && o.frequency == nil {
                guard let idle = ctx.int64Arg(j + 1) else { return nil }
                guard idle >= 0 else { ctx.out.error("ERR Invalid IDLETIME value, must be >= 0"); return nil }
                o.idleSeconds = idle
                j += 1
            } else if ctx.isOption(j, "freq") && more && o.idleSeconds == nil {
                guard let frequency = ctx.int64Arg(j + 1) else { return nil }
                guard (0...255).contains(frequency) else { ctx.out.error("ERR Invalid FREQ value, must be >= 0 and <= 255"); return nil }
                // Kept only under an LFU policy in Redis; Cairn has none yet.
                o.frequency = frequency
                j += 1
            } else {
                ctx.syntaxError()
                return nil
            }
            j += 1
        }
        return o
    }

    static func restore(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let o = options(ctx) else { return }
        if !o.replace && ctx.lookupWrite(key) != nil {
            ctx.out.error("BUSYKEY Target key name already exists.")
            return
        }
        guard var ttl = ctx.int64Arg(2) else { return }
        guard ttl >= 0 else { ctx.out.error("ERR Invalid TTL value, must be >= 0"); return }
        let payload = ctx.args[3].array
        guard DumpPayload.verify(payload) else {
            ctx.out.error("ERR DUMP payload version or checksum are wrong")
            return
        }
        guard let value = try? DumpPayload.value(of: payload, limits: ctx.settings.collectionLimits) else {
            ctx.out.error("ERR Bad data format")
            return
        }
        let deleted = o.replace && ctx.db.delete(key)
        if ttl > 0 && !o.absoluteTTL {
            let (sum, overflow) = ttl.addingReportingOverflow(ctx.nowMs)
            ttl = overflow ? Int64.max : sum
        }
        if ttl > 0 && !ctx.replaying && ttl <= ctx.nowMs {
            // Already expired: only the deletion of what was there remains.
            if deleted {
                ctx.propagate(["DEL", key])
                ctx.notify(.generic, "del", key)
                ctx.dirty += 1
            } else {
                ctx.suppressEffect()
            }
            ctx.out.ok()
            return
        }
        ctx.db.add(key, value, clock: ctx.lruClock)
        if ttl > 0 {
            ctx.db.setExpire(key, atMs: ttl)
            // Logged with its expiry absolute, as Redis propagates it.
            if !o.absoluteTTL {
                var args = ctx.args
                args[2] = formatInt64(ttl)
                ctx.propagate(args + ["ABSTTL"])
            }
        }
        // IDLETIME counts under an LRU policy, FREQ under LFU, as Redis's objectSetLRUOrLFU.
        if let p = ctx.db.main.find(key) {
            if let idle = o.idleSeconds, !ctx.settings.eviction.policy.tracksFrequency {
                let clock = Int64(KeyAccess.lruClockMax) + 1
                let stamp = ((Int64(KeyAccess.lruStamp(nowMs: ctx.nowMs)) - idle) % clock + clock) % clock
                ctx.db.main.setAux(UInt32(stamp), at: p)
            } else if let frequency = o.frequency, ctx.settings.eviction.policy.tracksFrequency {
                ctx.db.main.setAux(KeyAccess.lfuNewStamp(nowMs: ctx.nowMs) & ~0xFF | UInt32(frequency), at: p)
            }
        }
        if value.listValue != nil || value.sortedSetValue != nil || value.streamValue != nil { ctx.signalListReady(key) }
        ctx.notify(.generic, "restore", key)
        ctx.dirty += 1
        ctx.out.ok()
    }
}
