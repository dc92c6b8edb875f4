#if canImport(Glibc)
import Glibc
#endif

/// A binary-safe byte string, the unit of every key, value and argument.
///
/// Strings of up to `Bytes.inlineCapacity` bytes live inside the value itself (no heap
/// allocation, 24 bytes in all); longer ones live in one array. 22 bytes hold most real
/// keys ("user:1234567890:cart"), which saves a heap block and a cache miss per key.
/// The form is canonical: a string is `.small` exactly when it fits inline, so equality
/// can compare cases first.
public enum Bytes: Sendable {
    /// Bytes 0..<22 packed into the four words, then the count.
    case small(UInt64, UInt64, UInt32, UInt16, UInt8)
    case large([UInt8])

    public static let inlineCapacity = 22

    public static let empty = Bytes.small(0, 0, 0, 0, 0)

    @inlinable
    public init(_ raw: UnsafeRawBufferPointer) {
        let n = raw.count
        guard n <= Bytes.inlineCapacity else {
            self = .large(Array(raw))
            return
        }
        guard n > 0, let p = raw.baseAddress else {
            self = .small(0, 0, 0, 0, 0)
            return
        }
        // Packed with a few (overlapping) loads rather than a call to memcpy: every short
        // argument of every request comes through here. Little-endian, as the words are
        // laid out in memory.
        var w0: UInt64 = 0, w1: UInt64 = 0, tail: UInt64 = 0
        if n >= 16 {
            w0 = p.loadUnaligned(as: UInt64.self)
            w1 = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            // Bytes 16..<n: the top n - 16 bytes of the eight ending at n.
            if n > 16 { tail = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> (8 * (24 - n)) }
        } else if n >= 8 {
            w0 = p.loadUnaligned(as: UInt64.self)
            // Bytes 8..<n: the top n - 8 bytes of the eight ending at n (none when n is 8).
            w1 = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> (8 * (16 - n))
        } else if n >= 4 {
            let low = UInt64(p.loadUnaligned(as: UInt32.self))
            let high = UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            w0 = low | high << (8 * (n - 4))
        } else {
            w0 = UInt64(p.load(as: UInt8.self))
            if n >= 2 { w0 |= UInt64(p.load(fromByteOffset: 1, as: UInt8.self)) << 8 }
            if n == 3 { w0 |= UInt64(p.load(fromByteOffset: 2, as: UInt8.self)) << 16 }
        }
        self = .small(w0, w1, UInt32(truncatingIfNeeded: tail), UInt16(truncatingIfNeeded: tail >> 32), UInt8(n))
    }

    @inlinable
    public init(_ array: [UInt8]) {
        if array.count <= Bytes.inlineCapacity {
            self = array.withUnsafeBytes { Bytes($0) }
        } else {
            self = .large(array)
        }
    }

    @inlinable
    public init<S: Sequence>(bytes: S) where S.Element == UInt8 {
        self.init(Array(bytes))
    }

    @inlinable
    public init(_ string: String) {
        var s = string
        self = s.withUTF8 { Bytes(UnsafeRawBufferPointer($0)) }
    }

    @inlinable
    public init(_ value: Int64) {
        self = formatInt64(value)
    }

    @inlinable
    public var count: Int {
        switch self {
        case .small(_, _, _, _, let n): return Int(n)
        case .large(let a): return a.count
        }
    }

