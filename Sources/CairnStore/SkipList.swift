import CairnCore

/// A skip list ordered by (score, member bytes) with spans on every link, so that rank
/// and element-by-rank are O(log n): the ordered half of Redis's zset "skiplist" encoding.
public final class SkipList {
    final class Node {
        let member: Bytes
        let score: Double
        var backward: Node?
        var forward: [Node?]
        var span: [Int]

        init(level: Int, score: Double, member: Bytes) {
            self.score = score
            self.member = member
            forward = Array(repeating: nil, count: level)
            span = Array(repeating: 0, count: level)
        }
    }

    static let maxLevel = 32
    let head = Node(level: SkipList.maxLevel, score: 0, member: .empty)
    var tail: Node?
    public private(set) var count = 0
    var level = 1

    public init() {}

    static func randomLevel() -> Int {
        var l = 1
        while l < maxLevel && UInt32.random(in: 0..<UInt32.max) < UInt32.max / 4 { l += 1 }
        return l
    }

    @inline(__always)
    static func before(_ s1: Double, _ m1: Bytes, _ s2: Double, _ m2: Bytes) -> Bool {
        s1 < s2 || (s1 == s2 && compareBytes(m1, m2) < 0)
    }

    public func insert(_ score: Double, _ member: Bytes) {
        var update = [Node](repeating: head, count: SkipList.maxLevel)
        var rank = [Int](repeating: 0, count: SkipList.maxLevel)
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            rank[i] = i == level - 1 ? 0 : rank[i + 1]
            while let next = x.forward[i], SkipList.before(next.score, next.member, score, member) {
                rank[i] += x.span[i]
                x = next
            }
            update[i] = x
        }
        let newLevel = SkipList.randomLevel()
        if newLevel > level {
            for i in level..<newLevel {
                rank[i] = 0
                update[i] = head
                head.span[i] = count
            }
            level = newLevel
        }
        let node = Node(level: newLevel, score: score, member: member)
        for i in 0..<newLevel {
            node.forward[i] = update[i].forward[i]
            update[i].forward[i] = node
            node.span[i] = update[i].span[i] - (rank[0] - rank[i])
            update[i].span[i] = rank[0] - rank[i] + 1
        }
        for i in newLevel..<level { update[i].span[i] += 1 }
        node.backward = update[0] === head ? nil : update[0]
        if let next = node.forward[0] { next.backward = node } else { tail = node }
        count += 1
    }

    /// Removes the element with this score and member; true when found.
    @discardableResult
    public func remove(_ score: Double, _ member: Bytes) -> Bool {
        var update = [Node](repeating: head, count: SkipList.maxLevel)
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.forward[i], SkipList.before(next.score, next.member, score, member) { x = next }
            update[i] = x
        }
        guard let target = x.forward[0], target.score == score, target.member == member else { return false }
        for i in 0..<level {
            if update[i].forward[i] === target {
                update[i].span[i] += target.span[i] - 1
                update[i].forward[i] = target.forward[i]
            } else {
                update[i].span[i] -= 1
            }
        }
        if let next = target.forward[0] { next.backward = target.backward } else { tail = target.backward }
        while level > 1 && head.forward[level - 1] == nil { level -= 1 }
        count -= 1
        return true
    }

    /// 0-based rank of an element known to be present.
    public func rank(_ score: Double, _ member: Bytes) -> Int? {
        var r = 0
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.forward[i], !SkipList.before(score, member, next.score, next.member) {
                r += x.span[i]
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
            while let next = x.forward[i], traversed + x.span[i] <= target {
                traversed += x.span[i]
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
            while let next = x.forward[i], !inRange(next.score, next.member) { x = next }
        }
        return x.forward[0]
    }

    /// Elements from 0-based rank `start`, in order (or reverse order from rank `start`
    /// counted from the end), while `body` returns true.
    public func walk(from start: Int, reverse: Bool, _ body: (Double, Bytes) -> Bool) {
        guard var node = node(at: reverse ? count - 1 - start : start) else { return }
        while true {
            if !body(node.score, node.member) { return }
            guard let next = reverse ? node.backward : node.forward[0] else { return }
            node = next
        }
    }

    /// 0-based rank of the first element for which `isAtOrAfter` holds (count if none):
    /// `isAtOrAfter` must be false then true along the order.
    public func firstRank(where isAtOrAfter: (Double, Bytes) -> Bool) -> Int {
        var r = 0
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = x.forward[i], !isAtOrAfter(next.score, next.member) {
                r += x.span[i]
                x = next
            }
        }
        return r
    }
}
