import CairnCore

/// The member half of a big sorted set: a hash table of pointers to the skip list's
/// nodes, so that a member's bytes and score are kept once, in its node (as Redis's zset
/// dict shares the node's sds). A `KeyTable<Double>` beside the skip list kept a second
/// copy of every member: 40 bytes an entry plus spare capacity, 1.17x Redis's memory per
/// member; a slot here is 8 bytes.
///
/// Open addressing with linear probing and backward-shift deletion, as `KeyTable`. A slot
/// is 0 when empty, else the node's address in the low 48 bits (user-space addresses on
/// x86_64 and arm64 Linux fit) and the top 16 bits of the member's hash above them: a
/// probe compares those before reading the node, a cache miss. The full hash is kept in
/// the node, for growing and deleting without rehashing members.
final class MemberIndex {
    typealias NodeRef = SkipList.NodeRef

    private static let addressMask: UInt64 = (1 << 48) - 1
    private static let minimumSlots = 16

    private var slots: UnsafeMutablePointer<UInt64>
    private var mask: Int
    private(set) var count = 0
    private let seed: UInt64

    init(seed: UInt64) {
        self.seed = seed
        mask = MemberIndex.minimumSlots - 1
        slots = MemberIndex.allocateSlots(MemberIndex.minimumSlots)
    }

    deinit { slots.deallocate() }

    private static func allocateSlots(_ n: Int) -> UnsafeMutablePointer<UInt64> {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
        p.initialize(repeating: 0, count: n)
        return p
    }

    func hashOf(_ member: Bytes) -> UInt32 { UInt32(truncatingIfNeeded: member.hash64(seed: seed)) }

    @inline(__always) private static func tag(_ h: UInt32) -> UInt64 { UInt64(h >> 16) << 48 }

    @inline(__always) private static func node(_ slot: UInt64) -> NodeRef {
        NodeRef(bitPattern: UInt(slot & addressMask))!
    }

    @inline(__always) private static func slotValue(_ node: NodeRef) -> UInt64 {
        let address = UInt64(UInt(bitPattern: node))
        precondition(address & ~addressMask == 0, "a node address above 48 bits")
        return address | tag(node.pointee.hash)
    }

    @inline(__always) private func home(_ slot: UInt64) -> Int { Int(MemberIndex.node(slot).pointee.hash) & mask }

    /// The node of `member` (whose hash is `h`), if present.
    func find(_ member: Bytes, hash h: UInt32) -> NodeRef? {
        var i = Int(h) & mask
        let tag = MemberIndex.tag(h)
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if s & ~MemberIndex.addressMask == tag {
                let n = MemberIndex.node(s)
                if n.pointee.hash == h && n.pointee.member == member { return n }
            }
            i = (i + 1) & mask
        }
    }

    /// Adds `node`, whose member is absent; its `hash` must be `hashOf(member)`.
    func insert(_ node: NodeRef) {
        if (count + 1) * 4 > (mask + 1) * 3 { resize((mask + 1) * 2) }
        place(MemberIndex.slotValue(node), hash: node.pointee.hash)
        count += 1
    }

    private func place(_ value: UInt64, hash: UInt32) {
        var i = Int(hash) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = value
    }

    /// Takes out `node`, which is present.
    func remove(_ node: NodeRef) {
        let value = MemberIndex.slotValue(node)
        var hole = Int(node.pointee.hash) & mask
        while slots[hole] != value { hole = (hole + 1) & mask }
        // Backward-shift deletion: pull later members of the probe run into the hole.
        var j = (hole + 1) & mask
        while slots[j] != 0 {
            if ((j - home(slots[j])) & mask) >= ((j - hole) & mask) {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = 0
        count -= 1
        if mask + 1 > MemberIndex.minimumSlots && count * 10 < mask + 1 {
            resize(max(MemberIndex.minimumSlots, (mask + 1) / 4))
        }
    }

    private func resize(_ newCount: Int) {
        let old = slots
        let oldCount = mask + 1
        slots = MemberIndex.allocateSlots(newCount)
        mask = newCount - 1
        for i in 0..<oldCount where old[i] != 0 {
            place(old[i], hash: MemberIndex.node(old[i]).pointee.hash)
        }
        old.deallocate()
    }

    /// One ZSCAN step: visits every node whose home slot is `cursor`; returns the next
    /// cursor (0 when done), in Redis's reverse-binary order (see `KeyTable.scan`).
    func scan(cursor: UInt64, _ visit: (NodeRef) -> Void) -> UInt64 {
        if count == 0 { return 0 }
        let homeSlot = Int(cursor & UInt64(mask))
        var i = homeSlot
        while slots[i] != 0 {
            if home(slots[i]) == homeSlot { visit(MemberIndex.node(slots[i])) }
            i = (i + 1) & mask
        }
        return nextScanCursor(cursor, mask: UInt64(mask))
    }
}
