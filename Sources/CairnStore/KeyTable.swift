import CairnCore
import CCairnSystem

/// One slot of a `KeyTable`'s dense entry array.
public struct KeyTableEntry<V> {
    public var key: Bytes
    public var value: V
    /// Low 32 bits of the key's hash: the home slot, and a cheap pre-check before comparing keys.
    @usableFromInline var hash: UInt32
    /// Free for the owner: the keyspace keeps the last access time here (OBJECT IDLETIME).
    public var aux: UInt32

    @inlinable
    init(key: Bytes, value: V, hash: UInt32, aux: UInt32) {
        self.key = key
        self.value = value
        self.hash = hash
        self.aux = aux
    }
}

/// An open-addressing hash table from byte strings to values, built for memory per key:
/// entries live in one dense array (16-byte inline keys, no per-key allocation), and a
/// power-of-two array of UInt32 positions indexes them with linear probing and
/// backward-shift deletion (no tombstones).
///
/// A class rather than a struct: a struct stored in a class property is copied (and its
/// arrays retained and released) on every method call, which showed up on every lookup.
///
/// The dense array makes random sampling O(1) (RANDOMKEY, active expiry, eviction). SCAN walks
/// home slots in Redis's reverse-binary cursor order, which keeps SCAN's guarantee (every key
/// present for the whole scan is returned) across growth and shrinking.
public final class KeyTable<V> {
    /// The entries, densely. Public for reading and for inlining; change them only through
    /// the methods, which keep `slots` consistent.
    public var entries: ContiguousArray<KeyTableEntry<V>> = []
    /// Each slot: 0 when empty, else the entry's position + 1 in the low bits (as many as
    /// the mask has: positions stay below the slot count) and, above them, the same bits of
    /// the entry's hash, which the home slot does not use. A probe compares those first,
    /// so it reads an entry (a cache miss) only when they match: about once per lookup
    /// instead of once per slot probed.
    @usableFromInline var slots: ContiguousArray<UInt32>
    @usableFromInline var mask: Int
    @usableFromInline var seed: UInt64

    @usableFromInline static var minimumSlots: Int { 8 }

    public init(seed: UInt64) {
        self.seed = seed
        self.slots = ContiguousArray(repeating: 0, count: KeyTable.minimumSlots)
        self.mask = KeyTable.minimumSlots - 1
    }

    /// SWAPDB: this table takes `other`'s entries and `other` takes this one's (the table
    /// objects stay with their databases, which hold them as constants).
    public func swapContents(with other: KeyTable<V>) {
        Swift.swap(&entries, &other.entries)
        Swift.swap(&slots, &other.slots)
        Swift.swap(&mask, &other.mask)
        Swift.swap(&seed, &other.seed)
    }

    @inlinable
    public var count: Int { entries.count }
    @inlinable
    public var isEmpty: Bool { entries.isEmpty }
    @inlinable
    public var slotCount: Int { slots.count }

    @inlinable
    func hashOf(_ key: Bytes) -> UInt32 { UInt32(truncatingIfNeeded: key.hash64(seed: seed)) }

    /// The position bits of a slot (the mask's bits).
    @inlinable
    var positionBits: UInt32 { UInt32(truncatingIfNeeded: mask) }

    /// A slot's entry position (the slot is not empty).
    @inlinable
    func position(ofSlot s: UInt32) -> Int { Int(s & positionBits) - 1 }

    /// The slot value for the entry at `position` with hash `h`.
    @inlinable
    func slotValue(_ h: UInt32, _ position: Int) -> UInt32 { (h & ~positionBits) | UInt32(position + 1) }

