import CairnCore

/// A list: a sequence of packed nodes, each a `PackedBlock` of entries
/// `[varint length][bytes][the entry's size as a varint, reversed]` (the reversed size lets
/// the last entry be found from the end), at most `nodeBytesMax` bytes per node: Redis's
/// quicklist of listpacks, and its OBJECT ENCODING name. Pushes and pops at both ends
/// touch only the end nodes; index reads walk node counts; the rarer edits in the middle
/// (LSET, LINSERT, LREM, LTRIM) rebuild the nodes, which is O(n) as they are in Redis.
///
/// The list owns its nodes' blocks: a node leaving `nodes` is freed, and so are all at deinit.
///
/// With list-compress-depth d > 0, every node but the d at each end is kept compressed
/// (`ListCompression.swift`), as Redis compresses a quicklist's inner nodes.
public final class ListValue {
    struct Node {
        var block = PackedBlock()
        /// Bytes at the front of the block before the first entry: room left by head pops,
        /// or kept by a head push that had to move the entries, so that the next head
        /// pushes write into it instead of moving the whole node again (a listpack moves
        /// its entries on every head insert).
        var gap = 0
        /// An inner node's entries, compressed; its block is then empty.
        var compressed: CompressedEntries?
        var count: Int { compressed?.count ?? block.count }
        /// Bytes of entries.
        var length: Int { block.length - gap }
        /// The first entry byte; only valid while `length` > 0.
        var start: UnsafeMutableRawPointer { block.start + gap }
    }

    var nodes: [Node] = []
    public private(set) var count = 0
    /// list-max-listpack-size: negative values are node sizes (-1: 4 KiB ... -5: 64 KiB,
    /// Redis's default -2: 8 KiB), positive ones entries per node.
    public var fill: Int
    /// list-compress-depth when the list was made: nodes kept plain at each end (0: none
    /// compressed).
    public let compressDepth: Int

    public init(fill: Int = -2, compressDepth: Int = 0) {
        self.fill = fill
        self.compressDepth = compressDepth
    }

    deinit {
        for node in nodes { node.block.free() }
    }

    var nodeBytesMax: Int { fill < 0 ? 4096 << min(4, -fill - 1) : 8192 }
    var nodeEntriesMax: Int { fill > 0 ? fill : Int.max }

    /// Whether `bytes` more fit in `node`. The size limit counts the block's header, as
    /// Redis's counts the listpack's: a full node is then exactly 8 KiB (or 4, 16 ...), an
    /// allocator size class, not 8 bytes past one (jemalloc would round 8200 up to 10240).
    func fits(_ node: Node, adding bytes: Int) -> Bool {
        let size = PackedBlock.headerBytes + node.length + bytes
        if fill > 0 { return node.count < nodeEntriesMax && size <= 8192 }
        return size <= nodeBytesMax
    }

    // MARK: - Entry encoding

    /// A node holding just `element`.
    static func node(_ element: Bytes) -> Node {
        var node = Node()
        writeEntry(element, at: node.block.replace(0..<0, withLength: entrySize(element.count)))
        node.block.setCount(1)
        return node
    }

    /// Bytes of an entry holding an element of `n` bytes.
    @inline(__always)
    static func entrySize(_ n: Int) -> Int {
        let headerAndData = Varint.size(n) + n
        return headerAndData + Varint.size(headerAndData)
    }

    /// Writes an entry at `p` (which has `entrySize` bytes): no intermediate arrays, as
    /// every push does this.
    @inline(__always)
    static func writeEntry(_ element: Bytes, at p: UnsafeMutableRawPointer) {
        let headerAndData = Varint.writeString(element, to: p)
        let q = p + headerAndData
        // The entry's size again, its varint bytes in reverse, so it reads from the end.
        let back = Varint.size(headerAndData)
        var y = headerAndData
        for i in 0..<back {
            let byte = UInt8(y & 0x7f) | (y >= 0x80 ? 0x80 : 0)
            (q + back - 1 - i).storeBytes(of: byte, as: UInt8.self)
            y >>= 7
        }
    }

    /// The element starting at `offset` of a node, and where the next one starts.
    static func read(_ node: Node, at offset: Int) -> (Bytes, Int) {
        let (element, next) = readRaw(node, at: offset)
        return (element.isEmpty ? "" : Bytes(element), next)
    }

    /// The entry at `offset` where it lies in the node (valid while the node is not
    /// changed), and where the next begins.
    @inline(__always)
    static func readRaw(_ node: Node, at offset: Int) -> (UnsafeRawBufferPointer, Int) {
        let (length, p) = Varint.read(UnsafeRawPointer(node.start), at: offset)
        let element = UnsafeRawBufferPointer(start: node.start + p, count: length)
        let headerAndData = p + length - offset
        return (element, p + length + Varint.size(headerAndData))
    }

    /// Where the last entry of a node starts.
    static func lastEntryStart(_ node: Node) -> Int {
        let bytes = node.start
        var size = 0, shift = 0, p = node.length - 1
        var backBytes = 0
        while true {
            let b = bytes.load(fromByteOffset: p, as: UInt8.self)
            size |= Int(b & 0x7f) << shift
            backBytes += 1
            if b < 0x80 { break }
            shift += 7
            p -= 1
        }
        return node.length - backBytes - size
    }

    // MARK: - Ends

    public func pushHead(_ element: Bytes) {
        let size = ListValue.entrySize(element.count)
        if nodes.isEmpty || !fits(nodes[0], adding: size) {
            if !nodes.isEmpty { ListValue.shrinkToFit(&nodes[0]) }
            nodes.insert(ListValue.node(element), at: 0)
            compressInnerNodes()
        } else if nodes[0].gap >= size {
            nodes[0].gap -= size
            nodes[0].block.setCount(nodes[0].count + 1)
            ListValue.writeEntry(element, at: nodes[0].start)
        } else {
            ListValue.writeEntry(element, at: ListValue.growFront(&nodes[0], by: size))
        }
        count += 1
    }

