import CairnCore
import CairnRESP
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// CLIENT TRACKING's modes.
public struct TrackingMode: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bcast = TrackingMode(rawValue: 1 << 0)
    public static let optin = TrackingMode(rawValue: 1 << 1)
    public static let optout = TrackingMode(rawValue: 1 << 2)
    public static let noloop = TrackingMode(rawValue: 1 << 3)
}

/// One session's tracking: its mode, where its invalidations go, its prefixes (BCAST).
public final class TrackingState {
    public var mode: TrackingMode
    /// The client id invalidations are redirected to; 0 for none.
    public var redirect: Int64
    public var prefixes: Set<Bytes> = []
    /// CLIENT CACHING was given for the next command (OPTIN: yes, OPTOUT: no).
    public var cachingGiven = false
    /// The redirect client has gone.
    public var brokenRedirect = false

    init(mode: TrackingMode, redirect: Int64) {
        self.mode = mode
        self.redirect = redirect
    }
}

/// Server-assisted client-side caching (Redis's tracking.c): which clients read which
/// keys, and the invalidation messages owed to them when those keys change.
///
/// Keys are remembered without their database, as in Redis. Messages are not sent from
/// here: they wait in `outbox` until the server hands them out after the unit that changed
/// the keys was committed (so that an invalidation never reveals a write that is not
/// durable, and the running client gets its own after its reply, as Redis orders them).
public final class TrackingTable {
    /// Key → ids of the sessions that may cache it.
    public private(set) var keys: [Bytes: Set<Int64>] = [:]
    public private(set) var totalItems = 0
    /// BCAST prefixes: their sessions and the keys changed since the last broadcast.
    private var prefixTable: [Bytes: Broadcast] = [:]
    /// Every session with tracking on, by id.
    public private(set) var sessions: [Int64: ClientSession] = [:]
    /// Any session by id (the server's clients), for redirections.
    public var sessionWithID: ((Int64) -> ClientSession?)?
    /// Messages owed, in order, with the session each goes to.
    public private(set) var outbox: [(ClientSession, ByteBuffer)] = []
    /// tracking-table-max-keys (0: no limit).
    public var maxKeys = 1_000_000

    final class Broadcast {
        var sessions: [ClientSession] = []
        /// Changed keys, each with the session that changed it last (nil: several, or the server).
        var changed: [Bytes: ClientSession?] = [:]
    }

    public init() {}

    /// Whether key changes concern tracking at all.
    public var isActive: Bool { !sessions.isEmpty || !keys.isEmpty }
    public var prefixCount: Int { prefixTable.count }
    /// Keys changed under some BCAST prefix since the last `broadcast`.
    public private(set) var hasPendingBroadcast = false

    // MARK: - Turning tracking on and off

    public func enable(_ session: ClientSession, mode: TrackingMode, redirect: Int64, prefixes: [Bytes]) {
        let state: TrackingState
        if let current = session.tracking {
            state = current
            state.mode = mode
            state.redirect = redirect
            state.brokenRedirect = false
        } else {
            state = TrackingState(mode: mode, redirect: redirect)
            session.tracking = state
            sessions[session.id] = session
        }
        guard mode.contains(.bcast) else { return }
        for prefix in prefixes.isEmpty ? [Bytes.empty] : prefixes where state.prefixes.insert(prefix).inserted {
            let b = prefixTable[prefix] ?? Broadcast()
            b.sessions.append(session)
            prefixTable[prefix] = b
        }
    }

    /// Tracking off (CLIENT TRACKING off, RESET, disconnection). The session's ids stay in
    /// the key table and are dropped lazily, as in Redis.
    public func disable(_ session: ClientSession) {
        guard let state = session.tracking else { return }
        for prefix in state.prefixes {
            guard let b = prefixTable[prefix] else { continue }
            b.sessions.removeAll { $0 === session }
            if b.sessions.isEmpty { prefixTable[prefix] = nil }
        }
        session.tracking = nil
        sessions[session.id] = nil
    }

