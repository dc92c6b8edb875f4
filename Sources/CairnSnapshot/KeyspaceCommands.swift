import CairnCore
import CairnStore

/// The commands that rebuild a keyspace (`cairn dump`, and tests that compare two
/// keyspaces): SELECT, then per key one creating command (collections in batches) and
/// PEXPIREAT when it has an expiry. Keys are in byte order and, when `sortedMembers`,
/// hash fields and set members too, so equal keyspaces give equal output.
public enum KeyspaceCommands {
    public static let batchElements = 128

    public static func commands(for keyspace: Keyspace, sortedMembers: Bool = true) -> [[Bytes]] {
        var out: [[Bytes]] = []
        for index in 0..<keyspace.databaseCount {
            let db = keyspace[index]
            guard db.count > 0 else { continue }
            out.append(["SELECT", Bytes(String(index))])
            let entries = db.main.entries.sorted { $0.key < $1.key }
            for e in entries {
                out.append(contentsOf: commands(key: e.key, value: e.value, expireAtMs: db.expires[e.key], sortedMembers: sortedMembers))
            }
        }
        return out
    }

    public static func commands(key: Bytes, value: Value, expireAtMs: Int64?, sortedMembers: Bool) -> [[Bytes]] {
        var out: [[Bytes]] = []
        func batches(_ command: Bytes, _ items: [[Bytes]]) {
            var i = 0
            while i < items.count {
                var c: [Bytes] = [command, key]
                for item in items[i..<min(items.count, i + batchElements)] { c.append(contentsOf: item) }
                out.append(c)
                i += batchElements
            }
        }
        switch value {
        case .hash(let h):
            var pairs = h.pairs.map { [$0.0, $0.1] }
            if sortedMembers { pairs.sort { $0[0] < $1[0] } }
            batches("HSET", pairs)
        case .set(let s):
            var members = s.members
            if sortedMembers { members.sort() }
            batches("SADD", members.map { [$0] })
        case .list(let l):
            batches("RPUSH", l.elements.map { [$0] })
        case .zset(let z):
            batches("ZADD", z.elements.map { [formatDoubleG17($0.score), $0.member] })
        case .stream(let s):
            out += streamCommands(key, s)
        default:
            out.append(["SET", key, value.stringBytes!])
        }
        if let expireAtMs { out.append(["PEXPIREAT", key, Bytes(String(expireAtMs))]) }
        return out
    }

    /// A stream as Redis's AOF rewrite gives it: its entries (or, empty, an XADD trimmed
    /// at once), its IDs and counters, its groups, consumers and pending entries. A
    /// pending entry whose message is gone cannot be given (XCLAIM drops it), as in Redis.
    static func streamCommands(_ key: Bytes, _ s: StreamValue) -> [[Bytes]] {
        var out: [[Bytes]] = []
        if s.length == 0 {
            out.append(["XADD", key, "MAXLEN", "0", s.lastID.bytes, "x", "y"])
        }
        s.forEach { e in
            out.append(["XADD", key, e.id.bytes] + e.pairs)
            return true
        }
        out.append(["XSETID", key, s.lastID.bytes, "ENTRIESADDED", Bytes(s.entriesAdded), "MAXDELETEDID", s.maxDeletedID.bytes])
        for g in s.sortedGroups {
            out.append(["XGROUP", "CREATE", key, g.name, g.lastID.bytes, "ENTRIESREAD", Bytes(g.entriesRead)])
            for c in g.sortedConsumers {
                out.append(["XGROUP", "CREATECONSUMER", key, g.name, c.name])
                c.pending.forEach { id, nack in
                    out.append(["XCLAIM", key, g.name, c.name, "0", id.bytes, "TIME", Bytes(nack.deliveryTime),
                                "RETRYCOUNT", Bytes(nack.deliveryCount), "JUSTID", "FORCE"])
                    return true
                }
            }
        }
        return out
    }

    /// One command as RESP (an array of bulk strings).
    public static func resp(_ command: [Bytes], into out: inout [UInt8]) {
        out.append(contentsOf: Array("*\(command.count)\r\n".utf8))
        for a in command {
            out.append(contentsOf: Array("$\(a.count)\r\n".utf8))
            a.withUnsafeBytes { out.append(contentsOf: $0) }
            out.append(13)
            out.append(10)
        }
    }
}
