/// Reads the log on disk from a position on, record by record, following the segments as
/// they rotate: what a primary sends its replicas, from wherever each of them is (the
/// segments they still need are pinned; see `LogWriter.pin`). Reads with pread in chunks,
/// so a replica far behind costs no more memory than one close behind.
public final class LogCursor {
    public let logDirectory: String
    let fs: FileSystem
    private var fd: Int32 = -1
    private var path = ""
    private var version: UInt32 = Segment.version
    /// Bytes of the current segment read ahead; `chunkStart` is their offset in the file.
    private var chunk: [UInt8] = []
    private var chunkStart = 0
    /// Where the next record starts in the current segment.
    private var fileOffset = 0
    /// The LSN of the last record passed (the cursor stands after it).
    public private(set) var lastLSN: UInt64
    /// The stream offset after that record, in the history of the current segment.
    public private(set) var streamOffset: UInt64
    /// The replication id of the segment being read (nil for format 1).
    public private(set) var historyID: String?
    static let chunkBytes = 256 * 1024

    private init(logDirectory: String, fs: FileSystem, lastLSN: UInt64, streamOffset: UInt64) {
        self.logDirectory = logDirectory
        self.fs = fs
        self.lastLSN = lastLSN
        self.streamOffset = streamOffset
    }

    deinit { if fd >= 0 { fs.close(fd) } }

    /// The segments on disk, by first LSN.
    static func segments(_ logDirectory: String, fs: FileSystem) throws -> [(first: UInt64, name: String)] {
        try fs.listDirectory(logDirectory).compactMap { name in Segment.firstLSN(fileName: name).map { ($0, name) } }
            .sorted { $0.0 < $1.0 }
    }

    /// Where the oldest segment on disk starts in the replication stream (nil for a log
    /// without one, or whose oldest segment is of format 1).
    public static func firstPosition(directory: String, fs: FileSystem) throws -> ReplicationPosition? {
        let logDirectory = directory + "/log"
        guard let (first, name) = try segments(logDirectory, fs: fs).first else { return nil }
        let cursor = LogCursor(logDirectory: logDirectory, fs: fs, lastLSN: first - 1, streamOffset: 0)
        return try cursor.open(name)?.stream
    }

    /// The history the current one continues, and the offset where it ended: the id of
    /// the newest segment of another history on disk, and the start of the current
    /// history's first segment after it (Redis's master_replid2 and second_repl_offset - 1).
    public static func previousHistory(directory: String, fs: FileSystem, current: String) throws -> ReplicationPosition? {
        let logDirectory = directory + "/log"
        var currentStart: UInt64?
        for (first, name) in try segments(logDirectory, fs: fs).reversed() {
            let cursor = LogCursor(logDirectory: logDirectory, fs: fs, lastLSN: first - 1, streamOffset: 0)
            guard let stream = try cursor.open(name)?.stream else { return nil }
            if stream.id == current {
                currentStart = stream.offset
            } else if let start = currentStart {
                return ReplicationPosition(id: stream.id, offset: start)
            } else {
                return nil
            }
        }
        return nil
    }

    /// A cursor standing right after the record whose stream end is `offset` in history
    /// `id` (or before the first record of a segment starting there); nil when the log
    /// on disk no longer holds that point.
    public static func find(directory: String, fs: FileSystem, id: String, offset: UInt64) throws -> LogCursor? {
        let logDirectory = directory + "/log"
        let all = try segments(logDirectory, fs: fs)
        // The last segment of that history starting at or before the offset.
        for (first, name) in all.reversed() {
            let cursor = LogCursor(logDirectory: logDirectory, fs: fs, lastLSN: first - 1, streamOffset: 0)
            guard let header = try cursor.open(name), let stream = header.stream, stream.id == id, stream.offset <= offset else {
                continue
            }
            cursor.streamOffset = stream.offset
            while cursor.streamOffset < offset {
                guard let record = try cursor.next(through: .max) else { return nil }
                // Past the end of that history (a promotion began another here): the offset
                // is not ours, whatever the records after say.
                if cursor.historyID != id { return nil }
                if record.streamEnd > offset { return nil }  // inside a record: not a place to resume
            }
            return cursor.streamOffset == offset ? cursor : nil
        }
        return nil
    }

