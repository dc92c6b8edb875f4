/// An ordered map from stream IDs to values: a consumer group's pending entries, and each
/// consumer's. Sorted chunks of at most `chunkMax` keys, grouped in blocks of at most
/// `blockMax` chunks: appends (new deliveries) and removals from the front
/// (acknowledgements, mostly in order) touch one chunk, a seek is three binary searches,
/// and a chunk that splits, merges or empties moves the chunk list of its block only. (With
/// one list of all the chunks, random acknowledgements of a large PEL moved tens of
/// kilobytes of it at every merge: a third of XACK's time.)
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
    static var blockMax: Int { 64 }
    static var blockMergeBelow: Int { 16 }

    /// Consecutive chunks; never empty, nor is any of its chunks.
    struct Block {
        var chunks: [[Entry]] = []
        /// Each chunk's first key, in one contiguous array: the bisection over chunks reads
        /// only this (reading the chunks' own arrays cost a cache miss per step).
        var firstKeys: [StreamID] = []
    }

    var blocks: [Block] = []
    /// Each block's first key.
    var blockFirstKeys: [StreamID] = []
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// The last of `keys` that is at most `id` (the first when none is).
    fileprivate static func floorIndex(_ keys: [StreamID], _ id: StreamID) -> Int {
        keys.withUnsafeBufferPointer { keys in
            var lo = 0, hi = keys.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if keys[mid] <= id { lo = mid + 1 } else { hi = mid }
            }
            return max(0, lo - 1)
        }
    }

    /// The first position in `chunk` whose key is at least `id`.
    fileprivate static func position(_ chunk: [Entry], _ id: StreamID) -> Int {
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
        guard !blocks.isEmpty else { return nil }
        let b = Self.floorIndex(blockFirstKeys, id)
        let c = Self.floorIndex(blocks[b].firstKeys, id)
        let chunk = blocks[b].chunks[c]
        let i = Self.position(chunk, id)
        guard i < chunk.count, chunk[i].id == id else { return nil }
        return chunk[i].value
    }

    /// Sets `id` to `value`; returns false when it replaced a value.
    @discardableResult
    public mutating func insert(_ id: StreamID, _ value: Value) -> Bool {
        if blocks.isEmpty {
            blocks = [Block(chunks: [[Entry(id: id, value: value)]], firstKeys: [id])]
            blockFirstKeys = [id]
            count = 1
            return true
        }
        let b = Self.floorIndex(blockFirstKeys, id)
        guard blocks[b].insert(id, value) else { return false }
        count += 1
        blockFirstKeys[b] = blocks[b].firstKeys[0]
        if blocks[b].chunks.count > Self.blockMax {
            let upper = blocks[b].splitOffUpperHalf()
            blocks.insert(upper, at: b + 1)
            blockFirstKeys.insert(upper.firstKeys[0], at: b + 1)
        }
        return true
    }

    @discardableResult
    public mutating func remove(_ id: StreamID) -> Value? {
        guard !blocks.isEmpty else { return nil }
        let b = Self.floorIndex(blockFirstKeys, id)
        guard let value = blocks[b].remove(id) else { return nil }
        count -= 1
        if blocks[b].chunks.isEmpty {
            blocks.remove(at: b)
            blockFirstKeys.remove(at: b)
            return value
        }
        blockFirstKeys[b] = blocks[b].firstKeys[0]
        if blocks[b].chunks.count < Self.blockMergeBelow, b + 1 < blocks.count,
           blocks[b].chunks.count + blocks[b + 1].chunks.count <= Self.blockMax {
            let next = blocks.remove(at: b + 1)
            blocks[b].chunks.append(contentsOf: next.chunks)
            blocks[b].firstKeys.append(contentsOf: next.firstKeys)
            blockFirstKeys.remove(at: b + 1)
        }
        return value
    }

    /// Entries with IDs in `from...to` in order (or from `to` down when `reverse`), while
    /// `body` returns true.
    public func forEach(from: StreamID = .zero, to: StreamID = .max, reverse: Bool = false,
                        _ body: (StreamID, Value) -> Bool) {
        guard !blocks.isEmpty, from <= to else { return }
        if !reverse {
            var b = Self.floorIndex(blockFirstKeys, from)
            var c = Self.floorIndex(blocks[b].firstKeys, from)
            var i = Self.position(blocks[b].chunks[c], from)
            while b < blocks.count {
                let chunks = blocks[b].chunks
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
                b += 1
                c = 0
            }
        } else {
            var b = Self.floorIndex(blockFirstKeys, to)
            var c = Self.floorIndex(blocks[b].firstKeys, to)
            var i = Self.position(blocks[b].chunks[c], to)
            if i == blocks[b].chunks[c].count || blocks[b].chunks[c][i].id > to { i -= 1 }
            while b >= 0 {
                let chunks = blocks[b].chunks
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
                b -= 1
                if b >= 0 {
                    c = blocks[b].chunks.count - 1
                    i = blocks[b].chunks[c].count - 1
                }
            }
        }
    }

    public var first: (StreamID, Value)? {
        guard let e = blocks.first?.chunks.first?.first else { return nil }
        return (e.id, e.value)
    }

    public var last: (StreamID, Value)? {
        guard let e = blocks.last?.chunks.last?.last else { return nil }
        return (e.id, e.value)
    }
}

extension StreamIDMap.Block {
    /// Sets `id` to `value` in the chunk that holds it or would; false when it replaced a
    /// value. A chunk past `chunkMax` splits in two.
    mutating func insert(_ id: StreamID, _ value: Value) -> Bool {
        let c = StreamIDMap<Value>.floorIndex(firstKeys, id)
        let i = StreamIDMap<Value>.position(chunks[c], id)
        if i < chunks[c].count, chunks[c][i].id == id {
            chunks[c][i].value = value
            return false
        }
        chunks[c].insert(StreamIDMap<Value>.Entry(id: id, value: value), at: i)
        if i == 0 { firstKeys[c] = id }
        if chunks[c].count > StreamIDMap<Value>.chunkMax {
            let half = chunks[c].count / 2
            let upper = Array(chunks[c][half...])
            chunks[c].removeSubrange(half...)
            chunks.insert(upper, at: c + 1)
            firstKeys.insert(upper[0].id, at: c + 1)
        }
        return true
    }

    /// Removes `id`; a chunk left empty goes, one left small merges into its successor.
    mutating func remove(_ id: StreamID) -> Value? {
        let c = StreamIDMap<Value>.floorIndex(firstKeys, id)
        let i = StreamIDMap<Value>.position(chunks[c], id)
        guard i < chunks[c].count, chunks[c][i].id == id else { return nil }
        let value = chunks[c].remove(at: i).value
        if chunks[c].isEmpty {
            chunks.remove(at: c)
            firstKeys.remove(at: c)
            return value
        }
        if i == 0 { firstKeys[c] = chunks[c][0].id }
        if chunks[c].count < StreamIDMap<Value>.chunkMergeBelow, c + 1 < chunks.count,
           chunks[c].count + chunks[c + 1].count <= StreamIDMap<Value>.chunkMax {
            let next = chunks.remove(at: c + 1)
            chunks[c].append(contentsOf: next)
            firstKeys.remove(at: c + 1)
        }
        return value
    }

    /// The upper half of the chunks, taken out into a block of their own.
    mutating func splitOffUpperHalf() -> Self {
        let half = chunks.count / 2
        let upper = Self(chunks: Array(chunks[half...]), firstKeys: Array(firstKeys[half...]))
        chunks.removeSubrange(half...)
        firstKeys.removeSubrange(half...)
        return upper
    }
}
