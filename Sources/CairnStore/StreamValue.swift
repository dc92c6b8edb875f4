import CairnCore

/// A stream: entries in ID order, packed in nodes (`StreamNode`) kept in an array sorted
/// by their first ID (Redis keeps them in a radix tree; appends and trims touch the ends,
/// and a seek is a binary search), with the metadata Redis 7.0 keeps: the last ID, the
/// first live one, the largest deleted one, how many entries were ever added, and the
/// consumer groups.
///
/// The stream owns its nodes' blocks: a node leaving `nodes` is freed, and so are all at
/// deinit.
public final class StreamValue {
    var nodes: [StreamNode] = []
    /// Live entries.
    public private(set) var length = 0
    public var lastID = StreamID.zero
    /// The first live entry's ID (0-0 when empty).
    public var firstID = StreamID.zero
    /// The largest ID XDEL removed (7.0's max-deleted-entry-id).
    public var maxDeletedID = StreamID.zero
    /// Entries ever added (7.0's entries-added).
    public var entriesAdded: Int64 = 0
    public private(set) var groups: [Bytes: StreamGroup] = [:]

    public init() {}

    deinit {
        for node in nodes { node.block.free() }
    }

    public var encodingName: String { "stream" }
    public var nodeCount: Int { nodes.count }

    // MARK: - Appending

    /// Redis's STREAM_LISTPACK_MAX_SIZE: no node (and no entry) past 1 GiB.
    public static let nodeBytesLimit = 1 << 30

    /// Appends entry `id` (above `lastID`) with `pairs` (field, value, ...). A new node
    /// starts when the last would pass `nodeMaxBytes` (Redis's listpack size, with the
    /// entry's raw bytes) or already has `nodeMaxEntries` entries, deleted ones counted.
    public func append(_ id: StreamID, _ pairs: ArraySlice<Bytes>, nodeMaxBytes: Int, nodeMaxEntries: Int) {
        var elementBytes = 0
        for s in pairs { elementBytes += s.count }
        var newNode = nodes.isEmpty
        if let last = nodes.last {
            let maxBytes = nodeMaxBytes == 0 || nodeMaxBytes > StreamValue.nodeBytesLimit ? StreamValue.nodeBytesLimit : nodeMaxBytes
            if last.redisBytes + elementBytes >= maxBytes {
                newNode = true
            } else if nodeMaxEntries > 0 && last.live + last.deleted >= nodeMaxEntries {
                newNode = true
            }
        }
        if newNode {
            if !nodes.isEmpty { nodes[nodes.count - 1].seal() }
            nodes.append(StreamNode(master: id, pairs: pairs))
        }
        nodes[nodes.count - 1].append(id, pairs)
        length += 1
        lastID = id
        lastLiveID = id
        entriesAdded += 1
        if length == 1 { firstID = id }
    }

    /// Appends an entry read back (a snapshot, an RDB payload), leaving the metadata
    /// (last ID, first ID, entries added) as restored before.
    public func appendLoaded(_ id: StreamID, _ pairs: ArraySlice<Bytes>, limits: CollectionLimits) {
        let kept = (lastID, firstID, entriesAdded)
        append(id, pairs, nodeMaxBytes: limits.streamNodeMaxBytes, nodeMaxEntries: limits.streamNodeMaxEntries)
        (lastID, firstID, entriesAdded) = kept
    }

    /// Adds a group read back; nil when one of that name exists.
    public func addLoaded(_ group: StreamGroup) -> Bool {
        guard groups[group.name] == nil else { return false }
        groups[group.name] = group
        return true
    }

    // MARK: - Reading

