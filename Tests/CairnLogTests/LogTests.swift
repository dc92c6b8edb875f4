import CCairnSystem
import CairnCore
@testable import CairnLog
import CairnTestSupport
import Foundation
import XCTest

final class RecordTests: XCTestCase {
    func testCRC32CKnownValue() {
        // The standard check value of CRC-32C.
        let data = Array("123456789".utf8)
        XCTAssertEqual(data.withUnsafeBytes { cairn_crc32c(0, $0.baseAddress, $0.count) }, 0xE306_9283)
        // Incremental equals whole.
        let a = data.withUnsafeBytes { cairn_crc32c(0, $0.baseAddress, 4) }
        let b = data[4...].withUnsafeBytes { cairn_crc32c(a, $0.baseAddress, $0.count) }
        XCTAssertEqual(b, 0xE306_9283)
    }

    func testRoundTripAndEveryTruncationIsIncomplete() {
        let record = LogRecord(lsn: 42, kind: .command, payload: Array("hello".utf8))
        let bytes = record.encoded()
        bytes.withUnsafeBytes { raw in
            guard case .record(let r, let next) = LogRecord.read(raw, at: 0) else { return XCTFail("whole record") }
            XCTAssertEqual(r, record)
            XCTAssertEqual(next, bytes.count)
        }
        for cut in 1..<bytes.count {
            Array(bytes[0..<cut]).withUnsafeBytes { raw in
                guard case .incomplete = LogRecord.read(raw, at: 0) else { return XCTFail("cut at \(cut) should be incomplete") }
            }
        }
    }

    /// A record written in place after other bytes equals the same record encoded from
    /// its payload, and leaves the bytes before it alone.
    func testInPlaceEncodingAfterExistingBytes() {
        let payload = Array("in place".utf8)
        var out: [UInt8] = [7, 7, 7]
        LogRecord.encode(lsn: 9, kind: .batch, flags: .selectsDatabase, streamEnd: 77, payloadBytes: payload.count, into: &out) { p in
            p.copyMemory(from: payload, byteCount: payload.count)
        }
        XCTAssertEqual(Array(out.prefix(3)), [7, 7, 7])
        XCTAssertEqual(Array(out.dropFirst(3)),
                       LogRecord(lsn: 9, kind: .batch, flags: .selectsDatabase, streamEnd: 77, payload: payload).encoded())
    }

    func testEveryBitFlipIsDetected() {
        let bytes = LogRecord(lsn: 7, kind: .batch, payload: Array("some payload".utf8)).encoded()
        for i in 0..<bytes.count {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[i] ^= UInt8(1 << bit)
                damaged.withUnsafeBytes { raw in
                    if case .record = LogRecord.read(raw, at: 0) { XCTFail("flip of bit \(bit) at byte \(i) went unnoticed") }
                }
            }
        }
    }

    func testManifestRoundTripAndChecksum() {
        let m = Manifest(segments: ["00000000000000000001.log", "00000000000000000100.log"])
        XCTAssertEqual(try Manifest.decode(m.encoded()).get(), m)
        var damaged = m.encoded()
        damaged[20] ^= 1
        XCTAssertThrowsError(try Manifest.decode(damaged).get())
    }
}

