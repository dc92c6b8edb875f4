import CairnCore
import CairnStore

/// Redis's approximated eviction. Rather than keep every key in an LRU list, each pass
/// samples `maxmemory-samples` keys per database and keeps the best candidates across
/// passes in a small pool sorted by score (idle time under LRU, 255 minus the counter
/// under LFU, nearness of expiry under volatile-ttl); the victim is the best candidate
/// still present. The random policies take any key, visiting the databases in turn.
public final class Eviction {
    struct Candidate {
        var score: UInt64
        var key: Bytes
        var database: Int
    }

    /// Redis's EVPOOL_SIZE.
    static let poolSize = 16
    /// Ascending by score: the best victim last.
    var pool: [Candidate] = []
    private var nextRandomDatabase = 0

    public init() {}

    /// Forgets the candidates (the policy changed: their scores mean something else).
    public func reset() { pool.removeAll() }

    public enum Outcome {
        /// Freed what was asked.
        case freed
        /// Stopped at the pass's time limit with more to free.
        case outOfTime
        /// Nothing left that the policy may evict.
        case nothingToEvict
    }

    /// Evicts keys until `memory()` has fallen by `bytes` or `microseconds` have passed
    /// (checked every 16 keys, as Redis does), in a frame of `session` (the server's).
    /// Each key goes as a DEL effect and an `evicted` event (the caller applies the
    /// touches: WATCH and invalidations).
    public func evict(_ ctx: CommandContext, session: ClientSession, bytes: Int, microseconds: Int64,
                      memory: () -> Int) -> Outcome {
        let started = Clock.monotonicMicroseconds()
        var outcome = Outcome.freed
        ctx.withFrame(session: session, nowMs: Clock.unixMilliseconds()) {
            var freed = 0, keys = 0
            while freed < bytes {
                guard let (database, key) = victim(ctx) else { outcome = .nothingToEvict; return }
                // What the deletion alone freed, as Redis measures it: the DEL record and
                // the event cost memory too, but are the log's and the clients' (not
                // counted), and counting them would evict more keys to pay for them.
                let before = memory()
                let deleteStarted = Clock.monotonicMicroseconds()
                ctx.keyspace[database].delete(key)
                ctx.sampleLatency("eviction-del", milliseconds: (Clock.monotonicMicroseconds() - deleteStarted) / 1000)
                freed += before - memory()
                announce(ctx, key, database: database)
                keys += 1
                if keys % 16 == 0 && Clock.monotonicMicroseconds() - started > microseconds {
                    outcome = .outOfTime
                    return
                }
            }
        }
        ctx.sampleLatency("eviction-cycle", milliseconds: (Clock.monotonicMicroseconds() - started) / 1000)
        return outcome
    }

    /// An eviction's DEL effect, count and `evicted` event.
    private func announce(_ ctx: CommandContext, _ key: Bytes, database: Int) {
        ctx.stats.evictedKeys += 1
        ctx.effects.append(Effect(database: database, arguments: ["DEL", key]))
        ctx.notify(.evicted, "evicted", key, database: database)
    }

    /// The key to evict next, with its database; nil when the policy finds none.
    func victim(_ ctx: CommandContext) -> (Int, Bytes)? {
        let settings = ctx.settings.eviction
        let policy = settings.policy
        if policy == .noeviction { return nil }
        if !policy.samples { return randomKey(ctx.keyspace, volatileOnly: policy.volatileOnly) }
        while true {
            var any = false
            for index in 0..<ctx.keyspace.databaseCount {
                let db = ctx.keyspace[index]
                guard policy.volatileOnly ? !db.expires.isEmpty : !db.main.isEmpty else { continue }
                any = true
                sample(db, settings, nowMs: ctx.nowMs)
            }
            if !any { return nil }
            while let best = pool.popLast() {
                let db = ctx.keyspace[best.database]
                let present = policy.volatileOnly ? db.expires.find(best.key) != nil : db.main.find(best.key) != nil
                if present { return (best.database, best.key) }
            }
        }
    }

    private func randomKey(_ keyspace: Keyspace, volatileOnly: Bool) -> (Int, Bytes)? {
        for _ in 0..<keyspace.databaseCount {
            nextRandomDatabase = (nextRandomDatabase + 1) % keyspace.databaseCount
            let db = keyspace[nextRandomDatabase]
            let count = volatileOnly ? db.expires.count : db.main.count
            guard count > 0 else { continue }
            let i = Int(KeyAccess.nextRandom() % UInt64(count))
            return (nextRandomDatabase, volatileOnly ? db.expires.entries[i].key : db.main.entries[i].key)
        }
        return nil
    }

    /// Redis's evictionPoolPopulate: scores `samples` random keys of `db` into the pool.
    private func sample(_ db: Database, _ settings: EvictionSettings, nowMs: Int64) {
        let policy = settings.policy
        let count = policy.volatileOnly ? db.expires.count : db.main.count
        for _ in 0..<min(settings.samples, count) {
            let i = Int(KeyAccess.nextRandom() % UInt64(count))
            let key: Bytes, score: UInt64
            if policy == .volatileTTL {
                let e = db.expires.entries[i]
                key = e.key
                score = UInt64.max - UInt64(max(0, e.value))
            } else {
                let position = policy.volatileOnly ? db.main.find(db.expires.entries[i].key) : i
                guard let position else { continue }
                let e = db.main.entries[position]
                key = e.key
                if policy.tracksFrequency {
                    score = 255 - UInt64(KeyAccess.lfuCounter(e.aux, nowMs: nowMs, decayMinutes: settings.lfuDecayMinutes))
                } else {
                    score = UInt64(KeyAccess.idleMilliseconds(e.aux, nowMs: nowMs))
                }
            }
            insert(Candidate(score: score, key: key, database: db.index))
        }
    }

    /// Keeps the pool's `poolSize` best, ascending; a key already in it is not repeated.
    private func insert(_ c: Candidate) {
        if pool.contains(where: { $0.database == c.database && $0.key == c.key }) { return }
        var k = 0
        while k < pool.count && pool[k].score < c.score { k += 1 }
        if pool.count < Eviction.poolSize {
            pool.insert(c, at: k)
        } else if k > 0 {
            // Full: the worst candidate makes room for a better one.
            pool.removeFirst()
            pool.insert(c, at: k - 1)
        }
    }
}
