import CairnCore
import CairnStore

/// RDB's object types (Redis 7.0, RDB version 10).
public enum RDBType: UInt8 {
    case string = 0, list = 1, set = 2, zset = 3, hash = 4, zset2 = 5
    case listZiplist = 10, setIntset = 11, zsetZiplist = 12, hashZiplist = 13, listQuicklist = 14
    case streamListpacks = 15, hashListpack = 16, zsetListpack = 17, listQuicklist2 = 18, streamListpacks2 = 19
}

/// A value as an RDB object: its type byte and body, written as Redis 7.0 writes each
/// encoding (listpack, intset, quicklist of listpacks; plain strings past them), read in
/// every form Redis 7.0 reads (the ziplist forms of older servers too). Values read are
/// rebuilt through the collections' own operations, so they take the encodings the
/// server's limits give them.
public enum RDBValue {
    public static func write(_ value: Value, to w: inout RDBWriter) {
        switch value {
        case .int(let v):
            w.byte(RDBType.string.rawValue)
            w.integer(v)
        case .inline, .heap, .raw:
            w.byte(RDBType.string.rawValue)
            w.string(value.stringBytes!)
        case .hash(let h):
            if h.encodingName == "listpack" {
                var elements: [Bytes] = []
                h.forEach { f, v in elements += [f, v] }
                w.byte(RDBType.hashListpack.rawValue)
                w.string(Listpack.encode(elements))
            } else {
                w.byte(RDBType.hash.rawValue)
                w.length(h.count)
                h.forEach { f, v in w.string(f); w.string(v) }
            }
        case .set(let s):
            switch s.storage {
            case .ints(let ints):
                w.byte(RDBType.setIntset.rawValue)
                w.string(IntSetBlob.encode(ints.values))
            case .table(let t):
                w.byte(RDBType.set.rawValue)
                w.length(t.count)
                for e in t.entries { w.string(e.key) }
            }
        case .zset(let z):
            if z.encodingName == "listpack" {
                var elements: [Bytes] = []
                z.walk(from: 0, reverse: false) { score, member in
                    elements += [member, formatDoubleD2String(score)]
                    return true
                }
                w.byte(RDBType.zsetListpack.rawValue)
                w.string(Listpack.encode(elements))
            } else {
                // From the highest score down, as Redis writes it (its loader then adds
                // each at the head).
                w.byte(RDBType.zset2.rawValue)
                w.length(z.count)
                z.walk(from: 0, reverse: true) { score, member in
                    w.string(member)
                    w.binaryDouble(score)
                    return true
                }
            }
        case .list(let l):
            w.byte(RDBType.listQuicklist2.rawValue)
            let nodes = quicklistNodes(l)
            w.length(nodes.count)
            for node in nodes {
                w.length(2)  // a packed node
                w.string(Listpack.encode(node))
            }
        case .stream(let s):
            StreamRDB.write(s, to: &w)
        }
    }

    /// A list cut into quicklist nodes of at most 128 elements and about 8 KB (Redis's
    /// default list-max-listpack-size); Redis keeps the nodes it loads as they are.
    static func quicklistNodes(_ l: ListValue) -> [[Bytes]] {
        var nodes: [[Bytes]] = []
        var node: [Bytes] = []
        var size = 0
        l.forEach(from: 0, through: l.count - 1) { _, e in
            if !node.isEmpty && (node.count == 128 || size + e.count > 8192) {
                nodes.append(node)
                node = []
                size = 0
            }
            node.append(e)
            size += e.count + 2
            return true
        }
        if !node.isEmpty { nodes.append(node) }
        return nodes
    }