    @inlinable
    public var isEmpty: Bool { count == 0 }

    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .small(let a, let b, let c, let d, let n):
            var words = (a, b, c, d)
            return try Swift.withUnsafeBytes(of: &words) { raw in
                try body(UnsafeRawBufferPointer(rebasing: raw[0..<Int(n)]))
            }
        case .large(let array):
            return try array.withUnsafeBytes(body)
        }
    }

    @inlinable
    public var array: [UInt8] {
        switch self {
        case .large(let a): return a
        case .small: return withUnsafeBytes { Array($0) }
        }
    }

    /// The bytes as text, invalid UTF-8 repaired; for logs and messages only.
    public var string: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// One byte, read from the words by shifting (the inline bytes are stored little-endian
    /// in them, as `init` copies them). Not through `withUnsafeBytes`: Swift 6.3's optimizer
    /// folded `b[0] == constant` read that way to true in release builds (ZCOUNT took every
    /// bound for an exclusive "(" one); the release binary is what the server tests run.
    @inlinable
    public subscript(index: Int) -> UInt8 {
        switch self {
        case .small(let a, let b, let c, let d, let n):
            precondition(index >= 0 && index < Int(n), "Bytes index out of range")
            if index < 8 { return UInt8(truncatingIfNeeded: a >> UInt64(index * 8)) }
            if index < 16 { return UInt8(truncatingIfNeeded: b >> UInt64((index - 8) * 8)) }
            if index < 20 { return UInt8(truncatingIfNeeded: c >> UInt32((index - 16) * 8)) }
            return UInt8(truncatingIfNeeded: d >> UInt16((index - 20) * 8))
        case .large(let array):
            return array[index]
        }
    }

    /// The bytes in `range`, clamped by the caller.
    @inlinable
    public func slice(_ range: Range<Int>) -> Bytes {
        withUnsafeBytes { Bytes(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    @inlinable
    public static func + (lhs: Bytes, rhs: Bytes) -> Bytes {
        var a = lhs.array
        rhs.withUnsafeBytes { a.append(contentsOf: $0) }
        return Bytes(a)
    }

    /// ASCII case-insensitive comparison with a lowercase ASCII literal (command names, options).
    @inlinable
    public func equalsLowercased(_ lower: StaticString) -> Bool {
        count == lower.utf8CodeUnitCount && hasLowercasedPrefix(lower)
    }

    /// Whether the bytes start with a lowercase ASCII literal, ASCII case ignored.
    @inlinable
    public func hasLowercasedPrefix(_ lower: StaticString) -> Bool {
        let n = lower.utf8CodeUnitCount
        guard count >= n else { return false }
        return withUnsafeBytes { raw in
            let l = lower.utf8Start
            for i in 0..<n {
                var c = raw[i]
                if c >= 65 && c <= 90 { c |= 0x20 }
                if c != l[i] { return false }
            }
            return true
        }
    }

    /// The bytes with ASCII letters lowercased (for table lookups of names).
    public var lowercased: Bytes {
        switch self {
        case .small(let a, let b, let c, let d, let n):
            var words = (a, b, c, d)
            withUnsafeMutableBytes(of: &words) { raw in
                for i in 0..<Int(n) where raw[i] >= 65 && raw[i] <= 90 { raw[i] |= 0x20 }
            }
            return .small(words.0, words.1, words.2, words.3, n)
        case .large(let array):
            return .large(array.map { ($0 >= 65 && $0 <= 90) ? $0 | 0x20 : $0 })
        }
    }

    public var uppercasedString: String { string.uppercased() }
}

extension Bytes: Equatable {
    @inlinable
    public static func == (lhs: Bytes, rhs: Bytes) -> Bool {
        switch (lhs, rhs) {
        case let (.small(a0, a1, a2, a3, an), .small(b0, b1, b2, b3, bn)):
            return a0 == b0 && a1 == b1 && a2 == b2 && a3 == b3 && an == bn
        case let (.large(a), .large(b)):
            // memcmp: Array's == compares element by element.
            return a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
        default:
            return false
        }
    }
}

extension Bytes: Hashable {
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(hash64(seed: 0))
    }
}

extension Bytes: Comparable {
    /// Lexicographic byte order, as memcmp and then length.
    public static func < (lhs: Bytes, rhs: Bytes) -> Bool {
        compareBytes(lhs, rhs) < 0
    }
}

public func compareBytes(_ lhs: Bytes, _ rhs: Bytes) -> Int {
    lhs.withUnsafeBytes { a in
        rhs.withUnsafeBytes { b in
            let n = min(a.count, b.count)
            if n > 0 {
                let c = Int(memcmp(a.baseAddress!, b.baseAddress!, n))
                if c != 0 { return c }
            }
            return a.count - b.count
        }
    }
}

extension Bytes: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(value) }
}

extension Bytes: CustomStringConvertible {
    public var description: String { string }
}
