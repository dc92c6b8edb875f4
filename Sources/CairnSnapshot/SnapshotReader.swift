import CairnCore
import CairnStore

/// The header of a snapshot file.
public struct SnapshotHeader: Equatable, Sendable {
    public var version: UInt16
    public var codec: SnapshotCodec
    public var lsn: UInt64
    public var createdMs: Int64
    public var databases: Int
    /// The replication stream's database after the record at `lsn`: the records after
    /// it select only when the database changes, so a replica that starts there must know
    /// it. nil when the next record selects. Byte 11: 0 for nil, the database + 1 up to
    /// database 253, 255 for one not known (`streamDatabaseKnown` false).
    public var streamDatabase: Int? = nil
    public var streamDatabaseKnown = true
}

/// One key read back from a snapshot.
public struct SnapshotEntry {
    public var database: Int
    public var key: Bytes
    public var expireAtMs: Int64?
    public var value: Value
}

/// Reads a snapshot file. Opening it verifies the whole file (header, every frame's
/// checksum, the trailer and the file checksum) without decompressing anything, so a
/// damaged snapshot is refused before a single key is loaded; `next` then decompresses
/// frame by frame and rebuilds the values.
public final class SnapshotReader {
    public let path: String
    public let header: SnapshotHeader
    public let expectedKeys: Int
    public let expectedFrames: Int
    public let expectedRawBytes: Int
    /// The whole file, kept alive by `owner` (a mapping, or a copy).
    private let file: UnsafeRawBufferPointer
    private let owner: AnyObject
    private let framesEnd: Int
    private var nextFrameOffset = SnapshotFormat.headerBytes
    private var frameOffset = 0
    private var frame: [UInt8] = []
    private var position = 0
    private var framesRead = 0
    /// The key the last record started, held back until the next record starts or the
    /// snapshot ends: continuation records add to its collection, and a set's may replace
    /// its value (an intset is rebuilt at every insert).
    private var pending: SnapshotEntry?
    public private(set) var keysRead = 0
    /// The function libraries' code, as read so far (they come before the first key).
    public private(set) var functionLibraries: [Bytes] = []
    public var fileBytes: Int { file.count }
    /// How far into the file decoding has got (for progress reports).
    public var bytesRead: Int { nextFrameOffset }

    /// Reads a snapshot held in memory (tests, small files).
    public convenience init(path: String, bytes: [UInt8]) throws {
        let copy = OwnedBytes(bytes)
        try self.init(path: path, bytes: copy.buffer, owner: copy)
    }

