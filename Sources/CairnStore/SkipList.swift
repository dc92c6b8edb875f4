import CairnCore

/// A skip list ordered by (score, member bytes) with spans on every link, so that rank
/// and element-by-rank are O(log n): the ordered half of Redis's zset "skiplist" encoding.
///
/// Nodes are manually managed blocks (as Redis's `zskiplistNode` with its flexible array
/// of levels): a header followed by the node's tower of links, one `malloc` each, owned
/// by the list and freed by `remove` and `deinit`. Links are plain pointers, so walking
/// the list costs no reference counting: with class nodes and strong links, every step of
/// a search was a retain and a release (a sixth of ZADD's time in a profile), and each
/// node carried a 16-byte object header.
public final class SkipList {
    typealias NodeRef = UnsafeMutablePointer<NodeHeader>

    /// One link of a node's tower: the next node at that level and how many ranks it skips.
    struct Link {
        var forward: NodeRef?
        var span: Int
    }

    /// 48 bytes: with one link (three nodes in four) a node is a 64-byte request, one
    /// jemalloc size class; without `hash` it would be 56 bytes in the same class, so the
    /// hash costs nothing there (nor at two or three links). Links hold only plain values,
    /// so freeing a node need not know its level.
    struct NodeHeader {
        var member: Bytes
        var score: Double
        var backward: NodeRef?
        /// The member's hash in the owning set's `MemberIndex` (0 in a list used alone).
        var hash: UInt32
    }

    static let linksOffset = (MemoryLayout<NodeHeader>.stride + MemoryLayout<Link>.alignment - 1)
        / MemoryLayout<Link>.alignment * MemoryLayout<Link>.alignment

#if DEBUG
    /// Nodes allocated and not yet freed, in debug builds (the tests check for leaks).
    nonisolated(unsafe) static var liveNodes = 0
#endif

