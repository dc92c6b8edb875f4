/// LZF (liblzf's format), as Redis compresses strings longer than 20 bytes in RDB data:
/// the same algorithm and parameters as Redis's build of liblzf (a 2^16-slot hash table,
/// its VERY_FAST mode), with the table cleared first, so the output is Redis's wherever
/// Redis's own (uncleared) table does not lead it to another match.
enum LZF {
    static let hashBits: UInt32 = 16

    private static func slot(_ h: UInt32) -> Int {
        Int(((h >> (24 - hashBits)) &- h &* 5) & ((1 << hashBits) - 1))
    }

    /// `input` compressed into fewer than `input.count - 4` bytes, or nil when it does not
    /// shrink that much (Redis then stores the string as it is).
    static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        let inLen = input.count
        guard inLen > 4 else { return nil }
        let outLimit = inLen - 4
        var out = [UInt8](repeating: 0, count: outLimit)
        var table = [UInt32](repeating: 0, count: 1 << Int(hashBits))
        var ip = 0, op = 1, lit = 0  // op 0 holds the first literal run's length
        /// One more byte of the literal run; a full run (32) is closed and the next begun.
        func copyLiteral() {
            lit += 1
            out[op] = input[ip]
            op += 1
            ip += 1
            if lit == 32 {
                out[op - lit - 1] = 31
                lit = 0
                op += 1
            }
        }
        var h = UInt32(input[0]) << 8 | UInt32(input[1])
        while ip < inLen - 2 {
            h = h << 8 | UInt32(input[ip + 2])
            let s = slot(h)
            let ref = Int(table[s])
            table[s] = UInt32(ip)
            let off = ip - ref - 1
            if ref > 0, ref < ip, off < 8192, input[ref + 2] == input[ip + 2], input[ref] == input[ip], input[ref + 1] == input[ip + 1] {
                var len = 2
                let maxlen = min(inLen - ip - len, 264)
                if op + 3 + 1 >= outLimit && op - (lit == 0 ? 1 : 0) + 3 + 1 >= outLimit { return nil }
                out[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)  // close the literal run
                if lit == 0 { op -= 1 }  // (an empty one is taken back)
                var mismatched = false
                if maxlen > 16 {
                    for _ in 0..<16 {
                        len += 1
                        if input[ref + len] != input[ip + len] { mismatched = true; break }
                    }
                }
                if !mismatched {
                    repeat { len += 1 } while len < maxlen && input[ref + len] == input[ip + len]
                }
                len -= 2
                ip += 1
                if len < 7 {
                    out[op] = UInt8(off >> 8) &+ UInt8(len << 5)
                    op += 1
                } else {
                    out[op] = UInt8(off >> 8) &+ (7 << 5)
                    out[op + 1] = UInt8(len - 7)
                    op += 2
                }
                out[op] = UInt8(off & 0xff)
                op += 2  // and a new literal run begins
                lit = 0
                ip += len + 1
                if ip >= inLen - 2 { break }
                ip -= 2
                h = UInt32(input[ip]) << 8 | UInt32(input[ip + 1])
                for _ in 0..<2 {
                    h = h << 8 | UInt32(input[ip + 2])
                    table[slot(h)] = UInt32(ip)
                    ip += 1
                }
            } else {
                if op >= outLimit { return nil }
                copyLiteral()
            }
        }
        if op + 3 > outLimit { return nil }
        while ip < inLen { copyLiteral() }
        out[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)
        if lit == 0 { op -= 1 }
        return Array(out[0..<op])
    }

    /// The `length` bytes `compressed` expands to; throws when it does not expand to
    /// exactly that.
    static func decompress(_ compressed: ArraySlice<UInt8>, length: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(length)
        var i = compressed.startIndex
        let end = compressed.endIndex
        while i < end {
            let control = Int(compressed[i])
            i += 1
            if control < 32 {
                // A literal run of control + 1 bytes.
                let run = control + 1
                guard i + run <= end, out.count + run <= length else { throw RDBError("LZF literal past the end") }
                out.append(contentsOf: compressed[i..<(i + run)])
                i += run
                continue
            }
            // A back reference: length (3 bits, or 7 plus a byte) and distance.
            var run = control >> 5
            if run == 7 {
                guard i < end else { throw RDBError("LZF reference cut short") }
                run += Int(compressed[i])
                i += 1
            }
            guard i < end else { throw RDBError("LZF reference cut short") }
            let distance = ((control & 0x1f) << 8) + Int(compressed[i]) + 1
            i += 1
            run += 2
            guard distance <= out.count, out.count + run <= length else { throw RDBError("LZF reference out of range") }
            let from = out.count - distance
            for k in 0..<run { out.append(out[from + k]) }
        }
        guard out.count == length else { throw RDBError("LZF data expands to \(out.count) bytes, not \(length)") }
        return out
    }
}
