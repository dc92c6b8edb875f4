import CairnCore

/// Field-value pairs packed back to back in one `PackedBlock`, in insertion order: Cairn's
/// equivalent of Redis's listpack for small hashes. Each string is a varint length then
/// its bytes, so a pair costs its bytes plus 2 to 10; lookups are linear scans, which is
/// why only small collections use it (the thresholds are hash-max-listpack-entries and
/// hash-max-listpack-value).
///
/// The block is not owned: `HashValue` frees it. A standalone value (a test) calls `free()`.
public struct PackedPairs {
    public private(set) var block: PackedBlock

    public init() { block = PackedBlock() }

    init(block: PackedBlock) { self.block = block }

    public var count: Int { block.count }

    /// Reads the string at `offset`: its bytes' range and the offset after it.
    @inline(__always)
    func string(at offset: Int) -> (Range<Int>, Int) {
        let (length, p) = Varint.read(UnsafeRawPointer(block.start), at: offset)
        return (p..<(p + length), p + length)
    }

    /// Where the pair of `field` starts and where its value lies.
    func locate(_ field: Bytes) -> (start: Int, value: Range<Int>, end: Int)? {
        var p = 0
        let end = block.length
        while p < end {
            let (f, afterField) = string(at: p)
            let (v, afterValue) = string(at: afterField)
            if block.equals(f, field) { return (p, v, afterValue) }
            p = afterValue
        }
        return nil
    }

    public func get(_ field: Bytes) -> Bytes? {
        guard let loc = locate(field) else { return nil }
        return block.bytes(loc.value)
    }

    public func contains(_ field: Bytes) -> Bool { locate(field) != nil }

    /// Sets `field`; returns true when it was new. A replaced value keeps its position.
    @discardableResult
    public mutating func set(_ field: Bytes, _ value: Bytes) -> Bool {
        let valueSize = Varint.size(value.count) + value.count
        if let loc = locate(field) {
            let valueStart = loc.value.lowerBound - Varint.size(loc.value.count)
            let p = block.replace(valueStart..<loc.end, withLength: valueSize)
            Varint.writeString(value, to: p)
            return false
        }
        let fieldSize = Varint.size(field.count) + field.count
        let end = block.length
        let p = block.replace(end..<end, withLength: fieldSize + valueSize)
        Varint.writeString(value, to: p + Varint.writeString(field, to: p))
        block.setCount(block.count + 1)
        return true
    }

    @discardableResult
    public mutating func remove(_ field: Bytes) -> Bool {
        guard let loc = locate(field) else { return false }
        _ = block.replace(loc.start..<loc.end, withLength: 0)
        block.setCount(block.count - 1)
        return true
    }

    /// Every pair in insertion order.
    public func forEach(_ body: (Bytes, Bytes) -> Void) {
        var p = 0
        let end = block.length
        while p < end {
            let (f, afterField) = string(at: p)
            let (v, afterValue) = string(at: afterField)
            body(block.bytes(f), block.bytes(v))
            p = afterValue
        }
    }

    public var pairs: [(Bytes, Bytes)] {
        var out: [(Bytes, Bytes)] = []
        out.reserveCapacity(count)
        forEach { out.append(($0, $1)) }
        return out
    }

    /// Frees the block (a standalone value; a hash frees its own).
    public func free() { block.free() }
}
