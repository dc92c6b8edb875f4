import CairnCore
import CairnStore

/// What a blocking command (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX,
/// BZMPOP, XREAD, XREADGROUP) leaves for the engine when none of its keys can serve it now: the client waits
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
        /// XREAD: entries past `after` (one ID per key). XREADGROUP: entries past its
        /// group's last delivered ID.
        case stream(after: [StreamID])
        case streamGroup(name: Bytes)
    }

    public var awaited: Awaited
    /// BLMOVE and BRPOPLPUSH answer a null bulk where they may not wait (inside MULTI);
    /// the others a null array.
    public var answersNullBulk: Bool
    public var database: Int
    public var keys: [Bytes]
    /// Absolute Unix milliseconds; nil to wait for ever.
    public var deadlineMs: Int64?
    /// The command to run when served, when it is not the one given (XREAD's `$` made the
    /// IDs it stood for).
    public var rerunArguments: [Bytes]?

    public init(awaiting awaited: Awaited, answersNullBulk: Bool = false, database: Int, keys: [Bytes], deadlineMs: Int64?) {
        self.awaited = awaited
        self.answersNullBulk = answersNullBulk
        self.database = database
        self.keys = keys
        self.deadlineMs = deadlineMs
    }

    /// The command to run when `key` wakes the client. Redis serves a blocked XREAD or
    /// XREADGROUP from the one stream that woke it, so the run names only that stream
    /// (its arguments end with the n keys, then their n IDs).
    public func arguments(servedBy key: Bytes, _ args: [Bytes]) -> [Bytes] {
        switch awaited {
        case .stream, .streamGroup:
            guard keys.count > 1, let i = keys.firstIndex(of: key) else { return args }
            let n = keys.count, base = args.count - 2 * n
            return Array(args[..<base]) + [args[base + i], args[base + n + i]]
        default:
            return args
        }
    }
}

/// What a write to a key means for a client blocked on it.
public enum WakeUp {
    case wait
    /// Run its command again.
    case serve
    /// Answer this error and stop waiting.
    case fail(String)
}

extension BlockRequest {
    /// Whether `value`, now at `key`, serves this wait (as Redis 7.0's blocked.c decides):
    /// a non-empty list or sorted set; a stream with an entry past the ID waited after,
    /// or past the group's last delivered one. An XREADGROUP whose key is gone, or no
    /// longer a stream, or whose group is gone, gets Redis's errors.
    public func wakeUp(key: Bytes, value: Value?) -> WakeUp {
        switch awaited {
        case .list: return (value?.listValue?.count ?? 0) > 0 ? .serve : .wait
        case .sortedSet: return (value?.sortedSetValue?.count ?? 0) > 0 ? .serve : .wait
        case .replicaAcks: return .wait
        case .stream(let after):
            guard let s = value?.streamValue, let i = keys.firstIndex(of: key) else { return .wait }
            return s.lastID > after[i] ? .serve : .wait
        case .streamGroup(let name):
            guard let s = value?.streamValue else { return .fail("UNBLOCKED the stream key no longer exists") }
            guard let g = s.group(name) else {
                return .fail("NOGROUP the consumer group this client was blocked on no longer exists")
            }
            return s.lastID > g.lastID ? .serve : .wait
        }
    }
}