    public func pushTail(_ element: Bytes) {
        let size = ListValue.entrySize(element.count)
        let last = nodes.count - 1
        if nodes.isEmpty || !fits(nodes[last], adding: size) {
            if !nodes.isEmpty { ListValue.shrinkToFit(&nodes[last]) }
            nodes.append(ListValue.node(element))
            compressInnerNodes()
        } else {
            ListValue.writeEntry(element, at: ListValue.growBack(&nodes[last], by: size))
        }
        count += 1
    }

    /// Spare room a node keeps when it must grow: none for a short list's node, which
    /// grows to the exact size as a listpack does (most lists are short, and spare room
    /// would be a fifth of their memory); past 512 bytes a quarter, since pushes come in
    /// runs. `shrinkToFit` gives the spare back when the node is full.
    static func spare(_ node: Node) -> Int { node.length < 512 ? 0 : node.length / 4 }

    /// Makes room for one more entry of `extra` bytes after the last; returns where it goes.
    static func growBack(_ node: inout Node, by extra: Int) -> UnsafeMutableRawPointer {
        let end = node.block.length
        let p = node.block.replace(end..<end, withLength: extra, spare: spare(node), shrink: false)
        node.block.setCount(node.count + 1)
        return p
    }

    /// Makes room for one more entry of `extra` bytes before the first (the gap is too
    /// small): the entries move once, leaving the spare as the new gap in front of it.
    static func growFront(_ node: inout Node, by extra: Int) -> UnsafeMutableRawPointer {
        let gap = spare(node)
        let p = node.block.replace(0..<node.gap, withLength: gap + extra, shrink: false)
        node.gap = gap
        node.block.setCount(node.count + 1)
        return p + gap
    }

    /// A full node gives back its spare room, the gap in front and the room after.
    static func shrinkToFit(_ node: inout Node) {
        if node.gap > 0 {
            _ = node.block.replace(0..<node.gap, withLength: 0, shrink: false)
            node.gap = 0
        }
        node.block.shrinkToFit()
    }

    public func popHead() -> Bytes? {
        guard !nodes.isEmpty else { return nil }
        let (element, next) = ListValue.read(nodes[0], at: 0)
        if nodes[0].count == 1 {
            nodes.removeFirst().block.free()
            compressInnerNodes()
        } else {
            // The popped entry's bytes join the gap: nothing moves.
            nodes[0].gap += next
            nodes[0].block.setCount(nodes[0].count - 1)
        }
        count -= 1
        return element
    }

    public func popTail() -> Bytes? {
        guard !nodes.isEmpty else { return nil }
        let last = nodes.count - 1
        let start = ListValue.lastEntryStart(nodes[last])
        let (element, _) = ListValue.read(nodes[last], at: start)
        if nodes[last].count == 1 {
            nodes.removeLast().block.free()
            compressInnerNodes()
        } else {
            let gap = nodes[last].gap
            _ = nodes[last].block.replace((gap + start)..<nodes[last].block.length, withLength: 0, shrink: false)
            nodes[last].block.setCount(nodes[last].count - 1)
        }
        count -= 1
        return element
    }

    // MARK: - Reading

    /// Calls `body` with each element from index `start` through `end` (inclusive, already
    /// within bounds), stopping early when it returns false.
    public func forEach(from start: Int, through end: Int, _ body: (Int, Bytes) -> Bool) {
        forEachRaw(from: start, through: end) { i, raw in body(i, raw.isEmpty ? "" : Bytes(raw)) }
    }

    /// `forEach` with each element's bytes where they lie, valid only during `body`: a
    /// reply copies them out without making a `Bytes` of each (LRANGE).
    public func forEachRaw(from start: Int, through end: Int, _ body: (Int, UnsafeRawBufferPointer) -> Bool) {
        guard start <= end, start < count else { return }
        var index = 0
        // Walks one node's entries; false once `body` asked to stop or `end` was passed.
        func walk(_ node: Node) -> Bool {
            var p = 0
            while p < node.length {
                let (element, next) = ListValue.readRaw(node, at: p)
                if index >= start {
                    if index > end || !body(index, element) { return false }
                }
                index += 1
                p = next
            }
            return true
        }
        for node in nodes {
            if index + node.count <= start {
                index += node.count
                continue
            }
            if let compressed = node.compressed {
                let plain = compressed.expanded()
                defer { plain.block.free() }
                if !walk(plain) { return }
            } else if !walk(node) {
                return
            }
        }
    }

    public func element(at index: Int) -> Bytes? {
        guard index >= 0 && index < count else { return nil }
        var found: Bytes?
        forEach(from: index, through: index) { _, e in
            found = e
            return false
        }
        return found
    }

    public var elements: [Bytes] {
        var out: [Bytes] = []
        out.reserveCapacity(count)
        forEach(from: 0, through: count - 1) { _, e in
            out.append(e)
            return true
        }
        return out
    }

    // MARK: - Edits in the middle

    /// Replaces the whole content (the O(n) edits build the new sequence, then this).
    public func replaceAll(_ elements: [Bytes]) {
        for node in nodes { node.block.free() }
        nodes = []
        count = 0
        for e in elements { pushTail(e) }
    }

    public func copy() -> ListValue {
        let c = ListValue(fill: fill, compressDepth: compressDepth)
        c.nodes = nodes.map { Node(block: $0.block.duplicate(), gap: $0.gap, compressed: $0.compressed) }
        c.count = count
        return c
    }
}
