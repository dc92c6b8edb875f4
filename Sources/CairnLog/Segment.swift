import CairnCore

/// A log segment file: a header, then records.
///
/// Format version 2 (written now), 76 bytes:
///
///     [8 bytes "CAIRNLOG"][u32 version = 2][u32 reserved = 0][u64 first lsn]
///     [u64 stream start][40 bytes replication id][u32 crc32c of the 72 bytes before]
///
/// `stream start` is the replication offset before the segment's first record, and every
/// record of the segment belongs to the history named by the replication id (a new id
/// starts a new segment). Version 1 (24 bytes: magic, version, reserved, first LSN) is
/// still read; its records carry no stream offsets.
///
/// Segments are named by their first LSN, zero-padded to 20 digits: `00000000000000000001.log`.
public enum Segment {
    public static let magic: [UInt8] = Array("CAIRNLOG".utf8)
    public static let version: UInt32 = 2
    public static let headerBytes = 76
    static let headerBytesV1 = 24
    public static let replicationIDBytes = 40

    public static func fileName(firstLSN: UInt64) -> String {
        let digits = String(firstLSN)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// The first LSN a segment name announces, or nil when the name is not a segment's.
    public static func firstLSN(fileName: String) -> UInt64? {
        guard fileName.hasSuffix(".log"), fileName.count == 24 else { return nil }
        return UInt64(fileName.dropLast(4))
    }

    public static func header(firstLSN: UInt64, stream: ReplicationPosition) -> [UInt8] {
        var out = magic
        appendLE(version, &out)
        appendLE(UInt32(0), &out)
        appendLE(firstLSN, &out)
        appendLE(stream.offset, &out)
        out.append(contentsOf: stream.id.utf8)
        let crc = out.withUnsafeBytes { cairn_crc32c(0, $0.baseAddress, $0.count) }
        appendLE(crc, &out)
        return out
    }

    /// A version 1 header, for the tests that a log written before stream offsets loads.
    public static func headerV1(firstLSN: UInt64) -> [UInt8] {
        var out = magic
        appendLE(UInt32(1), &out)
        appendLE(UInt32(0), &out)
        appendLE(firstLSN, &out)
        return out
    }

    /// Checks a segment's header; returns what it says or a reason.
    public static func parseHeader(_ bytes: UnsafeRawBufferPointer) -> Result<SegmentHeader, LogDamage> {
        guard bytes.count >= headerBytesV1 else {
            return .failure(LogDamage(offset: 0, reason: "file shorter than the \(headerBytesV1)-byte segment header"))
        }
        guard Array(bytes[0..<8]) == magic else { return .failure(LogDamage(offset: 0, reason: "not a Cairn log segment (bad magic)")) }
        let v = readLE(bytes, 8, as: UInt32.self)
        let first = readLE(bytes, 16, as: UInt64.self)
        switch v {
        case 1:
            return .success(SegmentHeader(version: 1, firstLSN: first, stream: nil))
        case 2:
            guard bytes.count >= headerBytes else {
                return .failure(LogDamage(offset: 0, reason: "file shorter than the \(headerBytes)-byte segment header"))
            }
            let stored = readLE(bytes, 72, as: UInt32.self)
            let computed = cairn_crc32c(0, bytes.baseAddress, 72)
            guard stored == computed else {
                return .failure(LogDamage(offset: 72, reason: "segment header checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))"))
            }
            let id = String(decoding: bytes[32..<72], as: UTF8.self)
            guard ReplicationPosition.isValidID(id) else {
                return .failure(LogDamage(offset: 32, reason: "the replication id is not 40 hexadecimal digits"))
            }
            let stream = ReplicationPosition(id: id, offset: readLE(bytes, 24, as: UInt64.self))
            return .success(SegmentHeader(version: 2, firstLSN: first, stream: stream))
        default:
            return .failure(LogDamage(offset: 8, reason: "unsupported segment version \(v)"))
        }
    }
}

/// What a segment's header says.
public struct SegmentHeader: Equatable, Sendable {
    public var version: UInt32
    public var firstLSN: UInt64
    /// The replication id and the offset before the first record; nil for version 1.
    public var stream: ReplicationPosition?

    public var byteCount: Int { version == 1 ? Segment.headerBytesV1 : Segment.headerBytes }
}

/// A point in a replication history: its id (40 hex digits, as Redis's replid) and an
/// offset in bytes of the stream a replica receives.
public struct ReplicationPosition: Equatable, Sendable {
    public var id: String
    public var offset: UInt64

    public init(id: String, offset: UInt64) {
        self.id = id
        self.offset = offset
    }

    /// A new history: a random id, offset 0.
    public static func fresh() -> ReplicationPosition {
        ReplicationPosition(id: randomID(), offset: 0)
    }

    /// 40 random lowercase hex digits, as Redis makes a replid.
    public static func randomID() -> String {
        String(decoding: Hex.randomDigits(40), as: UTF8.self)
    }

    public static func isValidID(_ id: String) -> Bool {
        id.utf8.count == Segment.replicationIDBytes && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}

/// Where and why a file is damaged.
public struct LogDamage: Error, Equatable, Sendable {
    public var offset: Int
    public var reason: String
}
