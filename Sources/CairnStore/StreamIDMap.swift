/// An ordered map from stream IDs to values: a consumer group's pending entries, and each
/// consumer's. Sorted chunks of at most `chunkMax` keys: appends (new deliveries) and
/// removals from the front (acknowledgements, mostly in order) touch one chunk, a seek is
/// two binary searches.
public struct StreamIDMap<Value> {
    struct Chunk {
        var keys: [StreamID] = []
        var values: [Value] = []
    }

    static var chunkMax: Int { 32 }

    var chunks: [Chunk] = []
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

    private static func position(_ keys: [StreamID], _ id: StreamID) -> Int {
        keys.withUnsafeBufferPointer { keys in
            var lo = 0, hi = keys.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if keys[mid] < id { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    public subscript(_ id: StreamID) -> Value? {
        guard !chunks.isEmpty else { return nil }
        let c = chunkIndex(id)
        let i = Self.position(chunks[c].keys, id)
        guard i < chunks[c].keys.count, chunks[c].keys[i] == id else { return nil }
        return chunks[c].values[i]
    }

    /// Sets `id` to `value`; returns false when it replaced a value.
    @discardableResult
    public mutating func insert(_ id: StreamID, _ value: Value) -> Bool {
        if chunks.isEmpty {
            chunks.append(Chunk(keys: [id], values: [value]))
            firstKeys = [id]
            count = 1
            return true
        }
        let c = chunkIndex(id)
        let i = Self.position(chunks[c].keys, id)
        if i < chunks[c].keys.count, chunks[c].keys[i] == id {
            chunks[c].values[i] = value
            return false
        }
        chunks[c].keys.insert(id, at: i)
        chunks[c].values.insert(value, at: i)
        if i == 0 { firstKeys[c] = id }
        count += 1
        if chunks[c].keys.count > Self.chunkMax {
            let half = chunks[c].keys.count / 2
            let upper = Chunk(keys: Array(chunks[c].keys[half...]), values: Array(chunks[c].values[half...]))
            chunks[c].keys.removeSubrange(half...)
            chunks[c].values.removeSubrange(half...)
            chunks.insert(upper, at: c + 1)
            firstKeys.insert(upper.keys[0], at: c + 1)
        }
        return true
    }

    @discardableResult
    public mutating func remove(_ id: StreamID) -> Value? {
        guard !chunks.isEmpty else { return nil }
        let c = chunkIndex(id)
        let i = Self.position(chunks[c].keys, id)
        guard i < chunks[c].keys.count, chunks[c].keys[i] == id else { return nil }
        chunks[c].keys.remove(at: i)
        let value = chunks[c].values.remove(at: i)
        count -= 1
        if chunks[c].keys.isEmpty {
            chunks.remove(at: c)
            firstKeys.remove(at: c)
        } else if i == 0 {
            firstKeys[c] = chunks[c].keys[0]
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
            var i = Self.position(chunks[c].keys, from)
            while c < chunks.count {
                let chunk = chunks[c]
                while i < chunk.keys.count {
                    if chunk.keys[i] > to { return }
                    if !body(chunk.keys[i], chunk.values[i]) { return }
                    i += 1
                }
                c += 1
                i = 0
            }
        } else {
            var c = chunkIndex(to)
            var i = Self.position(chunks[c].keys, to)
            if i == chunks[c].keys.count || chunks[c].keys[i] > to { i -= 1 }
            while c >= 0 {
                let chunk = chunks[c]
                while i >= 0 {
                    if chunk.keys[i] < from { return }
                    if !body(chunk.keys[i], chunk.values[i]) { return }
                    i -= 1
                }
                c -= 1
                if c >= 0 { i = chunks[c].keys.count - 1 }
            }
        }
    }

    public var first: (StreamID, Value)? {
        guard let c = chunks.first else { return nil }
        return (c.keys[0], c.values[0])
    }

    public var last: (StreamID, Value)? {
        guard let c = chunks.last else { return nil }
        return (c.keys[c.keys.count - 1], c.values[c.values.count - 1])
    }
}
