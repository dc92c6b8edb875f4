import CairnCore

/// (score, member) pairs packed in one `PackedBlock` in (score, member) order: each entry
/// `[varint member length][member bytes][score]`. The small sorted set encoding (Redis's
/// listpack): about the member's bytes plus 2 to 10 per member, where an array of Swift
/// pairs took 32 plus the member's heap block. Operations scan linearly, which is why only
/// small sets use it.
///
/// A score that is an integer of at most 53 bits (most are: counters, timestamps) is a
/// varint of its zigzag value shifted left once (1 byte up to 63, 2 up to 8191); any other
/// score is the varint 1 followed by its 8 bytes, little-endian.
///
/// The block is not owned: `SortedSetValue` frees it. A standalone value calls `free()`.
public struct PackedScores {
    public private(set) var block: PackedBlock

    public init() { block = PackedBlock() }

    init(block: PackedBlock) { self.block = block }

    public var count: Int { block.count }

    /// The entry at `offset`: score, member range, next offset.
    @inline(__always)
    func entry(at offset: Int) -> (Double, Range<Int>, Int) {
        let base = UnsafeRawPointer(block.start)
        let (length, p) = Varint.read(base, at: offset)
        let (score, next) = PackedScores.readScore(base, at: p + length)
        return (score, p..<(p + length), next)
    }

    static let integralLimit = Double(1 << 53)

    /// The score's encoding: a varint (the tagged zigzag integer), or 1 then 8 bytes.
    @inline(__always)
    static func encodedScore(_ score: Double) -> (varint: Int, double: Bool) {
        if score.rounded(.towardZero) == score && abs(score) < integralLimit && !(score == 0 && score.sign == .minus) {
            let v = Int64(score)
            let zigzag = UInt64(bitPattern: (v << 1) ^ (v >> 63))
            return (Int(zigzag << 1), false)
        }
        return (1, true)
    }

    /// Bytes of an encoded score.
    @inline(__always)
    static func scoreSize(_ score: Double) -> Int {
        let (v, double) = encodedScore(score)
        return double ? 9 : Varint.size(v)
    }

    /// Writes a score's encoding at `p` (which has `scoreSize` bytes).
    @inline(__always)
    static func writeScore(_ score: Double, at p: UnsafeMutableRawPointer) {
        let (v, double) = encodedScore(score)
        let n = Varint.write(v, to: p)
        if double { (p + n).storeBytes(of: score.bitPattern.littleEndian, as: UInt64.self) }
    }

    /// The score at `offset` and the offset after it.
    @inline(__always)
    static func readScore(_ base: UnsafeRawPointer, at offset: Int) -> (Double, Int) {
        let (tagged, p) = Varint.read(base, at: offset)
        if tagged & 1 == 0 {
            let zigzag = UInt64(tagged) >> 1
            return (Double(Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))), p)
        }
        let bits = base.loadUnaligned(fromByteOffset: p, as: UInt64.self)
        return (Double(bitPattern: UInt64(littleEndian: bits)), p + 8)
    }

    func member(_ range: Range<Int>) -> Bytes { block.bytes(range) }

    /// Every pair, in order.
    public var pairs: [(score: Double, member: Bytes)] {
        var out: [(score: Double, member: Bytes)] = []
        out.reserveCapacity(count)
        var p = 0
        let end = block.length
        while p < end {
            let (s, m, next) = entry(at: p)
            out.append((s, member(m)))
            p = next
        }
        return out
    }

    /// Offset, end and score of `member`'s entry.
    func locate(_ member: Bytes) -> (start: Int, end: Int, score: Double, index: Int)? {
        var p = 0, i = 0
        let end = block.length
        while p < end {
            let (s, m, next) = entry(at: p)
            if block.equals(m, member) { return (p, next, s, i) }
            p = next
            i += 1
        }
        return nil
    }

    public func score(_ member: Bytes) -> Double? { locate(member)?.score }

    public func index(_ member: Bytes) -> Int? { locate(member)?.index }

    @discardableResult
    public mutating func remove(_ member: Bytes) -> Bool {
        guard let loc = locate(member) else { return false }
        _ = block.replace(loc.start..<loc.end, withLength: 0)
        block.setCount(count - 1)
        return true
    }

    /// Inserts a member known to be absent at its place in the order.
    public mutating func insert(_ member: Bytes, _ score: Double) {
        var p = 0
        let end = block.length
        while p < end {
            let (s, m, next) = entry(at: p)
            if !SkipList.before(s, self.member(m), score, member) { break }
            p = next
        }
        let lengthSize = Varint.size(member.count)
        let q = block.replace(p..<p, withLength: lengthSize + member.count + PackedScores.scoreSize(score))
        PackedScores.writeScore(score, at: q + Varint.writeString(member, to: q))
        block.setCount(count + 1)
    }

    /// Frees the block (a standalone value; a sorted set frees its own).
    public func free() { block.free() }
}
