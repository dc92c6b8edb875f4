import CairnCore
import CairnStore
#if canImport(Glibc)
import Glibc
#endif

/// What a finished snapshot holds.
public struct SnapshotSummary: Equatable, Sendable {
    public var lsn: UInt64
    public var createdMs: Int64
    public var codec: SnapshotCodec
    public var keys: Int
    public var frames: Int
    public var rawBytes: Int
    public var fileBytes: Int
}

/// Serialises a keyspace into the snapshot format, handing finished bytes to `sink`.
///
/// This runs in the forked child (see shared/design.md): it uses only plain memory, the C
/// compression libraries and whatever `sink` does (raw write(2) there). The server runs it
/// once at start-up on a sample of every type so that every code path and every piece of
/// runtime metadata it needs already exists before the first fork.
public final class SnapshotWriter {
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let compressor: FrameCompressor
    private var raw = ByteSink()
    private var stored: [UInt8] = []
    private var fileCRC: UInt32 = 0
    private var summary: SnapshotSummary
    /// Microseconds to sleep after each key (Redis's rdb-key-save-delay, for tests).
    public var keySaveDelayMicroseconds = 0
    /// Called every `progressInterval` keys with the keys written so far (the child
    /// publishes them to the parent for INFO).
    public var onProgress: ((Int) -> Void)?
    public var progressInterval = 4096

    /// `streamDatabase`: the replication stream's database after the record at `lsn` (nil
    /// when the next record selects; one past 253 is written as not known, and a replica
    /// restarting from such a snapshot alone asks for a full sync).
    public init(codec: SnapshotCodec, lsn: UInt64, createdMs: Int64, databases: Int, streamDatabase: Int? = nil,
                streamDatabaseKnown: Bool = true, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.sink = sink
        self.compressor = FrameCompressor(codec: codec)
        self.summary = SnapshotSummary(lsn: lsn, createdMs: createdMs, codec: codec, keys: 0, frames: 0, rawBytes: 0, fileBytes: 0)
        raw.bytes.reserveCapacity(SnapshotFormat.frameTargetBytes + 64 * 1024)
        var header = ByteSink()
        header.bytes.append(contentsOf: SnapshotFormat.magic)
        header.u16(SnapshotFormat.version)
        header.u8(codec.rawValue)
        header.u8(!streamDatabaseKnown ? 255 : streamDatabase.map { $0 < 254 ? UInt8($0 + 1) : 255 } ?? 0)
        header.u64(lsn)
        header.u64(UInt64(bitPattern: createdMs))
        header.u32(UInt32(databases))
        let crc = header.bytes.withUnsafeBytes { crc32c($0) }
        header.u32(crc)
        try emit(header.bytes)
    }

    /// Writes every key of every database.
    public func write(_ keyspace: Keyspace) throws {
        // Copy-on-write: this runs in the forked child, where every retain of a value's
        // heap storage writes its refcount, on a page shared with the parent, which the
        // kernel then copies.
        for index in 0..<keyspace.databaseCount {
            let db = keyspace[index]
            let hasExpires = !db.expires.isEmpty
            // Each value is copied out of the table, which retains its heap storage: in the
            // forked child that retain writes to a shared page, so copy-on-write copies
            // about one page per heap-stored value (rdb_last_cow_size; Docs/BENCHMARKS.md).
            let entries = db.main.entries
            for i in entries.indices {
                let expiry = hasExpires ? db.expires[entries[i].key] : nil
                // Strings, the bulk of most keyspaces, through a function that calls
                // nothing opaque, so the value can be read in place; see the note above.
                if SnapshotWriter.appendString(database: index, key: entries[i].key, value: entries[i].value,
                                               expireAtMs: expiry, to: &raw) {
                    try finishKey()
                } else {
                    try write(database: index, key: entries[i].key, value: entries[i].value, expireAtMs: expiry)
                }
            }
        }
    }

