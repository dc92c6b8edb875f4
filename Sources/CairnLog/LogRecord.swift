@_exported import CCairnSystem

/// What a record holds.
public enum RecordKind: UInt8, Sendable {
    /// One command's effect: [u16 database][RESP multibulk].
    case command = 1
    /// Several effects applied together or not at all (a command with more than one
    /// effect, a MULTI/EXEC block, later scripts): repeated [u16 database][RESP multibulk].
    /// A replica receives it wrapped in MULTI ... EXEC, as Redis 7.0 propagates it.
    case batch = 2
    /// Bytes of the replication stream that change nothing (a PING or REPLCONF GETACK
    /// sent to replicas), kept so that stream offsets stay continuous across restarts:
    /// the payload is those bytes. Recovery skips it.
    case stream = 3

    /// Whether the payload is effects that recovery applies.
    public var carriesEffects: Bool { self != .stream }
}

/// How a record's effects appear in the replication stream, beyond what the payload says.
public struct RecordFlags: OptionSet, Sendable, Equatable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// A SELECT of the first effect's database precedes the record in the stream (its
    /// database differs from the stream's, or the stream's is not known to the reader:
    /// the first record after a start or a full sync).
    public static let selectsDatabase = RecordFlags(rawValue: 1)
}

/// One log record (format version 2):
///
///     [u32 length][u32 crc32c][u64 lsn][u8 kind][u8 flags][u64 stream end][payload]
///
/// little-endian; `length` counts everything after the CRC (18 + payload bytes); the
/// CRC-32C covers the same bytes. `stream end` is the replication offset just after the
/// record's bytes in the replication stream (Redis's master_repl_offset once the record is
/// propagated). Version 1 records (no flags, no stream end) are still read. Layout
/// documented in Docs/DATA_FILES.md.
public struct LogRecord: Equatable, Sendable {
    public var lsn: UInt64
    public var kind: RecordKind
    public var flags: RecordFlags
    /// The replication offset after this record; 0 in a version 1 segment (unknown).
    public var streamEnd: UInt64
    public var payload: [UInt8]

    public init(lsn: UInt64, kind: RecordKind, flags: RecordFlags = [], streamEnd: UInt64 = 0, payload: [UInt8]) {
        self.lsn = lsn
        self.kind = kind
        self.flags = flags
        self.streamEnd = streamEnd
        self.payload = payload
    }

    public static let headerBytes = 8
    /// lsn, kind, flags, stream end.
    public static let fixedBodyBytes = 18
    /// lsn, kind: a version 1 record.
    static let fixedBodyBytesV1 = 9
    /// A record claiming more than this is damage, not data (the largest command is
    /// bounded by proto-max-bulk-len and the query buffer limit, 1 GiB each).
    public static let bodyBytesMax = 2 * 1024 * 1024 * 1024 + 1024

    public var encodedSize: Int { LogRecord.headerBytes + LogRecord.fixedBodyBytes + payload.count }

    /// Appends the encoded record to `out`.
    public static func encode(lsn: UInt64, kind: RecordKind, flags: RecordFlags, streamEnd: UInt64,
                              payload: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        encode(lsn: lsn, kind: kind, flags: flags, streamEnd: streamEnd, payloadBytes: payload.count, into: &out) { p in
            if let source = payload.baseAddress { p.copyMemory(from: source, byteCount: payload.count) }
        }
    }

    /// Appends a record whose payload of `payloadBytes` bytes `writePayload` writes at the
    /// pointer it is given; the buffer grows once and the record is written in place (one
    /// append per field, each with its capacity and uniqueness checks, was a few percent
    /// of a pipelined write's time).
    @inlinable
    public static func encode(lsn: UInt64, kind: RecordKind, flags: RecordFlags, streamEnd: UInt64, payloadBytes: Int,
                              into out: inout [UInt8], writePayload: (UnsafeMutableRawPointer) -> Void) {
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
            out.append(contentsOf: UnsafeBufferPointer(rebasing: zeroRun[0..<n]))
            room -= n
        }
        out.withUnsafeMutableBytes { raw in
            let record = raw.baseAddress! + start
            let body = record + headerBytes
            body.storeBytes(of: lsn.littleEndian, toByteOffset: 0, as: UInt64.self)
            body.storeBytes(of: kind.rawValue, toByteOffset: 8, as: UInt8.self)
            body.storeBytes(of: flags.rawValue, toByteOffset: 9, as: UInt8.self)
            body.storeBytes(of: streamEnd.littleEndian, toByteOffset: 10, as: UInt64.self)
            writePayload(body + fixedBodyBytes)
            record.storeBytes(of: UInt32(bodyLength).littleEndian, toByteOffset: 0, as: UInt32.self)
            record.storeBytes(of: cairn_crc32c(0, body, bodyLength).littleEndian, toByteOffset: 4, as: UInt32.self)
        }
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        payload.withUnsafeBytes {
            LogRecord.encode(lsn: lsn, kind: kind, flags: flags, streamEnd: streamEnd, payload: $0, into: &out)
        }
        return out
    }
}

/// Zeros to make room in a record buffer with (see `encode`): memory of its own, never
/// freed, so that appending from it takes no reference (a slice of an array retained and
/// released the array, two atomic operations per record).
@usableFromInline nonisolated(unsafe) let zeroRun: UnsafeBufferPointer<UInt8> = {
    let zeros = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 4096)
    zeros.initialize(repeating: 0)
    return UnsafeBufferPointer(zeros)
}()

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

    /// Decodes the record starting at `offset` of `bytes`, in the layout of segment
    /// format `version`.
    public static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int, version: UInt32 = Segment.version) -> RecordRead {
        let fixed = version == 1 ? fixedBodyBytesV1 : fixedBodyBytes
        let remaining = bytes.count - offset
        if remaining < headerBytes + fixed {
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
        if length < fixed || length > bodyBytesMax {
            return .damaged(reason: "impossible record length \(length)", end: offset + headerBytes)
        }
        if remaining < headerBytes + length { return .incomplete(reason: "record of \(length) bytes cut off after \(remaining - headerBytes)") }
        let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + headerBytes)..<(offset + headerBytes + length)])
        let actual = cairn_crc32c(0, body.baseAddress, body.count)
        let end = offset + headerBytes + length
        if actual != crc { return .damaged(reason: "checksum mismatch (stored \(hex(crc)), computed \(hex(actual)))", end: end) }
        guard let kind = RecordKind(rawValue: body[8]), version > 1 || kind != .stream else {
            return .damaged(reason: "unknown record kind \(body[8])", end: end)
        }
        let lsn = readLE(body, 0, as: UInt64.self)
        if version == 1 { return .record(LogRecord(lsn: lsn, kind: kind, payload: Array(body[fixed...])), next: end) }
        let flags = RecordFlags(rawValue: body[9])
        let streamEnd = readLE(body, 10, as: UInt64.self)
        return .record(LogRecord(lsn: lsn, kind: kind, flags: flags, streamEnd: streamEnd, payload: Array(body[fixed...])), next: end)
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}
