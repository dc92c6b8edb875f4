import CairnCore

/// LEB128-style lengths for the packed encodings (hashes, lists): 7 bits a byte, low
/// bits first, the high bit saying more follows.
enum Varint {
    @inline(__always)
    static func size(_ v: Int) -> Int {
        var n = 1
        var x = v
        while x >= 0x80 { x >>= 7; n += 1 }
        return n
    }

    /// The value at `offset` from `p` and the offset after it.
    @inline(__always)
    static func read(_ p: UnsafeRawPointer, at offset: Int) -> (Int, Int) {
        var value = 0, shift = 0, q = offset
        while true {
            let b = p.load(fromByteOffset: q, as: UInt8.self)
            value |= Int(b & 0x7f) << shift
            q += 1
            if b < 0x80 { return (value, q) }
            shift += 7
        }
    }

    /// Writes `v` at `p` (which has `size(v)` bytes); returns the bytes written.
    @inline(__always)
    @discardableResult
    static func write(_ v: Int, to p: UnsafeMutableRawPointer) -> Int {
        var x = v, n = 0
        while x >= 0x80 {
            p.storeBytes(of: UInt8(x & 0x7f) | 0x80, toByteOffset: n, as: UInt8.self)
            x >>= 7
            n += 1
        }
        p.storeBytes(of: UInt8(x), toByteOffset: n, as: UInt8.self)
        return n + 1
    }

    /// Writes a string as the packed encodings hold it, its length as a varint then its
    /// bytes, at `p` (which has `size(s.count) + s.count` bytes); returns the bytes written.
    @inline(__always)
    @discardableResult
    static func writeString(_ s: Bytes, to p: UnsafeMutableRawPointer) -> Int {
        let n = write(s.count, to: p)
        if s.count > 0 { s.withUnsafeBytes { (p + n).copyMemory(from: $0.baseAddress!, byteCount: s.count) } }
        return n + s.count
    }

    // 64-bit unsigned forms, for stream IDs (any UInt64).

    @inline(__always)
    static func size(_ v: UInt64) -> Int {
        var n = 1
        var x = v
        while x >= 0x80 { x >>= 7; n += 1 }
        return n
    }

    @inline(__always)
    static func read64(_ p: UnsafeRawPointer, at offset: Int) -> (UInt64, Int) {
        var value: UInt64 = 0, shift: UInt64 = 0, q = offset
        while true {
            let b = p.load(fromByteOffset: q, as: UInt8.self)
            value |= UInt64(b & 0x7f) << shift
            q += 1
            if b < 0x80 { return (value, q) }
            shift += 7
        }
    }

    @inline(__always)
    @discardableResult
    static func write(_ v: UInt64, to p: UnsafeMutableRawPointer) -> Int {
        var x = v, n = 0
        while x >= 0x80 {
            p.storeBytes(of: UInt8(x & 0x7f) | 0x80, toByteOffset: n, as: UInt8.self)
            x >>= 7
            n += 1
        }
        p.storeBytes(of: UInt8(x), toByteOffset: n, as: UInt8.self)
        return n + 1
    }
}
