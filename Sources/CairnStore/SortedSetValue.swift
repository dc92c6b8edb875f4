import CairnCore

/// A sorted set: while small, one sorted array of (score, member) pairs ("listpack");
/// past zset-max-listpack-entries or -value, a skip list for order and rank and a hash
/// index of its nodes by member ("skiplist"), and never back, as in Redis.
public final class SortedSetValue {
    public enum Storage {
        case packed(PackedScores)
        case skiplist(SkipList)
    }

    /// The big encoding's two structures, held together so that the set is one word.
    final class Index {
        let members: MemberIndex
        let order = SkipList()

        init() { members = MemberIndex(seed: UInt64.random(in: 0...UInt64.max)) }

        /// Adds a member known to be absent (`hash`: its hash, when already computed).
        func insert(_ member: Bytes, _ score: Double, hash: UInt32? = nil) {
            members.insert(order.insert(score, member, hash: hash ?? members.hashOf(member)))
        }

        func node(_ member: Bytes) -> SkipList.NodeRef? { members.find(member, hash: members.hashOf(member)) }
    }

    /// One word (see `PackedOrBig`): the packed block, or the table and skip list.
    private var word = PackedOrBig<Index>()

    public init() {}

    deinit { word.release() }

    /// How the set is held, for reading: a packed view is valid until the set changes.
    public var storage: Storage {
        if let index = word.big { return .skiplist(index.order) }
        return .packed(PackedScores(block: word.block))
    }

    public var count: Int {
        switch storage {
        case .packed(let a): return a.count
        case .skiplist(let l): return l.count
        }
    }

    public var encodingName: String {
        if case .packed = storage { return "listpack" }
        return "skiplist"
    }

    public func score(_ member: Bytes) -> Double? {
        if let index = word.big { return index.node(member)?.pointee.score }
        return PackedScores(block: word.block).score(member)
    }

    /// Sets a member's score (adding it when absent); true when it was added.
    @discardableResult
    public func set(_ member: Bytes, _ score: Double, maxPackedEntries: Int, maxPackedValueBytes: Int) -> Bool {
        if case .packed(var a) = storage {
            let existing = a.score(member) != nil
            if !existing && (a.count >= maxPackedEntries || member.count > maxPackedValueBytes) {
                convertToSkipList()
            } else {
                if existing { a.remove(member) }
                // A listpack keeps -0 as the integer 0, so Redis replies 0 for it while small.
                a.insert(member, score == 0 ? 0.0 : score)
                word.block = a.block
                return !existing
            }
        }
        guard let index = word.big else { return false }
        let h = index.members.hashOf(member)
        if let node = index.members.find(member, hash: h) {
            if node.pointee.score != score { index.order.updateScore(node, to: score) }
            return false
        }
        index.insert(member, score, hash: h)
        return true
    }

    /// Sets a member's score, adding it when absent, with one lookup; returns the score it
    /// had (nil: added). ZADD without options.
    public func replaceScore(_ member: Bytes, _ score: Double, maxPackedEntries: Int, maxPackedValueBytes: Int) -> Double? {
        guard let index = word.big else {
            let old = PackedScores(block: word.block).score(member)
            if old != score { set(member, score, maxPackedEntries: maxPackedEntries, maxPackedValueBytes: maxPackedValueBytes) }
            return old
        }
        let h = index.members.hashOf(member)
        if let node = index.members.find(member, hash: h) {
            let old = node.pointee.score
            if old != score { index.order.updateScore(node, to: score) }
            return old
        }
        index.insert(member, score, hash: h)
        return nil
    }

    @discardableResult
    public func remove(_ member: Bytes) -> Bool {
        if let index = word.big {
            guard let node = index.node(member) else { return false }
            index.members.remove(node)
            index.order.remove(node)
            return true
        }
        var a = PackedScores(block: word.block)
        let removed = a.remove(member)
        word.block = a.block
        return removed
    }

    private func convertToSkipList() {
        guard case .packed(let a) = storage else { return }
        let index = Index()
        for e in a.pairs { index.insert(e.member, e.score) }
        word.adopt(index)
    }

    /// 0-based rank in ascending order.
    public func rank(_ member: Bytes) -> Int? {
        if let index = word.big {
            guard let node = index.node(member) else { return nil }
            return index.order.rank(node.pointee.score, member)
        }
        return PackedScores(block: word.block).index(member)
    }

    /// The element at a 0-based ascending rank.
    public func element(at rank: Int) -> (score: Double, member: Bytes)? {
        switch storage {
        case .packed(let a):
            guard rank >= 0 && rank < a.count else { return nil }
            return a.pairs[rank]
        case .skiplist(let l):
            return l.element(at: rank)
        }
    }

    /// The first ascending rank whose element satisfies `isAtOrAfter` (monotone along the
    /// order), or count.
    public func firstRank(where isAtOrAfter: (Double, Bytes) -> Bool) -> Int {
        switch storage {
        case .packed(let packed):
            let a = packed.pairs
            var lo = 0, hi = a.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if isAtOrAfter(a[mid].score, a[mid].member) { hi = mid } else { lo = mid + 1 }
            }
            return lo
        case .skiplist(let l):
            return l.firstRank(where: isAtOrAfter)
        }
    }

    /// Elements from ascending rank `start` upwards (or, `reverse`, from descending rank
    /// `start` downwards) while `body` returns true.
    public func walk(from start: Int, reverse: Bool, _ body: (Double, Bytes) -> Bool) {
        switch storage {
        case .packed(let packed):
            let a = packed.pairs
            guard start >= 0 && start < a.count else { return }
            if reverse {
                for i in stride(from: a.count - 1 - start, through: 0, by: -1) where !body(a[i].score, a[i].member) { return }
            } else {
                for i in start..<a.count where !body(a[i].score, a[i].member) { return }
            }
        case .skiplist(let l):
            l.walk(from: start, reverse: reverse, body)
        }
    }

    public var elements: [(score: Double, member: Bytes)] {
        var out: [(score: Double, member: Bytes)] = []
        out.reserveCapacity(count)
        walk(from: 0, reverse: false) { s, m in
            out.append((s, m))
            return true
        }
        return out
    }

    public func copy() -> SortedSetValue {
        let c = SortedSetValue()
        switch storage {
        case .packed(let a): c.word.block = a.block.duplicate()
        case .skiplist:
            let index = Index()
            walk(from: 0, reverse: false) { s, m in
                index.insert(m, s)
                return true
            }
            c.word.adopt(index)
        }
        return c
    }

    /// One ZSCAN step over the big encoding: visits the members whose home slot is
    /// `cursor` and returns the next cursor (see `KeyTable.scan`); 0 for a packed set.
    public func scan(cursor: UInt64, _ visit: (Bytes, Double) -> Void) -> UInt64 {
        guard let index = word.big else { return 0 }
        return index.members.scan(cursor: cursor) { visit($0.pointee.member, $0.pointee.score) }
    }
}
