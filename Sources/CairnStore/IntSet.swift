import CairnCore

/// A sorted set of integers packed at the narrowest width that holds them all (2, 4 or 8
/// bytes each), searched by bisection: Redis's intset.
public struct IntSet {
    public private(set) var width = 2
    private var data: [UInt8] = []
    public private(set) var count = 0

    public init() {}

    static func widthFor(_ v: Int64) -> Int {
        if v >= Int64(Int16.min) && v <= Int64(Int16.max) { return 2 }
        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { return 4 }
        return 8
    }

    public subscript(i: Int) -> Int64 {
        data.withUnsafeBytes { raw in
            switch width {
            case 2: return Int64(raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
            case 4: return Int64(raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
            default: return raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
            }
        }
    }

    /// Index of `v`, or where it would go.
    func search(_ v: Int64) -> (found: Bool, index: Int) {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            let m = self[mid]
            if m == v { return (true, mid) }
            if m < v { lo = mid + 1 } else { hi = mid }
        }
        return (false, lo)
    }

    public func contains(_ v: Int64) -> Bool { search(v).found }

    private mutating func store(_ v: Int64, at i: Int) {
        data.withUnsafeMutableBytes { raw in
            switch width {
            case 2: raw.storeBytes(of: Int16(v), toByteOffset: i * 2, as: Int16.self)
            case 4: raw.storeBytes(of: Int32(v), toByteOffset: i * 4, as: Int32.self)
            default: raw.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
            }
        }
    }

    /// Inserts; true when new. Widens every element when `v` needs more bytes.
    @discardableResult
    public mutating func insert(_ v: Int64) -> Bool {
        let needed = IntSet.widthFor(v)
        if needed > width {
            let values = (0..<count).map { self[$0] }
            width = needed
            data = [UInt8](repeating: 0, count: values.count * width)
            for (i, x) in values.enumerated() { store(x, at: i) }
        }
        let (found, index) = search(v)
        if found { return false }
        var grown = [UInt8]()
        grown.reserveCapacity((count + 1) * width)  // exact growth, as Redis's intset reallocates
        grown.append(contentsOf: data[0..<(index * width)])
        grown.append(contentsOf: repeatElement(0, count: width))
        grown.append(contentsOf: data[(index * width)...])
        data = grown
        count += 1
        store(v, at: index)
        return true
    }

    @discardableResult
    public mutating func remove(_ v: Int64) -> Bool {
        let (found, index) = search(v)
        guard found else { return false }
        data.removeSubrange((index * width)..<((index + 1) * width))
        count -= 1
        return true
    }

    public var values: [Int64] { (0..<count).map { self[$0] } }
}
