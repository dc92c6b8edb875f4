import CairnCore

/// A list: a sequence of packed nodes, each a byte array of entries
/// `[varint length][bytes][the entry's size as a varint, reversed]` (the reversed size lets
/// the last entry be found from the end), at most `nodeBytesMax` bytes per node: Redis's
/// quicklist of listpacks, and its OBJECT ENCODING name. Pushes and pops at both ends
/// touch only the end nodes; index reads walk node counts; the rarer edits in the middle
/// (LSET, LINSERT, LREM, LTRIM) rebuild the nodes, which is O(n) as they are in Redis.
public final class ListValue {
    struct Node {
        var bytes: [UInt8] = []
        var count = 0
    }

    var nodes: [Node] = []
    public private(set) var count = 0
    /// list-max-listpack-size: negative values are node sizes (-1: 4 KiB ... -5: 64 KiB,
    /// Redis's default -2: 8 KiB), positive ones entries per node.
    public var fill: Int

    public init(fill: Int = -2) {
        self.fill = fill
    }

    var nodeBytesMax: Int { fill < 0 ? 4096 << min(4, -fill - 1) : 8192 }
    var nodeEntriesMax: Int { fill > 0 ? fill : Int.max }

    func fits(_ node: Node, adding bytes: Int) -> Bool {
        if fill > 0 { return node.count < nodeEntriesMax && node.bytes.count + bytes <= 8192 }
        return node.bytes.count + bytes <= nodeBytesMax
    }

    // MARK: - Entry encoding

    static func encode(_ element: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: entrySize(element.count))
        out.withUnsafeMutableBytes { writeEntry(element, at: $0.baseAddress!) }
        return out
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
        let n = element.count
        var q = p
        var x = n
        while x >= 0x80 {
            q.storeBytes(of: UInt8(x & 0x7f) | 0x80, as: UInt8.self)
            q += 1
            x >>= 7
        }
        q.storeBytes(of: UInt8(x), as: UInt8.self)
        q += 1
        element.withUnsafeBytes { if $0.count > 0 { q.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        q += n
        // The entry's size again, its varint bytes in reverse, so it reads from the end.
        let headerAndData = q - p
        let back = Varint.size(headerAndData)
        var y = headerAndData
        for i in 0..<back {
            let byte = UInt8(y & 0x7f) | (y >= 0x80 ? 0x80 : 0)
            (q + back - 1 - i).storeBytes(of: byte, as: UInt8.self)
            y >>= 7
        }
    }

    /// The element starting at `offset` of a node, and where the next one starts.
    static func read(_ bytes: [UInt8], at offset: Int) -> (Bytes, Int) {
        let (length, p) = Varint.read(bytes, at: offset)
        let element = bytes.withUnsafeBytes { Bytes(UnsafeRawBufferPointer(rebasing: $0[p..<(p + length)])) }
        let headerAndData = p + length - offset
        return (element, p + length + Varint.size(headerAndData))
    }

    /// Where the last entry of a node starts.
    static func lastEntryStart(_ bytes: [UInt8]) -> Int {
        var size = 0, shift = 0, p = bytes.count - 1
        var backBytes = 0
        while true {
            let b = bytes[p]
            size |= Int(b & 0x7f) << shift
            backBytes += 1
            if b < 0x80 { break }
            shift += 7
            p -= 1
        }
        return bytes.count - backBytes - size
    }

    // MARK: - Ends

    public func pushHead(_ element: Bytes) {
        let size = ListValue.entrySize(element.count)
        if nodes.isEmpty || !fits(nodes[0], adding: size) {
            if !nodes.isEmpty { ListValue.compact(&nodes[0]) }
            nodes.insert(Node(bytes: ListValue.encode(element), count: 1), at: 0)
        } else {
            ListValue.grow(&nodes[0], by: size)
            nodes[0].bytes.replaceSubrange(0..<0, with: repeatElement(0, count: size))
            nodes[0].bytes.withUnsafeMutableBytes { ListValue.writeEntry(element, at: $0.baseAddress!) }
            nodes[0].count += 1
        }
        count += 1
    }

    public func pushTail(_ element: Bytes) {
        let size = ListValue.entrySize(element.count)
        let last = nodes.count - 1
        if nodes.isEmpty || !fits(nodes[last], adding: size) {
            if !nodes.isEmpty { ListValue.compact(&nodes[last]) }
            nodes.append(Node(bytes: ListValue.encode(element), count: 1))
        } else {
            ListValue.grow(&nodes[last], by: size)
            let start = nodes[last].bytes.count
            nodes[last].bytes.append(contentsOf: repeatElement(0, count: size))
            nodes[last].bytes.withUnsafeMutableBytes { ListValue.writeEntry(element, at: $0.baseAddress! + start) }
            nodes[last].count += 1
        }
        count += 1
    }

    /// Grows a node's buffer by a quarter rather than Swift's doubling: a node is at most
    /// a few KiB, and doubling left up to half of every list's memory unused.
    static func grow(_ node: inout Node, by extra: Int) {
        let needed = node.bytes.count + extra
        guard node.bytes.capacity < needed else { return }
        var grown: [UInt8] = []
        grown.reserveCapacity(max(needed, node.bytes.count + node.bytes.count / 4 + 16))
        grown.append(contentsOf: node.bytes)
        node.bytes = grown
    }

    /// Gives back a full node's spare capacity when the next node is started.
    static func compact(_ node: inout Node) {
        guard node.bytes.capacity > node.bytes.count + 64 else { return }
        node.bytes = node.bytes.withUnsafeBufferPointer { Array($0) }
    }

    public func popHead() -> Bytes? {
        guard !nodes.isEmpty else { return nil }
        let (element, next) = ListValue.read(nodes[0].bytes, at: 0)
        if nodes[0].count == 1 {
            nodes.removeFirst()
        } else {
            nodes[0].bytes.removeFirst(next)
            nodes[0].count -= 1
        }
        count -= 1
        return element
    }

    public func popTail() -> Bytes? {
        guard !nodes.isEmpty else { return nil }
        let last = nodes.count - 1
        let start = ListValue.lastEntryStart(nodes[last].bytes)
        let (element, _) = ListValue.read(nodes[last].bytes, at: start)
        if nodes[last].count == 1 {
            nodes.removeLast()
        } else {
            nodes[last].bytes.removeSubrange(start...)
            nodes[last].count -= 1
        }
        count -= 1
        return element
    }

    // MARK: - Reading

    /// Calls `body` with each element from index `start` through `end` (inclusive, already
    /// within bounds), stopping early when it returns false.
    public func forEach(from start: Int, through end: Int, _ body: (Int, Bytes) -> Bool) {
        guard start <= end, start < count else { return }
        var index = 0
        for node in nodes {
            if index + node.count <= start {
                index += node.count
                continue
            }
            var p = 0
            while p < node.bytes.count {
                let (element, next) = ListValue.read(node.bytes, at: p)
                if index >= start {
                    if index > end || !body(index, element) { return }
                }
                index += 1
                p = next
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
        nodes = []
        count = 0
        for e in elements { pushTail(e) }
    }

    public func copy() -> ListValue {
        let c = ListValue(fill: fill)
        c.nodes = nodes
        c.count = count
        return c
    }
}