final class LogWriterReaderTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-log-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    final class Progress: @unchecked Sendable {
        let lock = NSLock()
        var durable: UInt64 = 0
        var written: UInt64 = 0
        var announcements = 0
        var failure: String?
        weak var writer: LogWriter?
        /// What the engine does when the writer announces progress: takes it.
        func announced() {
            guard let p = writer?.takeProgress() else { return }
            lock.lock()
            durable = max(durable, p.durable)
            written = max(written, p.written)
            announcements += 1
            lock.unlock()
        }
        func fail(_ f: String) { lock.lock(); failure = f; lock.unlock() }
        var snapshot: (UInt64, String?) { lock.lock(); defer { lock.unlock() }; return (durable, failure) }
    }

    func makeWriter(fs: FileSystem, segmentBytes: Int = 1 << 20, policy: SyncPolicy = .always, progress: Progress) throws -> LogWriter {
        let reader = try LogReader(directory: dir, fs: fs)
        _ = try reader.verifyAll()
        let writer = try LogWriter(directory: dir, fs: fs, manifest: reader.manifest, lastLSN: reader.lastLSN,
                                   totalBytes: reader.totalBytes, appendOffset: reader.appendOffset, stream: reader.stream,
                                   segmentBytesMax: segmentBytes, policy: policy,
                                   onProgress: { progress.announced() }, onFailure: { progress.fail($0) })
        progress.writer = writer
        return writer
    }

    func waitFor(_ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(5)
        while !condition() && Date() < deadline { usleep(1000) }
    }

    /// Ten records ("value 0" to "value 9") in a closed log: the segment's path and bytes.
    func writeTenRecords() throws -> (segment: String, bytes: [UInt8]) {
        let writer = try makeWriter(fs: PosixFileSystem(), progress: Progress())
        for i in 0..<10 { writer.append(kind: .command, payload: Array("value \(i)".utf8)) }
        writer.close()
        let segment = dir + "/log/" + Segment.fileName(firstLSN: 1)
        return (segment, try PosixFileSystem().readFile(segment))
    }

    func readAll(fs: FileSystem = PosixFileSystem()) throws -> ([LogRecord], TornTail?) {
        let reader = try LogReader(directory: dir, fs: fs)
        var records: [LogRecord] = []
        while let r = try reader.next() { records.append(r) }
        return (records, reader.tornTail)
    }

    /// INFO's fsync figures: every group's fdatasync is timed, and the records it made
    /// durable are counted once each.
    func testSyncStatisticsCountEveryGroup() throws {
        let progress = Progress()
        let writer = try makeWriter(fs: PosixFileSystem(), progress: progress)
        for group in 0..<5 {
            for i in 0..<4 { writer.append(kind: .command, payload: Array("g\(group) r\(i)".utf8)) }
            writer.flushAndWait()
        }
        let stats = writer.syncStatistics
        XCTAssertEqual(stats.records, 20)
        XCTAssertEqual(stats.latency.samples, 5)
        XCTAssertGreaterThan(stats.latency.percentile(0.99), 0, "an fdatasync of a real file takes a microsecond or more")
        writer.resetSyncStatistics()
        XCTAssertEqual(writer.syncStatistics.records, 0)
        XCTAssertEqual(writer.syncStatistics.latency.percentile(0.5), 0)
        writer.close()
    }

    func testLatencyHistogramPercentiles() {
        var h = LatencyHistogram()
        XCTAssertEqual(h.percentile(0.5), 0, "no samples")
        for v: UInt64 in 1...100 { h.record(microseconds: v) }
        // Exact below 16 µs, then within 12.5%: the bucket's upper bound answers.
        XCTAssertEqual(h.percentile(0.05), 5)
        XCTAssertEqual(h.percentile(0.5), 51)
        XCTAssertEqual(h.percentile(0.99), 103)
        XCTAssertEqual(h.percentile(1), 103)
        h.record(microseconds: 1 << 50)
        XCTAssertGreaterThanOrEqual(h.percentile(1), 1 << 39, "beyond the last bucket counts in it")
        XCTAssertEqual(h.samples, 101)
    }

    func testGroupCommitRotationAndReadBack() throws {
        let progress = Progress()
        let writer = try makeWriter(fs: PosixFileSystem(), segmentBytes: 4096, progress: progress)
        for batch in 0..<50 {
            for i in 0..<20 { writer.append(kind: .command, payload: Array("record \(batch)-\(i) ".utf8) + Array(repeating: 7, count: 30)) }
            writer.submit()
        }
        waitFor { progress.snapshot.0 == 1000 }
        XCTAssertEqual(progress.snapshot.0, 1000, "everything durable")
        writer.close()
        let (records, tail) = try readAll()
        XCTAssertNil(tail)
        XCTAssertEqual(records.map(\.lsn), Array(1...1000))
        let manifest = try Manifest.decode(try PosixFileSystem().readFile(dir + "/MANIFEST")).get()
        XCTAssertGreaterThan(manifest.segments.count, 5, "rotated at 4 KiB")
        for name in manifest.segments.dropLast() {
            let bytes = try PosixFileSystem().readFile(dir + "/log/" + name)
            XCTAssertNotEqual(bytes.last, 0, "\(name): a finished segment is cut back to its records")
        }
        // Appending after reopening continues the LSNs in the last segment.
        let writer2 = try makeWriter(fs: PosixFileSystem(), segmentBytes: 4096, progress: progress)
        writer2.append(kind: .command, payload: [1])
        writer2.close()
        XCTAssertEqual(try readAll().0.last?.lsn, 1001)
    }

    /// Batches handed over while a sync is in flight are written with one pwrite, and
    /// still split at a segment's end.
    func testBatchesWaitingForASyncAreWrittenTogether() throws {
        let fs = FaultInjectingFileSystem(), progress = Progress()
        let writer = try makeWriter(fs: fs, segmentBytes: 1 << 20, progress: progress)
        fs.holdSyncs()
        writer.append(kind: .command, payload: [0])
        writer.submit()
        usleep(100_000)  // the writer takes the first batch and waits in its sync
        for batch in 1...5 {
            writer.append(kind: .command, payload: [UInt8(batch)])
            writer.submit()
        }
        fs.releaseSyncs()
        waitFor { progress.snapshot.0 == 6 }
        XCTAssertEqual(progress.snapshot.0, 6)
        XCTAssertLessThanOrEqual(writer.counts.writes, 2, "five batches, one write")
        writer.close()
        XCTAssertEqual(try readAll().0.map(\.payload), (0...5).map { [UInt8($0)] })
    }

    /// `writeAndSyncHere`: with the writer thread idle, the staged records are written and
    /// synced before it returns, without an announcement; while the
    /// thread is busy (here, in a held sync), they are handed over instead and it returns
    /// false. Either way every record is in the log, in order.
    func testWriteAndSyncHereWhenTheWriterIsIdle() throws {
        let fs = FaultInjectingFileSystem(), progress = Progress()
        let writer = try makeWriter(fs: fs, progress: progress)
        writer.append(kind: .command, payload: [1])
        XCTAssertTrue(writer.writeAndSyncHere())
        XCTAssertEqual(writer.progress.durable, 1, "durable on return")
        XCTAssertEqual(writer.takeProgress().durable, 1)
        XCTAssertEqual(progress.announcements, 0, "nothing announced")
        XCTAssertFalse(writer.hasStaged)

        fs.holdSyncs()
        writer.append(kind: .command, payload: [2])
        writer.submit()
        usleep(100_000)  // the writer thread takes it and waits in its sync
        writer.append(kind: .command, payload: [3])
        XCTAssertFalse(writer.writeAndSyncHere(), "the writer thread is busy")
        XCTAssertFalse(writer.hasStaged, "handed over")
        fs.releaseSyncs()
        waitFor { progress.snapshot.0 == 3 }
        XCTAssertEqual(progress.snapshot.0, 3)
        writer.close()
        XCTAssertEqual(try readAll().0.map(\.payload), [[1], [2], [3]])
    }

    /// The segment being written is zero-filled ahead of its records. After a crash (the
    /// writer never closed) the zero fill is the end of the log, not damage and not a torn
    /// tail; a new writer continues right after the last record; a clean close, and a
    /// rotation, cut the file back to its records.
    func testPreallocatedSpaceEndsTheLogAfterACrash() throws {
        let progress = Progress()
        let crashed = try makeWriter(fs: PosixFileSystem(), progress: progress)
        for i in 0..<10 { crashed.append(kind: .command, payload: Array("value \(i)".utf8)) }
        crashed.submit()
        waitFor { progress.snapshot.0 == 10 }
        let segment = dir + "/log/" + Segment.fileName(firstLSN: 1)
        let recordBytes = (0..<10).reduce(0) { $0 + LogRecord(lsn: 1, kind: .command, payload: Array("value \($1)".utf8)).encodedSize }
        let end = Segment.headerBytes + recordBytes
        XCTAssertEqual(try PosixFileSystem().fileSize(segment), 64 * 1024, "64 KiB preallocated")

        let reader = try LogReader(directory: dir, fs: PosixFileSystem())
        XCTAssertNil(try reader.verifyAll(), "zero fill is not a torn tail")
        XCTAssertEqual(reader.recordsRead, 10)
        XCTAssertEqual(reader.appendOffset, end)
        XCTAssertEqual(reader.zeroFillBytes, 64 * 1024 - end)
        XCTAssertEqual(reader.totalBytes, end, "the zero fill is not counted as log")

        let reopened = try makeWriter(fs: PosixFileSystem(), progress: progress)
        for i in 0..<5 { reopened.append(kind: .command, payload: Array("more \(i)".utf8)) }
        reopened.close()
        XCTAssertEqual(try readAll().0.map(\.lsn), Array(1...15), "continued after the last record, not after the zero fill")
        let closedSize = try PosixFileSystem().fileSize(segment)
        XCTAssertEqual(closedSize, end + (0..<5).reduce(0) { $0 + LogRecord(lsn: 1, kind: .command, payload: Array("more \($1)".utf8)).encodedSize },
                       "a clean close leaves only the records")
        crashed.close()
    }

    /// A record cut short inside the zero fill is a torn tail (its bytes are reported,
    /// not the zeros after them); data after zeros further on is damage, not a tail.
    func testTornRecordInsidePreallocatedSpace() throws {
        let (segment, whole) = try writeTenRecords()
        let next = LogRecord(lsn: 11, kind: .command, payload: Array(repeating: 9, count: 100)).encoded()
        for cut in [3, 8, 12, 40, next.count - 1] {
            var bytes = whole + next[0..<cut]
            bytes += Array(repeating: 0, count: 8192 - bytes.count)
            try Data(bytes).write(to: URL(fileURLWithPath: segment))
            let (records, tail) = try readAll()
            XCTAssertEqual(records.count, 10, "cut at \(cut)")
            XCTAssertEqual(tail?.offset, whole.count, "cut at \(cut)")
            XCTAssertEqual(tail?.droppedBytes, next[0..<cut].lastIndex { $0 != 0 }.map { $0 + 1 }, "cut at \(cut)")
            var garbage = bytes
            garbage[whole.count + 4000] = 0x5a
            try Data(garbage).write(to: URL(fileURLWithPath: segment))
            XCTAssertThrowsError(try readAll(), "cut at \(cut) with data after the zeros") { error in
                XCTAssertEqual((error as? LogCorruption)?.offset, whole.count)
            }
        }
        // Zero fill at the end of a segment that is not the last is damage.
        try Data(whole + Array(repeating: 0, count: 100)).write(to: URL(fileURLWithPath: segment))
        try FileManager.default.createDirectory(atPath: dir + "/log", withIntermediateDirectories: true)
        try Data(Segment.header(firstLSN: 11, stream: .fresh()) + LogRecord(lsn: 11, kind: .command, payload: [1]).encoded())
            .write(to: URL(fileURLWithPath: dir + "/log/" + Segment.fileName(firstLSN: 11)))
        try Manifest(segments: [Segment.fileName(firstLSN: 1), Segment.fileName(firstLSN: 11)]).write(to: dir, fs: PosixFileSystem())
        XCTAssertThrowsError(try readAll()) { error in
            XCTAssertTrue("\(error)".contains("zero bytes to the end of a segment that is not the last"), "\(error)")
        }
    }

    /// The zero fill grows with the segment: 64 KiB, then about the segment's size, in
    /// steps of at most 4 MiB, and never far past the segment's limit.
    func testPreallocationGrowsWithTheSegment() throws {
        let progress = Progress()
        let writer = try makeWriter(fs: PosixFileSystem(), segmentBytes: 64 << 20, progress: progress)
        let segment = dir + "/log/" + Segment.fileName(firstLSN: 1)
        var written = Segment.headerBytes
        var lsn: UInt64 = 0
        for round in 0..<60 {
            for _ in 0..<100 {
                writer.append(kind: .command, payload: Array(repeating: UInt8(round), count: 1000))
                written += LogRecord.headerBytes + LogRecord.fixedBodyBytes + 1000
                lsn += 1
            }
            writer.submit()
            waitFor { progress.snapshot.0 == lsn }
            let size = try PosixFileSystem().fileSize(segment)
            XCTAssertGreaterThanOrEqual(size, written)
            XCTAssertLessThanOrEqual(size, max(64 * 1024, 2 * written + 4096), "at most about double the records")
            XCTAssertLessThanOrEqual(size - written, 4 << 20)
        }
        let small = try makeWriterInNewDirectory(segmentBytes: 4096, progress: Progress())
        XCTAssertEqual(try PosixFileSystem().fileSize(small.path), 4096, "no more than a small segment's limit")
        small.writer.close()
        writer.close()
    }

    func makeWriterInNewDirectory(segmentBytes: Int, progress: Progress) throws -> (writer: LogWriter, path: String) {
        let other = dir + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let writer = try LogWriter(directory: other, fs: PosixFileSystem(), manifest: nil, lastLSN: 0, totalBytes: 0,
                                   segmentBytesMax: segmentBytes, policy: .always,
                                   onProgress: { progress.announced() }, onFailure: { progress.fail($0) })
        progress.writer = writer
        return (writer, other + "/log/" + Segment.fileName(firstLSN: 1))
    }

    /// After close (shutdown), whatever still arrives (a write or a checkpoint racing with
    /// the shutdown) is refused: not written to the closed descriptor, not reported as a
    /// write error.
    func testNothingIsTakenAfterClose() throws {
        let progress = Progress()
        let writer = try makeWriter(fs: PosixFileSystem(), progress: progress)
        writer.append(kind: .command, payload: [1])
        writer.close()
        writer.append(kind: .command, payload: [2])
        writer.submit()
        _ = writer.rotateForCheckpoint()
        let refused = expectation(description: "install refused")
        writer.installSnapshot("x.snap", lsn: 2, snapshotDirectory: dir) { result in
            if case .failure = result { refused.fulfill() }
        }
        wait(for: [refused], timeout: 5)
        XCTAssertNil(progress.snapshot.1, "no write error reported")
        XCTAssertEqual(try readAll().0.map(\.lsn), [1])
        XCTAssertEqual(try Manifest.decode(try PosixFileSystem().readFile(dir + "/MANIFEST")).get().segments.count, 1)
    }

    func testTornTailIsCutNotAnError() throws {
        let (segment, whole) = try writeTenRecords()
        let lastRecordStart = whole.count - LogRecord(lsn: 10, kind: .command, payload: Array("value 9".utf8)).encodedSize
        for cut in (lastRecordStart + 1)..<whole.count {
            try Data(whole[0..<cut]).write(to: URL(fileURLWithPath: segment))
            let (records, tail) = try readAll()
            XCTAssertEqual(records.count, 9, "cut at \(cut)")
            XCTAssertEqual(tail?.offset, lastRecordStart)
        }
        // Damage in the last record's body, at the very end: also a torn tail.
        var damaged = whole
        damaged[whole.count - 1] ^= 0xff
        try Data(damaged).write(to: URL(fileURLWithPath: segment))
        XCTAssertEqual(try readAll().1?.offset, lastRecordStart)
    }

    func testDamageInsideTheLogIsRefused() throws {
        var (segment, bytes) = try writeTenRecords()
        bytes[Segment.headerBytes + 10] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        XCTAssertThrowsError(try readAll()) { error in
            let c = error as? LogCorruption
            XCTAssertEqual(c?.offset, Segment.headerBytes)
            XCTAssertTrue(c?.description.contains("cairn check-log") ?? false)
        }
    }

    func testLSNGapIsRefused() throws {
        let segment = dir + "/log/" + Segment.fileName(firstLSN: 1)
        try FileManager.default.createDirectory(atPath: dir + "/log", withIntermediateDirectories: true)
        var bytes = Segment.header(firstLSN: 1, stream: .fresh())
        bytes += LogRecord(lsn: 1, kind: .command, payload: [1]).encoded()
        bytes += LogRecord(lsn: 3, kind: .command, payload: [1]).encoded()
        bytes += LogRecord(lsn: 4, kind: .command, payload: [1]).encoded()
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        try Manifest(segments: [Segment.fileName(firstLSN: 1)]).write(to: dir, fs: PosixFileSystem())
        XCTAssertThrowsError(try readAll()) { error in
            XCTAssertTrue("\(error)".contains("LSN gap: expected 2, found 3"), "\(error)")
        }
    }

    func testMissingManifestWithSegmentsIsRefused() throws {
        let progress = Progress()
        let writer = try makeWriter(fs: PosixFileSystem(), progress: progress)
        writer.append(kind: .command, payload: [1])
        writer.close()
        try FileManager.default.removeItem(atPath: dir + "/MANIFEST")
        XCTAssertThrowsError(try readAll())
    }

    /// A failed write or fsync is never retried: the writer stops, says why, and the
    /// durable LSN never passes what was really synced.
    func testFailedSyncStopsTheWriter() throws {
        for op in [FaultInjectingFileSystem.Operation.sync, .write] {
            for code in [EIO, ENOSPC] {
                try? FileManager.default.removeItem(atPath: dir)
                let fs = FaultInjectingFileSystem()
                let progress = Progress()
                let writer = try makeWriter(fs: fs, progress: progress)
                writer.append(kind: .command, payload: [1])
                writer.submit()
                waitFor { progress.snapshot.0 == 1 }
                fs.inject(.init(op, errno: code, tornBytes: op == .write ? 5 : 0))
                writer.append(kind: .command, payload: [2])
                writer.submit()
                waitFor { progress.snapshot.1 != nil }
                let (durable, failure) = progress.snapshot
                XCTAssertEqual(durable, 1, "\(op) \(code)")
                XCTAssertTrue(failure?.contains(String(cString: strerror(code))) ?? false, "\(failure ?? "nil")")
                XCTAssertNotNil(writer.failed)
                // Later records are not written at all.
                writer.append(kind: .command, payload: [3])
                writer.submit()
                writer.close()
                let (records, tail) = try readAll()
                XCTAssertTrue(records.map(\.lsn).starts(with: [1]))
                XCTAssertFalse(records.contains { $0.lsn == 3 })
                if op == .write { XCTAssertNotNil(tail, "the torn write is a torn tail") }
            }
        }
    }

    /// Writes that were never synced can vanish at a crash; what was synced stays.
    func testLostUnsyncedWritesLeaveAValidLog() throws {
        let fs = FaultInjectingFileSystem()
        let progress = Progress()
        let writer = try makeWriter(fs: fs, policy: .no, progress: progress)
        for i in 0..<100 { writer.append(kind: .command, payload: Array("v\(i)".utf8)) }
        writer.submit()
        writer.close()  // close syncs
        let writer2 = try makeWriter(fs: fs, policy: .no, progress: progress)
        for i in 0..<100 { writer2.append(kind: .command, payload: Array("w\(i)".utf8)) }
        writer2.submit()
        waitFor { fs.firedFaults == 0 && (try? self.readAll().0.count) == 200 }
        fs.loseUnsyncedWrites()
        let (records, _) = try readAll()
        XCTAssertEqual(records.count, 100, "only the synced records survive")
    }

    func testFailedRotationStopsTheWriter() throws {
        let fs = FaultInjectingFileSystem()
        let progress = Progress()
        let writer = try makeWriter(fs: fs, segmentBytes: 100, progress: progress)
        writer.append(kind: .command, payload: Array(repeating: 1, count: 90))
        writer.submit()
        waitFor { progress.snapshot.0 == 1 }
        fs.inject(.init(.rename, errno: EIO))
        writer.append(kind: .command, payload: Array(repeating: 2, count: 90))
        writer.submit()
        waitFor { progress.snapshot.1 != nil }
        XCTAssertNotNil(progress.snapshot.1)
        XCTAssertEqual(progress.snapshot.0, 1)
        writer.close()
        XCTAssertEqual(try readAll().0.map(\.lsn), [1])
    }
}
