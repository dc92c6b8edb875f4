import CairnCore

/// A skip list ordered by (score, member bytes) with spans on every link, so that rank
/// and element-by-rank are O(log n): the ordered half of Redis's zset "skiplist" encoding.
public final class SkipList {
    /// One link of a node's tower: the next node at that level and how many ranks it skips.
    struct Link {
        var forward: Node?
        var span: Int
    }

    final class Node {
        let member: Bytes
        let score: Double
        /// Not a strong reference: the forward links own the nodes, and a strong link back
        /// would make every pair of neighbours a cycle that is never freed.
        unowned(unsafe) var backward: Node?
        /// One array for the tower (forward and span together: one allocation per node).
        var links: [Link]

        init(level: Int, score: Double, member: Bytes) {
            self.score = score
            self.member = member
            links = Array(repeating: Link(forward: nil, span: 0), count: level)
        }
    }

    // Scratch space for insert and remove, kept to avoid two allocations per operation.
    private var update = [Node?](repeating: nil, count: SkipList.maxLevel)
    private var rankScratch = [Int](repeating: 0, count: SkipList.maxLevel)

    static let maxLevel = 32
    let head = Node(level: SkipList.maxLevel, score: 0, member: .empty)
    var tail: Node?
    public private(set) var count = 0
    var level = 1

    public init() {}

    /// Unlinks the nodes one by one: letting the first node go would free the chain
    /// recursively, one stack frame per member, which overflows for large sets.
    deinit {
        var next = head.links[0].forward
        for i in 0..<head.links.count { head.links[i].forward = nil }
        while let node = next {
            next = node.links[0].forward
            for i in 0..<node.links.count { node.links[i].forward = nil }
        }
    }

    /// xorshift64*: levels need no cryptographic randomness, and the system generator
    /// costs a getrandom system call per draw.
    private var randomState = UInt64.random(in: 1...UInt64.max)

    func randomLevel() -> Int {
        var l = 1
        while l < SkipList.maxLevel {
            randomState ^= randomState >> 12
            randomState ^= randomState << 25
            randomState ^= randomState >> 27
            if (randomState &* 0x2545_F491_4F6C_DD1D) >> 62 != 0 { break }  // continue with probability 1/4
            l += 1
        }
        return l
    }

    @inline(__always)
    static func before(_ s1: Double, _ m1: Bytes, _ s2: Double, _ m2: Bytes) -> Bool {
        s1 < s2 || (s1 == s2 && compareBytes(m1, m2) < 0)
    }

    public func insert(_ score: Double, _ member: Bytes) {
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            rankScratch[i] = i == level - 1 ? 0 : rankScratch[i + 1]
            while let next = x.links[i].forward, SkipList.before(next.score, next.member, score, member) {
                rankScratch[i] += x.links[i].span
                x = next
            }
            update[i] = x
        }
        let newLevel = randomLevel()
        if newLevel > level {
            for i in level..<newLevel {
                rankScratch[i] = 0
                update[i] = head
                head.links[i].span = count
            }
            level = newLevel
        }
        let node = Node(level: newLevel, score: score, member: member)
        for i in 0..<newLevel {
            let u = update[i]!
            node.links[i].forward = u.links[i].forward
            u.links[i].forward = node
            node.links[i].span = u.links[i].span - (rankScratch[0] - rankScratch[i])
            u.links[i].span = rankScratch[0] - rankScratch[i] + 1
        }
        for i in newLevel..<level { update[i]!.links[i].span += 1 }
        node.backward = update[0] === head ? nil : update[0]
        if let next = node.links[0].forward { next.backward = node } else { tail = node }
        count += 1
    }

    /// Removes the element with this score and member; true when found.
    @discardableResult
    public func remove(_ score: Double, _ member: Bytes) -> Bool {
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.links[i].forward, SkipList.before(next.score, next.member, score, member) { x = next }
            update[i] = x
        }
        guard let target = x.links[0].forward, target.score == score, target.member == member else { return false }
        for i in 0..<level {
            let u = update[i]!
            if u.links[i].forward === target {
                u.links[i].span += target.links[i].span - 1
                u.links[i].forward = target.links[i].forward
            } else {
                u.links[i].span -= 1
            }
        }
        if let next = target.links[0].forward { next.backward = target.backward } else { tail = target.backward }
        while level > 1 && head.links[level - 1].forward == nil { level -= 1 }
        count -= 1
        return true
    }

    /// 0-based rank of an element known to be present.
    public func rank(_ score: Double, _ member: Bytes) -> Int? {
        var r = 0
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.links[i].forward, !SkipList.before(score, member, next.score, next.member) {
                r += x.links[i].span
                x = next
            }
            if x !== head && x.member == member && x.score == score { return r - 1 }
        }
        return nil
    }

    /// The node at 0-based rank.
    func node(at rank: Int) -> Node? {
        guard rank >= 0 && rank < count else { return nil }
        var traversed = 0
        var x = head
        let target = rank + 1
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.links[i].forward, traversed + x.links[i].span <= target {
                traversed += x.links[i].span
                x = next
            }
            if traversed == target { return x }
        }
        return nil
    }

    /// The first element not before (score, member).
    func firstNode(atLeast inRange: (Double, Bytes) -> Bool) -> Node? {
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.links[i].forward, !inRange(next.score, next.member) { x = next }
        }
        return x.links[0].forward
    }

    /// Elements from 0-based rank `start`, in order (or reverse order from rank `start`
    /// counted from the end), while `body` returns true.
    public func walk(from start: Int, reverse: Bool, _ body: (Double, Bytes) -> Bool) {
        guard var node = node(at: reverse ? count - 1 - start : start) else { return }
        while true {
            if !body(node.score, node.member) { return }
            guard let next = reverse ? node.backward : node.links[0].forward else { return }
            node = next
        }
    }

    /// 0-based rank of the first element for which `isAtOrAfter` holds (count if none):
    /// `isAtOrAfter` must be false then true along the order.
    public func firstRank(where isAtOrAfter: (Double, Bytes) -> Bool) -> Int {
        var r = 0
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.links[i].forward, !isAtOrAfter(next.score, next.member) {
                r += x.links[i].span
                x = next
            }
        }
        return r
    }
}
