import CairnCore

/// Reads RDB's primitives from bytes: lengths, strings (plain, integer-encoded,
/// LZF-compressed), doubles. Every read is bounds-checked and throws on bad input.
public struct RDBReader {
    let bytes: [UInt8]
    public private(set) var position: Int
    let end: Int

    public init(_ bytes: [UInt8], start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
    }

    public var atEnd: Bool { position >= end }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= end - position else { throw RDBError("unexpected end of data") }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    public mutating func byte() throws -> UInt8 { try take(1).first! }

    /// A length, or the special encoding of a string (`encoded` true: 0 int8, 1 int16,
    /// 2 int32, 3 LZF).
    mutating func lengthOrEncoding() throws -> (value: UInt64, encoded: Bool) {
        let first = try byte()
        switch first >> 6 {
        case 0: return (UInt64(first & 0x3f), false)
        case 1: return (UInt64(first & 0x3f) << 8 | UInt64(try byte()), false)
        case 3: return (UInt64(first & 0x3f), true)
        default:
            if first == 0x80 { return (UInt64(try bigEndian(4)), false) }
            if first == 0x81 { return (try bigEndian(8), false) }
            throw RDBError("unknown length encoding \(first)")
        }
    }

    /// A length that must fit what is left of the data (one byte or more per element).
    public mutating func length() throws -> Int {
        let (v, encoded) = try lengthOrEncoding()
        guard !encoded, v <= UInt64(end - position) else { throw RDBError("length \(v) out of range") }
        return Int(v)
    }

    /// A length of 64 bits (no bound from the data left).
    public mutating func length64() throws -> UInt64 {
        let (v, encoded) = try lengthOrEncoding()
        guard !encoded else { throw RDBError("a string encoding where a length was expected") }
        return v
    }

    public mutating func milliseconds() throws -> Int64 { Int64(bitPattern: try littleEndian(8)) }

    mutating func bigEndian(_ n: Int) throws -> UInt64 {
        try take(n).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func littleEndian(_ n: Int) throws -> UInt64 {
        try take(n).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    public mutating func string() throws -> [UInt8] {
        let (v, encoded) = try lengthOrEncoding()
        guard encoded else {
            guard v <= UInt64(end - position) else { throw RDBError("string length \(v) out of range") }
            return Array(try take(Int(v)))
        }
        switch v {
        case 0: return formatInt64(Int64(Int8(truncatingIfNeeded: try littleEndian(1)))).array
        case 1: return formatInt64(Int64(Int16(truncatingIfNeeded: try littleEndian(2)))).array
        case 2: return formatInt64(Int64(Int32(truncatingIfNeeded: try littleEndian(4)))).array
        case 3:
            let compressedLength = try length()
            let (length, lengthEncoded) = try lengthOrEncoding()
            // LZF expands at most about 256 times; anything claiming more is damaged.
            guard !lengthEncoded, length <= UInt64(compressedLength) * 256 + 256 else { throw RDBError("LZF length out of range") }
            return try LZF.decompress(try take(compressedLength), length: Int(length))
        default: throw RDBError("unknown string encoding \(v)")
        }
    }

    /// A double stored as 8 little-endian bytes (ZSET_2).
    public mutating func binaryDouble() throws -> Double {
        Double(bitPattern: try littleEndian(8))
    }

    /// A double stored as text with a length byte (the old ZSET type): 253 NaN, 254 +inf,
    /// 255 -inf.
    public mutating func textDouble() throws -> Double {
        let n = try byte()
        switch n {
        case 253: return .nan
        case 254: return .infinity
        case 255: return -.infinity
        default:
            guard let d = Bytes(Array(try take(Int(n)))).rangeDouble else { throw RDBError("bad double") }
            return d
        }
    }
}
