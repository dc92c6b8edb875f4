/// A torn record at the very end of the log: cut off, reported, never an error.
public struct TornTail: Equatable, Sendable {
    public var file: String
    public var offset: Int
    public var droppedBytes: Int
    public var reason: String
}

/// Damage that recovery must not paper over: which file, where, what, and what to do.
public struct LogCorruption: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var offset: Int
    public var reason: String

    public var description: String {
        "Bad log data in \(file) at offset \(offset): \(reason). Cairn will not start on a damaged log; " +
        "inspect it with 'cairn check-log <dir>' (a torn tail can be cut with --fix; damage elsewhere needs a backup or replica)."
    }
}

/// Reads the live log of a data directory in order, checking framing, checksums and LSN
/// continuity, and telling a torn tail (the last record of the last segment, cut off by a
/// crash) from damage anywhere else.
public final class LogReader {
    public let directory: String
    public let logDirectory: String
    public let fs: FileSystem
    /// nil for a new data directory.
    public let manifest: Manifest?
    private var segmentIndex = 0
    private var bytes: [UInt8] = []
    private var offset = 0
    private var expectedLSN: UInt64?
    public private(set) var recordsRead = 0
    private var bytesInDoneSegments = 0
    /// Bytes of the log read so far (for progress reports).
    public var bytesRead: Int { bytesInDoneSegments + offset }
    public private(set) var tornTail: TornTail?
    public private(set) var lastLSN: UInt64 = 0
    /// Bytes in the live segments, for progress reports (after the whole log is read,
    /// without the zero fill after the last record).
    public private(set) var totalBytes = 0
    /// Where the records of the last segment end, once it has been read: the writer
    /// continues there (zero fill may follow, and a torn tail is cut back to it).
    public private(set) var appendOffset: Int?
    /// Bytes of zero fill after the last record (the writer's preallocated space).
    public private(set) var zeroFillBytes = 0
    /// The LSN of the manifest's snapshot: records up to it are covered by the snapshot
    /// and skipped (after their checks); the log must continue right after it.
    public let snapshotLSN: UInt64
    /// The replication id and offset after the last record read (records the snapshot
    /// covers included), or the last segment header's before any record; nil when the
    /// log holds no version 2 segment (a new directory, or a log written before stream
    /// offsets were recorded).
    public private(set) var stream: ReplicationPosition?
    /// The format version of the segment being read (after the end: of the last one).
    public private(set) var segmentVersion: UInt32 = Segment.version

    public init(directory: String, fs: FileSystem) throws {
        self.directory = directory
        self.logDirectory = directory + "/log"
        self.fs = fs
        let manifestPath = directory + "/" + Manifest.fileName
        if fs.exists(manifestPath) {
            switch Manifest.decode(try fs.readFile(manifestPath)) {
            case .success(let m): manifest = m
            case .failure(let d): throw LogCorruption(file: manifestPath, offset: d.offset, reason: d.reason)
            }
        } else {
            let stray = ((try? fs.listDirectory(logDirectory)) ?? []).filter { Segment.firstLSN(fileName: $0) != nil }
            if !stray.isEmpty {
                throw LogCorruption(file: manifestPath, offset: 0,
                                    reason: "the manifest is missing but \(stray.count) log segment(s) exist")
            }
            manifest = nil
        }
        snapshotLSN = manifest?.snapshotLSN ?? 0
        lastLSN = snapshotLSN
        for name in manifest?.segments ?? [] {
            totalBytes += (try? fs.fileSize(logDirectory + "/" + name)) ?? 0
        }
    }

    private var segments: [String] { manifest?.segments ?? [] }

    public var currentSegmentPath: String? {
        segmentIndex < segments.count ? logDirectory + "/" + segments[segmentIndex] : nil
    }