    /// A cursor standing right after the record with LSN `lsn`; nil when the log on disk
    /// no longer holds the record after it.
    public static func find(directory: String, fs: FileSystem, afterLSN lsn: UInt64) throws -> LogCursor? {
        let logDirectory = directory + "/log"
        guard let (first, name) = try segments(logDirectory, fs: fs).last(where: { $0.first <= lsn + 1 }) else { return nil }
        let cursor = LogCursor(logDirectory: logDirectory, fs: fs, lastLSN: first - 1, streamOffset: 0)
        guard let header = try cursor.open(name) else { return nil }
        cursor.streamOffset = header.stream?.offset ?? 0
        while cursor.lastLSN < lsn {
            guard try cursor.next(through: lsn) != nil else { return nil }
        }
        return cursor
    }

    /// Opens a segment and stands before its first record; nil if it is not a segment.
    private func open(_ name: String) throws -> SegmentHeader? {
        if fd >= 0 { fs.close(fd) }
        path = logDirectory + "/" + name
        fd = try fs.openForReading(path)
        chunk = []
        chunkStart = 0
        try fill(from: 0, atLeast: Segment.headerBytes)
        guard case .success(let header) = chunk.withUnsafeBytes({ Segment.parseHeader($0) }) else {
            throw LogCorruption(file: path, offset: 0, reason: "bad segment header")
        }
        version = header.version
        historyID = header.stream?.id
        fileOffset = header.byteCount
        return header
    }

    /// Reads the file from `offset` into the chunk, at least `count` bytes if the file has them.
    private func fill(from offset: Int, atLeast count: Int) throws {
        var bytes = [UInt8](repeating: 0, count: max(count, LogCursor.chunkBytes))
        var got = 0
        while got < count {
            let n = try bytes.withUnsafeMutableBytes {
                try fs.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: $0[got...]), at: offset + got, path: path)
            }
            if n == 0 { break }
            got += n
        }
        bytes.removeLast(bytes.count - got)
        chunk = bytes
        chunkStart = offset
    }

    /// The next record, if its LSN is at most `limit` and it is on disk; nil otherwise.
    public func next(through limit: UInt64) throws -> LogRecord? {
        guard lastLSN < limit else { return nil }
        var filled = -1  // how much was read fresh from `fileOffset` (none yet)
        while true {
            let at = fileOffset - chunkStart
            let read = chunk.withUnsafeBytes { raw -> RecordRead in
                at >= 0 && at <= raw.count ? LogRecord.read(raw, at: at, version: version) : .incomplete(reason: "not read yet")
            }
            switch read {
            case .record(let record, let next):
                guard record.lsn == lastLSN + 1 else {
                    throw LogCorruption(file: path, offset: fileOffset, reason: "LSN gap: expected \(lastLSN + 1), found \(record.lsn)")
                }
                fileOffset = chunkStart + next
                lastLSN = record.lsn
                if version > 1 { streamOffset = record.streamEnd }
                return record
            case .damaged(let reason, _):
                throw LogCorruption(file: path, offset: fileOffset, reason: reason)
            case .incomplete, .zeroFill:
                // Read again from the record's start, as much as it claims; if it is still
                // not whole, this segment's records end here: on to the next segment.
                let need = chunk.withUnsafeBytes { raw -> Int in
                    at >= 0 && at + 4 <= raw.count ? Int(raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)) + 8 : 64
                }
                if filled < need {
                    try fill(from: fileOffset, atLeast: need)
                    filled = need
                    continue
                }
                guard try advanceSegment() else { return nil }
                filled = -1
            }
        }
    }

    /// Moves to the segment starting right after the last record, when there is one.
    private func advanceSegment() throws -> Bool {
        let name = Segment.fileName(firstLSN: lastLSN + 1)
        guard fs.exists(logDirectory + "/" + name), !path.hasSuffix("/" + name) else { return false }
        guard let header = try open(name) else { return false }
        if let stream = header.stream { streamOffset = stream.offset }
        return true
    }
}