    /// The first prefix among `prefixes` (or already the session's) that overlaps another,
    /// as Redis's error text names them; nil when none does.
    public func overlap(_ prefixes: [Bytes], of session: ClientSession) -> String? {
        func overlapping(_ a: Bytes, _ b: Bytes) -> Bool { a.hasPrefix(b) || b.hasPrefix(a) }
        let existing = (session.tracking?.prefixes ?? []).sorted()
        for (i, p) in prefixes.enumerated() {
            if let e = existing.first(where: { overlapping($0, p) }) {
                return "ERR Prefix '\(p.string)' overlaps with an existing prefix '\(e.string)'. Prefixes for a single client must not overlap."
            }
            if let q = prefixes[(i + 1)...].first(where: { overlapping(p, $0) }) {
                return "ERR Prefix '\(p.string)' overlaps with another provided prefix '\(q.string)'. Prefixes for a single client must not overlap."
            }
        }
        return nil
    }

    // MARK: - Keys read, keys changed

    /// After a read-only command of a tracking session (not BCAST): remembers the keys
    /// of `spec` called with `args`, unless OPTIN without CLIENT CACHING yes, or OPTOUT
    /// with CLIENT CACHING no.
    public func remember(keysOf spec: CommandSpec, _ args: [Bytes], for session: ClientSession) {
        guard let state = session.tracking, !state.mode.contains(.bcast) else { return }
        if state.mode.contains(.optin) && !state.cachingGiven { return }
        if state.mode.contains(.optout) && state.cachingGiven { return }
        for ref in spec.keys(in: args) where keys[args[ref.position], default: []].insert(session.id).inserted {
            totalItems += 1
        }
        evictKeys()
    }

    /// `key` changed (by `modifier`, nil for the server's own work such as an expiry,
    /// while `current` runs): invalidations for the sessions that read it (not for
    /// `current` if it asked for NOLOOP), and the key noted for the BCAST prefixes it
    /// matches with who changed it (NOLOOP there leaves out the modifier's own changes).
    public func invalidate(_ key: Bytes, by modifier: ClientSession?, current: ClientSession?) {
        for (prefix, b) in prefixTable where key.hasPrefix(prefix) {
            hasPendingBroadcast = true
            if let last = b.changed[key], last !== modifier {
                b.changed[key] = .some(nil)
            } else {
                b.changed[key] = .some(modifier)
            }
        }
        guard let ids = keys.removeValue(forKey: key) else { return }
        totalItems -= ids.count
        for id in ids {
            guard let target = sessions[id], let state = target.tracking, !state.mode.contains(.bcast) else { continue }
            if state.mode.contains(.noloop) && target === current { continue }
            send(to: target, .keys([key]))
        }
    }

    /// FLUSHDB and FLUSHALL: every tracking session is told that all its keys are invalid.
    public func invalidateAll() {
        for target in sessions.values.sorted(by: { $0.id < $1.id }) { send(to: target, .all) }
        keys.removeAll()
        totalItems = 0
    }

    /// The BCAST messages for the keys changed since the last call: one per prefix, with
    /// its keys in byte order (NOLOOP sessions without the keys they changed themselves).
    public func broadcast() {
        hasPendingBroadcast = false
        for prefix in prefixTable.keys.sorted() {
            let b = prefixTable[prefix]!
            guard !b.changed.isEmpty else { continue }
            let changed = b.changed.sorted { $0.key < $1.key }
            b.changed.removeAll()
            for target in b.sessions {
                let noloop = target.tracking?.mode.contains(.noloop) == true
                let keys = changed.filter { !noloop || $0.value !== target }.map(\.key)
                if !keys.isEmpty { send(to: target, .keys(keys)) }
            }
        }
    }

    /// Whether invalidations are owed (a broadcast, or messages in the outbox).
    public var hasWork: Bool { hasPendingBroadcast || !outbox.isEmpty }

    /// The messages owed, in order; the outbox is emptied.
    public func takeOutbox() -> [(ClientSession, ByteBuffer)] {
        guard !outbox.isEmpty else { return [] }
        defer { outbox.removeAll(keepingCapacity: true) }
        return outbox
    }

