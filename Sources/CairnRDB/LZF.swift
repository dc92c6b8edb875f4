/// LZF decompression (liblzf's format), for the strings Redis compresses in RDB data.
enum LZF {
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
