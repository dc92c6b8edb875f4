import CairnCore

/// A sorted set of integers packed at the narrowest width that holds them all (2, 4 or 8
/// bytes each), searched by bisection: Redis's intset. Held in a `PackedBlock` (the width
/// is its length over its count), which `SetValue` owns; a standalone value calls `free()`.
public struct IntSet {
    public private(set) var block: PackedBlock

    public init() { block = PackedBlock() }

    init(block: PackedBlock) { self.block = block }

    public var count: Int { block.count }

    public var width: Int {
        let n = block.count
        return n == 0 ? 2 : block.length / n
    }

    static func widthFor(_ v: Int64) -> Int {
        if v >= Int64(Int16.min) && v <= Int64(Int16.max) { return 2 }
        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { return 4 }
        return 8
    }

    public subscript(i: Int) -> Int64 { IntSet.load(block.start, i, width) }

    @inline(__always)
    static func load(_ p: UnsafeMutableRawPointer, _ i: Int, _ width: Int) -> Int64 {
        switch width {
        case 2: return Int64(p.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
        case 4: return Int64(p.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
        default: return p.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
        }
    }

    /// Index of `v`, or where it would go.
    func search(_ v: Int64) -> (found: Bool, index: Int) {
        var lo = 0, hi = count
        guard hi > 0 else { return (false, 0) }
        let p = block.start, w = width
        while lo < hi {
            let mid = (lo + hi) / 2
            let m = IntSet.load(p, mid, w)
            if m == v { return (true, mid) }
            if m < v { lo = mid + 1 } else { hi = mid }
        }
        return (false, lo)
    }

    public func contains(_ v: Int64) -> Bool { search(v).found }

    @inline(__always)
    private static func store(_ v: Int64, _ p: UnsafeMutableRawPointer, _ i: Int, _ width: Int) {
        switch width {
        case 2: p.storeBytes(of: Int16(v), toByteOffset: i * 2, as: Int16.self)
        case 4: p.storeBytes(of: Int32(v), toByteOffset: i * 4, as: Int32.self)
        default: p.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
        }
    }

    /// Inserts; true when new. Widens every element when `v` needs more bytes. The block
    /// grows by exactly one element, as Redis's intset reallocates.
    @discardableResult
    public mutating func insert(_ v: Int64) -> Bool {
        let needed = IntSet.widthFor(v)
        let n = count
        var w = width
        if needed > w {
            let old = values
            let p = block.replace(0..<block.length, withLength: n * needed)
            for (i, x) in old.enumerated() { IntSet.store(x, p, i, needed) }
            w = needed
        }
        let (found, index) = search(v)
        if found { return false }
        IntSet.store(v, block.replace((index * w)..<(index * w), withLength: w), 0, w)
        block.setCount(n + 1)
        return true
    }

    @discardableResult
    public mutating func remove(_ v: Int64) -> Bool {
        let (found, index) = search(v)
        guard found else { return false }
        let w = width
        _ = block.replace((index * w)..<((index + 1) * w), withLength: 0)
        block.setCount(count - 1)
        return true
    }

    /// Frees the block (a standalone value; a set frees its own).
    public func free() { block.free() }

    public var values: [Int64] { (0..<count).map { self[$0] } }
}
