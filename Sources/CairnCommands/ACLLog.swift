import CairnCore

/// The ACL log (ACL LOG): recent refusals and failed logins, newest first, bounded by
/// acllog-max-len. A refusal like one of the last ten within a minute (same reason,
/// context, object and user) bumps that entry's count instead, as in Redis.
public struct ACLLog {
    public enum Context: String {
        case toplevel, multi, lua
    }

    public struct Entry {
        public var count: Int
        public let reason: ACLDenial
        public let context: Context
        public let object: Bytes
        public let username: String
        public var timeMs: Int64
        public var clientInfo: String
    }

    public private(set) var entries: [Entry] = []
    public var maxLength = 128

    public mutating func add(_ reason: ACLDenial, _ context: Context, object: Bytes, username: String,
                             clientInfo: String, nowMs: Int64) {
        for i in entries.indices.prefix(10) {
            let e = entries[i]
            if e.reason == reason && e.context == context && abs(e.timeMs - nowMs) <= 60_000
                && e.object == object && e.username == username {
                var updated = entries.remove(at: i)
                updated.count += 1
                updated.timeMs = nowMs
                updated.clientInfo = clientInfo
                entries.insert(updated, at: 0)
                return
            }
        }
        entries.insert(Entry(count: 1, reason: reason, context: context, object: object, username: username,
                             timeMs: nowMs, clientInfo: clientInfo), at: 0)
        trim()
    }

    public mutating func trim() {
        if entries.count > maxLength { entries.removeSubrange(maxLength...) }
    }

    public mutating func reset() { entries = [] }
}

extension ACLDenial {
    /// ACL LOG's reason.
    public var logName: String {
        switch self {
        case .command: return "command"
        case .key: return "key"
        case .auth: return "auth"
        case .channel: return "channel"
        }
    }
}