    /// The next record, nil at the end of the log. Throws `LogCorruption` on damage.
    public func next() throws -> LogRecord? {
        while true {
            if bytes.isEmpty {
                guard segmentIndex < segments.count else { return nil }
                try openSegment()
            }
            let path = logDirectory + "/" + segments[segmentIndex]
            let isLast = segmentIndex == segments.count - 1
            if offset >= bytes.count {
                endSegment()
                continue
            }
            let version = segmentVersion
            let result = bytes.withUnsafeBytes { LogRecord.read($0, at: offset, version: version) }
            switch result {
            case .record(let record, let next):
                if let expected = expectedLSN, record.lsn != expected {
                    throw LogCorruption(file: path, offset: offset,
                                        reason: "LSN gap: expected \(expected), found \(record.lsn)")
                }
                if version > 1, let position = stream {
                    guard record.streamEnd >= position.offset else {
                        throw LogCorruption(file: path, offset: offset,
                                            reason: "replication offset goes backwards: \(record.streamEnd) after \(position.offset)")
                    }
                    stream?.offset = record.streamEnd
                }
                expectedLSN = record.lsn + 1
                offset = next
                if record.lsn <= snapshotLSN { continue }
                lastLSN = record.lsn
                recordsRead += 1
                return record
            case .zeroFill:
                guard isLast else {
                    throw LogCorruption(file: path, offset: offset, reason: "zero bytes to the end of a segment that is not the last")
                }
                _ = takeZeroFill()
                endSegment()
                return nil
            case .incomplete(let reason):
                guard isLast else { throw LogCorruption(file: path, offset: offset, reason: reason + " (not the last segment)") }
                cutTornTail(path: path, reason: reason)
                return nil
            case .damaged(let reason, let end):
                // A record cut short by a crash in preallocated space: its bytes, then
                // the zero fill (the record's claimed end may lie inside the zeros).
                if isLast && (end >= bytes.count || bytes.withUnsafeBytes { LogRecord.onlyZeros($0, from: end) }) {
                    cutTornTail(path: path, reason: reason)
                    return nil
                }
                throw LogCorruption(file: path, offset: offset, reason: reason)
            }
        }
    }

    /// Records a torn tail from `offset`: its bytes up to the last non-zero one are
    /// reported as dropped, the zero fill after them is not counted.
    private func cutTornTail(path: String, reason: String) {
        let dataEnd = takeZeroFill()
        tornTail = TornTail(file: path, offset: offset, droppedBytes: dataEnd - offset, reason: reason)
        endSegment()
    }

    /// Takes the zero bytes at the end of the segment (after its last non-zero byte, none
    /// before `offset`) out of `totalBytes` as zero fill; returns where the data ends.
    private func takeZeroFill() -> Int {
        let dataEnd = bytes.withUnsafeBytes { raw -> Int in
            var end = raw.count
            while end > offset && raw[end - 1] == 0 { end -= 1 }
            return end
        }
        zeroFillBytes = bytes.count - dataEnd
        totalBytes -= zeroFillBytes
        return dataEnd
    }

    /// Leaves the current segment at `offset`, the end of what was read of it: for the
    /// last segment, where the log ends and the writer goes on.
    private func endSegment() {
        if segmentIndex == segments.count - 1 { appendOffset = offset }
        bytesInDoneSegments += offset
        bytes = []
        offset = 0
        segmentIndex += 1
    }

    private func openSegment() throws {
        let name = segments[segmentIndex]
        let path = logDirectory + "/" + name
        guard fs.exists(path) else {
            throw LogCorruption(file: path, offset: 0, reason: "segment listed in the manifest is missing")
        }
        bytes = try fs.readFile(path)
        let header = bytes.withUnsafeBytes { Segment.parseHeader($0) }
        switch header {
        case .failure(let d):
            throw LogCorruption(file: path, offset: d.offset, reason: d.reason)
        case .success(let header):
            let first = header.firstLSN
            guard Segment.firstLSN(fileName: name) == first else {
                throw LogCorruption(file: path, offset: 16, reason: "header says first LSN \(first), the name says otherwise")
            }
            if let expected = expectedLSN, first != expected {
                throw LogCorruption(file: path, offset: 16, reason: "LSN gap between segments: expected \(expected), segment starts at \(first)")
            }
            if expectedLSN == nil && first > snapshotLSN + 1 && (snapshotLSN > 0 || manifest?.snapshot != nil) {
                throw LogCorruption(file: path, offset: 16,
                                    reason: "LSN gap after the snapshot: it ends at \(snapshotLSN), the log starts at \(first)")
            }
            if let previous = stream, let next = header.stream, previous.id == next.id, previous.offset != next.offset {
                throw LogCorruption(file: path, offset: 24,
                                    reason: "replication offset gap between segments: expected \(previous.offset), segment starts at \(next.offset)")
            }
            expectedLSN = first
            if lastLSN == 0 && first > 0 { lastLSN = first - 1 }
            segmentVersion = header.version
            stream = header.stream
            offset = header.byteCount
        }
    }

    /// Reads to the end (checking everything), then returns the torn tail, if any.
    public func verifyAll() throws -> TornTail? {
        while try next() != nil {}
        return tornTail
    }

    /// Cuts a torn tail off its file (truncate and fsync), as recovery and `check-log --fix` do.
    public static func cut(_ tail: TornTail, fs: FileSystem) throws {
        try fs.truncate(tail.file, size: tail.offset)
    }
}
