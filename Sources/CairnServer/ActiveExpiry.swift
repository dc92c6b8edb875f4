import CairnCommands
import CairnCore
import CairnStore

/// Redis's active expire cycle: keys that are never read again are still reclaimed.
/// Each run samples random volatile keys per database and deletes the expired ones,
/// repeating while more than a quarter of a sample had expired, within a time budget.
/// It runs in a frame of its own; the DELs it records are committed by the caller.
enum ActiveExpiry {
    static let sampleSize = 20
    /// Runs under `session`, the server's own (no client).
    static func cycle(ctx: CommandContext, session: ClientSession, nowMs: Int64, budgetMicroseconds: Int64) {
        let started = Clock.monotonicMicroseconds()
        defer {
            let elapsed = Clock.monotonicMicroseconds() - started
            ctx.stats.expireCycleMicroseconds += elapsed
            ctx.sampleLatency("expire-cycle", milliseconds: elapsed / 1000)
        }
        ctx.withFrame(session: session, nowMs: nowMs) {
            for index in 0..<ctx.keyspace.databaseCount {
                let db = ctx.keyspace[index]
                while !db.expires.isEmpty {
                    var expired = 0
                    let samples = min(sampleSize, db.expires.count)
                    for _ in 0..<samples {
                        if db.expires.isEmpty { break }
                        let e = db.expires.entries[Int.random(in: 0..<db.expires.count)]
                        if e.value <= nowMs && ctx.expireIfNeeded(e.key, in: db, dbIndex: index) { expired += 1 }
                    }
                    if expired * 4 <= samples { break }
                    if Clock.monotonicMicroseconds() - started > budgetMicroseconds { return }
                }
            }
        }
    }
}
