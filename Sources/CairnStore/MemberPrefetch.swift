import CairnCore

/// A lookup inside a collection, started ahead of the command that will make it: the
/// member's slot in the collection's own key table is loading (`start`), and `finish`
/// starts loading the entry it points to. A pipeline of HSETs or SADDs into one big hash
/// or set then waits for those misses together rather than one command at a time.
/// Packed collections are small and already in cache: nothing to start.
public enum MemberPrefetch {
    case hash(KeyTable<Bytes>, UInt32)
    case set(KeyTable<Void>, UInt32)

    /// Starts loading `member`'s slot in `value`'s table, if it has one.
    public static func start(_ value: Value, member: Bytes) -> MemberPrefetch? {
        switch value {
        case .hash(let h):
            guard case .table(let t) = h.storage else { return nil }
            return .hash(t, t.prefetchSlot(member))
        case .set(let s):
            guard case .table(let t) = s.storage else { return nil }
            return .set(t, t.prefetchSlot(member))
        default:
            return nil
        }
    }

    public func finish() {
        switch self {
        case .hash(let t, let h): t.prefetchEntry(hash: h)
        case .set(let t, let h): t.prefetchEntry(hash: h)
        }
    }
}
