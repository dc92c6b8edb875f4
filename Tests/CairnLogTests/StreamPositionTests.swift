import CCairnSystem
@testable import CairnLog
import Foundation
import XCTest

/// What replication needs from the log: every record's stream end offset, every
/// segment's replication id, copies of another log's records, retention pins, progress
/// under every policy, and logs written before any of this still loading.
extension LogWriterReaderTests {
    func testStreamOffsetsAreContinuousAcrossSegmentsAndReopens() throws {
        let progress = Progress()
        let writer = try makeWriter(fs: PosixFileSystem(), segmentBytes: 4096, progress: progress)
        let history = writer.stream
        XCTAssertEqual(history.offset, 0, "a new log starts a history at offset 0")
        var expectedEnds: [UInt64] = []
        var end: UInt64 = 0
        for i in 0..<300 {
            writer.append(kind: .command, streamBytes: 10 + i % 7, payload: Array(repeating: 1, count: 40))
            end += UInt64(10 + i % 7)
            expectedEnds.append(end)
            if i % 25 == 0 { writer.submit() }
        }
        XCTAssertEqual(writer.stream, ReplicationPosition(id: history.id, offset: end))
        writer.close()
        let reader = try LogReader(directory: dir, fs: PosixFileSystem())
        var ends: [UInt64] = []
        while let r = try reader.next() { ends.append(r.streamEnd) }
        XCTAssertEqual(ends, expectedEnds)
        XCTAssertEqual(reader.stream, writer.stream, "the reader ends where the writer stopped")
        XCTAssertGreaterThan(reader.manifest!.segments.count, 3)
        // Each segment's header starts where the previous segment's records end.
        for name in reader.manifest!.segments {
            let bytes = try PosixFileSystem().readFile(dir + "/log/" + name)
            let header = try bytes.withUnsafeBytes { try Segment.parseHeader($0).get() }
            let first = Int(header.firstLSN)
            XCTAssertEqual(header.stream, ReplicationPosition(id: history.id, offset: first == 1 ? 0 : expectedEnds[first - 2]))
        }
        let reopened = try makeWriter(fs: PosixFileSystem(), segmentBytes: 4096, progress: progress)
        XCTAssertEqual(reopened.stream, writer.stream, "a restart continues the history")
        reopened.append(kind: .stream, payload: Array("*1\r\n$4\r\nPING\r\n".utf8))
        reopened.close()
        XCTAssertEqual(try readAll().0.last?.streamEnd, end + 14, "a stream record counts its bytes")
    }

    /// A cursor reads the log on disk from any record on, across rotations, and picks
    /// up records written after it reached the end.
    func testACursorReadsFromAnyPositionAndFollowsTheWriter() throws {
        let progress = Progress()
        let writer = try makeWriter(fs: PosixFileSystem(), segmentBytes: 2048, progress: progress)
        func write(_ range: ClosedRange<Int>) {
            for i in range {
                writer.append(kind: .command, streamBytes: 10, payload: Array(repeating: UInt8(i % 256), count: 20 + i % 50))
                if i % 10 == 0 { writer.submit() }
            }
            writer.submit()
            waitFor { progress.lock.withLock { progress.written } == UInt64(range.upperBound) }
        }
        write(1...200)
        let id = writer.stream.id
        let fs = PosixFileSystem()
        for start in [0, 1, 37, 199, 200] as [UInt64] {
            let cursor = try XCTUnwrap(LogCursor.find(directory: dir, fs: fs, afterLSN: start), "after \(start)")
            XCTAssertEqual(cursor.streamOffset, start * 10)
            var lsns: [UInt64] = []
            while let r = try cursor.next(through: 200) { lsns.append(r.lsn); XCTAssertEqual(r.streamEnd, r.lsn * 10) }
            XCTAssertEqual(lsns, start < 200 ? Array((start + 1)...200) : [])
            let byOffset = try XCTUnwrap(LogCursor.find(directory: dir, fs: fs, id: id, offset: start * 10), "offset \(start * 10)")
            XCTAssertEqual(byOffset.lastLSN, start)
        }
        XCTAssertNil(try LogCursor.find(directory: dir, fs: fs, id: id, offset: 15), "inside a record")
        XCTAssertNil(try LogCursor.find(directory: dir, fs: fs, id: ReplicationPosition.randomID(), offset: 10), "another history")
        let follower = try XCTUnwrap(LogCursor.find(directory: dir, fs: fs, afterLSN: 200))
        XCTAssertNil(try follower.next(through: .max), "nothing after the end yet")
        write(201...260)
        var more: [UInt64] = []
        while let r = try follower.next(through: 260) { more.append(r.lsn) }
        XCTAssertEqual(more, Array(201...260), "records written later, across rotations")
        XCTAssertGreaterThan(try LogCursor.segments(dir + "/log", fs: fs).count, 5)
        writer.close()
    }