    /// The index of the last node whose first ID is at most `id`, or 0.
    func nodeIndex(atOrBefore id: StreamID) -> Int {
        var lo = 0, hi = nodes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if nodes[mid].master <= id { lo = mid + 1 } else { hi = mid }
        }
        return max(0, lo - 1)
    }

    /// A live entry read in place: valid until the stream changes.
    public struct EntryRef {
        let node: StreamNode
        let entry: StreamNode.Entry
        public var id: StreamID { entry.id }
        public var fieldCount: Int { entry.fieldCount }
        public func forEachPair(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
            node.forEachPair(entry, body)
        }
        /// Field, value, field, value ...
        public var pairs: [Bytes] { node.pairs(entry) }
    }

    /// Live entries with IDs in `from...to`, in order or (`reverse`) from `to` down, while
    /// `body` returns true.
    public func forEach(from: StreamID = .zero, to: StreamID = .max, reverse: Bool = false,
                        _ body: (EntryRef) -> Bool) {
        guard !nodes.isEmpty, from <= to else { return }
        if !reverse {
            var n = nodeIndex(atOrBefore: from)
            while n < nodes.count {
                let node = nodes[n]
                if node.master > to { return }
                var go = true
                node.forEach { e in
                    if e.id > to { go = false; return false }
                    if e.id >= from && !e.isDeleted && !body(EntryRef(node: node, entry: e)) { go = false; return false }
                    return true
                }
                if !go { return }
                n += 1
            }
        } else {
            var n = nodeIndex(atOrBefore: to)
            while n >= 0 {
                let node = nodes[n]
                for e in node.allEntries.reversed() {
                    if e.id < from { return }
                    if e.id <= to && !e.isDeleted && !body(EntryRef(node: node, entry: e)) { return }
                }
                n -= 1
            }
        }
    }

    /// The live entry `id`, if there is one.
    public func entry(_ id: StreamID) -> EntryRef? {
        var found: EntryRef?
        forEach(from: id, to: id) { found = $0; return false }
        return found
    }

    public func contains(_ id: StreamID) -> Bool { entry(id) != nil }

    /// The last live entry's ID, when known without a search: set by appends, dropped by
    /// deletions and trims that may have removed that entry.
    var lastLiveID: StreamID?

    /// The first (or last) live entry's ID; when there is none, the largest ID for the
    /// first and 0-0 for the last (Redis's streamGetEdgeID).
    public func edgeID(first: Bool) -> StreamID {
        if !first, length > 0, let lastLiveID { return lastLiveID }
        var found: StreamID?
        forEach(reverse: !first) { found = $0.id; return false }
        return found ?? (first ? .max : .zero)
    }

    // MARK: - Deleting

    /// Deletes live entry `id` (XDEL); a node left with no live entry goes.
    public func delete(_ id: StreamID) -> Bool {
        guard !nodes.isEmpty else { return false }
        let n = nodeIndex(atOrBefore: id)
        var target: StreamNode.Entry?
        nodes[n].forEach { e in
            if e.id == id && !e.isDeleted { target = e }
            return e.id < id
        }
        guard let target else { return false }
        if id == lastLiveID { lastLiveID = nil }
        if nodes[n].live == 1 {
            nodes.remove(at: n).block.free()
        } else {
            nodes[n].markDeleted(target)
        }
        length -= 1
        return true
    }

    public enum TrimStrategy: Equatable {
        case maxLength(Int)
        case minID(StreamID)
    }

    /// Removes entries from the head down to `strategy`'s threshold (Redis 7.0's
    /// streamTrim): whole nodes while they can go whole; then, unless `approximate`,
    /// single entries of the next node marked deleted. `limit` (0: none) caps the entries
    /// removed, counted by whole nodes. Returns how many went.
    public func trim(_ strategy: TrimStrategy, approximate: Bool, limit: Int) -> Int {
        var removed = 0
        while !nodes.isEmpty {
            if case .maxLength(let max) = strategy, length <= max { break }
            let live = nodes[0].live
            if limit > 0 && removed + live > limit { break }
            let removeNode: Bool
            switch strategy {
            case .maxLength(let max): removeNode = length - live >= max
            case .minID(let min): removeNode = (nodes[0].lastEntry?.id ?? nodes[0].master) < min
            }
            if removeNode {
                nodes.removeFirst().block.free()
                length -= live
                removed += live
                continue
            }
            if approximate { break }
            for e in nodes[0].allEntries {
                if case .maxLength(let max) = strategy, length <= max { break }
                if case .minID(let min) = strategy, e.id >= min { break }
                if !e.isDeleted {
                    nodes[0].markDeleted(e)
                    length -= 1
                    removed += 1
                }
            }
            break
        }
        firstID = length == 0 ? .zero : edgeID(first: true)
        if length == 0 { lastLiveID = nil }
        return removed
    }

    // MARK: - Groups

    public var sortedGroups: [StreamGroup] {
        groups.values.sorted { compareBytes($0.name, $1.name) < 0 }
    }

    public func group(_ name: Bytes) -> StreamGroup? { groups[name] }

    /// Creates a group; nil when one of that name exists.
    public func createGroup(_ name: Bytes, lastID: StreamID, entriesRead: Int64) -> StreamGroup? {
        guard groups[name] == nil else { return nil }
        let g = StreamGroup(name: name, lastID: lastID, entriesRead: entriesRead)
        groups[name] = g
        return g
    }

    public func destroyGroup(_ name: Bytes) -> Bool { groups.removeValue(forKey: name) != nil }

    // MARK: - 7.0's lag and entries-read arithmetic

    /// Whether an entry between `start` and `end` (inclusive) may have been deleted
    /// (streamRangeHasTombstones).
    public func rangeHasTombstones(from start: StreamID = .zero, to end: StreamID = .max) -> Bool {
        if length == 0 || maxDeletedID.isZero { return false }
        if firstID > maxDeletedID { return false }
        return start <= maxDeletedID && maxDeletedID <= end
    }

    /// The logical position of `id` since the stream's first entry ever, when it can be
    /// known (streamEstimateDistanceFromFirstEverEntry); nil otherwise.
    public func entriesRead(upTo id: StreamID) -> Int64? {
        if entriesAdded == 0 { return 0 }
        if length == 0 && id <= lastID { return entriesAdded }
        if id == lastID { return entriesAdded }
        if id > lastID { return nil }
        if maxDeletedID.isZero || maxDeletedID < firstID {
            if id < firstID { return entriesAdded - Int64(length) }
            if id == firstID { return entriesAdded - Int64(length) + 1 }
        }
        return nil
    }

    /// A group's lag (streamReplyWithCGLag); nil when it cannot be known.
    public func lag(of group: StreamGroup) -> Int64? {
        if entriesAdded == 0 { return 0 }
        if group.entriesRead != StreamGroup.unknownEntriesRead && !rangeHasTombstones(from: group.lastID) {
            return entriesAdded - group.entriesRead
        }
        return entriesRead(upTo: group.lastID).map { entriesAdded - $0 }
    }

    // MARK: - Copies

    public func copy() -> StreamValue {
        let c = StreamValue()
        c.nodes = nodes.map { n in
            var d = n
            d.block = n.block.duplicate()
            return d
        }
        c.length = length
        c.lastID = lastID
        c.firstID = firstID
        c.maxDeletedID = maxDeletedID
        c.entriesAdded = entriesAdded
        c.lastLiveID = lastLiveID
        for (name, g) in groups { c.groups[name] = g.copy() }
        return c
    }

    /// Bytes held, roughly (MEMORY USAGE): the nodes' blocks and the groups' entries.
    public var approximateBytes: Int {
        var total = 64 + nodes.count * 48
        for n in nodes { total += PackedBlock.headerBytes + n.block.length }
        for g in groups.values { total += 64 + g.pending.count * 64 + g.consumers.count * 64 }
        return total
    }
}