    static func makeNode(level: Int, score: Double, member: Bytes, hash: UInt32 = 0) -> NodeRef {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: linksOffset + level * MemoryLayout<Link>.stride,
                                                   alignment: max(MemoryLayout<NodeHeader>.alignment, MemoryLayout<Link>.alignment))
        let node = raw.bindMemory(to: NodeHeader.self, capacity: 1)
        node.initialize(to: NodeHeader(member: member, score: score, backward: nil, hash: hash))
        (raw + linksOffset).bindMemory(to: Link.self, capacity: level).initialize(repeating: Link(forward: nil, span: 0), count: level)
#if DEBUG
        liveNodes += 1
#endif
        return node
    }

    static func freeNode(_ node: NodeRef) {
        node.deinitialize(count: 1)
        UnsafeMutableRawPointer(node).deallocate()
#if DEBUG
        liveNodes -= 1
#endif
    }

    @inline(__always)
    static func links(_ node: NodeRef) -> UnsafeMutablePointer<Link> {
        (UnsafeMutableRawPointer(node) + linksOffset).assumingMemoryBound(to: Link.self)
    }

    @inline(__always) static func forward(_ node: NodeRef, _ i: Int) -> NodeRef? { links(node)[i].forward }
    @inline(__always) static func span(_ node: NodeRef, _ i: Int) -> Int { links(node)[i].span }

    // Scratch space for insert and remove, allocated once: plain pointers, because a
    // Swift array stored in a class pays a uniqueness and a bounds check on every write,
    // and the search loops write at every step.
    private let update = UnsafeMutablePointer<NodeRef>.allocate(capacity: SkipList.maxLevel)
    private let rankScratch = UnsafeMutablePointer<Int>.allocate(capacity: SkipList.maxLevel)

    static let maxLevel = 32
    let head = SkipList.makeNode(level: SkipList.maxLevel, score: 0, member: .empty)
    var tail: NodeRef?
    public private(set) var count = 0
    var level = 1

    public init() {}

    deinit {
        var next = SkipList.forward(head, 0)
        while let node = next {
            next = SkipList.forward(node, 0)
            SkipList.freeNode(node)
        }
        SkipList.freeNode(head)
        update.deallocate()
        rankScratch.deallocate()
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

    /// Whether `node` comes before (score, member).
    @inline(__always)
    static func node(_ node: NodeRef, before score: Double, _ member: Bytes) -> Bool {
        let s = node.pointee.score
        return s < score || (s == score && compareBytes(node.pointee.member, member) < 0)
    }

    /// Inserts (score, member), which must be absent; returns its node, valid until removed.
    @discardableResult
    func insert(_ score: Double, _ member: Bytes, hash: UInt32 = 0) -> NodeRef {
        findInsertionPoint(score, member)
        let newLevel = randomLevel()
        let node = SkipList.makeNode(level: newLevel, score: score, member: member, hash: hash)
        link(node, level: newLevel)
        return node
    }

    /// Fills `update` (the last node before (score, member) at each level) and
    /// `rankScratch` (the rank of each of those nodes).
    @inline(__always)
    private func findInsertionPoint(_ score: Double, _ member: Bytes) {
        var x = head
        var rank = 0
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = SkipList.forward(x, i), SkipList.node(next, before: score, member) {
                rank += SkipList.span(x, i)
                x = next
            }
            rankScratch[i] = rank
            update[i] = x
        }
    }

    /// Links `node` (of `newLevel` levels, its score set) after the nodes in `update`.
    private func link(_ node: NodeRef, level newLevel: Int) {
        if newLevel > level {
            for i in level..<newLevel {
                rankScratch[i] = 0
                update[i] = head
                SkipList.links(head)[i].span = count
            }
            level = newLevel
        }
        let nodeLinks = SkipList.links(node)
        let rank0 = rankScratch[0]
        for i in 0..<newLevel {
            let u = SkipList.links(update[i])
            nodeLinks[i].forward = u[i].forward
            u[i].forward = node
            nodeLinks[i].span = u[i].span - (rank0 - rankScratch[i])
            u[i].span = rank0 - rankScratch[i] + 1
        }
        for i in newLevel..<level { SkipList.links(update[i])[i].span += 1 }
        node.pointee.backward = update[0] == head ? nil : update[0]
        if let next = nodeLinks[0].forward { next.pointee.backward = node } else { tail = node }
        count += 1
    }

    /// Finds the node of (score, member), filling `update`; nil when absent.
    @inline(__always)
    private func find(_ score: Double, _ member: Bytes) -> NodeRef? {
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = SkipList.forward(x, i), SkipList.node(next, before: score, member) { x = next }
            update[i] = x
        }
        guard let target = SkipList.forward(x, 0), target.pointee.score == score, target.pointee.member == member else {
            return nil
        }
        return target
    }

    /// Takes `target` (found by `find`) out of the list without freeing it; returns its level.
    private func unlink(_ target: NodeRef) -> Int {
        let targetLinks = SkipList.links(target)
        var targetLevel = 0
        for i in 0..<level {
            let u = SkipList.links(update[i])
            if u[i].forward == target {
                u[i].span += targetLinks[i].span - 1
                u[i].forward = targetLinks[i].forward
                targetLevel = i + 1
            } else {
                u[i].span -= 1
            }
        }
        if let next = targetLinks[0].forward { next.pointee.backward = target.pointee.backward } else { tail = target.pointee.backward }
        while level > 1 && SkipList.forward(head, level - 1) == nil { level -= 1 }
        count -= 1
        return targetLevel
    }

    /// Removes the element with this score and member; true when found.
    @discardableResult
    public func remove(_ score: Double, _ member: Bytes) -> Bool {
        guard let target = find(score, member) else { return false }
        _ = unlink(target)
        SkipList.freeNode(target)
        return true
    }

    /// Removes and frees `target`, a node of this list.
    func remove(_ target: NodeRef) {
        _ = find(target.pointee.score, target.pointee.member)  // fills `update`
        _ = unlink(target)
        SkipList.freeNode(target)
    }

    /// Changes the score of `target`, a node of this list. When it keeps its place the
    /// score changes in place, with no search (its neighbours are in the node); otherwise
    /// the same node moves (as Redis's zslUpdateScore: no free and malloc, no copy of the
    /// member).
    func updateScore(_ target: NodeRef, to new: Double) {
        let member = target.pointee.member
        let previous = target.pointee.backward
        let next = SkipList.forward(target, 0)
        if (previous.map { SkipList.node($0, before: new, member) } ?? true)
            && (next.map { !SkipList.node($0, before: new, member) } ?? true) {
            target.pointee.score = new
            return
        }
        _ = find(target.pointee.score, member)  // fills `update` for the unlink
        let targetLevel = unlink(target)
        target.pointee.score = new
        findInsertionPoint(new, member)
        link(target, level: targetLevel)
    }

    /// Changes the score of an element known to be present (at `old`).
    public func updateScore(_ member: Bytes, from old: Double, to new: Double) {
        guard let target = find(old, member) else { return }
        updateScore(target, to: new)
    }

    /// 0-based rank of an element known to be present.
    public func rank(_ score: Double, _ member: Bytes) -> Int? {
        var r = 0
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = SkipList.forward(x, i), !SkipList.before(score, member, next.pointee.score, next.pointee.member) {
                r += SkipList.span(x, i)
                x = next
            }
            if x != head && x.pointee.member == member && x.pointee.score == score { return r - 1 }
        }
        return nil
    }

    /// The node at 0-based rank.
    func node(at rank: Int) -> NodeRef? {
        guard rank >= 0 && rank < count else { return nil }
        var traversed = 0
        var x = head
        let target = rank + 1
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = SkipList.forward(x, i), traversed + SkipList.span(x, i) <= target {
                traversed += SkipList.span(x, i)
                x = next
            }
            if traversed == target { return x }
        }
        return nil
    }

    /// The element at 0-based rank.
    public func element(at rank: Int) -> (score: Double, member: Bytes)? {
        guard let n = node(at: rank) else { return nil }
        return (n.pointee.score, n.pointee.member)
    }

    /// Elements from 0-based rank `start`, in order (or reverse order from rank `start`
    /// counted from the end), while `body` returns true.
    public func walk(from start: Int, reverse: Bool, _ body: (Double, Bytes) -> Bool) {
        guard var node = node(at: reverse ? count - 1 - start : start) else { return }
        while true {
            if !body(node.pointee.score, node.pointee.member) { return }
            guard let next = reverse ? node.pointee.backward : SkipList.forward(node, 0) else { return }
            node = next
        }
    }

    /// 0-based rank of the first element for which `isAtOrAfter` holds (count if none):
    /// `isAtOrAfter` must be false then true along the order.
    public func firstRank(where isAtOrAfter: (Double, Bytes) -> Bool) -> Int {
        var r = 0
        var x = head
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let next = SkipList.forward(x, i), !isAtOrAfter(next.pointee.score, next.pointee.member) {
                r += SkipList.span(x, i)
                x = next
            }
        }
        return r
    }
}
