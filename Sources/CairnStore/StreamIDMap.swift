/// An ordered map from stream IDs to values: a consumer group's pending entries, and each
/// consumer's. Sorted chunks of at most `chunkMax` keys: appends (new deliveries) and
/// removals from the front (acknowledgements, mostly in order) touch one chunk, a seek is
/// two binary searches.
public struct StreamIDMap<Value> {
    /// A key and its value side by side: one array per chunk, so a lookup that found its
    /// key has its value in the same cache lines.
    struct Entry {
        var id: StreamID
        var value: Value
    }

    static var chunkMax: Int { 32 }
    /// A chunk that shrinks below this after a removal is merged into its successor
    /// when both fit in one, so random acknowledgements do not leave many small chunks.
    static var chunkMergeBelow: Int { 8 }

    var chunks: [[Entry]] = []
    /// Each chunk's first key, in one contiguous array: the bisection over chunks reads
    /// only this (reading the chunks' own arrays cost a cache miss per step).
    var firstKeys: [StreamID] = []
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// The chunk that holds `id` or would: the last whose first key is at most `id`.
    private func chunkIndex(_ id: StreamID) -> Int {
        firstKeys.withUnsafeBufferPointer { keys in
            var lo = 0, hi = keys.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if keys[mid] <= id { lo = mid + 1 } else { hi = mid }
            }
            return max(0, lo - 1)
        }
    }

    /// The first position in `chunk` whose key is at least `id`.
    private static func position(_ chunk: [Entry], _ id: StreamID) -> Int {
        chunk.withUnsafeBufferPointer { entries in
            var lo = 0, hi = entries.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if entries[mid].id < id { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    public subscript(_ id: StreamID) -> Value? {
        guard !chunks.isEmpty else { return nil }
        let c = chunkIndex(id)
        let i = Self.position(chunks[c], id)
        guard i < chunks[c].count, chunks[c][i].id == id else { return nil }
        return chunks[c][i].value
    }

    /// Sets `id` to `value`; returns false when it replaced a value.
    @discardableResult
    public mutating func insert(_ id: StreamID, _ value: Value) -> Bool {
        if chunks.isEmpty {
            chunks.append([Entry(id: id, value: value)])
            firstKeys = [id]
            count = 1
            return true
        }
        let c = chunkIndex(id)
        let i = Self.position(chunks[c], id)
        if i < chunks[c].count, chunks[c][i].id == id {
            chunks[c][i].value = value
            return false
        }
        chunks[c].insert(Entry(id: id, value: value), at: i)
        if i == 0 { firstKeys[c] = id }
        count += 1
        if chunks[c].count > Self.chunkMax {
            let half = chunks[c].count / 2
            let upper = Array(chunks[c][half...])
            chunks[c].removeSubrange(half...)
            chunks.insert(upper, at: c + 1)
            firstKeys.insert(upper[0].id, at: c + 1)
        }
        return true
    }

    @discardableResult
    public mutating func remove(_ id: StreamID) -> Value? {
        guard !chunks.isEmpty else { return nil }
        let c = chunkIndex(id)
        let i = Self.position(chunks[c], id)
        guard i < chunks[c].count, chunks[c][i].id == id else { return nil }
        let value = chunks[c].remove(at: i).value
        count -= 1
        if chunks[c].isEmpty {
            chunks.remove(at: c)
            firstKeys.remove(at: c)
            return value
        }
        if i == 0 { firstKeys[c] = chunks[c][0].id }
        if chunks[c].count < Self.chunkMergeBelow, c + 1 < chunks.count,
           chunks[c].count + chunks[c + 1].count <= Self.chunkMax {
            let next = chunks.remove(at: c + 1)
            chunks[c].append(contentsOf: next)
            firstKeys.remove(at: c + 1)
        }
        return value
    }

    /// Entries with IDs in `from...to` in order (or from `to` down when `reverse`), while
    /// `body` returns true.
    public func forEach(from: StreamID = .zero, to: StreamID = .max, reverse: Bool = false,
                        _ body: (StreamID, Value) -> Bool) {
        guard !chunks.isEmpty, from <= to else { return }
        if !reverse {
            var c = chunkIndex(from)
            var i = Self.position(chunks[c], from)
            while c < chunks.count {
                let chunk = chunks[c]
                while i < chunk.count {
                    if chunk[i].id > to { return }
                    if !body(chunk[i].id, chunk[i].value) { return }
                    i += 1
                }
                c += 1
                i = 0
            }
        } else {
            var c = chunkIndex(to)
            var i = Self.position(chunks[c], to)
            if i == chunks[c].count || chunks[c][i].id > to { i -= 1 }
            while c >= 0 {
                let chunk = chunks[c]
                while i >= 0 {
                    if chunk[i].id < from { return }
                    if !body(chunk[i].id, chunk[i].value) { return }
                    i -= 1
                }
                c -= 1
                if c >= 0 { i = chunks[c].count - 1 }
            }
        }
    }

    public var first: (StreamID, Value)? {
        guard let e = chunks.first?.first else { return nil }
        return (e.id, e.value)
    }

    public var last: (StreamID, Value)? {
        guard let e = chunks.last?.last else { return nil }
        return (e.id, e.value)
    }
}
