import CairnCore

/// The WATCHed keys, and which of them the current command changed: Redis's
/// touchWatchedKey, fed from the keyspace's mutation points (`Database`'s set, replace,
/// add, delete and removeAll, `Keyspace.swap`, and the context's write lookups, through
/// which collections are changed in place). While nobody watches, recording costs one
/// check of `isEmpty` per mutation; while somebody does, one set lookup.
public final class KeyTouches {
    /// Watched keys by database, with how many clients watch each (the server keeps
    /// which clients).
    public private(set) var watched: [Int: [Bytes: Int]] = [:]
    /// Watched keys changed since the server last took them.
    public var touched: [(database: Int, key: Bytes)] = []

    /// Keys added since the server last took them, recorded only while `recordsNewKeys`
    /// (the `n` class of keyspace notifications: Redis's `new` event).
    public var recordsNewKeys = false
    public var newKeys: [(database: Int, key: Bytes)] = []

    public init() {}

    @inlinable
    public func added(_ database: Int, _ key: Bytes) {
        if recordsNewKeys { newKeys.append((database, key)) }
    }

    public var isEmpty: Bool { watched.isEmpty }
    /// Every changed key is recorded, watched or not (client tracking is on somewhere).
    public var recordsAll = false
    /// Whether changes are recorded at all.
    public var isRecording: Bool { !watched.isEmpty || recordsAll }

    public func watch(_ database: Int, _ key: Bytes) {
        watched[database, default: [:]][key, default: 0] += 1
    }

    public func unwatch(_ database: Int, _ key: Bytes) {
        guard let n = watched[database]?[key] else { return }
        if n > 1 {
            watched[database]![key] = n - 1
        } else {
            watched[database]![key] = nil
            if watched[database]!.isEmpty { watched[database] = nil }
        }
    }

    /// Records that `key` of `database` changed, if anybody watches it.
    @inlinable
    public func touch(_ database: Int, _ key: Bytes) {
        if watched.isEmpty && !recordsAll { return }
        record(database, key)
    }

    @usableFromInline
    func record(_ database: Int, _ key: Bytes) {
        if recordsAll || watched[database]?[key] != nil { touched.append((database, key)) }
    }

    /// Records every watched key of `database` that `exists` (a flush or a swap: Redis
    /// touches the watched keys that held something).
    public func touchAll(_ database: Int, where exists: (Bytes) -> Bool) {
        guard let keys = watched[database] else { return }
        for key in keys.keys where exists(key) { touched.append((database, key)) }
    }
}
