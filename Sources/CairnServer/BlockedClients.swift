import CairnCommands
import CairnCore
import CairnRESP
import CairnStore
import NIOCore

/// A client waiting in BLPOP, BRPOP, BLMOVE, BRPOPLPUSH or BLMPOP.
final class BlockedClient {
    let request: BlockRequest
    var timeout: Scheduled<Void>?

    init(request: BlockRequest) {
        self.request = request
    }
}

/// A key in a database, which blocked clients wait on.
struct BlockedKey: Hashable {
    let database: Int
    let key: Bytes
}

/// Blocked clients: parking, serving in arrival order when a push makes a key they wait on
/// non-empty, timing out, and CLIENT UNBLOCK. Everything here runs on the engine's loop.
extension Engine {
    var blockedClientCount: Int { clients.values.reduce(0) { $0 + ($1.blocked == nil ? 0 : 1) } }

    /// Parks `conn` on the keys of `request`; it gets no reply until served or timed out.
    func block(_ conn: ClientConnection, _ request: BlockRequest) {
        let blocked = BlockedClient(request: request)
        conn.blocked = blocked
        for key in Set(request.keys) {
            blockedQueues[BlockedKey(database: request.database, key: key), default: []].append(conn)
        }
        if let deadline = request.deadlineMs {
            let delay = max(0, deadline - Clock.unixMilliseconds())
            blocked.timeout = loop.scheduleTask(in: .milliseconds(delay)) { [weak self, weak conn] in
                guard let self, let conn, conn.blocked === blocked else { return }
                // Redis answers every list wait that times out with a null array, BLMOVE too.
                self.finishBlocked(conn) { w in w.nullArray() }
            }
        }
    }

    /// Takes `conn` out of every queue it waits in.
    func removeBlocked(_ conn: ClientConnection) {
        guard let blocked = conn.blocked else { return }
        blocked.timeout?.cancel()
        for key in Set(blocked.request.keys) {
            let bk = BlockedKey(database: blocked.request.database, key: key)
            blockedQueues[bk]?.removeAll { $0 === conn }
            if blockedQueues[bk]?.isEmpty == true { blockedQueues[bk] = nil }
        }
        conn.blocked = nil
    }

    /// Writes the final reply of a blocked client, unblocks it, sends the reply (gated by
    /// the log like any other) and lets it run its waiting requests.
    func finishBlocked(_ conn: ClientConnection, reply: (inout RESPWriter) -> Void) {
        removeBlocked(conn)
        var w = RESPWriter(buffer: conn.channel.allocator.buffer(capacity: 0), protocolVersion: conn.session.protocolVersion)
        swap(&w.buffer, &conn.output)
        reply(&w)
        swap(&w.buffer, &conn.output)
        flush(conn)
        loop.execute { conn.resume?() }
    }

    /// Serves the clients waiting on keys a command may have filled, first come first
    /// served, each pop logged as its own record after the command's.
    func serveReadyKeys(_ ready: [(database: Int, key: Bytes)]) {
        var queue = ready
        // Redis looks the key up again when it serves, at the time of serving: a key whose
        // time has passed by then (an EXEC that pushed and expired it, a SWAPDB that brought
        // an expired one) is deleted and its waiters stay blocked.
        let now = Clock.unixMilliseconds()
        while !queue.isEmpty {
            let (database, key) = queue.removeFirst()
            let bk = BlockedKey(database: database, key: key)
            guard let waiters = blockedQueues[bk] else { continue }
            expireBeforeServing(keyspace[database], database, key, now: now)
            // Waiters in arrival order; one whose kind does not match the key's type stays
            // blocked, as in Redis 7.0.
            for waiter in waiters {
                let db = keyspace[database]
                guard let blocked = waiter.blocked, let value = db.main[key] else { continue }
                let wantsSortedSet: Bool
                switch blocked.request.operation {
                case .zpop, .zmultiPop: wantsSortedSet = true
                default: wantsSortedSet = false
                }
                if wantsSortedSet {
                    if let z = value.sortedSetValue, z.count > 0 { serveSortedSet(waiter, blocked.request, z, db, database, key) }
                    continue
                }
                guard let list = value.listValue, list.count > 0 else { continue }
                func logged(_ effect: [Bytes]) {
                    logServedPop(effect, db, database, key, emptied: list.count == 0)
                }
                switch blocked.request.operation {
                case .pop(let left):
                    let element = (left ? list.popHead() : list.popTail())!
                    logged([left ? "LPOP" : "RPOP", key])
                    finishBlocked(waiter) { w in
                        w.arrayHeader(2)
                        w.bulk(key)
                        w.bulk(element)
                    }
                case .multiPop(let left, let count):
                    let k = min(count, list.count)
                    let elements = (0..<k).map { _ in (left ? list.popHead() : list.popTail())! }
                    logged([left ? "LPOP" : "RPOP", key, Bytes(Int64(k))])
                    finishBlocked(waiter) { w in
                        w.arrayHeader(2)
                        w.bulk(key)
                        w.arrayHeader(k)
                        for e in elements { w.bulk(e) }
                    }
                case .zpop, .zmultiPop:
                    break  // handled above
                case .move(let fromLeft, let toLeft, let destination):
                    expireBeforeServing(db, database, destination, now: now)
                    if let existing = db.main[destination], existing.listValue == nil {
                        finishBlocked(waiter) { w in w.error(Reply.wrongType) }
                        continue
                    }
                    let element = (fromLeft ? list.popHead() : list.popTail())!
                    let target: ListValue
                    if destination == key {
                        target = list
                    } else if let existing = db.main[destination]?.listValue {
                        target = existing
                    } else {
                        target = ListValue(fill: ctx.settings.listMaxListpackSize)
                        db.add(destination, .list(target), clock: ctx.lruClock)
                    }
                    if toLeft { target.pushHead(element) } else { target.pushTail(element) }
                    keyspace.touches.touch(database, destination)
                    logged(["LMOVE", key, destination, fromLeft ? "LEFT" : "RIGHT", toLeft ? "LEFT" : "RIGHT"])
                    queue.append((database, destination))
                    finishBlocked(waiter) { w in w.bulk(element) }
                }
            }
        }
    }

