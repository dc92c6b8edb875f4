import CairnCore

/// Writes RDB's primitives: lengths, strings (integer-encoded or LZF-compressed where
/// Redis would), doubles.
public struct RDBWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func byte(_ b: UInt8) { bytes.append(b) }

    /// Bytes already encoded (an object written by another writer).
    public mutating func raw(_ b: ArraySlice<UInt8>) { bytes += b }

    public mutating func length(_ n: Int) {
        if n < 1 << 6 {
            bytes.append(UInt8(n))
        } else if n < 1 << 14 {
            bytes += [0x40 | UInt8(n >> 8), UInt8(n & 0xff)]
        } else if n <= Int(UInt32.max) {
            bytes.append(0x80)
            for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: n >> shift)) }
        } else {
            bytes.append(0x81)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: n >> shift)) }
        }
    }

    /// A length of 64 bits (a stream ID's parts, counters that may be -1 as unsigned).
    public mutating func length64(_ v: UInt64) {
        if v <= UInt64(UInt32.max) {
            length(Int(v))
        } else {
            bytes.append(0x81)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
        }
    }

    /// Redis's rdbSaveMillisecondTime: 8 bytes, little-endian.
    public mutating func milliseconds(_ t: Int64) { littleEndian(UInt64(bitPattern: t), 8) }

    /// An integer as Redis's rdbEncodeInteger writes it when it fits 32 bits, else its
    /// decimal text.
    public mutating func integer(_ v: Int64) {
        if let small = Int8(exactly: v) {
            bytes += [0xc0, UInt8(bitPattern: small)]
        } else if let medium = Int16(exactly: v) {
            bytes.append(0xc1)
            littleEndian(UInt64(UInt16(bitPattern: medium)), 2)
        } else if let large = Int32(exactly: v) {
            bytes.append(0xc2)
            littleEndian(UInt64(UInt32(bitPattern: large)), 4)
        } else {
            let text = formatInt64(v)
            length(text.count)
            text.withUnsafeBytes { bytes += $0 }
        }
    }

    /// A string; one of at most 11 characters that is an integer's canonical text is
    /// written as the integer, as Redis's rdbTryIntegerEncoding does.
    public mutating func string(_ s: Bytes) {
        if s.count <= 11, let v = s.int64, Int32(exactly: v) != nil {
            integer(v)
            return
        }
        s.withUnsafeBytes { plainOrCompressed($0) }
    }

    public mutating func string(_ s: [UInt8]) {
        s.withUnsafeBytes { plainOrCompressed($0) }
    }

    /// A string past 20 bytes LZF-compressed when that saves more than 4 bytes, as Redis's
    /// rdbSaveRawString writes it (0xC3, the two lengths, the data); else as it is.
    mutating func plainOrCompressed(_ raw: UnsafeRawBufferPointer) {
        if raw.count > 20, let compressed = LZF.compress(raw) {
            bytes.append(0xc3)
            length(compressed.count)
            length(raw.count)
            bytes += compressed
            return
        }
        length(raw.count)
        bytes += raw
    }

    public mutating func binaryDouble(_ d: Double) { littleEndian(d.bitPattern, 8) }

    mutating func littleEndian(_ v: UInt64, _ n: Int) {
        for i in 0..<n { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
}
