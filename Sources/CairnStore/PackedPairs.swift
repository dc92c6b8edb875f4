import CairnCore
#if canImport(Glibc)
import Glibc
#endif

/// Field-value pairs packed back to back in one byte array, in insertion order: Cairn's
/// equivalent of Redis's listpack for small hashes. Each string is a varint length then
/// its bytes, so a pair costs its bytes plus 2 to 10; lookups are linear scans, which is
/// why only small collections use it (the thresholds are hash-max-listpack-entries and
/// hash-max-listpack-value).
public struct PackedPairs {
    public private(set) var bytes: [UInt8] = []
    public private(set) var count = 0

    public init() {}

    /// Reads the string at `offset`: its bytes' range and the offset after it.
    @inline(__always)
    func string(at offset: Int) -> (Range<Int>, Int) {
        let (length, p) = Varint.read(bytes, at: offset)
        return (p..<(p + length), p + length)
    }

    func bytesOf(_ range: Range<Int>) -> Bytes {
        bytes.withUnsafeBytes { Bytes(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    func equals(_ range: Range<Int>, _ key: Bytes) -> Bool {
        guard range.count == key.count else { return false }
        return bytes.withUnsafeBytes { raw in
            key.withUnsafeBytes { k in
                range.count == 0 || memcmp(raw.baseAddress! + range.lowerBound, k.baseAddress!, range.count) == 0
            }
        }
    }

    /// Where the pair of `field` starts and where its value lies.
    func locate(_ field: Bytes) -> (start: Int, value: Range<Int>, end: Int)? {
        var p = 0
        while p < bytes.count {
            let (f, afterField) = string(at: p)
            let (v, afterValue) = string(at: afterField)
            if equals(f, field) { return (p, v, afterValue) }
            p = afterValue
        }
        return nil
    }

    public func get(_ field: Bytes) -> Bytes? {
        guard let loc = locate(field) else { return nil }
        return bytesOf(loc.value)
    }

    public func contains(_ field: Bytes) -> Bool { locate(field) != nil }

    /// Sets `field`; returns true when it was new. A replaced value keeps its position.
    @discardableResult
    public mutating func set(_ field: Bytes, _ value: Bytes) -> Bool {
        var encoded: [UInt8] = []
        Varint.append(value.count, to: &encoded)
        value.withUnsafeBytes { encoded.append(contentsOf: $0) }
        if let loc = locate(field) {
            let valueStart = loc.value.lowerBound - Varint.size(loc.value.count)
            bytes.replaceSubrange(valueStart..<loc.end, with: encoded)
            return false
        }
        // Grow to the exact size, as a listpack does: geometric growth would leave up to
        // half of every small hash's buffer unused.
        let needed = bytes.count + Varint.size(field.count) + field.count + encoded.count
        if bytes.capacity < needed { reserveExactly(needed) }
        Varint.append(field.count, to: &bytes)
        field.withUnsafeBytes { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: encoded)
        count += 1
        return true
    }

    private mutating func reserveExactly(_ capacity: Int) {
        var grown: [UInt8] = []
        grown.reserveCapacity(capacity)
        grown.append(contentsOf: bytes)
        bytes = grown
    }


    @discardableResult
    public mutating func remove(_ field: Bytes) -> Bool {
        guard let loc = locate(field) else { return false }
        bytes.removeSubrange(loc.start..<loc.end)
        count -= 1
        return true
    }

    /// Every pair in insertion order.
    public func forEach(_ body: (Bytes, Bytes) -> Void) {
        var p = 0
        while p < bytes.count {
            let (f, afterField) = string(at: p)
            let (v, afterValue) = string(at: afterField)
            body(bytesOf(f), bytesOf(v))
            p = afterValue
        }
    }

    public var pairs: [(Bytes, Bytes)] {
        var out: [(Bytes, Bytes)] = []
        out.reserveCapacity(count)
        forEach { out.append(($0, $1)) }
        return out
    }
}