    func testAReplicaCopiesRecordsWithTheirPrimarysPositions() throws {
        let writer = try makeWriter(fs: PosixFileSystem(), progress: Progress())
        try writer.append(at: 1, streamEnd: 500, kind: .command, flags: .selectsDatabase, payload: [1, 2])
        try writer.append(at: 2, streamEnd: 530, kind: .batch, flags: [], payload: [3])
        XCTAssertThrowsError(try writer.append(at: 4, streamEnd: 600, kind: .command, flags: [], payload: [4])) { error in
            XCTAssertTrue("\(error)".contains("LSN 4 does not follow the log's last LSN 2"), "\(error)")
        }
        XCTAssertThrowsError(try writer.append(at: 3, streamEnd: 520, kind: .command, flags: [], payload: [4])) { error in
            XCTAssertTrue("\(error)".contains("before the log's 530"), "\(error)")
        }
        writer.close()
        let records = try readAll().0
        XCTAssertEqual(records, [LogRecord(lsn: 1, kind: .command, flags: .selectsDatabase, streamEnd: 500, payload: [1, 2]),
                                 LogRecord(lsn: 2, kind: .batch, streamEnd: 530, payload: [3])])
    }

    func testANewHistoryStartsASegmentNamingIt() throws {
        let writer = try makeWriter(fs: PosixFileSystem(), progress: Progress())
        let promoted = ReplicationPosition(id: ReplicationPosition.randomID(), offset: 1000)
        // While the segment is empty its header is rewritten, not a second segment begun.
        writer.startHistory(promoted)
        writer.append(kind: .command, streamBytes: 20, payload: [1])
        let later = ReplicationPosition(id: ReplicationPosition.randomID(), offset: 5000)
        writer.startHistory(later)
        writer.append(kind: .command, streamBytes: 30, payload: [2])
        writer.close()
        let reader = try LogReader(directory: dir, fs: PosixFileSystem())
        XCTAssertEqual(reader.manifest?.segments, [Segment.fileName(firstLSN: 1), Segment.fileName(firstLSN: 2)])
        let first = try reader.next()
        XCTAssertEqual(first?.streamEnd, 1020)
        XCTAssertEqual(reader.stream, ReplicationPosition(id: promoted.id, offset: 1020))
        XCTAssertEqual(try reader.next()?.streamEnd, 5030)
        XCTAssertEqual(reader.stream, ReplicationPosition(id: later.id, offset: 5030))
        // An offset of the old history past where the new one began is not found, even
        // where the new history has a record ending there.
        let fs = PosixFileSystem()
        XCTAssertEqual(try LogCursor.find(directory: dir, fs: fs, id: promoted.id, offset: 1020)?.lastLSN, 1)
        XCTAssertNil(try LogCursor.find(directory: dir, fs: fs, id: promoted.id, offset: 5030))
        XCTAssertEqual(try LogCursor.find(directory: dir, fs: fs, id: later.id, offset: 5030)?.lastLSN, 2)
    }

