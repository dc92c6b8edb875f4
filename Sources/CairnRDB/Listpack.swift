import CairnCore

/// Redis's listpack: a 6-byte header (total bytes, element count), entries (an encoding
/// with its data, then the entry's length backwards), and 0xFF. Strings that are integers
/// are stored as integers, as lpAppend stores them.
public enum Listpack {
    public static func encode(_ elements: [Bytes]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 0, 0, 0, 0]
        for e in elements {
            let start = out.count
            if e.count <= 20, let v = e.int64 { appendInteger(v, to: &out) } else { appendString(e, to: &out) }
            appendBackLength(out.count - start, to: &out)
        }
        out.append(0xff)
        let total = UInt32(out.count)
        for i in 0..<4 { out[i] = UInt8(truncatingIfNeeded: total >> (8 * UInt32(i))) }
        let count = UInt16(min(elements.count, 65535))
        out[4] = UInt8(count & 0xff)
        out[5] = UInt8(count >> 8)
        return out
    }

    static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
        func little(_ x: Int64, _ n: Int) { for i in 0..<n { out.append(UInt8(truncatingIfNeeded: x >> (8 * Int64(i)))) } }
        switch v {
        case 0...127: out.append(UInt8(v))
        case -4096...4095:
            let u = UInt16(bitPattern: Int16(v)) & 0x1fff
            out += [0xc0 | UInt8(u >> 8), UInt8(u & 0xff)]
        case -32768...32767: out.append(0xf1); little(v, 2)
        case -8_388_608...8_388_607: out.append(0xf2); little(v, 3)
        case Int64(Int32.min)...Int64(Int32.max): out.append(0xf3); little(v, 4)
        default: out.append(0xf4); little(v, 8)
        }
    }

    static func appendString(_ s: Bytes, to out: inout [UInt8]) {
        let n = s.count
        if n < 64 {
            out.append(0x80 | UInt8(n))
        } else if n < 4096 {
            out += [0xe0 | UInt8(n >> 8), UInt8(n & 0xff)]
        } else {
            out.append(0xf0)
            for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: n >> (8 * i))) }
        }
        s.withUnsafeBytes { out += $0 }
    }

    /// The entry's length, most significant 7 bits first, every byte but the first
    /// marked, so that it reads backwards.
    static func appendBackLength(_ n: Int, to out: inout [UInt8]) {
        var groups: [UInt8] = [UInt8(n & 127)]
        var rest = n >> 7
        while rest > 0 {
            groups.append(UInt8(rest & 127))
            rest >>= 7
        }
        for (i, g) in groups.reversed().enumerated() { out.append(i == 0 ? g : g | 128) }
    }

    static func backLengthSize(_ n: Int) -> Int {
        n < 128 ? 1 : n < 16384 ? 2 : n < 2_097_152 ? 3 : n < 268_435_456 ? 4 : 5
    }

    /// Every element of a listpack, checked from end to end (header, entries, their back
    /// lengths, the terminator); throws on anything malformed.
    public static func decode(_ lp: [UInt8]) throws -> [Bytes] {
        guard lp.count >= 7 else { throw RDBError("listpack too short") }
        let total = Int(lp[0]) | Int(lp[1]) << 8 | Int(lp[2]) << 16 | Int(lp[3]) << 24
        guard total == lp.count, lp[total - 1] == 0xff else { throw RDBError("listpack header does not match its size") }
        let declared = Int(lp[4]) | Int(lp[5]) << 8
        var elements: [Bytes] = []
        var p = 6
        func need(_ n: Int) throws { guard p + n <= total - 1 else { throw RDBError("listpack entry past the end") } }
        func little(_ at: Int, _ n: Int) -> Int64 {
            var v: UInt64 = 0
            for i in 0..<n { v |= UInt64(lp[at + i]) << (8 * UInt64(i)) }
            let shift = UInt64(64 - 8 * n)
            return Int64(bitPattern: v << shift) >> Int64(shift)
        }
        while p < total - 1 {
            let start = p
            let e = lp[p]
            var element: Bytes
            if e & 0x80 == 0 {
                element = formatInt64(Int64(e)); p += 1
            } else if e & 0xc0 == 0x80 {
                let n = Int(e & 0x3f); try need(1 + n)
                element = Bytes(Array(lp[(p + 1)..<(p + 1 + n)])); p += 1 + n
            } else if e & 0xe0 == 0xc0 {
                try need(2)
                let u = Int(e & 0x1f) << 8 | Int(lp[p + 1])
                element = formatInt64(Int64(u >= 4096 ? u - 8192 : u)); p += 2
            } else if e & 0xf0 == 0xe0 {
                try need(2)
                let n = Int(e & 0x0f) << 8 | Int(lp[p + 1]); try need(2 + n)
                element = Bytes(Array(lp[(p + 2)..<(p + 2 + n)])); p += 2 + n
            } else {
                switch e {
                case 0xf1, 0xf2, 0xf3, 0xf4:
                    let n = [0xf1: 2, 0xf2: 3, 0xf3: 4, 0xf4: 8][e]!
                    try need(1 + n)
                    element = formatInt64(little(p + 1, n)); p += 1 + n
                case 0xf0:
                    try need(5)
                    let n = Int(little(p + 1, 4) & 0xffff_ffff); try need(5 + n)
                    element = Bytes(Array(lp[(p + 5)..<(p + 5 + n)])); p += 5 + n
                default: throw RDBError("unknown listpack encoding \(e)")
                }
            }
            let size = p - start
            try need(backLengthSize(size))
            var back: [UInt8] = []
            appendBackLength(size, to: &back)
            guard Array(lp[p..<(p + back.count)]) == back else { throw RDBError("listpack back length does not match") }
            p += back.count
            elements.append(element)
        }
        guard declared == 65535 || declared == elements.count else { throw RDBError("listpack count does not match") }
        return elements
    }
}
