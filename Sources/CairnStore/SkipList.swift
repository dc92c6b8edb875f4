import CairnCore

/// A skip list ordered by (score, member bytes) with spans on every link, so that rank
/// and element-by-rank are O(log n): the ordered half of Redis's zset "skiplist" encoding.
public final class SkipList {
    /// One link of a node's tower: the next node at that level and how many ranks it skips.
    struct Link {
        var forward: Node?
        var span: Int
    }

    struct NodeHeader {
        let member: Bytes
        let score: Double
        /// Not a strong reference: the forward links own the nodes, and a strong link back
        /// would make every pair of neighbours a cycle that is never freed.
        unowned(unsafe) var backward: Node?
        let level: Int
    }

    /// A node with its tower of links allocated in the same block (as Redis's flexible
    /// array member): one pointer chase per step of a search instead of two.
    final class Node: ManagedBuffer<NodeHeader, Link> {
        static func make(level: Int, score: Double, member: Bytes) -> Node {
            let node = Node.create(minimumCapacity: level) { _ in
                NodeHeader(member: member, score: score, backward: nil, level: level)
            } as! Node
            node.withUnsafeMutablePointerToElements { $0.initialize(repeating: Link(forward: nil, span: 0), count: level) }
            return node
        }

        deinit {
            _ = withUnsafeMutablePointers { header, links in links.deinitialize(count: header.pointee.level) }
        }

        @inline(__always) var member: Bytes { header.member }
        @inline(__always) var score: Double { header.score }
        @inline(__always) var level: Int { header.level }

        @inline(__always) var backward: Node? {
            get { header.backward }
            set { header.backward = newValue }
        }

        @inline(__always) func forward(_ i: Int) -> Node? {
            withUnsafeMutablePointerToElements { $0[i].forward }
        }

        @inline(__always) func setForward(_ i: Int, _ node: Node?) {
            withUnsafeMutablePointerToElements { $0[i].forward = node }
        }

        @inline(__always) func span(_ i: Int) -> Int {
            withUnsafeMutablePointerToElements { $0[i].span }
        }

        @inline(__always) func setSpan(_ i: Int, _ span: Int) {
            withUnsafeMutablePointerToElements { $0[i].span = span }
        }
    }

    // Scratch space for insert and remove, kept to avoid two allocations per operation.
    private var update = [Node?](repeating: nil, count: SkipList.maxLevel)
    private var rankScratch = [Int](repeating: 0, count: SkipList.maxLevel)

    static let maxLevel = 32
    let head = Node.make(level: SkipList.maxLevel, score: 0, member: .empty)
    var tail: Node?
    public private(set) var count = 0
    var level = 1

    public init() {}

    /// Unlinks the nodes one by one: letting the first node go would free the chain
    /// recursively, one stack frame per member, which overflows for large sets.
    deinit {
        var next = head.forward(0)
        for i in 0..<head.level { head.setForward(i, nil) }
        while let node = next {
            next = node.forward(0)
            for i in 0..<node.level { node.setForward(i, nil) }
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
            while let next = x.forward(i), SkipList.before(next.score, next.member, score, member) {
                rankScratch[i] += x.span(i)
                x = next
            }
            update[i] = x
        }
        let newLevel = randomLevel()
        if newLevel > level {
            for i in level..<newLevel {
                rankScratch[i] = 0
                update[i] = head
                head.setSpan(i, count)
            }
            level = newLevel
        }
        let node = Node.make(level: newLevel, score: score, member: member)
        for i in 0..<newLevel {
            let u = update[i]!
            node.setForward(i, u.forward(i))
            u.setForward(i, node)
            node.setSpan(i, u.span(i) - (rankScratch[0] - rankScratch[i]))
            u.setSpan(i, rankScratch[0] - rankScratch[i] + 1)
        }
        for i in newLevel..<level { update[i]!.setSpan(i, update[i]!.span(i) + 1) }
        node.backward = update[0] === head ? nil : update[0]
        if let next = node.forward(0) { next.backward = node } else { tail = node }
        count += 1
    }

    /// Removes the element with this score and member; true when found.
    @discardableResult
    public func remove(_ score: Double, _ member: Bytes) -> Bool {
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.forward(i), SkipList.before(next.score, next.member, score, member) { x = next }
            update[i] = x
        }
        guard let target = x.forward(0), target.score == score, target.member == member else { return false }
        for i in 0..<level {
            let u = update[i]!
            if u.forward(i) === target {
                u.setSpan(i, u.span(i) + target.span(i) - 1)
                u.setForward(i, target.forward(i))
            } else {
                u.setSpan(i, u.span(i) - 1)
            }
        }
        if let next = target.forward(0) { next.backward = target.backward } else { tail = target.backward }
        while level > 1 && head.forward(level - 1) == nil { level -= 1 }
        count -= 1
        return true
    }

    /// 0-based rank of an element known to be present.
    public func rank(_ score: Double, _ member: Bytes) -> Int? {
        var r = 0
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.forward(i), !SkipList.before(score, member, next.score, next.member) {
                r += x.span(i)
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
            while let next = x.forward(i), traversed + x.span(i) <= target {
                traversed += x.span(i)
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
            while let next = x.forward(i), !inRange(next.score, next.member) { x = next }
        }
        return x.forward(0)
    }

    /// Elements from 0-based rank `start`, in order (or reverse order from rank `start`
    /// counted from the end), while `body` returns true.
    public func walk(from start: Int, reverse: Bool, _ body: (Double, Bytes) -> Bool) {
        guard var node = node(at: reverse ? count - 1 - start : start) else { return }
        while true {
            if !body(node.score, node.member) { return }
            guard let next = reverse ? node.backward : node.forward(0) else { return }
            node = next
        }
    }

    /// 0-based rank of the first element for which `isAtOrAfter` holds (count if none):
    /// `isAtOrAfter` must be false then true along the order.
    public func firstRank(where isAtOrAfter: (Double, Bytes) -> Bool) -> Int {
        var r = 0
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.forward(i), !isAtOrAfter(next.score, next.member) {
                r += x.span(i)
                x = next
            }
        }
        return r
    }
}
