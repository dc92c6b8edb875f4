import CairnCore

/// A hash: packed while small (Redis's "listpack" encoding), a key table beyond the
/// thresholds ("hashtable"); like Redis, it never goes back to packed.
public final class HashValue {
    /// How the hash is held, for reading: a packed view is valid until the hash changes.
    public enum Storage {
        case packed(PackedPairs)
        case table(KeyTable<Bytes>)
    }

    /// One word (see `PackedOrBig`): the packed block, or the table.
    private var word = PackedOrBig<KeyTable<Bytes>>()

    public init() {}

    deinit { word.release() }

    public var storage: Storage {
        if let t = word.big { return .table(t) }
        return .packed(PackedPairs(block: word.block))
    }

    public var count: Int {
        switch storage {
        case .packed(let p): return p.count
        case .table(let t): return t.count
        }
    }

    public var encodingName: String {
        if case .packed = storage { return "listpack" }
        return "hashtable"
    }

    public func get(_ field: Bytes) -> Bytes? {
        switch storage {
        case .packed(let p): return p.get(field)
        case .table(let t): return t[field]
        }
    }

    public func contains(_ field: Bytes) -> Bool { get(field) != nil }

    /// Sets a field; returns true when it was new. Converts to a table when the hash
    /// passes `maxPackedEntries` or a string passes `maxPackedValueBytes`.
    @discardableResult
    public func set(_ field: Bytes, _ value: Bytes, maxPackedEntries: Int, maxPackedValueBytes: Int) -> Bool {
        if case .packed(var p) = storage {
            if field.count > maxPackedValueBytes || value.count > maxPackedValueBytes
                || (p.count >= maxPackedEntries && !p.contains(field)) {
                convertToTable()
            } else {
                let added = p.set(field, value)
                word.block = p.block
                return added
            }
        }
        guard case .table(let t) = storage else { return false }
        let existed = t.find(field) != nil
        t.set(field, value)
        return !existed
    }

    @discardableResult
    public func remove(_ field: Bytes) -> Bool {
        switch storage {
        case .packed(var p):
            let removed = p.remove(field)
            word.block = p.block
            return removed
        case .table(let t):
            return t.remove(field) != nil
        }
    }

    private func convertToTable() {
        guard case .packed(let p) = storage else { return }
        let t = KeyTable<Bytes>(seed: UInt64.random(in: 0...UInt64.max))
        p.forEach { t.insert($0, $1) }
        word.adopt(t)
    }

    /// Every field and value: insertion order while packed, table order after.
    public func forEach(_ body: (Bytes, Bytes) -> Void) {
        switch storage {
        case .packed(let p): p.forEach(body)
        case .table(let t): for e in t.entries { body(e.key, e.value) }
        }
    }

    public var pairs: [(Bytes, Bytes)] {
        var out: [(Bytes, Bytes)] = []
        out.reserveCapacity(count)
        forEach { out.append(($0, $1)) }
        return out
    }

    /// A deep copy (COPY must not share the value).
    public func copy() -> HashValue {
        let h = HashValue()
        switch storage {
        case .packed(let p): h.word.block = p.block.duplicate()
        case .table(let t):
            let n = KeyTable<Bytes>(seed: UInt64.random(in: 0...UInt64.max))
            for e in t.entries { n.insert(e.key, e.value) }
            h.word.adopt(n)
        }
        return h
    }

    /// The pair at a position of iteration order (HRANDFIELD picks positions at random).
    public func pair(at index: Int) -> (Bytes, Bytes) {
        switch storage {
        case .packed(let p):
            var i = 0
            var found: (Bytes, Bytes) = ("", "")
            p.forEach { f, v in
                if i == index { found = (f, v) }
                i += 1
            }
            return found
        case .table(let t):
            let e = t.entries[index]
            return (e.key, e.value)
        }
    }
}
