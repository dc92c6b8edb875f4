import CairnCore

/// A set: an `IntSet` while every member is an integer and there are at most
/// set-max-intset-entries of them ("intset"), a key table otherwise ("hashtable");
/// like Redis 7.0, it never goes back.
public final class SetValue {
    public enum Storage {
        case ints(IntSet)
        case table(KeyTable<Void>)
    }

    /// One word (see `PackedOrBig`): the intset's block, or the table.
    private var word = PackedOrBig<KeyTable<Void>>()

    public init() {}

    deinit { word.release() }

    /// How the set is held, for reading: an intset view is valid until the set changes.
    public var storage: Storage {
        if let t = word.big { return .table(t) }
        return .ints(IntSet(block: word.block))
    }

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
                    s.insert(v)
                    word.block = s.block
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
            let removed = s.remove(v)
            word.block = s.block
            return removed
        case .table(let t):
            return t.remove(member) != nil
        }
    }

    private func convertToTable() {
        guard case .ints(let s) = storage else { return }
        let t = KeyTable<Void>(seed: UInt64.random(in: 0...UInt64.max))
        for v in s.values { t.insert(Bytes(v), ()) }
        word.adopt(t)
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
        case .ints(let s): c.word.block = s.block.duplicate()
        case .table(let t):
            let n = KeyTable<Void>(seed: UInt64.random(in: 0...UInt64.max))
            for e in t.entries { n.insert(e.key, ()) }
            c.word.adopt(n)
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
