import CairnCore
import CairnStore

/// Which sessions WATCH which keys (Redis's watched_keys), and the marking of those
/// sessions when a call changed a key they watch. The keyspace's mutation points report
/// changed keys to `KeyTouches` while anybody watches; `call` hands them here after each
/// call.
public final class WatchRegistry {
    let keyspace: Keyspace
    private var watchers: [DatabaseKey: [ClientSession]] = [:]

    init(keyspace: Keyspace) {
        self.keyspace = keyspace
    }

    public func watch(_ session: ClientSession, _ key: Bytes, nowMs: Int64) {
        let database = session.databaseIndex
        if session.watched.contains(where: { $0.database == database && $0.key == key }) { return }
        let expired = keyspace[database].isExpired(key, nowMs: nowMs)
        session.watched.append(WatchedKey(database: database, key: key, expiredAtWatch: expired))
        watchers[DatabaseKey(database: database, key: key), default: []].append(session)
        keyspace.touches.watch(database, key)
    }

    public func unwatchAll(_ session: ClientSession) {
        for w in session.watched {
            let dk = DatabaseKey(database: w.database, key: w.key)
            watchers[dk]?.removeAll { $0 === session }
            if watchers[dk]?.isEmpty == true { watchers[dk] = nil }
            keyspace.touches.unwatch(w.database, w.key)
        }
        session.watched.removeAll()
        session.watchedKeyChanged = false
        // Nobody watches any more: changes recorded and not yet applied concern nobody,
        // and must not be applied to a later watcher.
        if !keyspace.touches.isRecording { keyspace.touches.touched.removeAll() }
    }

    /// Marks the sessions watching the keys changed since the last call (Redis's
    /// touchWatchedKey), or forgets those changes when the call changed nothing.
    public func applyTouches(changed: Bool) {
        let touches = keyspace.touches
        guard !touches.touched.isEmpty else { return }
        defer { touches.touched.removeAll() }
        guard changed else { return }
        for (database, key) in touches.touched {
            for session in watchers[DatabaseKey(database: database, key: key)] ?? [] {
                guard let i = session.watched.firstIndex(where: { $0.database == database && $0.key == key }) else { continue }
                if session.watched[i].expiredAtWatch && keyspace[database].main.find(key) == nil {
                    // Already past its TTL when watched, and now deleted: logically no
                    // change. A later write of the key counts again.
                    session.watched[i].expiredAtWatch = false
                    continue
                }
                session.watchedKeyChanged = true
            }
        }
    }

    /// A watched key whose TTL passed after it was watched, though nothing deleted it yet.
    func watchedKeyExpired(_ session: ClientSession, nowMs: Int64) -> Bool {
        session.watched.contains { !$0.expiredAtWatch && keyspace[$0.database].isExpired($0.key, nowMs: nowMs) }
    }
}
