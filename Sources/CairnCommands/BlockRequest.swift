import CairnCore

/// What a blocking command (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX,
/// BZMPOP) leaves for the engine when none of its keys can serve it now: the client waits
/// on these keys, first come first served, until a write makes one of them hold what it
/// waits for (its command is then run again) or the deadline passes.
public struct BlockRequest: Sendable {
    /// What the client waits for a key to hold.
    public enum Awaited: Sendable {
        case list
        case sortedSet
        /// WAIT (`local` nil): `replicas` replicas acknowledging the stream up to
        /// `offset`. WAITAOF (`local` 0 or 1): replicas acknowledging it on disk, and this
        /// server's log durable through `lsn` when `local` is 1. No keys.
        case replicaAcks(offset: UInt64, lsn: UInt64, replicas: Int, local: Int?)
    }

    public var awaited: Awaited
    /// BLMOVE and BRPOPLPUSH answer a null bulk where they may not wait (inside MULTI);
    /// the others a null array.
    public var answersNullBulk: Bool
    public var database: Int
    public var keys: [Bytes]
    /// Absolute Unix milliseconds; nil to wait for ever.
    public var deadlineMs: Int64?

    public init(awaiting awaited: Awaited, answersNullBulk: Bool = false, database: Int, keys: [Bytes], deadlineMs: Int64?) {
        self.awaited = awaited
        self.answersNullBulk = answersNullBulk
        self.database = database
        self.keys = keys
        self.deadlineMs = deadlineMs
    }
}