    /// Reads a snapshot from `bytes`, which stay valid as long as `owner` lives (a file
    /// mapping: the file is read in order, never copied whole into memory).
    public init(path: String, bytes: UnsafeRawBufferPointer, owner: AnyObject) throws {
        self.path = path
        self.file = bytes
        self.owner = owner
        func damage(_ offset: Int, _ reason: String) -> SnapshotDamage {
            SnapshotDamage(file: path, offset: offset, reason: reason)
        }
        let parsed: (SnapshotHeader, Int, Int, Int, Int) = try { (all: UnsafeRawBufferPointer) in
            guard all.count >= SnapshotFormat.headerBytes + SnapshotFormat.trailerBytes else {
                throw damage(0, "file too short (\(all.count) bytes) to be a snapshot")
            }
            guard Array(all[0..<8]) == SnapshotFormat.magic else { throw damage(0, "not a Cairn snapshot (bad magic)") }
            var h = ByteSource(all, from: 8)
            let version = try h.fixed(UInt16.self)
            let codecByte = try h.u8()
            let streamDatabaseByte = try h.u8()
            let lsn = try h.fixed(UInt64.self)
            let created = Int64(bitPattern: try h.fixed(UInt64.self))
            let databases = Int(try h.fixed(UInt32.self))
            let headerCRC = try h.fixed(UInt32.self)
            guard crc32c(UnsafeRawBufferPointer(rebasing: all[0..<(SnapshotFormat.headerBytes - 4)])) == headerCRC else {
                throw damage(0, "header checksum mismatch")
            }
            guard version == SnapshotFormat.version else { throw damage(8, "unsupported snapshot version \(version)") }
            guard let codec = SnapshotCodec(rawValue: codecByte) else { throw damage(10, "unknown compression codec \(codecByte)") }
            // Frames up to the trailer, each checked against its checksum.
            var s = ByteSource(all, from: SnapshotFormat.headerBytes)
            var frames = 0, rawTotal = 0
            while true {
                let at = s.offset
                guard let tag = try? s.u8() else { throw damage(at, "file ends before the trailer (truncated)") }
                if tag == SnapshotFormat.trailerTag { break }
                guard tag == SnapshotFormat.frameTag else { throw damage(at, "expected a frame or the trailer, found byte \(tag)") }
                guard let rawLength = try? s.fixed(UInt32.self), let storedLength = try? s.fixed(UInt32.self),
                      let crc = try? s.fixed(UInt32.self) else { throw damage(at, "frame header cut short (truncated)") }
                guard Int(rawLength) <= SnapshotFormat.frameBytesMax, Int(storedLength) <= SnapshotFormat.frameBytesMax else {
                    throw damage(at, "frame \(frames) claims an impossible size")
                }
                guard let stored = try? s.bytes(Int(storedLength)) else { throw damage(at, "frame \(frames) cut short (truncated)") }
                guard crc32c(stored) == crc else { throw damage(at, "frame \(frames) checksum mismatch") }
                frames += 1
                rawTotal += Int(rawLength)
            }
            let trailerAt = s.offset - 1
            guard all.count - trailerAt == SnapshotFormat.trailerBytes else {
                throw damage(trailerAt, all.count - trailerAt < SnapshotFormat.trailerBytes
                             ? "trailer cut short (truncated)" : "\(all.count - trailerAt - SnapshotFormat.trailerBytes) unexpected bytes after the trailer")
            }
            let keys = Int(try s.fixed(UInt64.self))
            let frameCount = Int(try s.fixed(UInt64.self))
            let rawBytes = Int(try s.fixed(UInt64.self))
            let fileCRC = try s.fixed(UInt32.self)
            guard crc32c(UnsafeRawBufferPointer(rebasing: all[0..<(all.count - 4)])) == fileCRC else {
                throw damage(all.count - 4, "file checksum mismatch")
            }
            guard frameCount == frames, rawBytes == rawTotal else {
                throw damage(trailerAt, "trailer counts \(frameCount) frames of \(rawBytes) bytes, the file has \(frames) of \(rawTotal)")
            }
            return (SnapshotHeader(version: version, codec: codec, lsn: lsn, createdMs: created, databases: databases,
                                   streamDatabase: streamDatabaseByte == 0 || streamDatabaseByte == 255 ? nil : Int(streamDatabaseByte) - 1,
                                   streamDatabaseKnown: streamDatabaseByte != 255),
                    keys, frames, rawBytes, trailerAt)
        }(bytes)
        (header, expectedKeys, expectedFrames, expectedRawBytes, framesEnd) = parsed
    }

    /// The next key, nil after the last. Throws `SnapshotDamage` on anything malformed
    /// (which a verified file only has if the writer was wrong).
    public func next(_ limits: CollectionLimits) throws -> SnapshotEntry? {
        while true {
            if position >= frame.count {
                guard try loadFrame() else {
                    guard keysRead == expectedKeys else {
                        throw SnapshotDamage(file: path, offset: framesEnd, reason: "trailer counts \(expectedKeys) keys, the frames hold \(keysRead)")
                    }
                    defer { pending = nil }
                    return pending
                }
                continue
            }
            do {
                if let entry = try frame.withUnsafeBytes({ buffer -> SnapshotEntry? in
                    var s = ByteSource(buffer, from: position)
                    defer { position = s.offset }
                    return try record(&s, limits)
                }) {
                    keysRead += 1
                    let complete = pending
                    pending = entry
                    if let complete { return complete }
                }
            } catch let error as SnapshotDamage {
                throw error
            } catch {
                throw SnapshotDamage(file: path, offset: frameOffset, reason: "record cut short at byte \(position) of frame \(framesRead - 1)")
            }
        }
    }

