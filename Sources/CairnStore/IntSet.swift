import CairnCore

/// The header of an `IntSet` object: how many integers, and how many bytes each.
public struct IntSetHeader {
    var count: UInt32
    var width: UInt32
}

/// A sorted set of integers packed at the narrowest width that holds them all (2, 4 or 8
/// bytes each), searched by bisection: Redis's intset.
///
/// The integers follow the header inside the object itself (tail allocation), so a small
/// set is one allocation: 24 bytes of object and header, then the integers, where a set
/// object pointing at a separate block took 32 bytes more per key
/// (Docs/BENCHMARKS.md, intsets). The object cannot be resized: an insert that does not
/// fit in the room the allocator gave it (its size class), a widening, or a remove makes a
/// new one of the exact new size, as Redis reallocates its intset at every change, and the
/// set holding it is written back to its key. Only its set holds it (COPY duplicates it).
public final class IntSet: ManagedBuffer<IntSetHeader, UInt8> {
    /// The empty intset every new set starts from: shared, so never grown in place.
    nonisolated(unsafe) public static let empty = IntSet.make(count: 0, width: 2)

    /// A new object with room for exactly `count` integers of `width` bytes (uninitialized).
    static func make(count: Int, width: Int) -> IntSet {
        precondition(count <= Int(UInt32.max), "an intset past 4 billion members")
        let object = IntSet.create(minimumCapacity: count * width) { _ in
            IntSetHeader(count: UInt32(count), width: UInt32(width))
        }
        return unsafeDowncast(object, to: IntSet.self)
    }

    /// An intset of `values`, which must be ascending and distinct.
    public static func of(sorted values: [Int64]) -> IntSet {
        let width = values.map(widthFor).max() ?? 2
        let s = make(count: values.count, width: width)
        s.withUnsafeMutablePointerToElements { p in
            for (i, v) in values.enumerated() { store(v, UnsafeMutableRawPointer(p), i, width) }
        }
        return s
    }

    public var count: Int { Int(header.count) }

    public var width: Int { Int(header.width) }

    static func widthFor(_ v: Int64) -> Int {
        if v >= Int64(Int16.min) && v <= Int64(Int16.max) { return 2 }
        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { return 4 }
        return 8
    }

    public subscript(i: Int) -> Int64 {
        precondition(i >= 0 && i < count)
        return withUnsafeMutablePointerToElements { IntSet.load(UnsafeRawPointer($0), i, width) }
    }

    @inline(__always)
    static func load(_ p: UnsafeRawPointer, _ i: Int, _ width: Int) -> Int64 {
        switch width {
        case 2: return Int64(p.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
        case 4: return Int64(p.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
        default: return p.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
        }
    }

    @inline(__always)
    static func store(_ v: Int64, _ p: UnsafeMutableRawPointer, _ i: Int, _ width: Int) {
        switch width {
        case 2: p.storeBytes(of: Int16(v), toByteOffset: i * 2, as: Int16.self)
        case 4: p.storeBytes(of: Int32(v), toByteOffset: i * 4, as: Int32.self)
        default: p.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
        }
    }

    /// Index of `v`, or where it would go.
    func search(_ v: Int64) -> (found: Bool, index: Int) {
        let w = width
        return withUnsafeMutablePointerToElements { e in
            let p = UnsafeRawPointer(e)
            var lo = 0, hi = count
            while lo < hi {
                let mid = (lo + hi) / 2
                let m = IntSet.load(p, mid, w)
                if m == v { return (true, mid) }
                if m < v { lo = mid + 1 } else { hi = mid }
            }
            return (false, lo)
        }
    }

    public func contains(_ v: Int64) -> Bool { search(v).found }

    /// The intset with `v` added, nil when it is already a member: this object when its
    /// allocation has room (most inserts: a 64-byte intset sits in a size class that grows
    /// by 16 bytes, as Redis's realloc mostly stays in place), else a new one. Every
    /// integer is widened when `v` needs more bytes.
    public func inserting(_ v: Int64) -> IntSet? {
        let (found, index) = search(v)
        if found { return nil }
        let n = count, w = width, needed = Swift.max(w, IntSet.widthFor(v))
        if needed == w && (n + 1) * w <= capacity && self !== IntSet.empty {
            withUnsafeMutablePointerToElements { e in
                let p = UnsafeMutableRawPointer(e)
                (p + (index + 1) * w).copyMemory(from: p + index * w, byteCount: (n - index) * w)
                IntSet.store(v, p, index, w)
            }
            header.count = UInt32(n + 1)
            return self
        }
        return rebuilt(count: n + 1, width: needed) { src, dst in
            if needed == w {
                dst.copyMemory(from: src, byteCount: index * w)
                (dst + (index + 1) * w).copyMemory(from: src + index * w, byteCount: (n - index) * w)
            } else {
                for i in 0..<n { IntSet.store(IntSet.load(src, i, w), dst, i < index ? i : i + 1, needed) }
            }
            IntSet.store(v, dst, index, needed)
        }
    }

    /// The intset without `v`, nil when it is not a member. The width stays, as in Redis.
    public func removing(_ v: Int64) -> IntSet? {
        let (found, index) = search(v)
        guard found else { return nil }
        let n = count, w = width
        return rebuilt(count: n - 1, width: w) { src, dst in
            dst.copyMemory(from: src, byteCount: index * w)
            (dst + index * w).copyMemory(from: src + (index + 1) * w, byteCount: (n - index - 1) * w)
        }
    }

    /// A copy of its own (COPY), at the same width.
    public func duplicate() -> IntSet {
        let bytes = count * width
        return rebuilt(count: count, width: width) { src, dst in dst.copyMemory(from: src, byteCount: bytes) }
    }

    /// A new intset of `count` integers of `width` bytes, whose bytes `fill` writes (at
    /// `dst`) from this one's (at `src`).
    private func rebuilt(count: Int, width: Int,
                         _ fill: (_ src: UnsafeMutableRawPointer, _ dst: UnsafeMutableRawPointer) -> Void) -> IntSet {
        let object = IntSet.make(count: count, width: width)
        withUnsafeMutablePointerToElements { from in
            object.withUnsafeMutablePointerToElements { to in fill(UnsafeMutableRawPointer(from), UnsafeMutableRawPointer(to)) }
        }
        return object
    }

    public var values: [Int64] {
        let n = count, w = width
        return withUnsafeMutablePointerToElements { e in
            (0..<n).map { IntSet.load(UnsafeRawPointer(e), $0, w) }
        }
    }
}