    /// Reads the object of type `type`; throws on anything Redis would refuse (and on
    /// modules).
    public static func read(type: UInt8, from r: inout RDBReader, limits: CollectionLimits) throws -> Value {
        guard let t = RDBType(rawValue: type) else { throw RDBError("unknown object type \(type)") }
        switch t {
        case .string:
            return Value.string(Bytes(try r.string()))
        case .list:
            let n = try r.length()
            return try list((0..<n).map { _ in Bytes(try r.string()) }, limits)
        case .listZiplist:
            return try list(try Ziplist.decode(try r.string()), limits)
        case .listQuicklist, .listQuicklist2:
            var elements: [Bytes] = []
            for _ in 0..<(try r.length()) {
                if t == .listQuicklist {
                    elements += try nonEmpty(try Ziplist.decode(try r.string()))
                    continue
                }
                let container = try r.length()
                if container == 1 { elements.append(Bytes(try r.string())); continue }
                guard container == 2 else { throw RDBError("unknown quicklist container \(container)") }
                elements += try nonEmpty(try Listpack.decode(try r.string()))
            }
            return try list(elements, limits)
        case .set:
            let n = try r.length()
            return try set((0..<n).map { _ in Bytes(try r.string()) }, limits)
        case .setIntset:
            var s = SetValue()
            s.add(integers: try nonEmpty(try IntSetBlob.decode(try r.string())), maxIntSetEntries: limits.setMaxIntSetEntries)
            return .set(s)
        case .hash:
            let n = try r.length()
            return try hash((0..<(n * 2)).map { _ in Bytes(try r.string()) }, limits)
        case .hashZiplist:
            return try hash(try Ziplist.decode(try r.string()), limits)
        case .hashListpack:
            return try hash(try Listpack.decode(try r.string()), limits)
        case .zset, .zset2:
            var pairs: [(Bytes, Double)] = []
            for _ in 0..<(try r.length()) {
                let member = Bytes(try r.string())
                pairs.append((member, t == .zset2 ? try r.binaryDouble() : try r.textDouble()))
            }
            return try sortedSet(pairs, limits)
        case .zsetZiplist, .zsetListpack:
            let elements = t == .zsetListpack ? try Listpack.decode(try r.string()) : try Ziplist.decode(try r.string())
            guard elements.count % 2 == 0 else { throw RDBError("sorted set with a member but no score") }
            var pairs: [(Bytes, Double)] = []
            for i in stride(from: 0, to: elements.count, by: 2) {
                guard let score = elements[i + 1].rangeDouble else { throw RDBError("bad score") }
                pairs.append((elements[i], score))
            }
            return try sortedSet(pairs, limits)
        case .streamListpacks2:
            return try StreamRDB.read(from: &r, limits: limits)
        case .streamListpacks:
            return try StreamRDB.read(from: &r, limits: limits, legacy: true)
        }
    }

    /// Redis refuses empty collections (and empty nodes) in RDB data.
    static func nonEmpty<T>(_ elements: [T]) throws -> [T] {
        guard !elements.isEmpty else { throw RDBError("empty collection") }
        return elements
    }

    static func list(_ elements: [Bytes], _ limits: CollectionLimits) throws -> Value {
        let l = ListValue(fill: limits.listFill, compressDepth: limits.listCompressDepth)
        for e in try nonEmpty(elements) { l.pushTail(e) }
        return .list(l)
    }

    static func set(_ members: [Bytes], _ limits: CollectionLimits) throws -> Value {
        var s = SetValue()
        for m in try nonEmpty(members) {
            guard s.add(m, maxIntSetEntries: limits.setMaxIntSetEntries) else { throw RDBError("duplicate set member") }
        }
        return .set(s)
    }

    static func hash(_ elements: [Bytes], _ limits: CollectionLimits) throws -> Value {
        guard elements.count % 2 == 0 else { throw RDBError("hash field with no value") }
        let h = HashValue()
        for i in stride(from: 0, to: try nonEmpty(elements).count, by: 2) {
            guard h.set(elements[i], elements[i + 1], maxPackedEntries: limits.hashMaxPackedEntries,
                        maxPackedValueBytes: limits.hashMaxPackedValueBytes) else { throw RDBError("duplicate hash field") }
        }
        return .hash(h)
    }

    static func sortedSet(_ pairs: [(Bytes, Double)], _ limits: CollectionLimits) throws -> Value {
        let z = SortedSetValue()
        for (member, score) in try nonEmpty(pairs) {
            guard !score.isNaN else { throw RDBError("NaN score") }
            guard z.set(member, score, maxPackedEntries: limits.zsetMaxPackedEntries,
                        maxPackedValueBytes: limits.zsetMaxPackedValueBytes) else { throw RDBError("duplicate sorted set member") }
        }
        return .zset(z)
    }
}