    private func loadFrame() throws -> Bool {
        guard nextFrameOffset < framesEnd else { return false }
        let at = nextFrameOffset
        do {
            var s = ByteSource(file, from: at + 1)
            let rawLength = Int(try s.fixed(UInt32.self))
            let storedLength = Int(try s.fixed(UInt32.self))
            _ = try s.fixed(UInt32.self)
            let stored = try s.bytes(storedLength)
            do {
                try FrameCompressor.decompress(header.codec, stored, rawLength: rawLength, into: &frame)
            } catch {
                throw SnapshotDamage(file: path, offset: at, reason: "frame \(framesRead) does not decompress: \(error)")
            }
            nextFrameOffset = s.offset
        }
        frameOffset = at
        framesRead += 1
        position = 0
        return true
    }

    private func bad(_ reason: String) -> SnapshotDamage {
        SnapshotDamage(file: path, offset: frameOffset, reason: "\(reason) (frame \(framesRead - 1), byte \(position))")
    }

    /// Decodes one record; nil for a continuation (its elements go to `pending`).
    private func record(_ s: inout ByteSource, _ limits: CollectionLimits) throws -> SnapshotEntry? {
        let tagByte = try s.u8()
        if tagByte == SnapshotRecordTag.functionLibrary.rawValue {
            guard keysRead == 0 else { throw bad("function library after the first key") }
            functionLibraries.append(try string(&s))
            return nil
        }
        if tagByte == SnapshotRecordTag.continuation.rawValue {
            guard pending != nil, !pending!.value.isString else { throw bad("continuation record with no collection before it") }
            try elements(of: &pending!.value, &s, limits)
            return nil
        }
        guard let tag = SnapshotRecordTag(rawValue: tagByte & ~SnapshotRecordTag.hasExpiry), tag != .continuation,
              tag != .functionLibrary else {
            throw bad("unknown record type \(tagByte)")
        }
        let database = try s.varintInt()
        guard database < max(header.databases, 1) else { throw bad("database \(database) out of range") }
        let key = try string(&s)
        let expiry = tagByte & SnapshotRecordTag.hasExpiry != 0 ? Int64(bitPattern: try s.fixed(UInt64.self)) : nil
        var value: Value
        switch tag {
        case .text: value = Value.textString(try string(&s))
        case .integer: value = .int(try s.zigzag())
        case .raw: value = Value.rawString(try string(&s))
        case .hash: value = .hash(HashValue())
        case .set, .intSet: value = .set(SetValue())
        case .list: value = .list(ListValue(fill: limits.listFill, compressDepth: limits.listCompressDepth))
        case .sortedSet: value = .zset(SortedSetValue())
        case .stream: value = .stream(try streamMetadata(&s))
        case .continuation, .functionLibrary: throw bad("unknown record type \(tagByte)")
        }
        if !value.isString {
            currentTag = tag
            try elements(of: &value, &s, limits)
        }
        return SnapshotEntry(database: database, key: key, expireAtMs: expiry, value: value)
    }

    private var currentTag = SnapshotRecordTag.text

    private func elements(of value: inout Value, _ s: inout ByteSource, _ limits: CollectionLimits) throws {
        let count = Int(try s.fixed(UInt32.self))
        switch value {
        case .hash(let h):
            for _ in 0..<count {
                let f = try string(&s), v = try string(&s)
                _ = h.set(f, v, maxPackedEntries: limits.hashMaxPackedEntries, maxPackedValueBytes: limits.hashMaxPackedValueBytes)
            }
        case .set(var set):
            if currentTag == .intSet {
                var ints: [Int64] = []
                ints.reserveCapacity(min(count, 1 << 16))
                for _ in 0..<count { ints.append(try s.zigzag()) }
                set.add(integers: ints, maxIntSetEntries: limits.setMaxIntSetEntries)
            } else {
                for _ in 0..<count { _ = set.add(try string(&s), maxIntSetEntries: limits.setMaxIntSetEntries) }
            }
            value = .set(set)
        case .list(let l):
            for _ in 0..<count { l.pushTail(try string(&s)) }
        case .zset(let z):
            for _ in 0..<count {
                let score = Double(bitPattern: try s.fixed(UInt64.self))
                guard !score.isNaN else { throw bad("NaN score") }
                _ = z.set(try string(&s), score, maxPackedEntries: limits.zsetMaxPackedEntries,
                          maxPackedValueBytes: limits.zsetMaxPackedValueBytes)
            }
        case .stream(let st):
            for _ in 0..<count {
                let id = try streamID(&s)
                let n = try s.varintInt()
                guard n >= 2, n % 2 == 0, n <= SnapshotFormat.frameBytesMax else { throw bad("stream entry with \(n) strings") }
                var pairs: [Bytes] = []
                pairs.reserveCapacity(min(n, 1024))
                for _ in 0..<n { pairs.append(try string(&s)) }
                st.appendLoaded(id, pairs[...], limits: limits)
            }
        default:
            throw bad("elements for a string")
        }
    }