    /// The slot holding `key`'s position, if present.
    @inlinable
    func findSlot(_ key: Bytes, _ h: UInt32) -> Int? {
        var i = Int(h) & mask
        let high = ~positionBits
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if (s ^ h) & high == 0 {
                let e = position(ofSlot: s)
                if entries[e].hash == h && entries[e].key == key { return i }
            }
            i = (i + 1) & mask
        }
    }

    /// Prefetching for a batch of lookups (a pipeline's keys): a lookup waits for two cache
    /// misses, its slot and then its entry. `prefetchSlot` starts loading the slot of each
    /// key and returns its hash; once all are started, `prefetchEntry` starts loading the
    /// entry its slot points to (a probe's first candidate). The lookups then find both in
    /// cache instead of waiting for each miss in turn.
    @inlinable
    public func prefetchSlot(_ key: Bytes) -> UInt32 {
        let h = hashOf(key)
        slots.withUnsafeBufferPointer { cairn_prefetch($0.baseAddress! + (Int(h) & mask)) }
        return h
    }

    @inlinable
    public func prefetchEntry(hash h: UInt32) {
        let s = slots[Int(h) & mask]
        guard s != 0, (s ^ h) & ~positionBits == 0 else { return }
        entries.withUnsafeBufferPointer { cairn_prefetch($0.baseAddress! + position(ofSlot: s)) }
    }

    /// The position of `key` in `entries`, if present.
    @inlinable
    public func find(_ key: Bytes) -> Int? {
        guard let slot = findSlot(key, hashOf(key)) else { return nil }
        return position(ofSlot: slots[slot])
    }

    @inlinable
    public subscript(key: Bytes) -> V? {
        guard let p = find(key) else { return nil }
        return entries[p].value
    }

    @inlinable
    public func withValue<R>(at position: Int, _ body: (inout V) throws -> R) rethrows -> R {
        try body(&entries[position].value)
    }

    @inlinable
    public func setValue(_ value: V, at position: Int) {
        entries[position].value = value
    }

    /// `body` of the value at `position`, read in place: `entries[position].value` would
    /// copy the value out (a retain and a release of a collection's object).
    @inlinable
    public func borrowValue<R>(at position: Int, _ body: (V) throws -> R) rethrows -> R {
        try entries.withUnsafeBufferPointer { try body($0[position].value) }
    }

    @inlinable
    public func setAux(_ aux: UInt32, at position: Int) {
        entries[position].aux = aux
    }

    /// Inserts or replaces; returns the entry's position.
    @inlinable @discardableResult
    public func set(_ key: Bytes, _ value: V, aux: UInt32 = 0) -> Int {
        let h = hashOf(key)
        if let slot = findSlot(key, h) {
            let p = position(ofSlot: slots[slot])
            entries[p].value = value
            entries[p].aux = aux
            return p
        }
        return insertNew(key, value, h, aux)
    }

    /// Inserts a key known to be absent.
    @inlinable @discardableResult
    public func insert(_ key: Bytes, _ value: V, aux: UInt32 = 0) -> Int {
        insertNew(key, value, hashOf(key), aux)
    }

    @inlinable
    func insertNew(_ key: Bytes, _ value: V, _ h: UInt32, _ aux: UInt32) -> Int {
        precondition(entries.count < Int(UInt32.max) - 1, "KeyTable is full")
        if (entries.count + 1) * 4 > slots.count * 3 { resize(slots.count * 2) }
        // Grow the entries by an eighth past 4096 (a quarter past 128, half below), not
        // Swift's doubling: at 48 bytes an entry, a table just past a doubling left up to
        // 48 bytes a key unused. Averaged over sizes, an eighth leaves about 6% of the
        // entries unused (a quarter 10%, a half 18%), for more copying while growing (8
        // moves a key instead of 2). Under maxmemory the spare room is paid for in keys.
        if entries.count == entries.capacity {
            let n = entries.count
            entries.reserveCapacity(max(16, n + (n > 4096 ? n / 8 : n > 128 ? n / 4 : n / 2)))
        }
        entries.append(KeyTableEntry(key: key, value: value, hash: h, aux: aux))
        var i = Int(h) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = slotValue(h, entries.count - 1)
        return entries.count - 1
    }

    /// Removes `key`; returns its value.
    @inlinable @discardableResult
    public func remove(_ key: Bytes) -> V? {
        let h = hashOf(key)
        guard let slot = findSlot(key, h) else { return nil }
        return removeSlot(slot)
    }

    /// Removes the entry at `position`; returns its value.
    @inlinable @discardableResult
    public func remove(at position: Int) -> V {
        let h = entries[position].hash
        var i = Int(h) & mask
        while slots[i] == 0 || self.position(ofSlot: slots[i]) != position { i = (i + 1) & mask }
        return removeSlot(i)
    }

    @inlinable
    func removeSlot(_ slot: Int) -> V {
        let position = self.position(ofSlot: slots[slot])
        // Backward-shift deletion: pull later members of the probe run into the hole.
        var hole = slot
        var j = (slot + 1) & mask
        while slots[j] != 0 {
            let home = Int(entries[self.position(ofSlot: slots[j])].hash) & mask
            if ((j - home) & mask) >= ((j - hole) & mask) {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = 0
        // Keep entries dense: the last entry moves into the freed position.
        let last = entries.count - 1
        if position != last {
            var k = Int(entries[last].hash) & mask
            while slots[k] == 0 || self.position(ofSlot: slots[k]) != last { k = (k + 1) & mask }
            slots[k] = slotValue(entries[last].hash, position)
            entries.swapAt(position, last)
        }
        let removed = entries.removeLast().value
        shrinkIfSparse()
        return removed
    }

    /// Gives back memory as a table empties (a keyspace evicting under maxmemory must hold
    /// as many keys as its budget allows, not the index of its largest size): the slots
    /// halve below a quarter full (to half full, so that growing again is 50% more keys
    /// away), and the entries, once under 70% of their capacity, are copied into one a
    /// sixteenth larger than they need (a growth leaves them at least 80% full, so growing
    /// and shrinking do not alternate). Each shrink copies what is left, paid for by the
    /// quarter of the entries removed since the last.
    @inlinable
    func shrinkIfSparse() {
        if slots.count > KeyTable.minimumSlots && entries.count * 4 < slots.count {
            resize(max(KeyTable.minimumSlots, slots.count / 2))
        }
        if entries.capacity * 7 > entries.count * 10 + 448 {
            var smaller = ContiguousArray<KeyTableEntry<V>>()
            smaller.reserveCapacity(entries.isEmpty ? 0 : entries.count + entries.count / 16)
            smaller.append(contentsOf: entries)
            entries = smaller
        }
    }

    /// Grows the slot index for about `count` keys at once (only the 4-byte slots, not the
    /// entries): a replay of a large log then skips the repeated doublings and their
    /// rehashing. An overestimate costs 4 bytes a slot; the table shrinks back on deletes.
    public func reserveSlots(forKeys count: Int) {
        var target = slots.count
        while count * 4 > target * 3 { target *= 2 }
        if target > slots.count { resize(target) }
    }

    @inlinable
    public func removeAll() {
        entries = []
        slots = ContiguousArray(repeating: 0, count: KeyTable.minimumSlots)
        mask = KeyTable.minimumSlots - 1
    }

    @inlinable
    func resize(_ newCount: Int) {
        var newSlots = ContiguousArray<UInt32>(repeating: 0, count: newCount)
        let newMask = newCount - 1
        let high = ~UInt32(truncatingIfNeeded: newMask)
        for (p, e) in entries.enumerated() {
            var i = Int(e.hash) & newMask
            while newSlots[i] != 0 { i = (i + 1) & newMask }
            newSlots[i] = (e.hash & high) | UInt32(p + 1)
        }
        slots = newSlots
        mask = newMask
    }

    /// One SCAN step: visits every entry whose home slot is `cursor`, returns the next cursor
    /// (0 when the walk is complete). Same reverse-binary increment as Redis's dictScan.
    @inlinable
    public func scan(cursor: UInt64, _ visit: (KeyTableEntry<V>) -> Void) -> UInt64 {
        if entries.isEmpty { return 0 }
        let m = UInt64(mask)
        let home = Int(cursor & m)
        var i = home
        while slots[i] != 0 {
            let e = entries[position(ofSlot: slots[i])]
            if Int(e.hash) & mask == home { visit(e) }
            i = (i + 1) & mask
        }
        return nextScanCursor(cursor, mask: m)
    }
}

/// The SCAN cursor after `cursor` in a table of `mask + 1` home slots: Redis's dictScan
/// increment, on the reversed bits, so that a scan across growth or shrinking still
/// visits every slot that held a key present throughout.
@inlinable
func nextScanCursor(_ cursor: UInt64, mask: UInt64) -> UInt64 {
    var v = cursor | ~mask
    v = v.bitReversed
    v &+= 1
    return v.bitReversed
}

extension UInt64 {
    @usableFromInline var bitReversed: UInt64 {
        var v = self
        v = ((v >> 1) & 0x5555_5555_5555_5555) | ((v & 0x5555_5555_5555_5555) << 1)
        v = ((v >> 2) & 0x3333_3333_3333_3333) | ((v & 0x3333_3333_3333_3333) << 2)
        v = ((v >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((v & 0x0F0F_0F0F_0F0F_0F0F) << 4)
        v = ((v >> 8) & 0x00FF_00FF_00FF_00FF) | ((v & 0x00FF_00FF_00FF_00FF) << 8)
        v = ((v >> 16) & 0x0000_FFFF_0000_FFFF) | ((v & 0x0000_FFFF_0000_FFFF) << 16)
        return (v >> 32) | (v << 32)
    }
}

extension KeyTable {
    /// Mean number of slots probed to find each present key (1.0 is ideal): a check on
    /// the hash function's spread, used by tests.
    public var meanProbeLength: Double {
        guard !entries.isEmpty else { return 0 }
        var total = 0
        for e in entries {
            var i = Int(e.hash) & mask
            var n = 1
            while slots[i] == 0 || entries[position(ofSlot: slots[i])].key != e.key { i = (i + 1) & mask; n += 1 }
            total += n
        }
        return Double(total) / Double(entries.count)
    }
}
