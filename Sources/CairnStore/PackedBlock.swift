import CairnCore
import CCairnSystem
#if canImport(Glibc)
import Glibc
#endif

/// The bytes of a small collection (a packed hash or sorted set, a list node) in one
/// malloc'd block: an 8-byte header, the entry count and the byte length (UInt32 each),
/// then the entries. The block is reallocated to its exact size at every change, as Redis
/// reallocates a listpack or an intset. Against a Swift array this saves the array's
/// 32-byte header and its spare capacity: for a hash of ten short fields, a tenth of its
/// memory (Docs/BENCHMARKS.md, memory per key).
///
/// Not owning: a value is a pointer and copies alias. The collection holding it keeps one
/// copy, changes the block only through it, and frees it (`free()`); a `PackedPairs`
/// or `PackedScores` handed out for reading is valid until the collection changes.
public struct PackedBlock {
    @usableFromInline var base: UnsafeMutableRawPointer?

    @usableFromInline static let headerBytes = 8

    /// An empty block: no allocation until the first entry.
    public init() { base = nil }

    init(base: UnsafeMutableRawPointer?) { self.base = base }

    /// Entries, as the collection counts them.
    @inlinable
    public var count: Int {
        get { base.map { Int($0.load(as: UInt32.self)) } ?? 0 }
    }

    /// Bytes of entries (not counting the header).
    @inlinable
    public var length: Int { base.map { Int($0.load(fromByteOffset: 4, as: UInt32.self)) } ?? 0 }

    /// The first entry byte; only valid while `length` > 0.
    @inlinable
    var start: UnsafeMutableRawPointer { base.unsafelyUnwrapped + PackedBlock.headerBytes }

    mutating func setCount(_ n: Int) {
        precondition(n >= 0 && n <= Int(UInt32.max))
        if base == nil { _ = replace(0..<0, withLength: 0) }
        base.unsafelyUnwrapped.storeBytes(of: UInt32(n), as: UInt32.self)
    }

    /// Bytes of entries the block has room for without reallocating.
    var capacity: Int { base.map { cairn_malloc_usable_size($0) - PackedBlock.headerBytes } ?? 0 }

    /// Replaces the entry bytes in `range` with `newLength` bytes, which the caller writes
    /// at the returned pointer; what followed `range` moves to follow them. A block that
    /// must grow is reallocated with `spare` bytes to spare (lists; 0 for the exact-size
    /// collections), and one that gets shorter is reallocated down when `shrink` says so.
    mutating func replace(_ range: Range<Int>, withLength newLength: Int, spare: Int = 0,
                          shrink: Bool = true) -> UnsafeMutableRawPointer {
        let old = length
        precondition(range.lowerBound >= 0 && range.upperBound <= old)
        let total = old - range.count + newLength
        precondition(total <= Int(UInt32.max), "a packed collection past 4 GiB")
        let tail = old - range.upperBound
        if base == nil || total > capacity {
            guard let grown = realloc(base, PackedBlock.headerBytes + total + spare) else { fatalError("out of memory") }
            if base == nil { grown.storeBytes(of: UInt32(0), as: UInt32.self) }
            base = grown
        }
        let data = start
        if tail > 0 && newLength != range.count {
            memmove(data + range.lowerBound + newLength, data + range.upperBound, tail)
        }
        if shrink && total < old, let shrunk = realloc(base, PackedBlock.headerBytes + total) {
            base = shrunk
        }
        base.unsafelyUnwrapped.storeBytes(of: UInt32(total), toByteOffset: 4, as: UInt32.self)
        return start + range.lowerBound
    }

    /// Gives back the spare room (a list node that is full).
    mutating func shrinkToFit() {
        guard let base, capacity > length + 16, let shrunk = realloc(base, PackedBlock.headerBytes + length) else { return }
        self.base = shrunk
    }

    /// The entry bytes in `range`, copied out.
    @inlinable
    func bytes(_ range: Range<Int>) -> Bytes {
        if range.isEmpty { return "" }
        return Bytes(UnsafeRawBufferPointer(start: start + range.lowerBound, count: range.count))
    }

    /// Whether the entry bytes in `range` are `key`'s bytes.
    @inlinable
    func equals(_ range: Range<Int>, _ key: Bytes) -> Bool {
        guard range.count == key.count else { return false }
        if range.isEmpty { return true }
        return key.withUnsafeBytes { memcmp(start + range.lowerBound, $0.baseAddress!, range.count) == 0 }
    }

    /// A block with the same contents, owned by whoever asked for it (COPY).
    public func duplicate() -> PackedBlock {
        guard let base else { return PackedBlock() }
        let size = PackedBlock.headerBytes + length
        guard let copy = malloc(size) else { fatalError("out of memory") }
        copy.copyMemory(from: base, byteCount: size)
        return PackedBlock(base: copy)
    }

    /// Frees the block; this value and every copy of it are dead after.
    public func free() {
        if let base { Glibc.free(base) }
    }
}

/// A collection's storage in one word, so that the collection object is 24 bytes (a
/// 32-byte malloc chunk, where two words would make it 48): its packed block while small,
/// or, with the low bit set, a retained reference to its big structure (a class instance,
/// whose address is 16-byte aligned, leaving the bit free).
struct PackedOrBig<Big: AnyObject> {
    private var bits: UInt = 0

    /// The big structure, once the collection has one.
    @inline(__always)
    var big: Big? {
        guard bits & 1 != 0 else { return nil }
        return Unmanaged<Big>.fromOpaque(UnsafeRawPointer(bitPattern: bits & ~1).unsafelyUnwrapped).takeUnretainedValue()
    }

    /// The packed block; only meaningful while there is no big structure.
    @inline(__always)
    var block: PackedBlock {
        get { PackedBlock(base: bits & 1 == 0 ? UnsafeMutableRawPointer(bitPattern: bits) : nil) }
        set {
            precondition(bits & 1 == 0)
            bits = UInt(bitPattern: newValue.base)
        }
    }

    /// Replaces the packed block (freed) by `structure` for good.
    mutating func adopt(_ structure: Big) {
        release()
        bits = UInt(bitPattern: Unmanaged.passRetained(structure).toOpaque()) | 1
    }

    /// Frees the block or releases the structure (the owner's deinit).
    func release() {
        if bits & 1 != 0 {
            Unmanaged<Big>.fromOpaque(UnsafeRawPointer(bitPattern: bits & ~1).unsafelyUnwrapped).release()
        } else {
            block.free()
        }
    }
}
