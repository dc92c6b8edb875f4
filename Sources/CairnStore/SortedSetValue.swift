import CairnCore

/// A sorted set: while small, one sorted array of (score, member) pairs ("listpack");
/// past zset-max-listpack-entries or -value, a member table for scores plus a skip list
/// for order and rank ("skiplist"), and never back, as in Redis.
public final class SortedSetValue {
    public enum Storage {
        case packed(PackedScores)
        case skiplist(KeyTable<Double>, SkipList)
    }

    /// The big encoding's two structures, held together so that the set is one word.
    final class Index {
        let scores: KeyTable<Double>
        let order: SkipList

        init(_ scores: KeyTable<Double>, _ order: SkipList) {
            self.scores = scores
            self.order = order
        }
    }

    /// One word (see `PackedOrBig`): the packed block, or the table and skip list.
    private var word = PackedOrBig<Index>()

    public init() {}

    deinit { word.release() }

    /// How the set is held, for reading: a packed view is valid until the set changes.
    public var storage: Storage {
        if let index = word.big { return .skiplist(index.scores, index.order) }
        return .packed(PackedScores(block: word.block))
    }

    public var count: Int {
        switch storage {
        case .packed(let a): return a.count
        case .skiplist(_, let l): return l.count
        }
    }

    public var encodingName: String {
        if case .packed = storage { return "listpack" }
        return "skiplist"
    }

    public func score(_ member: Bytes) -> Double? {
        switch storage {
        case .packed(let a): return a.score(member)
        case .skiplist(let t, _): return t[member]
        }
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
        guard case .skiplist(let t, let l) = storage else { return false }
        if let position = t.find(member) {
            let old = t.entries[position].value
            if old != score {
                l.updateScore(member, from: old, to: score)
                t.setValue(score, at: position)
            }
            return false
        }
        t.insert(member, score)
        l.insert(score, member)
        return true
    }

    @discardableResult
    public func remove(_ member: Bytes) -> Bool {
        switch storage {
        case .packed(var a):
            let removed = a.remove(member)
            word.block = a.block
            return removed
        case .skiplist(let t, let l):
            guard let s = t.remove(member) else { return false }
            l.remove(s, member)
            return true
        }
    }

    private func convertToSkipList() {
        guard case .packed(let a) = storage else { return }
        let t = KeyTable<Double>(seed: UInt64.random(in: 0...UInt64.max))
        let l = SkipList()
        for e in a.pairs {
            t.insert(e.member, e.score)
            l.insert(e.score, e.member)
        }
        word.adopt(Index(t, l))
    }

    /// 0-based rank in ascending order.
    public func rank(_ member: Bytes) -> Int? {
        switch storage {
        case .packed(let a): return a.index(member)
        case .skiplist(let t, let l):
            guard let s = t[member] else { return nil }
            return l.rank(s, member)
        }
    }

    /// The element at a 0-based ascending rank.
    public func element(at rank: Int) -> (score: Double, member: Bytes)? {
        switch storage {
        case .packed(let a):
            guard rank >= 0 && rank < a.count else { return nil }
            return a.pairs[rank]
        case .skiplist(_, let l):
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
        case .skiplist(_, let l):
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
        case .skiplist(_, let l):
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
            let t = KeyTable<Double>(seed: UInt64.random(in: 0...UInt64.max))
            let l = SkipList()
            for e in elements {
                t.insert(e.member, e.score)
                l.insert(e.score, e.member)
            }
            c.word.adopt(Index(t, l))
        }
        return c
    }
}
