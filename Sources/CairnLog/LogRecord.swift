@_exported import CCairnSystem

/// What a record holds.
public enum RecordKind: UInt8, Sendable {
    /// One command's effect: [u16 database][RESP multibulk].
    case command = 1
    /// Several effects applied together or not at all (a command with more than one
    /// effect, later MULTI/EXEC and scripts): repeated [u16 database][RESP multibulk].
    case batch = 2
}

/// One log record:
///
///     [u32 length][u32 crc32c][u64 lsn][u8 kind][payload]
///
/// little-endian; `length` counts lsn, kind and payload (9 + payload bytes); the CRC-32C
/// covers the same bytes. Layout documented in Docs/DATA_FILES.md.
public struct LogRecord: Equatable, Sendable {
    public var lsn: UInt64
    public var kind: RecordKind
    public var payload: [UInt8]

    public init(lsn: UInt64, kind: RecordKind, payload: [UInt8]) {
        self.lsn = lsn
        self.kind = kind
        self.payload = payload
    }

    public static let headerBytes = 8
    /// lsn + kind.
    public static let fixedBodyBytes = 9
    /// A record claiming more than this is damage, not data (the largest command is
    /// bounded by proto-max-bulk-len and the query buffer limit, 1 GiB each).
    public static let bodyBytesMax = 2 * 1024 * 1024 * 1024 + 1024

    public var encodedSize: Int { LogRecord.headerBytes + LogRecord.fixedBodyBytes + payload.count }

    /// Appends the encoded record to `out`.
    public static func encode(lsn: UInt64, kind: RecordKind, payload: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        encode(lsn: lsn, kind: kind, payloadBytes: payload.count, into: &out) { p in
            if let source = payload.baseAddress { p.copyMemory(from: source, byteCount: payload.count) }
        }
    }

    /// Appends a record whose payload of `payloadBytes` bytes `writePayload` writes at the
    /// pointer it is given; the buffer grows once and the record is written in place (one
    /// append per field, each with its capacity and uniqueness checks, was a few percent
    /// of a pipelined write's time).
    @inlinable
    public static func encode(lsn: UInt64, kind: RecordKind, payloadBytes: Int, into out: inout [UInt8],
                              writePayload: (UnsafeMutableRawPointer) -> Void) {
        let start = out.count
        let bodyLength = fixedBodyBytes + payloadBytes
        if out.capacity < start + headerBytes + bodyLength {
            out.reserveCapacity(max(start + headerBytes + bodyLength, 2 * out.capacity))
        }
        // The array has no uninitialized append: room is made with zeros copied from a
        // zeroed run (a memcpy; appending `repeatElement` stored them one at a time).
        var room = headerBytes + bodyLength
        while room > 0 {
            let n = min(room, zeroRun.count)
            out.append(contentsOf: zeroRun[0..<n])
            room -= n
        }
        out.withUnsafeMutableBytes { raw in
            let record = raw.baseAddress! + start
            let body = record + headerBytes
            body.storeBytes(of: lsn.littleEndian, toByteOffset: 0, as: UInt64.self)
            body.storeBytes(of: kind.rawValue, toByteOffset: 8, as: UInt8.self)
            writePayload(body + fixedBodyBytes)
            record.storeBytes(of: UInt32(bodyLength).littleEndian, toByteOffset: 0, as: UInt32.self)
            record.storeBytes(of: cairn_crc32c(0, body, bodyLength).littleEndian, toByteOffset: 4, as: UInt32.self)
        }
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        payload.withUnsafeBytes { LogRecord.encode(lsn: lsn, kind: kind, payload: $0, into: &out) }
        return out
    }
}

/// Zeros to make room in a record buffer with (see `encode`).
@usableFromInline let zeroRun = [UInt8](repeating: 0, count: 4096)

@inline(__always)
func appendLE<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
    var le = v.littleEndian
    withUnsafeBytes(of: &le) { out.append(contentsOf: $0) }
}

@inline(__always)
func readLE<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _ offset: Int, as: T.Type) -> T {
    T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
}

/// What decoding one record at an offset found.
public enum RecordRead {
    case record(LogRecord, next: Int)
    /// Only zero bytes from here to the end: the preallocated space after the last record
    /// of the segment being written.
    case zeroFill
    /// The bytes end inside a record: a torn tail if nothing follows.
    case incomplete(reason: String)
    /// A whole record whose checksum or shape is wrong.
    case damaged(reason: String, end: Int)
}

extension LogRecord {
    /// Whether every byte from `start` (clamped to the end) is zero.
    static func onlyZeros(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Bool {
        UnsafeRawBufferPointer(rebasing: bytes[min(start, bytes.count)...]).allSatisfy { $0 == 0 }
    }

    /// Decodes the record starting at `offset` of `bytes`.
    public static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> RecordRead {
        let remaining = bytes.count - offset
        if remaining < headerBytes + fixedBodyBytes {
            if onlyZeros(bytes, from: offset) { return .zeroFill }
            return .incomplete(reason: "only \(remaining) bytes left, less than a record header")
        }
        let length = Int(readLE(bytes, offset, as: UInt32.self))
        let crc = readLE(bytes, offset + 4, as: UInt32.self)
        if length == 0 && crc == 0 {
            // Zero fill: a file extended by the file system before the data reached it.
            if onlyZeros(bytes, from: offset) { return .zeroFill }
            return .damaged(reason: "zero length record followed by data", end: offset + headerBytes)
        }
        if length < fixedBodyBytes || length > bodyBytesMax {
            return .damaged(reason: "impossible record length \(length)", end: offset + headerBytes)
        }
        if remaining < headerBytes + length { return .incomplete(reason: "record of \(length) bytes cut off after \(remaining - headerBytes)") }
        let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + headerBytes)..<(offset + headerBytes + length)])
        let actual = cairn_crc32c(0, body.baseAddress, body.count)
        let end = offset + headerBytes + length
        if actual != crc { return .damaged(reason: "checksum mismatch (stored \(hex(crc)), computed \(hex(actual)))", end: end) }
        guard let kind = RecordKind(rawValue: body[8]) else {
            return .damaged(reason: "unknown record kind \(body[8])", end: end)
        }
        let lsn = readLE(body, 0, as: UInt64.self)
        return .record(LogRecord(lsn: lsn, kind: kind, payload: Array(body[9...])), next: end)
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}
