import CairnCore
import CairnStore

/// The classes of `notify-keyspace-events`, with Redis 7.0's letters.
public struct KeyspaceEventClasses: OptionSet, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let keyspace = KeyspaceEventClasses(rawValue: 1 << 0)  // K
    public static let keyevent = KeyspaceEventClasses(rawValue: 1 << 1)  // E
    public static let generic = KeyspaceEventClasses(rawValue: 1 << 2)  // g
    public static let string = KeyspaceEventClasses(rawValue: 1 << 3)  // $
    public static let list = KeyspaceEventClasses(rawValue: 1 << 4)  // l
    public static let set = KeyspaceEventClasses(rawValue: 1 << 5)  // s
    public static let hash = KeyspaceEventClasses(rawValue: 1 << 6)  // h
    public static let zset = KeyspaceEventClasses(rawValue: 1 << 7)  // z
    public static let expired = KeyspaceEventClasses(rawValue: 1 << 8)  // x
    public static let evicted = KeyspaceEventClasses(rawValue: 1 << 9)  // e
    public static let stream = KeyspaceEventClasses(rawValue: 1 << 10)  // t
    public static let keyMiss = KeyspaceEventClasses(rawValue: 1 << 11)  // m
    public static let module = KeyspaceEventClasses(rawValue: 1 << 12)  // d
    public static let newKey = KeyspaceEventClasses(rawValue: 1 << 13)  // n
    /// `A`: every class but key misses and new keys, as in Redis.
    public static let all: KeyspaceEventClasses = [.generic, .string, .list, .set, .hash, .zset, .expired, .evicted, .stream, .module]

    private static let letters: [(Character, KeyspaceEventClasses)] = [
        ("g", .generic), ("$", .string), ("l", .list), ("s", .set), ("h", .hash), ("z", .zset), ("x", .expired),
        ("e", .evicted), ("t", .stream), ("d", .module), ("n", .newKey),
    ]

    /// Parses the directive's letters; nil for a letter Redis does not know.
    public init?(letters text: String) {
        var classes: KeyspaceEventClasses = []
        for c in text {
            switch c {
            case "A": classes.formUnion(.all)
            case "K": classes.insert(.keyspace)
            case "E": classes.insert(.keyevent)
            case "m": classes.insert(.keyMiss)
            default:
                guard let found = KeyspaceEventClasses.letters.first(where: { $0.0 == c }) else { return nil }
                classes.insert(found.1)
            }
        }
        self = classes
    }

    /// The letters as CONFIG GET shows them (Redis's keyspaceEventsFlagsToString: with
    /// every class of `A`, "A" alone stands for them and `n` is not shown).
    public var letters: String {
        var s = ""
        if isSuperset(of: .all) {
            s = "A"
        } else {
            for (c, cls) in KeyspaceEventClasses.letters where contains(cls) { s.append(c) }
        }
        if contains(.keyspace) { s += "K" }
        if contains(.keyevent) { s += "E" }
        if contains(.keyMiss) { s += "m" }
        return s
    }
}

extension CommandContext {
    /// Redis's notifyKeyspaceEvent: `event` about `key` (of the current database unless
    /// given) to the subscribers of `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`,
    /// when its class is enabled. Keys created since the last notification are announced
    /// first (`new`, raised where the keyspace adds a key), so they come before the event
    /// of the command that created them, as in Redis.
    @inlinable
    public func notify(_ cls: KeyspaceEventClasses, _ event: StaticString, _ key: Bytes, database: Int? = nil) {
        guard settings.notifyKeyspaceEvents.rawValue & cls.rawValue != 0 || !keyspace.touches.newKeys.isEmpty else { return }
        notifySlow(cls, Bytes(event.description), key, database: database ?? session.databaseIndex)
    }

    @usableFromInline
    func notifySlow(_ cls: KeyspaceEventClasses, _ event: Bytes, _ key: Bytes, database: Int) {
        announceNewKeys()
        guard settings.notifyKeyspaceEvents.contains(cls) else { return }
        publishEvent(event, key, database: database)
    }

    /// Sends the `new` events of keys added since the last notification.
    public func announceNewKeys() {
        guard !keyspace.touches.newKeys.isEmpty else { return }
        let added = keyspace.touches.newKeys
        keyspace.touches.newKeys.removeAll()
        for (database, key) in added { publishEvent("new", key, database: database) }
    }

    private func publishEvent(_ event: Bytes, _ key: Bytes, database: Int) {
        let classes = settings.notifyKeyspaceEvents
        if pubsub.isEmpty { return }
        if classes.contains(.keyspace) {
            let channel = Bytes("__keyspace@\(database)__:") + key
            _ = pubsub.publish(channel, event, through: pushes)
        }
        if classes.contains(.keyevent) {
            let channel = Bytes("__keyevent@\(database)__:") + event
            _ = pubsub.publish(channel, key, through: pushes)
        }
    }
}