    private func streamID(_ s: inout ByteSource) throws -> StreamID {
        StreamID(ms: try s.varint(), seq: try s.varint())
    }

    /// A stream's IDs, counters and groups, before its entries.
    private func streamMetadata(_ s: inout ByteSource) throws -> StreamValue {
        let st = StreamValue()
        st.lastID = try streamID(&s)
        st.firstID = try streamID(&s)
        st.maxDeletedID = try streamID(&s)
        st.entriesAdded = try s.zigzag()
        for _ in 0..<(try s.varint()) {
            let g = StreamGroup(name: try string(&s), lastID: try streamID(&s), entriesRead: try s.zigzag())
            guard st.addLoaded(g) else { throw bad("stream group \(g.name.string) twice") }
            for _ in 0..<(try s.varint()) {
                let c = StreamConsumer(name: try string(&s), seenTime: try s.zigzag())
                guard g.consumers[c.name] == nil else { throw bad("stream consumer \(c.name.string) twice") }
                g.add(c)
                for _ in 0..<(try s.varint()) {
                    let id = try streamID(&s)
                    let nack = StreamPendingEntry(deliveryTime: try s.zigzag(), deliveryCount: try s.zigzag(), consumer: c)
                    guard g.pending.insert(id, nack) else { throw bad("pending entry \(id.ms)-\(id.seq) twice in a group") }
                    c.pending.insert(id, nack)
                }
            }
        }
        return st
    }

    private func string(_ s: inout ByteSource) throws -> Bytes {
        let n = try s.varint()
        guard n <= UInt64(SnapshotFormat.frameBytesMax) else { throw bad("string length \(n) out of range") }
        return Bytes(try s.bytes(Int(n)))
    }
}

extension SnapshotReader {
    /// Loads up to `maxKeys` more keys into `keyspace`, which must not hold any of them
    /// (it starts empty: recovery, DEBUG RELOAD, `cairn dump`); returns true when the
    /// snapshot is done.
    public func load(into keyspace: Keyspace, limits: CollectionLimits, maxKeys: Int = Int.max, clock: UInt32 = 0) throws -> Bool {
        var n = 0
        while n < maxKeys {
            guard let entry = try next(limits) else { return true }
            // Fewer databases than the writer had is fine while every key fits.
            guard entry.database < keyspace.databaseCount else {
                throw SnapshotDamage(file: path, offset: 0,
                                     reason: "it holds keys of database \(entry.database), the server has \(keyspace.databaseCount); set 'databases' to at least \(entry.database + 1)")
            }
            let db = keyspace[entry.database]
            db.add(entry.key, entry.value, clock: clock)
            if let t = entry.expireAtMs { db.setExpire(entry.key, atMs: t) }
            n += 1
        }
        return false
    }
}

/// A heap copy of a snapshot's bytes with a stable address.
final class OwnedBytes {
    let buffer: UnsafeRawBufferPointer

    init(_ bytes: [UInt8]) {
        let base = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
        bytes.withUnsafeBytes { if $0.count > 0 { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        buffer = UnsafeRawBufferPointer(start: base, count: bytes.count)
    }

    deinit { UnsafeMutableRawPointer(mutating: buffer.baseAddress)?.deallocate() }
}
