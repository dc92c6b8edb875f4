import CairnCore

/// A node of a stream: up to `stream-node-max-entries` entries in one `PackedBlock`, as
/// Redis packs them in a listpack under its radix tree. The block holds the node's
/// "master" field names (those of its first entry), then the entries:
///
///     [flags u8][ms - master.ms, varint][seq, varint][fields][values...]
///
/// The sequence is stored as the difference from the master's when the milliseconds are
/// the same, and whole otherwise (both are then small and never negative). `fields` is
/// absent when the entry has the master's field names (flag `sameFields`), and is the
/// field count then each field before its value otherwise. Strings are a varint length
/// then their bytes. A deleted entry keeps its bytes with the `deleted` flag set, as in
/// Redis, until its whole node goes.
///
/// The block's count is the node's live entries. `redisBytes` tracks the size Redis's
/// listpack of the same entries would have, because Redis starts a new node when that
/// passes `stream-node-max-bytes`: node boundaries decide what an approximate trim
/// (`MAXLEN ~`) removes, and must be Redis's for XLEN to agree after one.
struct StreamNode {
    var master: StreamID
    var block = PackedBlock()
    /// Entries marked deleted.
    var deleted = 0
    /// Redis's listpack size without its live-count and deleted-count elements.
    var redisOtherBytes = 0

    static let deletedFlag: UInt8 = 1
    static let sameFieldsFlag: UInt8 = 2

    var live: Int { block.count }
    /// Redis's lpBytes of the node's listpack.
    var redisBytes: Int { redisOtherBytes + RedisListpack.intSize(Int64(live)) + RedisListpack.intSize(Int64(deleted)) }

    /// A node whose master entry has the field names among `pairs` (field, value, ...).
    init(master: StreamID, pairs: ArraySlice<Bytes>) {
        self.master = master
        let fieldCount = pairs.count / 2
        var size = Varint.size(fieldCount)
        var redis = RedisListpack.headerAndEnd + RedisListpack.intSize(Int64(fieldCount)) + RedisListpack.intSize(0)
        var i = pairs.startIndex
        while i < pairs.endIndex {
            size += Varint.size(pairs[i].count) + pairs[i].count
            redis += RedisListpack.stringSize(pairs[i])
            i += 2
        }
        var p = block.replace(0..<0, withLength: size, spare: 64)
        p += Varint.write(fieldCount, to: p)
        i = pairs.startIndex
        while i < pairs.endIndex {
            p += Varint.writeString(pairs[i], to: p)
            i += 2
        }
        redisOtherBytes = redis
    }

    // MARK: - Reading

    /// The master field names' count and where the entries start.
    var masterFieldCount: Int {
        block.length == 0 ? 0 : Varint.read(UnsafeRawPointer(block.start), at: 0).0
    }

    /// Offset of the first entry.
    var entriesStart: Int {
        let p = UnsafeRawPointer(block.start)
        var (n, q) = Varint.read(p, at: 0)
        while n > 0 {
            let (len, after) = Varint.read(p, at: q)
            q = after + len
            n -= 1
        }
        return q
    }

    /// Where an entry is: its ID, flags, and the offsets of its pairs.
    struct Entry {
        var id: StreamID
        /// Offset of the flags byte.
        var offset: Int
        var flags: UInt8
        /// Offset of the first field (or value, with `sameFields`).
        var pairsOffset: Int
        var fieldCount: Int
        /// Offset of the next entry.
        var end: Int
        var isDeleted: Bool { flags & StreamNode.deletedFlag != 0 }
    }

    /// The entry at `offset`.
    func entry(at offset: Int) -> Entry {
        let p = UnsafeRawPointer(block.start)
        let flags = p.load(fromByteOffset: offset, as: UInt8.self)
        let (msDelta, q1) = Varint.read64(p, at: offset + 1)
        let (seqStored, q2) = Varint.read64(p, at: q1)
        let ms = master.ms &+ msDelta
        let seq = msDelta == 0 ? master.seq &+ seqStored : seqStored
        var q = q2
        var fieldCount: Int
        let strings: Int
        if flags & StreamNode.sameFieldsFlag != 0 {
            fieldCount = masterFieldCount
            strings = fieldCount
        } else {
            (fieldCount, q) = Varint.read(p, at: q)
            strings = fieldCount * 2
        }
        let pairs = q
        for _ in 0..<strings {
            let (len, after) = Varint.read(p, at: q)
            q = after + len
        }
        return Entry(id: StreamID(ms: ms, seq: seq), offset: offset, flags: flags, pairsOffset: pairs,
                     fieldCount: fieldCount, end: q)
    }

    /// Every entry, deleted ones included, in order, while `body` returns true.
    func forEach(_ body: (Entry) -> Bool) {
        guard block.length > 0 else { return }
        var offset = entriesStart
        while offset < block.length {
            let e = entry(at: offset)
            if !body(e) { return }
            offset = e.end
        }
    }

    /// Every entry, deleted ones included, in order.
    var allEntries: [Entry] {
        var all: [Entry] = []
        all.reserveCapacity(live + deleted)
        forEach { all.append($0); return true }
        return all
    }

