import CairnCore

/// A value in the keyspace. Strings are stored in Redis's three encodings, chosen as Redis
/// chooses them so that OBJECT ENCODING answers the same; every case fits in 16 bytes.
public enum Value {
    /// A string of up to 14 bytes, held inline ("embstr").
    case inline(UInt64, UInt32, UInt16, UInt8)
    /// A longer string ("embstr" up to 44 bytes, "raw" beyond).
    case heap([UInt8])
    /// A string changed in place by APPEND or SETRANGE: always "raw", as in Redis.
    case raw([UInt8])
    /// A string that is a canonical 64-bit integer ("int").
    case int(Int64)
    /// A hash ("listpack" while small, "hashtable" beyond).
    case hash(HashValue)
    /// A set ("intset" while all integers and small, "hashtable" beyond).
    case set(SetValue)
    /// A list ("quicklist").
    case list(ListValue)
    /// A sorted set ("listpack" while small, "skiplist" beyond).
    case zset(SortedSetValue)
    /// A stream ("stream").
    case stream(StreamValue)

    /// The longest string Redis stores as embstr.
    public static let embstrBytesMax = 44

    /// A string value, integer-encoded when Redis would (at most 20 characters, canonical).
    @inlinable
    public static func string(_ b: Bytes) -> Value {
        if b.count <= 20, let v = b.int64 { return .int(v) }
        return textString(b)
    }

    /// The longest string held inline in a value.
    public static let inlineCapacity = 14

    /// A string value stored as text even when it looks like an integer (INCRBYFLOAT's result).
    @inlinable
    public static func textString(_ b: Bytes) -> Value {
        if b.count > inlineCapacity { return .heap(b.array) }
        return b.withUnsafeBytes { raw -> Value in
            var words: (UInt64, UInt32, UInt16) = (0, 0, 0)
            if raw.count > 0 {
                withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
            }
            return .inline(words.0, words.1, words.2, UInt8(raw.count))
        }
    }

    /// A string value kept as the bytes given (no integer encoding), e.g. after APPEND.
    public static func rawString(_ b: Bytes) -> Value {
        .raw(b.array)
    }

    /// The bytes of a string value; nil for other types.
    @inlinable
    public var stringBytes: Bytes? {
        switch self {
        case .inline(let a, let b, let c, let n):
            var words = (a, b, c)
            return withUnsafeBytes(of: &words) { Bytes(UnsafeRawBufferPointer(rebasing: $0[0..<Int(n)])) }
        case .heap(let array), .raw(let array): return Bytes(array)
        case .int(let v): return formatInt64(v)
        case .hash, .set, .list, .zset, .stream: return nil
        }
    }

    /// Calls `body` with a string value's bytes where they lie (a heap or raw value is not
    /// copied; an inline or integer one goes through its short form); nil for a value
    /// that is not a string.
    @inlinable
    public func withStringBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        switch self {
        case .heap(let array), .raw(let array): return try array.withUnsafeBytes(body)
        case .inline, .int: return try stringBytes!.withUnsafeBytes(body)
        case .hash, .set, .list, .zset, .stream: return nil
        }
    }

    public var isString: Bool {
        switch self {
        case .inline, .heap, .raw, .int: return true
        case .hash, .set, .list, .zset, .stream: return false
        }
    }

    public var hashValue: HashValue? {
        if case .hash(let h) = self { return h }
        return nil
    }

    public var setValue: SetValue? {
        if case .set(let s) = self { return s }
        return nil
    }

    public var listValue: ListValue? {
        if case .list(let l) = self { return l }
        return nil
    }

    public var sortedSetValue: SortedSetValue? {
        if case .zset(let z) = self { return z }
        return nil
    }

    public var streamValue: StreamValue? {
        if case .stream(let s) = self { return s }
        return nil
    }

    /// A copy that shares nothing mutable with this one (COPY).
    public func deepCopy() -> Value {
        if case .hash(let h) = self { return .hash(h.copy()) }
        if case .set(let s) = self { return .set(s.copy()) }
        if case .list(let l) = self { return .list(l.copy()) }
        if case .zset(let z) = self { return .zset(z.copy()) }
        if case .stream(let st) = self { return .stream(st.copy()) }
        return self
    }

    /// The name TYPE reports.
    public var typeName: String {
        switch self {
        case .inline, .heap, .raw, .int: return "string"
        case .hash: return "hash"
        case .set: return "set"
        case .list: return "list"
        case .zset: return "zset"
        case .stream: return "stream"
        }
    }

    /// The name OBJECT ENCODING reports.
    public var encodingName: String {
        switch self {
        case .int: return "int"
        case .inline: return "embstr"
        case .heap(let a): return a.count <= Value.embstrBytesMax ? "embstr" : "raw"
        case .raw: return "raw"
        case .hash(let h): return h.encodingName
        case .set(let s): return s.encodingName
        case .list: return "quicklist"
        case .zset(let z): return z.encodingName
        case .stream: return "stream"
        }
    }
}

extension Value {
    /// Elements of a collection (fields, members, entries); 1 for a string.
    public var elementCount: Int {
        switch self {
        case .hash(let h): return h.count
        case .set(let s): return s.count
        case .list(let l): return l.count
        case .zset(let z): return z.count
        case .stream(let s): return Int(s.length)
        default: return 1
        }
    }

    /// A collection of `n` of this one's elements, spread over it, in the same encoding
    /// (MEMORY USAGE measures it to estimate a large collection). Strings and streams are
    /// returned whole.
    public func sample(_ n: Int) -> Value {
        let count = elementCount
        guard n > 0, n < count else { return deepCopy() }
        let picks = (0..<n).map { $0 * count / n }
        switch self {
        case .hash(let h):
            let packed = h.encodingName == "listpack", out = HashValue()
            for i in picks {
                let (field, value) = h.pair(at: i)
                out.set(field, value, maxPackedEntries: packed ? .max : 0, maxPackedValueBytes: packed ? .max : 0)
            }
            return .hash(out)
        case .set(let s):
            let ints = s.encodingName == "intset"
            var out = SetValue()
            for i in picks { out.add(s.member(at: i), maxIntSetEntries: ints ? .max : 0) }
            return .set(out)
        case .list(let l):
            let out = ListValue(fill: l.fill, compressDepth: l.compressDepth)
            l.forEach(from: 0, through: n - 1) { _, element in out.pushTail(element); return true }
            return .list(out)
        case .zset(let z):
            let packed = z.encodingName == "listpack", out = SortedSetValue()
            for i in picks {
                guard let (score, member) = z.element(at: i) else { continue }
                out.set(member, score, maxPackedEntries: packed ? .max : 0, maxPackedValueBytes: packed ? .max : 0)
            }
            return .zset(out)
        default:
            return deepCopy()
        }
    }
}
