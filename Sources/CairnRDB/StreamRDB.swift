import CairnCore
import CairnStore

/// A stream as Redis 7.0's RDB holds it (RDB_TYPE_STREAM_LISTPACKS_2): its nodes, each a
/// 16-byte big-endian first ID and a listpack (a master entry of counts and field names,
/// then entries of flags, ID deltas, fields and values, and an element count); then its
/// length, last, first and max-deleted IDs, entries added, and its groups with their
/// pending entries and consumers.
enum StreamRDB {
    static func write(_ s: StreamValue, to w: inout RDBWriter) {
        w.byte(RDBType.streamListpacks2.rawValue)
        w.length(s.nodeCount)
        s.forEachNode { node in
            w.string(withUnsafeBytes(of: (node.master.ms.bigEndian, node.master.seq.bigEndian)) { Array($0) })
            w.string(Listpack.encode(listpackElements(node)))
        }
        w.length(s.length)
        id(s.lastID, &w)
        id(s.firstID, &w)
        id(s.maxDeletedID, &w)
        w.length64(UInt64(bitPattern: s.entriesAdded))
        let groups = s.sortedGroups
        w.length(groups.count)
        for g in groups {
            w.string(g.name)
            id(g.lastID, &w)
            w.length64(UInt64(bitPattern: g.entriesRead))
            w.length(g.pending.count)
            g.pending.forEach { pid, nack in
                rawID(pid, &w)
                w.milliseconds(nack.deliveryTime)
                w.length64(UInt64(bitPattern: nack.deliveryCount))
                return true
            }
            let consumers = g.sortedConsumers
            w.length(consumers.count)
            for c in consumers {
                w.string(c.name)
                w.milliseconds(c.seenTime)
                w.length(c.pending.count)
                c.pending.forEach { pid, _ in
                    rawID(pid, &w)
                    return true
                }
            }
        }
    }

    static func id(_ id: StreamID, _ w: inout RDBWriter) {
        w.length64(id.ms)
        w.length64(id.seq)
    }

    static func rawID(_ id: StreamID, _ w: inout RDBWriter) {
        withUnsafeBytes(of: (id.ms.bigEndian, id.seq.bigEndian)) { for b in $0 { w.byte(b) } }
    }

    static let sameFields: UInt8 = 2
    static let deletedFlag: UInt8 = 1

    /// The listpack of a node, element by element, as streamAppendItem builds it.
    static func listpackElements(_ node: StreamValue.NodeContents) -> [Bytes] {
        var e: [Bytes] = [Bytes(Int64(node.live)), Bytes(Int64(node.deleted)), Bytes(Int64(node.masterFields.count))]
        e += node.masterFields
        e.append("0")
        for entry in node.entries {
            e.append(Bytes(Int64(entry.flags)))
            e.append(Bytes(Int64(bitPattern: entry.id.ms &- node.master.ms)))
            e.append(Bytes(Int64(bitPattern: entry.id.seq &- node.master.seq)))
            let fieldCount = entry.pairs.count / 2
            if entry.flags & sameFields != 0 {
                for i in 0..<fieldCount { e.append(entry.pairs[2 * i + 1]) }
                e.append(Bytes(Int64(fieldCount + 3)))
            } else {
                e.append(Bytes(Int64(fieldCount)))
                e += entry.pairs
                e.append(Bytes(Int64(2 * fieldCount + 4)))
            }
        }
        return e
    }

    // MARK: - Reading