extension StreamValue {
    /// What XINFO reports as radix-tree-nodes. Cairn has no radix tree; this counts what
    /// a compressed one over the nodes' first IDs would need at least (a root, and a node
    /// per key), so it grows as Redis's does but is not its number.
    public var radixTreeNodes: Int { 1 + 2 * nodes.count }
}

extension StreamValue {
    /// A node as Redis's RDB writes it: its first ID, its master field names, and every
    /// entry (deleted ones too) with its flags and field/value pairs.
    public struct NodeContents {
        public var master: StreamID
        public var live: Int
        public var deleted: Int
        public var masterFields: [Bytes]
        public var entries: [(id: StreamID, flags: UInt8, pairs: [Bytes])]
    }

    public func forEachNode(_ body: (NodeContents) -> Void) {
        for node in nodes {
            let fields = node.masterFieldNames
            let entries = node.allEntries.map { ($0.id, $0.flags, node.pairs($0)) }
            body(NodeContents(master: node.master, live: node.live, deleted: node.deleted, masterFields: fields, entries: entries))
        }
    }
}

extension StreamNode {
    /// The master entry's field names.
    var masterFieldNames: [Bytes] {
        let p = UnsafeRawPointer(block.start)
        var (n, q) = Varint.read(p, at: 0)
        var names: [Bytes] = []
        while n > 0 {
            let (len, after) = Varint.read(p, at: q)
            names.append(block.bytes(after..<(after + len)))
            q = after + len
            n -= 1
        }
        return names
    }
}