    func testAPinKeepsSegmentsThroughACheckpoint() throws {
        let writer = try makeWriter(fs: PosixFileSystem(), segmentBytes: 512, progress: Progress())
        for i in 0..<40 {
            writer.append(kind: .command, payload: Array(repeating: UInt8(i), count: 100))
            writer.submit()
        }
        let pin = writer.pin(from: 10)
        let snapshots = dir + "/snapshots"
        try FileManager.default.createDirectory(atPath: snapshots, withIntermediateDirectories: true)
        func checkpoint() throws -> [String] {
            let lsn = writer.rotateForCheckpoint()
            let name = String(Segment.fileName(firstLSN: lsn).dropLast(4)) + ".snap"
            _ = try writer.installSnapshotAndWait(name, lsn: lsn, snapshotDirectory: snapshots)
            return try Manifest.decode(try PosixFileSystem().readFile(dir + "/MANIFEST")).get().segments
        }
        let kept = try checkpoint()
        let firsts = kept.compactMap { Segment.firstLSN(fileName: $0) }
        XCTAssertLessThanOrEqual(firsts.first!, 10, "the segment holding LSN 10 is kept")
        XCTAssertGreaterThan(firsts.first!, 1, "segments before it go")
        XCTAssertEqual(try readAll().0.count, 0, "the snapshot covers every kept record: none is replayed")
        writer.move(pin, to: 30)
        let firstAfterMove = try checkpoint().compactMap { Segment.firstLSN(fileName: $0) }.first!
        XCTAssertGreaterThan(firstAfterMove, 10)
        XCTAssertLessThanOrEqual(firstAfterMove, 30)
        writer.unpin(pin)
        XCTAssertNil(writer.lowestPin)
        XCTAssertEqual(try checkpoint(), [Segment.fileName(firstLSN: 41)], "unpinned: only the empty segment after the snapshot")
        writer.close()
    }

    func testProgressIsAnnouncedUnderEveryPolicy() throws {
        for policy in [SyncPolicy.no, .everysec, .always] {
            try? FileManager.default.removeItem(atPath: dir)
            let progress = Progress()
            let writer = try makeWriter(fs: PosixFileSystem(), policy: policy, progress: progress)
            for i in 0..<50 {
                writer.append(kind: .command, payload: [UInt8(i)])
                writer.submit()
            }
            waitFor { progress.lock.withLock { progress.written } == 50 }
            XCTAssertEqual(progress.lock.withLock { progress.written }, 50, "\(policy)")
            XCTAssertLessThanOrEqual(progress.lock.withLock { progress.announcements }, 50, "\(policy): announcements coalesce")
            if policy == .always { XCTAssertEqual(progress.lock.withLock { progress.durable }, 50) }
            writer.close()
        }
    }

    /// A log written before stream offsets (segment and record format 1) loads, and the
    /// writer continues it in a new segment of the current format.
    func testAVersion1LogLoadsAndContinuesInTheCurrentFormat() throws {
        try FileManager.default.createDirectory(atPath: dir + "/log", withIntermediateDirectories: true)
        var bytes = Segment.headerV1(firstLSN: 1)
        for lsn in 1...3 as ClosedRange<UInt64> { bytes += version1Record(lsn: lsn, payload: Array("old \(lsn)".utf8)) }
        bytes += Array(repeating: 0, count: 4096)  // a crash left the zero fill
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/log/" + Segment.fileName(firstLSN: 1)))
        try Manifest(segments: [Segment.fileName(firstLSN: 1)]).write(to: dir, fs: PosixFileSystem())

        let reader = try LogReader(directory: dir, fs: PosixFileSystem())
        XCTAssertNil(try reader.verifyAll())
        XCTAssertNil(reader.stream, "a version 1 log has no replication history")
        let writer = try makeWriter(fs: PosixFileSystem(), progress: Progress())
        XCTAssertEqual(writer.stream.offset, 0)
        writer.append(kind: .command, streamBytes: 9, payload: Array("new".utf8))
        writer.close()
        let (records, tail) = try readAll()
        XCTAssertNil(tail)
        XCTAssertEqual(records.map(\.lsn), [1, 2, 3, 4])
        XCTAssertEqual(records.map(\.payload), ["old 1", "old 2", "old 3", "new"].map { Array($0.utf8) })
        XCTAssertEqual(records.map(\.streamEnd), [0, 0, 0, 9])
        let segments = try Manifest.decode(try PosixFileSystem().readFile(dir + "/MANIFEST")).get().segments
        XCTAssertEqual(segments, [Segment.fileName(firstLSN: 1), Segment.fileName(firstLSN: 4)])
        XCTAssertEqual(try PosixFileSystem().fileSize(dir + "/log/" + segments[0]), bytes.count - 4096,
                       "the old segment is cut back to its records before the next is listed")
    }

    func version1Record(lsn: UInt64, payload: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        withUnsafeBytes(of: lsn.littleEndian) { body += $0 }
        body.append(RecordKind.command.rawValue)
        body += payload
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt32(body.count).littleEndian) { out += $0 }
        let crc = body.withUnsafeBytes { cairn_crc32c(0, $0.baseAddress, $0.count) }
        withUnsafeBytes(of: crc.littleEndian) { out += $0 }
        return out + body
    }
}
