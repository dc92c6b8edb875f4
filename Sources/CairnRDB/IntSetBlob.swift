/// Redis's intset as RDB stores it: the width (2, 4 or 8 bytes), the count, then the
/// values little-endian in ascending order.
public enum IntSetBlob {
    public static func encode(_ sorted: [Int64]) -> [UInt8] {
        let width = sorted.allSatisfy { Int16(exactly: $0) != nil } ? 2 : sorted.allSatisfy { Int32(exactly: $0) != nil } ? 4 : 8
        var out: [UInt8] = []
        for (v, n) in [(UInt64(width), 4), (UInt64(sorted.count), 4)] {
            for i in 0..<n { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
        }
        for v in sorted {
            for i in 0..<width { out.append(UInt8(truncatingIfNeeded: v >> (8 * Int64(i)))) }
        }
        return out
    }

    /// The values; throws unless the width, the size and the strict ascending order hold.
    public static func decode(_ blob: [UInt8]) throws -> [Int64] {
        guard blob.count >= 8 else { throw RDBError("intset too short") }
        func little(_ at: Int, _ n: Int) -> UInt64 { (0..<n).reduce(0) { $0 | UInt64(blob[at + $1]) << (8 * UInt64($1)) } }
        let width = Int(little(0, 4)), count = Int(little(4, 4))
        guard [2, 4, 8].contains(width), blob.count == 8 + width * count else { throw RDBError("intset size does not match") }
        var values: [Int64] = []
        values.reserveCapacity(count)
        let shift = UInt64(64 - 8 * width)
        for i in 0..<count {
            let v = Int64(bitPattern: little(8 + i * width, width) << shift) >> Int64(shift)
            guard values.last.map({ $0 < v }) ?? true else { throw RDBError("intset not in ascending order") }
            values.append(v)
        }
        return values
    }
}