    /// Serves one client waiting on a sorted set (BZPOPMIN, BZPOPMAX, BZMPOP).
    func serveSortedSet(_ waiter: ClientConnection, _ request: BlockRequest, _ z: SortedSetValue,
                        _ db: Database, _ database: Int, _ key: Bytes) {
        func pop(_ max: Bool, _ count: Int) -> [(score: Double, member: Bytes)] {
            var out: [(score: Double, member: Bytes)] = []
            z.walk(from: 0, reverse: max) { s, m in
                out.append((s, m))
                return out.count < count
            }
            for e in out { z.remove(e.member) }
            return out
        }
        func logged(_ effect: [Bytes]) {
            logServedPop(effect, db, database, key, emptied: z.count == 0)
        }
        switch request.operation {
        case .zpop(let max):
            let e = pop(max, 1)[0]
            logged([max ? "ZPOPMAX" : "ZPOPMIN", key])
            finishBlocked(waiter) { w in
                w.arrayHeader(3)
                w.bulk(key)
                w.bulk(e.member)
                w.double(e.score)
            }
        case .zmultiPop(let max, let count):
            let popped = pop(max, count)
            logged([max ? "ZPOPMAX" : "ZPOPMIN", key, Bytes(Int64(popped.count))])
            finishBlocked(waiter) { w in
                w.arrayHeader(2)
                w.bulk(key)
                w.arrayHeader(popped.count)
                for e in popped {
                    w.arrayHeader(2)
                    w.bulk(e.member)
                    w.double(e.score)
                }
            }
        default:
            break  // list waiters are served by serveReadyKeys
        }
    }

    /// Deletes `key` when its time has passed, as a command's lookup would (Redis deletes
    /// and propagates there too), and logs the DEL as its own record: the command's
    /// effects were logged before its waiters are served.
    func expireBeforeServing(_ db: Database, _ database: Int, _ key: Bytes, now: Int64) {
        guard ctx.expireIfNeeded(key, in: db, dbIndex: database, now: now) else { return }
        persistence.log(ctx.effects[...])
        ctx.effects.removeAll(keepingCapacity: true)
    }

    /// Logs a pop made for a blocked client as its own record, before the reply is handed
    /// over so that the reply is gated on it; deletes the key when the pop emptied it.
    func logServedPop(_ effect: [Bytes], _ db: Database, _ database: Int, _ key: Bytes, emptied: Bool) {
        if emptied { db.delete(key) }
        ctx.dirty += 1
        persistence.log([Effect(database: database, arguments: effect)][...])
    }

    /// CLIENT UNBLOCK: true when the client was blocked.
    func unblockByCommand(_ id: Int64, withError: Bool) -> Bool {
        guard let conn = clients[id], conn.blocked != nil else { return false }
        finishBlocked(conn) { w in
            if withError {
                w.error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
            } else {
                w.nullArray()
            }
        }
        return true
    }
}