    /// Writes the function libraries' code (before any key).
    public func write(functionLibraries codes: [Bytes]) throws {
        for code in codes {
            raw.u8(SnapshotRecordTag.functionLibrary.rawValue)
            string(code)
        }
        if raw.bytes.count >= SnapshotFormat.frameTargetBytes { try flushFrame() }
    }

    /// Writes one key.
    public func write(database: Int, key: Bytes, value: Value, expireAtMs: Int64?) throws {
        if SnapshotWriter.appendString(database: database, key: key, value: value, expireAtMs: expireAtMs, to: &raw) {
            try finishKey()
            return
        }
        let expiryFlag = expireAtMs == nil ? 0 : SnapshotRecordTag.hasExpiry
        func start(_ tag: SnapshotRecordTag) {
            raw.u8(tag.rawValue | expiryFlag)
            raw.varint(UInt64(database))
            string(key)
            if let expireAtMs { raw.u64(UInt64(bitPattern: expireAtMs)) }
        }
        switch value {
        case .int, .inline, .heap, .raw:
            return  // written above
        case .hash(let h):
            start(.hash)
            var collection = CollectionRecord(self)
            var failure: Error?
            h.forEach { f, v in
                guard failure == nil else { return }
                string(f)
                string(v)
                do { try collection.added() } catch { failure = error }
            }
            if let failure { throw failure }
            collection.end()
        case .set(let s):
            switch s.storage {
            case .ints(let ints):
                start(.intSet)
                var collection = CollectionRecord(self)
                for i in 0..<ints.count {
                    raw.zigzag(ints[i])
                    try collection.added()
                }
                collection.end()
            case .table(let t):
                start(.set)
                var collection = CollectionRecord(self)
                for e in t.entries {
                    string(e.key)
                    try collection.added()
                }
                collection.end()
            }
        case .list(let l):
            start(.list)
            var collection = CollectionRecord(self)
            var failure: Error?
            l.forEach(from: 0, through: l.count - 1) { _, e in
                string(e)
                do { try collection.added() } catch { failure = error; return false }
                return true
            }
            if let failure { throw failure }
            collection.end()
        case .zset(let z):
            start(.sortedSet)
            var collection = CollectionRecord(self)
            var failure: Error?
            z.walk(from: 0, reverse: false) { score, member in
                raw.u64(score.bitPattern)
                string(member)
                do { try collection.added() } catch { failure = error; return false }
                return true
            }
            if let failure { throw failure }
            collection.end()
        case .stream(let st):
            start(.stream)
            streamMetadata(st)
            var collection = CollectionRecord(self)
            var failure: Error?
            st.forEach { e in
                streamID(e.id)
                raw.varint(UInt64(e.fieldCount * 2))
                e.forEachPair { f, v in
                    raw.varint(UInt64(f.count))
                    raw.raw(f)
                    raw.varint(UInt64(v.count))
                    raw.raw(v)
                }
                do { try collection.added() } catch { failure = error; return false }
                return true
            }
            if let failure { throw failure }
            collection.end()
        }
        try finishKey()
    }

    private func finishKey() throws {
        summary.keys += 1
        if let onProgress, summary.keys % progressInterval == 0 { onProgress(summary.keys) }
        if raw.bytes.count >= SnapshotFormat.frameTargetBytes { try flushFrame() }
        if keySaveDelayMicroseconds > 0 { usleep(UInt32(keySaveDelayMicroseconds)) }
    }

    /// Appends the record of a string key and returns true; false for other types.
    @inline(__always)
    static func appendString(database: Int, key: borrowing Bytes, value: borrowing Value, expireAtMs: Int64?,
                             to raw: inout ByteSink) -> Bool {
        func start(_ tag: SnapshotRecordTag) {
            raw.u8(tag.rawValue | (expireAtMs == nil ? 0 : SnapshotRecordTag.hasExpiry))
            raw.varint(UInt64(database))
            raw.varint(UInt64(key.count))
            key.withUnsafeBytes { raw.raw($0) }
            if let expireAtMs { raw.u64(UInt64(bitPattern: expireAtMs)) }
        }
        switch value {
        case .heap(let a):
            start(.text)
            raw.varint(UInt64(a.count))
            a.withUnsafeBytes { raw.raw($0) }
        case .raw(let a):
            start(.raw)
            raw.varint(UInt64(a.count))
            a.withUnsafeBytes { raw.raw($0) }
        case .int(let v):
            start(.integer)
            raw.zigzag(v)
        case .inline:
            start(.text)
            let b = value.stringBytes!
            raw.varint(UInt64(b.count))
            b.withUnsafeBytes { raw.raw($0) }
        case .hash, .set, .list, .zset, .stream:
            return false
        }
        return true
    }

