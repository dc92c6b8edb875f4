import CCairnSystem

/// The snapshot file's fixed parts (Docs/DATA_FILES.md has the whole layout):
///
///     header   "CAIRNSNP" version:u16 codec:u8 streamDatabase:u8 lsn:u64 createdMs:i64 databases:u32 crc:u32
///     frames   'F' rawLength:u32 storedLength:u32 crc32c(stored bytes):u32 stored bytes ...
///     trailer  'E' keys:u64 frames:u64 rawBytes:u64 crc32c(every byte before this field):u32
///
/// Integers are little-endian. A frame holds whole records (see `SnapshotRecordTag`),
/// compressed together; a collection too big for one frame continues in the next.
public enum SnapshotFormat {
    public static let magic: [UInt8] = Array("CAIRNSNP".utf8)
    public static let version: UInt16 = 1
    public static let headerBytes = 36
    public static let trailerBytes = 1 + 8 + 8 + 8 + 4
    public static let frameHeaderBytes = 1 + 4 + 4 + 4
    static let frameTag = UInt8(ascii: "F")
    static let trailerTag = UInt8(ascii: "E")
    /// Records are gathered up to this many raw bytes before a frame is compressed.
    public static let frameTargetBytes = 1 << 20
    /// A frame larger than this is damage, not data (the largest string is 512 MB).
    public static let frameBytesMax = 1 << 30
    /// Snapshot files live in `<dir>/snapshots/`, named by their LSN.
    public static let directoryName = "snapshots"
    public static let suffix = ".snap"

    public static func fileName(lsn: UInt64) -> String {
        let digits = String(lsn)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    public static func lsn(fileName: String) -> UInt64? {
        guard fileName.hasSuffix(suffix) else { return nil }
        return UInt64(fileName.dropLast(suffix.count))
    }
}

/// How frames are compressed (directive `snapshot-compression`).
public enum SnapshotCodec: UInt8, Sendable, CaseIterable {
    case none = 0
    case zstd = 1
    case lz4 = 2

    public var name: String {
        switch self {
        case .none: return "none"
        case .zstd: return "zstd"
        case .lz4: return "lz4"
        }
    }

    public init?(name: String) {
        guard let c = SnapshotCodec.allCases.first(where: { $0.name == name }) else { return nil }
        self = c
    }
}

/// What a record of the raw stream is. The high bit (`hasExpiry`) says an expiry follows
/// the key.
public enum SnapshotRecordTag: UInt8 {
    /// A string kept as text: varint length, bytes.
    case text = 1
    /// A string that is an integer: zigzag varint.
    case integer = 2
    /// A string in Redis's "raw" encoding (changed in place): varint length, bytes.
    case raw = 3
    /// count:u32, then that many field and value strings.
    case hash = 4
    /// count:u32, then that many member strings.
    case set = 5
    /// count:u32, then that many zigzag varints (an intset).
    case intSet = 6
    /// count:u32, then that many element strings, head first.
    case list = 7
    /// count:u32, then that many (score:f64, member string), lowest rank first.
    case sortedSet = 8
    /// More elements of the previous record's collection: count:u32, then elements in
    /// its format. Carries no database, key or expiry.
    case continuation = 9
    /// A function library's code (FUNCTION LOAD's argument): varint length, bytes. Carries
    /// no database, key or expiry, and comes before the first key.
    case functionLibrary = 10
    /// A stream: last, first and max-deleted IDs (each two varints), entries added
    /// (zigzag), groups (varint count; each a name, last ID, entries read (zigzag), and
    /// consumers (varint count; each a name, seen time (zigzag) and pending entries
    /// (varint count; each an ID, delivery time and count (zigzags)))); then count:u32
    /// and that many entries (an ID, varint string count, field and value strings).
    case stream = 11

    static let hasExpiry: UInt8 = 0x80
}

/// Little-endian appends to a byte array.
struct ByteSink {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func varint(_ v: UInt64) {
        var x = v
        while x >= 0x80 {
            bytes.append(UInt8(x & 0x7f) | 0x80)
            x >>= 7
        }
        bytes.append(UInt8(x))
    }

    mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    mutating func raw(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }

    mutating func patchU32(_ v: UInt32, at offset: Int) {
        withUnsafeBytes(of: v.littleEndian) { le in
            for i in 0..<4 { bytes[offset + i] = le[i] }
        }
    }
}

/// Damage found in a snapshot: where, what, and what to do.
public struct SnapshotDamage: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var offset: Int
    public var reason: String

    public init(file: String, offset: Int, reason: String) {
        self.file = file
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        "Bad snapshot \(file) at offset \(offset): \(reason). Cairn will not load a damaged snapshot; " +
        "inspect it with 'cairn check-snapshot <file>' and restore the data directory from a backup or replica."
    }
}

/// Bounds-checked little-endian reads from a byte range; a read past the end is damage.
struct ByteSource {
    let base: UnsafeRawBufferPointer
    var offset: Int
    let end: Int

    init(_ base: UnsafeRawBufferPointer, from offset: Int = 0, to end: Int? = nil) {
        self.base = base
        self.offset = offset
        self.end = end ?? base.count
    }

    var remaining: Int { end - offset }
    var atEnd: Bool { offset >= end }

    struct Short: Error {}

    mutating func u8() throws -> UInt8 {
        guard offset < end else { throw Short() }
        defer { offset += 1 }
        return base[offset]
    }

    mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let n = MemoryLayout<T>.size
        guard offset + n <= end else { throw Short() }
        defer { offset += n }
        return T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// A varint that must be a count or an index: one past Int's range is damage, not a
    /// trap (found by Tools/fuzz).
    mutating func varintInt() throws -> Int {
        guard let v = Int(exactly: try varint()) else { throw Short() }
        return v
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = try u8()
            guard shift < 64 else { throw Short() }
            value |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    mutating func zigzag() throws -> Int64 {
        let u = try varint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// `count` bytes as a view into the source.
    mutating func bytes(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= end - offset else { throw Short() }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: base[offset..<(offset + count)])
    }
}

func crc32c(_ b: UnsafeRawBufferPointer, _ crc: UInt32 = 0) -> UInt32 {
    cairn_crc32c(crc, b.baseAddress, b.count)
}
