import CairnCore

/// (score, member) pairs packed in one byte array in (score, member) order: each entry
/// `[varint member length][member bytes][score]`. The small sorted set encoding (Redis's
/// listpack): about the member's bytes plus 2 to 10 per member, where an array of Swift
/// pairs took 32 plus the member's heap block. Operations scan linearly, which is why only
/// small sets use it.
///
/// A score that is an integer of at most 53 bits (most are: counters, timestamps) is a
/// varint of its zigzag value shifted left once (1 byte up to 63, 2 up to 8191); any other
/// score is the varint 1 followed by its 8 bytes, little-endian.
public struct PackedScores {
    public private(set) var bytes: [UInt8] = []
    public private(set) var count = 0

    public init() {}

    /// The entry at `offset`: score, member range, next offset.
    @inline(__always)
    func entry(at offset: Int) -> (Double, Range<Int>, Int) {
        let (length, p) = Varint.read(bytes, at: offset)
        let (score, next) = PackedScores.readScore(bytes, at: p + length)
        return (score, p..<(p + length), next)
    }

    static let integralLimit = Double(1 << 53)

    /// Appends a score in the entry encoding.
    static func appendScore(_ score: Double, to out: inout [UInt8]) {
        if score.rounded(.towardZero) == score && abs(score) < integralLimit && !(score == 0 && score.sign == .minus) {
            let v = Int64(score)
            let zigzag = UInt64(bitPattern: (v << 1) ^ (v >> 63))
            Varint.append(Int(zigzag << 1), to: &out)
        } else {
            out.append(1)
            var le = score.bitPattern.littleEndian
            withUnsafeBytes(of: &le) { out.append(contentsOf: $0) }
        }
    }

    /// The score at `offset` and the offset after it.
    @inline(__always)
    static func readScore(_ bytes: [UInt8], at offset: Int) -> (Double, Int) {
        let (tagged, p) = Varint.read(bytes, at: offset)
        if tagged & 1 == 0 {
            let zigzag = UInt64(tagged) >> 1
            return (Double(Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))), p)
        }
        let bits = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: p, as: UInt64.self) }
        return (Double(bitPattern: UInt64(littleEndian: bits)), p + 8)
    }

    func member(_ range: Range<Int>) -> Bytes {
        bytes.withUnsafeBytes { Bytes(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// Every pair, in order.
    public var pairs: [(score: Double, member: Bytes)] {
        var out: [(score: Double, member: Bytes)] = []
        out.reserveCapacity(count)
        var p = 0
        while p < bytes.count {
            let (s, m, next) = entry(at: p)
            out.append((s, member(m)))
            p = next
        }
        return out
    }

    /// Offset, end and score of `member`'s entry.
    func locate(_ member: Bytes) -> (start: Int, end: Int, score: Double, index: Int)? {
        var p = 0, i = 0
        while p < bytes.count {
            let (s, m, next) = entry(at: p)
            if m.count == member.count && self.member(m) == member { return (p, next, s, i) }
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
        bytes.removeSubrange(loc.start..<loc.end)
        count -= 1
        return true
    }

    /// Inserts a member known to be absent at its place in the order.
    public mutating func insert(_ member: Bytes, _ score: Double) {
        var encoded: [UInt8] = []
        Varint.append(member.count, to: &encoded)
        member.withUnsafeBytes { encoded.append(contentsOf: $0) }
        PackedScores.appendScore(score, to: &encoded)
        var p = 0
        while p < bytes.count {
            let (s, m, next) = entry(at: p)
            if !SkipList.before(s, self.member(m), score, member) { break }
            p = next
        }
        // Exact growth, as a listpack reallocates.
        if bytes.capacity < bytes.count + encoded.count {
            var grown: [UInt8] = []
            grown.reserveCapacity(bytes.count + encoded.count)
            grown.append(contentsOf: bytes)
            bytes = grown
        }
        bytes.insert(contentsOf: encoded, at: p)
        count += 1
    }
}
