import CLZ4
import CZstd

/// Compresses and decompresses one frame with the snapshot's codec, reusing its buffers
/// (and zstd's context) from frame to frame.
final class FrameCompressor {
    let codec: SnapshotCodec
    private var zstdContext: OpaquePointer?
    /// zstd's level 1: the fast end, which already beats Redis's LZF by far on sizes.
    static let zstdLevel: Int32 = 1

    init(codec: SnapshotCodec) {
        self.codec = codec
        if codec == .zstd { zstdContext = ZSTD_createCCtx() }
    }

    deinit {
        if let zstdContext { ZSTD_freeCCtx(zstdContext) }
    }

    /// Compresses `raw` into `output` (replacing its contents).
    func compress(_ raw: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        switch codec {
        case .none:
            output.removeAll(keepingCapacity: true)
            output.append(contentsOf: raw)
        case .zstd:
            let bound = ZSTD_compressBound(raw.count)
            if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
            let n = output.withUnsafeMutableBytes { out in
                ZSTD_compressCCtx(zstdContext, out.baseAddress, out.count, raw.baseAddress, raw.count, FrameCompressor.zstdLevel)
            }
            if ZSTD_isError(n) != 0 { throw CompressionError(reason: String(cString: ZSTD_getErrorName(n))) }
            output.removeLast(output.count - n)
        case .lz4:
            let bound = Int(LZ4_compressBound(Int32(raw.count)))
            if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
            let n = output.withUnsafeMutableBytes { out in
                LZ4_compress_default(raw.baseAddress?.assumingMemoryBound(to: CChar.self),
                                     out.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(raw.count), Int32(out.count))
            }
            if n <= 0 && raw.count > 0 { throw CompressionError(reason: "lz4 could not compress a frame") }
            output.removeLast(output.count - Int(n))
        }
    }

    /// Decompresses a frame whose raw size is known; throws when the bytes do not
    /// decompress to exactly that size.
    static func decompress(_ codec: SnapshotCodec, _ stored: UnsafeRawBufferPointer, rawLength: Int, into output: inout [UInt8]) throws {
        if output.count != rawLength { output = [UInt8](repeating: 0, count: rawLength) }
        switch codec {
        case .none:
            guard stored.count == rawLength else { throw CompressionError(reason: "stored frame size differs from its raw size") }
            output.withUnsafeMutableBytes { $0.copyMemory(from: stored) }
        case .zstd:
            let n = output.withUnsafeMutableBytes { out in
                ZSTD_decompress(out.baseAddress, out.count, stored.baseAddress, stored.count)
            }
            if ZSTD_isError(n) != 0 { throw CompressionError(reason: "zstd: " + String(cString: ZSTD_getErrorName(n))) }
            guard n == rawLength else { throw CompressionError(reason: "frame decompressed to \(n) bytes, expected \(rawLength)") }
        case .lz4:
            let n = output.withUnsafeMutableBytes { out in
                LZ4_decompress_safe(stored.baseAddress?.assumingMemoryBound(to: CChar.self),
                                    out.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(stored.count), Int32(out.count))
            }
            guard Int(n) == rawLength else { throw CompressionError(reason: "lz4 frame did not decompress to \(rawLength) bytes") }
        }
    }
}

struct CompressionError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
