import CairnCore

/// A set: an `IntSet` while every member is an integer and there are at most
/// set-max-intset-entries of them ("intset"), a key table otherwise ("hashtable");
/// like Redis 7.0, it never goes back.
///
/// A value, not an object: the key's entry holds the intset or the table directly, with
/// no set object in between. A change to an intset may make a new `IntSet`, so whoever
/// changes a set stored at a key writes it back unless `isStored(as:)` says the stored
/// one is still the same.
public struct SetValue {
    public enum Storage {
        case ints(IntSet)
        case table(KeyTable<Void>)
    }

    public private(set) var storage: Storage

    public init() { storage = .ints(IntSet.empty) }

    public var count: Int {
        switch storage {
        case .ints(let s): return s.count
        case .table(let t): return t.count
        }
    }

    public var encodingName: String {
        if case .ints = storage { return "intset" }
        return "hashtable"
    }

    /// True when this set is held by the same object as `stored` (nothing to write back).
    public func isStored(as stored: SetValue) -> Bool {
        switch (storage, stored.storage) {
        case (.ints(let a), .ints(let b)): return a === b
        case (.table(let a), .table(let b)): return a === b
        default: return false
        }
    }

    public func contains(_ member: Bytes) -> Bool {
        switch storage {
        case .ints(let s):
            guard let v = member.int64 else { return false }
            return s.contains(v)
        case .table(let t):
            return t.find(member) != nil
        }
    }

    /// Adds a member; true when new.
    @discardableResult
    public mutating func add(_ member: Bytes, maxIntSetEntries: Int) -> Bool {
        if case .ints(let s) = storage {
            if let v = member.int64 {
                if s.count < maxIntSetEntries {
                    guard let grown = s.inserting(v) else { return false }
                    storage = .ints(grown)
                    return true
                }
                if s.contains(v) { return false }
            }
            convertToTable()
        }
        guard case .table(let t) = storage else { return false }
        if t.find(member) != nil { return false }
        t.insert(member, ())
        return true
    }

    /// Adds integers all at once (a snapshot's intset record, a STORE's result): one new
    /// intset for all of them instead of one per member, while the result still fits in an
    /// intset; past that, one by one, as `add` would.
    public mutating func add(integers: [Int64], maxIntSetEntries: Int) {
        if case .ints(let s) = storage {
            var merged = s.values + integers
            merged.sort()
            var distinct: [Int64] = []
            distinct.reserveCapacity(merged.count)
            for v in merged where distinct.last != v { distinct.append(v) }
            if distinct.count <= maxIntSetEntries {
                storage = .ints(IntSet.of(sorted: distinct))
                return
            }
        }
        for v in integers { add(Bytes(v), maxIntSetEntries: maxIntSetEntries) }
    }

    @discardableResult
    public mutating func remove(_ member: Bytes) -> Bool {
        switch storage {
        case .ints(let s):
            guard let v = member.int64, let shrunk = s.removing(v) else { return false }
            storage = .ints(shrunk)
            return true
        case .table(let t):
            return t.remove(member) != nil
        }
    }

    private mutating func convertToTable() {
        guard case .ints(let s) = storage else { return }
        let t = KeyTable<Void>(seed: UInt64.random(in: 0...UInt64.max))
        for v in s.values { t.insert(Bytes(v), ()) }
        storage = .table(t)
    }

    /// Members in the encoding's order: ascending while an intset, table order after.
    public var members: [Bytes] {
        switch storage {
        case .ints(let s): return s.values.map { Bytes($0) }
        case .table(let t): return t.entries.map(\.key)
        }
    }

    public func member(at index: Int) -> Bytes {
        switch storage {
        case .ints(let s): return Bytes(s[index])
        case .table(let t): return t.entries[index].key
        }
    }

    /// A set that shares nothing changeable with this one.
    public func copy() -> SetValue {
        var c = SetValue()
        guard case .table(let t) = storage else {
            if case .ints(let s) = storage, s.count > 0 { c.storage = .ints(s.duplicate()) }
            return c
        }
        let n = KeyTable<Void>(seed: UInt64.random(in: 0...UInt64.max))
        for e in t.entries { n.insert(e.key, ()) }
        c.storage = .table(n)
        return c
    }

    /// A set built from members (the STORE commands), encoded as Redis would encode it.
    public static func from(_ members: [Bytes], maxIntSetEntries: Int) -> SetValue {
        var s = SetValue()
        let ints = members.compactMap(\.int64)
        if ints.count == members.count {
            // All integers: one intset built at once (or the table past the limit).
            s.add(integers: ints, maxIntSetEntries: maxIntSetEntries)
        } else {
            for m in members { s.add(m, maxIntSetEntries: maxIntSetEntries) }
        }
        return s
    }
}