    /// The element count of the collection being written, patched in when it ends or when
    /// a full frame is flushed in the middle of it (the rest continues in the next frame).
    private struct CollectionRecord {
        unowned let writer: SnapshotWriter
        var countOffset: Int
        var count: UInt32 = 0

        init(_ writer: SnapshotWriter) {
            self.writer = writer
            countOffset = writer.raw.bytes.count
            writer.raw.u32(0)
        }

        mutating func added() throws {
            count += 1
            guard writer.raw.bytes.count >= SnapshotFormat.frameTargetBytes else { return }
            end()
            try writer.flushFrame()
            writer.raw.u8(SnapshotRecordTag.continuation.rawValue)
            countOffset = writer.raw.bytes.count
            writer.raw.u32(0)
            count = 0
        }

        func end() {
            writer.raw.patchU32(count, at: countOffset)
        }
    }

    private func streamID(_ id: StreamID) {
        raw.varint(id.ms)
        raw.varint(id.seq)
    }

    /// A stream's IDs, counters and groups (SnapshotRecordTag.stream); a group's pending
    /// entries are its consumers' together.
    private func streamMetadata(_ st: StreamValue) {
        streamID(st.lastID)
        streamID(st.firstID)
        streamID(st.maxDeletedID)
        raw.zigzag(st.entriesAdded)
        let groups = st.sortedGroups
        raw.varint(UInt64(groups.count))
        for g in groups {
            string(g.name)
            streamID(g.lastID)
            raw.zigzag(g.entriesRead)
            let consumers = g.sortedConsumers
            raw.varint(UInt64(consumers.count))
            for c in consumers {
                string(c.name)
                raw.zigzag(c.seenTime)
                raw.varint(UInt64(c.pending.count))
                c.pending.forEach { id, nack in
                    streamID(id)
                    raw.zigzag(nack.deliveryTime)
                    raw.zigzag(nack.deliveryCount)
                    return true
                }
            }
        }
    }

    private func string(_ b: Bytes) {
        raw.varint(UInt64(b.count))
        b.withUnsafeBytes { raw.raw($0) }
    }

    private func flushFrame() throws {
        guard !raw.bytes.isEmpty else { return }
        try raw.bytes.withUnsafeBytes { try compressor.compress($0, into: &stored) }
        var header = ByteSink()
        header.u8(SnapshotFormat.frameTag)
        header.u32(UInt32(raw.bytes.count))
        header.u32(UInt32(stored.count))
        header.u32(stored.withUnsafeBytes { crc32c($0) })
        try emit(header.bytes)
        try emit(stored)
        summary.frames += 1
        summary.rawBytes += raw.bytes.count
        raw.bytes.removeAll(keepingCapacity: true)
    }

    /// Flushes the last frame and writes the trailer.
    public func finish() throws -> SnapshotSummary {
        try flushFrame()
        var trailer = ByteSink()
        trailer.u8(SnapshotFormat.trailerTag)
        trailer.u64(UInt64(summary.keys))
        trailer.u64(UInt64(summary.frames))
        trailer.u64(UInt64(summary.rawBytes))
        try emit(trailer.bytes)
        var crc = ByteSink()
        crc.u32(fileCRC)
        try emit(crc.bytes)
        return summary
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { b in
            fileCRC = crc32c(b, fileCRC)
            try sink(b)
        }
        summary.fileBytes += bytes.count
    }
}