    /// Past tracking-table-max-keys: keys are forgotten, their readers told as if the keys
    /// had changed (Redis evicts at random; these are the first in the table's hash order).
    /// Also from the cron and after CONFIG SET, as Redis checks it.
    public func evictKeys() {
        guard maxKeys > 0, keys.count > maxKeys else { return }
        let excess = keys.count - maxKeys
        for key in Array(keys.keys.prefix(excess)) { invalidate(key, by: nil, current: nil) }
    }

    // MARK: - Messages

    enum Payload {
        case keys([Bytes])
        case all
    }

    /// Redis's sendTrackingMessage: to the session, or to the client it redirects to; a
    /// RESP3 receiver gets an `invalidate` push, a RESP2 redirect receiver subscribed to
    /// `__redis__:invalidate` a message there, anyone else nothing.
    private func send(to target: ClientSession, _ payload: Payload) {
        guard let state = target.tracking else { return }
        var receiver = target
        if state.redirect != 0 {
            guard let r = sessionWithID?(state.redirect) else {
                state.brokenRedirect = true
                if target.protocolVersion >= 3 {
                    var w = RESPWriter(buffer: ByteBufferAllocator().buffer(capacity: 48), protocolVersion: 3)
                    w.pushHeader(2)
                    w.bulk("tracking-redir-broken")
                    w.integer(state.redirect)
                    outbox.append((target, w.buffer))
                }
                return
            }
            receiver = r
        }
        var w = RESPWriter(buffer: ByteBufferAllocator().buffer(capacity: 64), protocolVersion: receiver.protocolVersion)
        if receiver.protocolVersion >= 3 {
            w.pushHeader(2)
            w.bulk("invalidate")
        } else if receiver !== target && receiver.subscriptions.isActive {
            w.arrayHeader(3)
            w.bulk("message")
            w.bulk(TrackingTable.channel)
        } else {
            return
        }
        switch payload {
        case .keys(let keys):
            w.arrayHeader(keys.count)
            for k in keys { w.bulk(k) }
        case .all:
            // The null of the tracking client's protocol, as Redis sends it.
            w.protocolVersion = target.protocolVersion
            w.null()
        }
        outbox.append((receiver, w.buffer))
    }

    public static let channel: Bytes = "__redis__:invalidate"
}

extension Bytes {
    func hasPrefix(_ prefix: Bytes) -> Bool {
        guard prefix.count <= count else { return false }
        if prefix.isEmpty { return true }
        return withUnsafeBytes { a in prefix.withUnsafeBytes { p in memcmp(a.baseAddress!, p.baseAddress!, p.count) == 0 } }
    }
}

extension CommandContext {
    /// The keys changed by a call (`changed`: it really changed something) reach WATCH
    /// (Redis's touchWatchedKey) and client tracking (trackingInvalidateKey).
    public func applyKeyChanges(changed: Bool, by modifier: ClientSession?) {
        if changed && tracking.isActive {
            for (_, key) in keyspace.touches.touched { tracking.invalidate(key, by: modifier, current: modifier) }
        }
        if changed && anyClientBlocked {
            // A blocked XREADGROUP watches its keys: their deletion or replacement
            // answers it.
            readiedKeys += keyspace.touches.touched
        }
        watches.applyTouches(changed: changed)
        keyspace.touches.recordsAll = tracking.isActive
    }

    /// After tracking was turned on or off somewhere, or the table emptied.
    public func trackingChanged() {
        keyspace.touches.recordsAll = tracking.isActive
    }

    /// CLIENT TRACKING on, with the keyspace then recording changed keys.
    public func enableTracking(_ session: ClientSession, mode: TrackingMode, redirect: Int64, prefixes: [Bytes]) {
        tracking.enable(session, mode: mode, redirect: redirect, prefixes: prefixes)
        trackingChanged()
    }

    /// CLIENT TRACKING off (also RESET and disconnection).
    public func disableTracking(_ session: ClientSession) {
        tracking.disable(session)
        trackingChanged()
    }

    /// What RESET and a disconnection both drop of a session: its WATCHes, its
    /// subscriptions and its tracking.
    public func dropSessionState(_ session: ClientSession) {
        watches.unwatchAll(session)
        pubsub.unsubscribeAll(session)
        disableTracking(session)
    }
}
