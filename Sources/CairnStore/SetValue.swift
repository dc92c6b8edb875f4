import CairnCore

/// A set: an `IntSet` while every member is an integer and there are at most
/// set-max-intset-entries of them ("intset"), a key table otherwise ("hashtable");
/// like Redis 7.0, it never goes back.
public final class SetValue {
    public enum Storage {
        case ints(IntSet)
        case table(KeyTable<Void>)
    }

    public private(set) var storage: Storage = .ints(IntSet())

    public init() {}

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
    public func add(_ member: Bytes, maxIntSetEntries: Int) -> Bool {
        if case .ints(var s) = storage {
            if let v = member.int64 {
                if s.contains(v) { return false }
                if s.count < maxIntSetEntries {
                    storage = .ints(IntSet())  // one reference: edit in place
                    s.insert(v)
                    storage = .ints(s)
                    return true
                }
            }
            convertToTable()
        }
        guard case .table(let t) = storage else { return false }
        if t.find(member) != nil { return false }
        t.insert(member, ())
        return true
    }

    @discardableResult
    public func remove(_ member: Bytes) -> Bool {
        switch storage {
        case .ints(var s):
            guard let v = member.int64 else { return false }
            storage = .ints(IntSet())
            let removed = s.remove(v)
            storage = .ints(s)
            return removed
        case .table(let t):
            return t.remove(member) != nil
        }
    }

    private func convertToTable() {
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

    public func copy() -> SetValue {
        let c = SetValue()
        switch storage {
        case .ints(let s): c.storage = .ints(s)
        case .table(let t):
            let n = KeyTable<Void>(seed: UInt64.random(in: 0...UInt64.max))
            for e in t.entries { n.insert(e.key, ()) }
            c.storage = .table(n)
        }
        return c
    }

    /// A set built from members (the STORE commands), encoded as Redis would encode it.
    public static func from(_ members: [Bytes], maxIntSetEntries: Int) -> SetValue {
        let s = SetValue()
        for m in members { s.add(m, maxIntSetEntries: maxIntSetEntries) }
        return s
    }
}
