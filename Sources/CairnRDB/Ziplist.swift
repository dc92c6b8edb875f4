import CairnCore

/// Redis's ziplist (before 7.0's listpack), read only: RDB data from older servers holds
/// small lists, hashes and sorted sets in it. A 10-byte header (total bytes, tail offset,
/// count), entries (the previous entry's length, an encoding, the data), and 0xFF.
enum Ziplist {
    static func decode(_ zl: [UInt8]) throws -> [Bytes] {
        guard zl.count >= 11 else { throw RDBError("ziplist too short") }
        func little(_ at: Int, _ n: Int) -> UInt64 { (0..<n).reduce(0) { $0 | UInt64(zl[at + $1]) << (8 * UInt64($1)) } }
        guard Int(little(0, 4)) == zl.count, zl[zl.count - 1] == 0xff else { throw RDBError("ziplist header does not match its size") }
        let end = zl.count - 1
        var p = 10
        var elements: [Bytes] = []
        func need(_ n: Int) throws { guard p + n <= end else { throw RDBError("ziplist entry past the end") } }
        func signed(_ at: Int, _ n: Int) -> Int64 {
            let shift = UInt64(64 - 8 * n)
            return Int64(bitPattern: little(at, n) << shift) >> Int64(shift)
        }
        while p < end {
            try need(1)
            p += zl[p] == 0xfe ? 5 : 1  // the previous entry's length
            try need(1)
            let e = zl[p]
            switch e >> 6 {
            case 0:
                let n = Int(e & 0x3f); try need(1 + n)
                elements.append(Bytes(Array(zl[(p + 1)..<(p + 1 + n)]))); p += 1 + n
            case 1:
                try need(2)
                let n = Int(e & 0x3f) << 8 | Int(zl[p + 1]); try need(2 + n)
                elements.append(Bytes(Array(zl[(p + 2)..<(p + 2 + n)]))); p += 2 + n
            case 2:
                try need(5)
                let n = Int(zl[p + 1]) << 24 | Int(zl[p + 2]) << 16 | Int(zl[p + 3]) << 8 | Int(zl[p + 4]); try need(5 + n)
                elements.append(Bytes(Array(zl[(p + 5)..<(p + 5 + n)]))); p += 5 + n
            default:
                let sizes: [UInt8: Int] = [0xc0: 2, 0xd0: 4, 0xe0: 8, 0xf0: 3, 0xfe: 1]
                if let n = sizes[e] {
                    try need(1 + n)
                    elements.append(formatInt64(signed(p + 1, n))); p += 1 + n
                } else if e >= 0xf1 && e <= 0xfd {
                    elements.append(formatInt64(Int64(e & 0x0f) - 1)); p += 1
                } else {
                    throw RDBError("unknown ziplist encoding \(e)")
                }
            }
        }
        let declared = Int(little(8, 2))
        guard declared == 65535 || declared == elements.count else { throw RDBError("ziplist count does not match") }
        return elements
    }
}