    /// The field and value pairs of `e`, each as raw bytes, in order.
    func forEachPair(_ e: Entry, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        let p = UnsafeRawPointer(block.start)
        var q = e.pairsOffset
        var masterQ = Varint.read(p, at: 0).1
        func next(_ at: inout Int) -> UnsafeRawBufferPointer {
            let (len, after) = Varint.read(p, at: at)
            at = after + len
            return UnsafeRawBufferPointer(start: p + after, count: len)
        }
        for _ in 0..<e.fieldCount {
            let field = e.flags & StreamNode.sameFieldsFlag != 0 ? next(&masterQ) : next(&q)
            body(field, next(&q))
        }
    }

    /// The pairs of `e` as field, value, field, value ...
    func pairs(_ e: Entry) -> [Bytes] {
        var out: [Bytes] = []
        out.reserveCapacity(e.fieldCount * 2)
        forEachPair(e) { f, v in
            out.append(Bytes(f))
            out.append(Bytes(v))
        }
        return out
    }

    /// The last entry, deleted or not.
    var lastEntry: Entry? {
        var last: Entry?
        forEach { last = $0; return true }
        return last
    }

    // MARK: - Changing

    /// Whether `pairs` has exactly the master's field names.
    func hasMasterFields(_ pairs: ArraySlice<Bytes>) -> Bool {
        let p = UnsafeRawPointer(block.start)
        var (n, q) = Varint.read(p, at: 0)
        guard n * 2 == pairs.count else { return false }
        var i = pairs.startIndex
        while n > 0 {
            let (len, after) = Varint.read(p, at: q)
            if !block.equals(after..<(after + len), pairs[i]) { return false }
            q = after + len
            i += 2
            n -= 1
        }
        return true
    }

    /// Appends entry `id` with `pairs` (its ID above every entry's here).
    mutating func append(_ id: StreamID, _ pairs: ArraySlice<Bytes>) {
        let same = hasMasterFields(pairs)
        let msDelta = id.ms &- master.ms
        let seqStored = msDelta == 0 ? id.seq &- master.seq : id.seq
        let fieldCount = pairs.count / 2
        var size = 1 + Varint.size(msDelta) + Varint.size(seqStored) + (same ? 0 : Varint.size(fieldCount))
        var redis = 1 + RedisListpack.intSize(Int64(truncatingIfNeeded: id.ms &- master.ms))
            + RedisListpack.intSize(Int64(truncatingIfNeeded: id.seq &- master.seq))
        if !same { redis += RedisListpack.intSize(Int64(fieldCount)) }
        var i = pairs.startIndex
        while i < pairs.endIndex {
            let s = pairs[i]
            if !same || i % 2 != pairs.startIndex % 2 {
                size += Varint.size(s.count) + s.count
                redis += RedisListpack.stringSize(s)
            }
            i += 1
        }
        let elements = fieldCount + 3 + (same ? 0 : fieldCount + 1)
        redis += RedisListpack.intSize(Int64(elements))
        let end = block.length
        var p = block.replace(end..<end, withLength: size, spare: 128)
        p.storeBytes(of: same ? StreamNode.sameFieldsFlag : 0, as: UInt8.self)
        p += 1
        p += Varint.write(msDelta, to: p)
        p += Varint.write(seqStored, to: p)
        if !same { p += Varint.write(fieldCount, to: p) }
        i = pairs.startIndex
        while i < pairs.endIndex {
            if !same || i % 2 != pairs.startIndex % 2 { p += Varint.writeString(pairs[i], to: p) }
            i += 1
        }
        block.setCount(live + 1)
        redisOtherBytes += redis
    }

    /// Marks the entry at `offset` deleted.
    mutating func markDeleted(_ e: Entry) {
        block.start.storeBytes(of: e.flags | StreamNode.deletedFlag, toByteOffset: e.offset, as: UInt8.self)
        block.setCount(live - 1)
        deleted += 1
    }

    /// Gives back spare room once no more entries will come.
    mutating func seal() { block.shrinkToFit() }
}

/// The sizes of Redis's listpack elements (listpack.c), for `StreamNode.redisBytes`.
enum RedisListpack {
    /// The 6-byte header and the end byte.
    static let headerAndEnd = 7

    /// An integer element: its encoding and its back-length byte.
    static func intSize(_ v: Int64) -> Int {
        let encoded: Int
        if v >= 0 && v <= 127 { encoded = 1 }
        else if v >= -4096 && v <= 4095 { encoded = 2 }
        else if v >= -32768 && v <= 32767 { encoded = 3 }
        else if v >= -8_388_608 && v <= 8_388_607 { encoded = 4 }
        else if v >= -2_147_483_648 && v <= 2_147_483_647 { encoded = 5 }
        else { encoded = 9 }
        return encoded + 1
    }

    /// A string element, stored as an integer when it is one (as lpAppend stores it).
    static func stringSize(_ s: Bytes) -> Int {
        if s.count <= 20, let v = s.int64 { return intSize(v) }
        let n = s.count
        let encoded = n < 64 ? 1 + n : (n < 4096 ? 2 + n : 5 + n)
        return encoded + backLengthSize(encoded)
    }

    static func backLengthSize(_ n: Int) -> Int {
        if n <= 127 { return 1 }
        if n < 16383 { return 2 }
        if n < 2_097_151 { return 3 }
        if n < 268_435_455 { return 4 }
        return 5
    }
}