    /// Reads type 19, or with `legacy` type 15 (before 7.0: no first and max-deleted IDs,
    /// no entries-added, no entries-read; Redis derives them as below).
    static func read(from r: inout RDBReader, limits: CollectionLimits, legacy: Bool = false) throws -> Value {
        let s = StreamValue()
        var live: [(StreamID, [Bytes])] = []
        for _ in 0..<(try r.length()) {
            let key = try r.string()
            guard key.count == 16 else { throw RDBError("stream node key of \(key.count) bytes") }
            let master = StreamID(ms: key[0..<8].reduce(0) { $0 << 8 | UInt64($1) },
                                  seq: key[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
            let elements = try Listpack.decode(try r.string())
            guard !elements.isEmpty else { throw RDBError("empty listpack inside a stream") }
            live += try entries(of: elements, master: master)
        }
        let length = try r.length64()
        let lastID = try readID(&r)
        var firstID = StreamID.zero, maxDeleted = StreamID.zero, entriesAdded = Int64(bitPattern: length)
        if !legacy {
            firstID = try readID(&r)
            maxDeleted = try readID(&r)
            entriesAdded = Int64(bitPattern: try r.length64())
        }
        guard length == UInt64(live.count) else { throw RDBError("stream length \(length) but \(live.count) entries") }
        for (i, (id, pairs)) in live.enumerated() {
            guard i == 0 || id > live[i - 1].0, id <= lastID else { throw RDBError("stream entries out of order") }
            s.appendLoaded(id, pairs[...], limits: limits)
        }
        s.lastID = lastID
        s.firstID = legacy ? live.first?.0 ?? .zero : firstID
        s.maxDeletedID = maxDeleted
        s.entriesAdded = entriesAdded
        try readGroups(&r, into: s, legacy: legacy)
        return .stream(s)
    }

    static func readID(_ r: inout RDBReader) throws -> StreamID {
        StreamID(ms: try r.length64(), seq: try r.length64())
    }

    static func readRawID(_ r: inout RDBReader) throws -> StreamID {
        var ms: UInt64 = 0, seq: UInt64 = 0
        for _ in 0..<8 { ms = ms << 8 | UInt64(try r.byte()) }
        for _ in 0..<8 { seq = seq << 8 | UInt64(try r.byte()) }
        return StreamID(ms: ms, seq: seq)
    }

    /// The live entries of a node's listpack.
    static func entries(of e: [Bytes], master: StreamID) throws -> [(StreamID, [Bytes])] {
        var i = 0
        func next() throws -> Bytes {
            guard i < e.count else { throw RDBError("stream listpack ends inside an entry") }
            i += 1
            return e[i - 1]
        }
        func integer() throws -> Int64 {
            guard let v = try next().int64 else { throw RDBError("stream listpack: integer expected") }
            return v
        }
        _ = try integer()
        _ = try integer()
        let masterCount = try integer()
        guard masterCount >= 0, masterCount <= Int64(e.count) else { throw RDBError("stream master entry of \(masterCount) fields") }
        let masterFields = try (0..<masterCount).map { _ in try next() }
        guard try integer() == 0 else { throw RDBError("stream master entry not terminated") }
        var out: [(StreamID, [Bytes])] = []
        while i < e.count {
            let flags = try integer()
            let id = StreamID(ms: master.ms &+ UInt64(bitPattern: try integer()), seq: master.seq &+ UInt64(bitPattern: try integer()))
            var pairs: [Bytes] = []
            if flags & Int64(sameFields) != 0 {
                for f in masterFields { pairs += [f, try next()] }
            } else {
                let n = try integer()
                guard n >= 0, n <= Int64(e.count) else { throw RDBError("stream entry of \(n) fields") }
                for _ in 0..<(2 * n) { pairs.append(try next()) }
            }
            _ = try integer()
            if flags & Int64(deletedFlag) == 0 { out.append((id, pairs)) }
        }
        return out
    }

    static func readGroups(_ r: inout RDBReader, into s: StreamValue, legacy: Bool) throws {
        for _ in 0..<(try r.length()) {
            let name = Bytes(try r.string())
            let lastID = try readID(&r)
            let entriesRead = legacy ? s.entriesRead(upTo: lastID) ?? StreamGroup.unknownEntriesRead
                                     : Int64(bitPattern: try r.length64())
            let g = StreamGroup(name: name, lastID: lastID, entriesRead: entriesRead)
            guard s.addLoaded(g) else { throw RDBError("duplicated consumer group name") }
            var unowned: [StreamID: (Int64, Int64)] = [:]
            for _ in 0..<(try r.length()) {
                let id = try readRawID(&r)
                guard unowned[id] == nil else { throw RDBError("duplicated global PEL entry") }
                unowned[id] = (try r.milliseconds(), Int64(bitPattern: try r.length64()))
            }
            for _ in 0..<(try r.length()) {
                let c = StreamConsumer(name: Bytes(try r.string()), seenTime: try r.milliseconds())
                guard g.consumers[c.name] == nil else { throw RDBError("duplicated consumer name") }
                g.add(c)
                for _ in 0..<(try r.length()) {
                    let id = try readRawID(&r)
                    guard let (time, count) = unowned.removeValue(forKey: id) else {
                        throw RDBError("consumer PEL entry not found in the group PEL")
                    }
                    let nack = StreamPendingEntry(deliveryTime: time, deliveryCount: count, consumer: c)
                    g.pending.insert(id, nack)
                    c.pending.insert(id, nack)
                }
            }
            guard unowned.isEmpty else { throw RDBError("group PEL entry with no consumer") }
        }
    }
}
