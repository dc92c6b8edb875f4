import CLZ4

/// A list node's entries compressed with LZ4 (Redis compresses with LZF; the bytes are
/// Cairn's own, so any fast codec does): what an inner node of a list made with
/// list-compress-depth holds instead of its block.
struct CompressedEntries {
    let bytes: [UInt8]
    /// Bytes of the entries once expanded, and how many entries.
    let length: Int
    let count: Int

    /// Redis's MIN_COMPRESS_BYTES: smaller nodes are left alone.
    static let minimumBytes = 48

    /// `node`'s entries compressed, or nil when compressing would not save at least 8
    /// bytes (Redis keeps such a node plain too).
    static func compress(_ node: ListValue.Node) -> CompressedEntries? {
        let length = node.length
        guard node.compressed == nil, length >= minimumBytes else { return nil }
        let bound = Int(LZ4_compressBound(Int32(length)))
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBufferPointer { dst in
            Int(LZ4_compress_default(UnsafeRawPointer(node.start).assumingMemoryBound(to: CChar.self),
                                     UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self),
                                     Int32(length), Int32(bound)))
        }
        guard written > 0, written + 8 < length else { return nil }
        // A copy of the exact size: the bound is larger than what compression wrote.
        return CompressedEntries(bytes: Array(out[0..<written]), length: length, count: node.count)
    }

    /// A plain node holding these entries (the caller frees its block).
    func expanded() -> ListValue.Node {
        var node = ListValue.Node()
        let p = node.block.replace(0..<0, withLength: length)
        let read = bytes.withUnsafeBufferPointer { src in
            Int(LZ4_decompress_safe(UnsafeRawPointer(src.baseAddress!).assumingMemoryBound(to: CChar.self),
                                    p.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Int32(length)))
        }
        precondition(read == length, "a compressed list node did not expand to its length")
        node.block.setCount(count)
        return node
    }
}

extension ListValue {
    /// Keeps every node but the `compressDepth` at each end compressed, after a node was
    /// added or removed at an end: only the nodes at the boundaries can have changed side.
    func compressInnerNodes() {
        let depth = compressDepth, n = nodes.count
        guard depth > 0 else { return }
        for i in [depth - 1, depth, n - depth - 1, n - depth] where i >= 0 && i < n {
            let inner = i >= depth && i < n - depth
            if inner && nodes[i].compressed == nil {
                ListValue.shrinkToFit(&nodes[i])
                guard let compressed = CompressedEntries.compress(nodes[i]) else { continue }
                nodes[i].block.free()
                nodes[i] = Node(compressed: compressed)
            } else if !inner, let compressed = nodes[i].compressed {
                nodes[i] = compressed.expanded()
            }
        }
    }

    /// Nodes held compressed (DEBUG, tests).
    public var compressedNodeCount: Int { nodes.reduce(0) { $0 + ($1.compressed == nil ? 0 : 1) } }
}
