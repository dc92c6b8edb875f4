import CairnCore
import CCairnSystem
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// When records are made durable.
public enum SyncPolicy: String, Sendable {
    /// fdatasync after every group of writes; replies wait for it.
    case always
    /// fdatasync at most a second apart; replies do not wait.
    case everysec
    /// Never; the OS writes back when it likes.
    case no
}

/// Appends records to the current segment on a thread of its own, with group commit:
/// the engine stages records while it executes, hands them over at the end of each batch
/// (`submit`), and goes on executing while this writer writes and fsyncs everything
/// handed over since its last sync, once. Progress (written LSN, durable LSN) is announced
/// through `onProgress` under every policy, at most one announcement outstanding: the
/// engine reads the latest with `takeProgress`. A failed write or fsync is never retried:
/// the writer stops and reports through `onFailure`, and nothing after the last good
/// fsync is acknowledged.
///
/// Every record carries its end offset in the replication stream, and every segment the
/// replication id of its records (Docs/DATA_FILES.md): the engine passes how many stream
/// bytes a record is, and a replica writes its primary's records as they were
/// (`append(at:)`). Segments holding records at or after a pinned LSN (`pin`) outlive
/// checkpoints, for the replicas still reading them.
///
/// The current segment is preallocated: zero-filled ahead of the records, in steps that
/// grow with it (see `preallocate`), and records are written at their offset into that
/// space. An fdatasync then has only data to flush, not a new file size, which on ext4
/// halves its cost (Docs/BENCHMARKS.md). A finished segment is cut back to its records
/// at rotation and at a clean close; after a crash, recovery reads the zero fill as the
/// end of the log (Docs/RECOVERY.md).
public final class LogWriter: @unchecked Sendable {
    public let directory: String
    public let logDirectory: String
    let fs: FileSystem
    let segmentBytesMax: Int
    private var manifest: Manifest

    // Engine side (the event loop thread only).
    public private(set) var lastLSN: UInt64
    /// The replication history being written and the offset after the last staged record
    /// (Redis's master_replid and master_repl_offset).
    public private(set) var stream: ReplicationPosition
    private var staged: [UInt8] = []
    private var stagedFirstLSN: UInt64 = 0
    private var stagedStreamStart: UInt64 = 0

    // Shared, under `lock`.
    private let lock = PthreadMutex()
    private var queue: [WriterItem] = []
    private var scheduled = false
    private var policyValue: SyncPolicy
    private var failure: String?
    private var pins: [Int: UInt64] = [:]
    private var retainedBytesValue = 0
    private var nextPinID = 0
    /// An announcement of progress is on its way to the engine (see `takeProgress`).
    private var progressAnnounced = false

    // Writer side (the `io` queue only).
    private let io = DispatchQueue(label: "cairn.log.writer")
    private var fd: Int32 = -1
    private var segmentPath = ""
    /// Where the next record goes: the end of the records in the current segment.
    private var segmentBytes = 0
    /// The end of the zero-filled space of the current segment (its file size).
    private var preallocatedEnd = 0
    /// The replication id of the current segment (its header's).
    private var segmentStreamID: String
    private var writtenLSN: UInt64
    private var durableLSN: UInt64
    private var lastSyncMonotonicNs: UInt64 = 0
    private var syncTimerArmed = false
    /// Bytes in live segments (INFO aof_current_size).
    public private(set) var totalBytesApprox = 0

    private let onProgress: @Sendable () -> Void
    private let onFailure: @Sendable (String) -> Void

    /// Opens the log of `directory` for appending after `lastLSN`. `manifest` is what
    /// recovery read (nil for a new directory: the first segment is created);
    /// `appendOffset` is where the records of its last segment end (recovery found it;
    /// zero fill may follow), nil for the end of the file. `stream` is where the log's
    /// replication history stands (the reader's); nil starts a new one, and when the log
    /// has segments, says the last is version 1: it is cut back to its records and the
    /// next record begins a segment in the current format.
    public init(directory: String, fs: FileSystem, manifest: Manifest?, lastLSN: UInt64, totalBytes: Int, appendOffset: Int? = nil,
                stream: ReplicationPosition? = nil, segmentBytesMax: Int, policy: SyncPolicy,
                onProgress: @escaping @Sendable () -> Void,
                onFailure: @escaping @Sendable (String) -> Void) throws {
        self.directory = directory
        self.logDirectory = directory + "/log"
        self.fs = fs
        self.segmentBytesMax = segmentBytesMax
        self.lastLSN = lastLSN
        self.writtenLSN = lastLSN
        self.durableLSN = lastLSN
        self.policyValue = policy
        self.onProgress = onProgress
        self.onFailure = onFailure
        self.manifest = manifest ?? Manifest(segments: [])
        self.totalBytesApprox = totalBytes
        self.published = (lastLSN, lastLSN)
        self.publishedTotalBytes = totalBytes
        let position = stream ?? .fresh()
        self.stream = position
        self.segmentStreamID = position.id
        try fs.makeDirectory(logDirectory)
        if let last = self.manifest.segments.last {
            let path = logDirectory + "/" + last
            let size = (try? fs.fileSize(path)) ?? 0
            let end = min(appendOffset ?? size, size)
            if stream == nil {
                // A version 1 segment: no record of the current format goes into it.
                if end < size { try fs.truncate(path, size: end) }
                totalBytesApprox -= size - end
                try startSegment(firstLSN: lastLSN + 1, stream: position)
            } else {
                segmentPath = path
                fd = try fs.openForWriting(segmentPath, create: false)
                preallocatedEnd = size
                segmentBytes = end
                publishedSegmentPath = segmentPath
            }
        } else {
            try startSegment(firstLSN: lastLSN + 1, stream: position)
        }
    }

    public var policy: SyncPolicy {
        get { lock.withLock { policyValue } }
        set { lock.withLock { policyValue = newValue } }
    }

    public var failed: String? { lock.withLock { failure } }

    private var published: (written: UInt64, durable: UInt64) = (0, 0)
    private var syncCount = 0
    private var syncNanoseconds: UInt64 = 0
    private var writeCount = 0
    private var publishedCounts: (syncs: Int, writes: Int, syncMicroseconds: Int) = (0, 0, 0)

    private var publishedTotalBytes = 0

    /// Makes the writer's state readable by the engine, and announces it unless an
    /// announcement is still on its way (the engine then reads this one with it).
    private func publish(announce announcing: Bool = true) {
        let p = (writtenLSN, durableLSN)
        let c = (syncCount, writeCount, Int(syncNanoseconds / 1000))
        let total = totalBytesApprox
        let path = segmentPath
        let announce = lock.withLock { () -> Bool in
            let moved = p != published
            published = p
            publishedCounts = c
            publishedTotalBytes = total
            publishedSegmentPath = path
            guard announcing, moved, !progressAnnounced else { return false }
            progressAnnounced = true
            return true
        }
        if announce { onProgress() }
    }

    /// The written and durable LSNs, taken by the engine when an announcement arrives:
    /// the next progress is announced again.
    public func takeProgress() -> (written: UInt64, durable: UInt64) {
        lock.withLock {
            progressAnnounced = false
            return published
        }
    }

    /// How many fdatasyncs and write groups the writer has done: records per sync is the
    /// group commit's batching.
    public var counts: (syncs: Int, writes: Int, syncMicroseconds: Int) { lock.withLock { publishedCounts } }

    /// The durations of the fdatasyncs that made groups durable, and how many records they
    /// made durable in all (records per sync is the group commit's batching).
    public var syncStatistics: (latency: LatencyHistogram, records: UInt64) { lock.withLock { (syncLatency, recordsSynced) } }

    /// The longest fdatasync since the last call, in nanoseconds (the latency monitor's
    /// sample, taken on the engine's loop).
    public func takeSlowestSync() -> UInt64 {
        lock.withLock {
            defer { slowestSyncNanoseconds = 0 }
            return slowestSyncNanoseconds
        }
    }
    private var slowestSyncNanoseconds: UInt64 = 0

    /// CONFIG RESETSTAT: the latency histogram starts over.
    public func resetSyncStatistics() { lock.withLock { syncLatency = LatencyHistogram(); recordsSynced = 0 } }
    private var syncLatency = LatencyHistogram()
    private var recordsSynced: UInt64 = 0

    /// The written and durable LSNs as of the writer's last group.
    public var progress: (written: UInt64, durable: UInt64) { lock.withLock { published } }

    /// The segment being appended to, as the writer last published it (never waits for
    /// the writer: INFO must not stall behind an fsync).
    public var currentSegmentPath: String { lock.withLock { publishedSegmentPath } }
    private var publishedSegmentPath = ""


    // MARK: - Engine side

    /// Stages one record that is `streamBytes` bytes of the replication stream (a
    /// `stream` record: its payload, when not given); returns its LSN. Nothing reaches the
    /// file before `submit`.
    @discardableResult
    public func append(kind: RecordKind, flags: RecordFlags = [], streamBytes: Int? = nil, payload: [UInt8]) -> UInt64 {
        append(kind: kind, flags: flags, streamBytes: streamBytes ?? payload.count, payloadBytes: payload.count) { p in
            payload.withUnsafeBytes { if let source = $0.baseAddress { p.copyMemory(from: source, byteCount: $0.count) } }
        }
    }

    /// Stages one record whose payload of `payloadBytes` bytes `writePayload` writes at the
    /// pointer it is given, in place (no intermediate array); returns its LSN.
    @discardableResult
    public func append(kind: RecordKind, flags: RecordFlags, streamBytes: Int, payloadBytes: Int,
                       writePayload: (UnsafeMutableRawPointer) -> Void) -> UInt64 {
        lastLSN += 1
        if staged.isEmpty {
            stagedFirstLSN = lastLSN
            stagedStreamStart = stream.offset
        }
        stream.offset += UInt64(streamBytes)
        LogRecord.encode(lsn: lastLSN, kind: kind, flags: flags, streamEnd: stream.offset, payloadBytes: payloadBytes,
                         into: &staged, writePayload: writePayload)
        return lastLSN
    }

    /// Stages a record exactly as another log has it: a replica's copy of its primary's
    /// record, with the primary's LSN and stream offset. It must continue this log.
    public func append(at lsn: UInt64, streamEnd: UInt64, kind: RecordKind, flags: RecordFlags, payload: [UInt8]) throws {
        try append(at: lsn, streamEnd: streamEnd, kind: kind, flags: flags, payloadBytes: payload.count) { p in
            payload.withUnsafeBytes { if let source = $0.baseAddress { p.copyMemory(from: source, byteCount: $0.count) } }
        }
    }

    /// `append(at:...)` with the payload written in place by `writePayload` (a replica's
    /// effects encoded straight into the staged record).
    public func append(at lsn: UInt64, streamEnd: UInt64, kind: RecordKind, flags: RecordFlags, payloadBytes: Int,
                       writePayload: (UnsafeMutableRawPointer) -> Void) throws {
        guard lsn == lastLSN + 1 else {
            throw LogContinuityError(reason: "record LSN \(lsn) does not follow the log's last LSN \(lastLSN)")
        }
        guard streamEnd >= stream.offset else {
            throw LogContinuityError(reason: "record ends at replication offset \(streamEnd), before the log's \(stream.offset)")
        }
        _ = append(kind: kind, flags: flags, streamBytes: Int(streamEnd - stream.offset), payloadBytes: payloadBytes,
                   writePayload: writePayload)
    }

    /// Begins a new replication history (a replica promoted, or one that followed a new
    /// primary): the next record starts a segment whose header names `id`, at `offset`.
    public func startHistory(_ position: ReplicationPosition) {
        submit()
        stream = position
        enqueue(.startHistory(firstLSN: lastLSN + 1, stream: position))
    }

    /// Keeps the segments holding records from `lsn` on through checkpoints, until the pin
    /// is moved past them or removed (a replica still reading them).
    public func pin(from lsn: UInt64) -> LogPin {
        lock.withLock {
            nextPinID += 1
            pins[nextPinID] = lsn
            return LogPin(id: nextPinID)
        }
    }

    public func move(_ pin: LogPin, to lsn: UInt64) { lock.withLock { if pins[pin.id] != nil { pins[pin.id] = lsn } } }

    public func unpin(_ pin: LogPin) { lock.withLock { pins[pin.id] = nil } }

    /// Bytes of log a checkpoint keeps beyond what its snapshot needs, newest first (whole
    /// segments; repl-backlog-size): a replica away for a while resumes from them.
    public var retainedBytes: Int {
        get { lock.withLock { retainedBytesValue } }
        set { lock.withLock { retainedBytesValue = newValue } }
    }

    /// The lowest pinned LSN, if any.
    public var lowestPin: UInt64? { lock.withLock { pins.values.min() } }

    /// True when records are staged and not yet handed over.
    public var hasStaged: Bool { !staged.isEmpty }

    /// How many records are staged and not yet handed over.
    public var stagedRecords: UInt64 { staged.isEmpty ? 0 : lastLSN - stagedFirstLSN + 1 }

    /// Bytes of records staged or queued for the writer thread and not yet written: the
    /// log's buffers, which maxmemory does not count (Redis's aof_buf).
    public var bufferedBytes: Int { stagedBytes + queuedBytes }
    /// The staging buffer's bytes (engine side).
    public var stagedBytes: Int { staged.capacity }
    /// Bytes of records handed to the writer thread and not yet taken by it.
    public var queuedBytes: Int { lock.withLock { queue.reduce(0) { $0 + $1.byteCount } } }
    /// Bytes of records handed to the writer thread so far: allocated on the engine's
    /// thread and freed on the writer's, which the engine's allocation counters do not
    /// see (MemoryGauge subtracts them).
    public private(set) var handedOverBytes = 0

    /// Hands the staged records to the writer thread.
    public func submit() {
        guard !staged.isEmpty else { return }
        let chunk = WriterItem.records(first: stagedFirstLSN, last: lastLSN, streamStart: stagedStreamStart, bytes: staged)
        handedOverBytes += staged.capacity
        startStaging()
        enqueue(chunk)
    }

    private func enqueue(_ item: WriterItem) {
        let (start, refused) = lock.withLock { () -> (Bool, Bool) in
            if failure != nil { return (false, true) }
            queue.append(item)
            if scheduled { return (false, false) }
            scheduled = true
            return (true, false)
        }
        if refused, case .installSnapshot(_, _, _, _, let done) = item { done(.failure(LogWriterStopped(reason: failed ?? ""))) }
        if start { io.async { self.drainNow() } }
    }

    /// Checkpoint, step 1: everything staged so far (up to `lastLSN`, the checkpoint's
    /// LSN) is handed over, and the next record starts a new segment, so the segments
    /// before it hold only what the snapshot will cover. Returns that LSN.
    @discardableResult
    public func rotateForCheckpoint() -> UInt64 {
        submit()
        enqueue(.rotate(firstLSN: lastLSN + 1, stream: stream))
        return lastLSN
    }

    /// Checkpoint, last step: once everything up to `lsn` is on disk, the manifest names
    /// `snapshot` (already renamed into place and its directory synced) and drops the
    /// segments it covers; then those segments and the previous snapshot are deleted.
    /// `done` runs on the writer's thread with the names deleted, or why it failed (the
    /// old manifest then stands, and nothing was deleted).
    /// `crashAfter` ("manifest" or "deletes", from DEBUG CHECKPOINT-CRASH) ends the process
    /// right after that step, for the tests of crashes in the middle of a checkpoint.
    public func installSnapshot(_ snapshot: String, lsn: UInt64, snapshotDirectory: String, crashAfter: String? = nil,
                                done: @escaping @Sendable (Result<[String], Error>) -> Void) {
        enqueue(.installSnapshot(snapshot, lsn: lsn, directory: snapshotDirectory, crashAfter: crashAfter, done: done))
    }

    /// `rotateForCheckpoint` and `installSnapshot` for SAVE in the foreground: blocks.
    public func installSnapshotAndWait(_ snapshot: String, lsn: UInt64, snapshotDirectory: String) throws -> [String] {
        let box = ResultBox()
        installSnapshot(snapshot, lsn: lsn, snapshotDirectory: snapshotDirectory) { box.result = $0 }
        io.sync { drainNow() }
        guard let result = box.result else { throw LogWriterStopped(reason: failed ?? "the log writer stopped") }
        return try result.get()
    }

    /// Bytes of the live segments and the current segment's name, as the writer last saw them.
    public var liveBytes: Int { lock.withLock { publishedTotalBytes } }

    /// Hands over what is staged and waits until the writer has written it (and synced it,
    /// as the policy says). Blocks the caller: for DEBUG RELOAD and shutdown paths only.
    public func flushAndWait() {
        submit()
        io.sync { drainNow() }
    }

    /// Writes and syncs everything handed over, then closes the segment. Blocks.
    public func close() {
        submit()
        io.sync {
            drainNow()
            if fd >= 0 {
                if lock.withLock({ failure }) == nil {
                    if writtenLSN > durableLSN {
                        try? fs.sync(fd, path: segmentPath)
                        durableLSN = writtenLSN
                    }
                    // A clean stop leaves the segment holding its records only.
                    if preallocatedEnd > segmentBytes, (try? fs.truncate(segmentPath, size: segmentBytes)) != nil {
                        preallocatedEnd = segmentBytes
                    }
                }
                fs.close(fd)
                fd = -1
            }
            // Nothing is taken after this (a checkpoint or a write that raced with the
            // shutdown is refused, not written to a closed descriptor).
            lock.withLock { if failure == nil { failure = "the log is closed" } }
        }
    }

    // MARK: - Writer side

    private func drainNow() {
        while true {
            let (chunks, policy, failed) = lock.withLock { () -> ([WriterItem], SyncPolicy, Bool) in
                let c = queue
                queue = []
                if c.isEmpty { scheduled = false }
                return (c, policyValue, failure != nil)
            }
            if chunks.isEmpty || failed {
                // The records written were allocated by the engine and freed here: give
                // them back to their arena rather than keep them in this thread's cache,
                // where used_memory would count them (and maxmemory evict for them).
                cairn_malloc_flush_thread_cache()
                return
            }
            guard writeGroup(chunks, policy: policy) else { return }
            publish()
        }
    }

    /// Writes the staged records and syncs them on the calling thread (the engine's),
    /// when the writer thread is idle and the policy is always; false, having handed them
    /// over as `submit` does, otherwise. The engine then takes the progress itself
    /// (`takeProgress`): nothing is announced. The staged buffer is kept for the next
    /// records (up to 64 KiB of it), not freed.
    public func writeAndSyncHere() -> Bool {
        guard !staged.isEmpty else { return true }
        let claimed = lock.withLock { () -> Bool in
            guard failure == nil, !scheduled, queue.isEmpty, policyValue == .always else { return false }
            scheduled = true  // the writer's state is this thread's until released below
            return true
        }
        guard claimed else {
            submit()
            return false
        }
        // On the writer's queue, which is idle and claimed: the block runs on this thread.
        let written = io.sync {
            writeGroup([.records(first: stagedFirstLSN, last: lastLSN, streamStart: stagedStreamStart, bytes: staged)], policy: .always)
        }
        if staged.capacity > Self.stagedCapacityKept {
            startStaging()  // a large record's buffer is not kept
        } else {
            staged.removeAll(keepingCapacity: true)
        }
        if written { publish(announce: false) }
        lock.withLock { scheduled = false }
        return true
    }

    private static let stagedCapacityKept = 64 * 1024

    /// A new, empty staging buffer with room for a few records.
    private func startStaging() {
        staged = []
        staged.reserveCapacity(4096)
    }

    /// Writes a group of items and syncs it as `policy` says; false when the log failed
    /// (reported through `fail`).
    private func writeGroup(_ chunks: [WriterItem], policy: SyncPolicy) -> Bool {
        do {
            // Consecutive chunks (the engine hands one over per batch, and several
            // batches fill a group) go out in one pwrite: each is a trip through
            // ext4's buffered-write path.
            var pending = PendingRecords()
            for item in chunks {
                if case .records(let first, let last, let streamStart, let bytes) = item {
                    let end = segmentBytes + pending.bytes.count
                    if end + bytes.count > segmentBytesMax && end > Segment.headerBytes {
                        try writeOut(&pending)
                        try rotate(firstLSN: first, stream: ReplicationPosition(id: segmentStreamID, offset: streamStart))
                    }
                    pending.add(bytes, last: last)
                    continue
                }
                try writeOut(&pending)
                switch item {
                case .records:
                    break
                case .rotate(let first, let stream):
                    if segmentBytes > Segment.headerBytes { try rotate(firstLSN: first, stream: stream) }
                case .startHistory(let first, let stream):
                    if segmentBytes > Segment.headerBytes {
                        try rotate(firstLSN: first, stream: stream)
                    } else {
                        try rewriteHeader(firstLSN: first, stream: stream)
                    }
                case .installSnapshot(let name, let lsn, let snapshotDirectory, let crashAfter, let done):
                    done(install(name, lsn: lsn, snapshotDirectory: snapshotDirectory, crashAfter: crashAfter))
                }
            }
            try writeOut(&pending)
            let now = Clock.monotonicNanoseconds()
            switch policy {
            case .always:
                try syncGroup()
            case .everysec:
                if now - lastSyncMonotonicNs >= 1_000_000_000 {
                    try syncGroup()
                } else {
                    armSyncTimer()
                }
            case .no:
                break
            }
            return true
        } catch {
            fail("\(error)")
            return false
        }
    }

    /// Records gathered from consecutive chunks, to be written at the end of the segment.
    private struct PendingRecords {
        var bytes: [UInt8] = []
        var last: UInt64 = 0

        mutating func add(_ chunk: [UInt8], last: UInt64) {
            if bytes.isEmpty { bytes = chunk } else { bytes.append(contentsOf: chunk) }
            self.last = last
        }
    }

    /// Writes what `pending` gathered at the end of the current segment, and empties it.
    private func writeOut(_ pending: inout PendingRecords) throws {
        guard !pending.bytes.isEmpty else { return }
        let count = pending.bytes.count
        try preallocate(through: segmentBytes + count)
        try pending.bytes.withUnsafeBytes { try fs.write(fd, $0, at: segmentBytes, path: segmentPath) }
        writeCount += 1
        segmentBytes += count
        totalBytesApprox += count
        writtenLSN = pending.last
        pending = PendingRecords()
    }

    /// With everysec, writes that arrive less than a second after a sync are synced by a
    /// timer, so they are on disk within about a second even if no more writes come.
    private func armSyncTimer() {
        guard !syncTimerArmed else { return }
        syncTimerArmed = true
        io.asyncAfter(deadline: .now() + .seconds(1)) { [self] in
            syncTimerArmed = false
            guard writtenLSN > durableLSN, fd >= 0, lock.withLock({ failure }) == nil else { return }
            do {
                try syncGroup()
                publish()
            } catch {
                fail("\(error)")
            }
        }
    }

    /// The fdatasync that makes what was written durable, timed for INFO (the duty cycle,
    /// records per sync, latency percentiles).
    private func syncGroup() throws {
        let started = Clock.monotonicNanoseconds()
        try fs.sync(fd, path: segmentPath)
        let ended = Clock.monotonicNanoseconds()
        syncNanoseconds += ended - started
        syncCount += 1
        lock.withLock {
            syncLatency.record(microseconds: (ended - started) / 1000)
            recordsSynced += writtenLSN - durableLSN
            slowestSyncNanoseconds = max(slowestSyncNanoseconds, ended - started)
        }
        durableLSN = writtenLSN
        lastSyncMonotonicNs = ended
    }

    private func fail(_ reason: String) {
        let dropped = lock.withLock { () -> [WriterItem] in
            failure = reason
            defer { queue = [] }
            scheduled = false
            return queue
        }
        for case .installSnapshot(_, _, _, _, let done) in dropped { done(.failure(LogWriterStopped(reason: reason))) }
        onFailure(reason)
    }

    /// The manifest switch of a checkpoint (see `installSnapshot`), on the writer's thread.
    /// A failure here leaves the old manifest, which still describes a complete log, and
    /// does not stop the log: the checkpoint is reported failed and can be retried.
    private func install(_ snapshot: String, lsn: UInt64, snapshotDirectory: String, crashAfter: String?) -> Result<[String], Error> {
        do {
            guard writtenLSN >= lsn else { throw LogWriterStopped(reason: "the log has not reached LSN \(lsn)") }
            if durableLSN < writtenLSN {
                try fs.sync(fd, path: segmentPath)
                durableLSN = writtenLSN
            }
            // A segment whose successor starts at or before lsn + 1 holds nothing after lsn;
            // it goes unless it holds a pinned LSN or a later one.
            let keepFrom = min(lsn + 1, lowestPin ?? .max)
            var kept: [String] = []
            var dropped: [String] = []
            for (i, name) in manifest.segments.enumerated() {
                let next = i + 1 < manifest.segments.count ? Segment.firstLSN(fileName: manifest.segments[i + 1]) : nil
                if let next, next <= keepFrom { dropped.append(name) } else { kept.append(name) }
            }
            // The newest of the droppable segments stay, up to the retention in bytes.
            var budget = retainedBytes
            while let last = dropped.last {
                let size = (try? fs.fileSize(logDirectory + "/" + last)) ?? 0
                guard size <= budget else { break }
                budget -= size
                kept.insert(dropped.removeLast(), at: 0)
            }
            let previous = manifest.snapshot
            let updated = Manifest(snapshot: snapshot, segments: kept)
            try updated.write(to: directory, fs: fs)
            manifest = updated
            if crashAfter == "manifest" { _exit(70) }
            var deleted: [String] = []
            for name in dropped {
                let path = logDirectory + "/" + name
                let size = (try? fs.fileSize(path)) ?? 0
                if (try? fs.remove(path)) != nil {
                    totalBytesApprox -= size
                    deleted.append(name)
                }
            }
            try? fs.syncDirectory(logDirectory)
            if crashAfter == "deletes" { _exit(70) }
            // The previous snapshot, and any left by a checkpoint whose manifest switch
            // failed (the manifest never named them; no other checkpoint runs now).
            var stale = ((try? fs.listDirectory(snapshotDirectory)) ?? []).filter { $0.hasSuffix(".snap") && $0 != snapshot }
            if let previous, previous != snapshot, !stale.contains(previous) { stale.append(previous) }
            for name in stale where (try? fs.remove(snapshotDirectory + "/" + name)) != nil { deleted.append(name) }
            if !stale.isEmpty { try? fs.syncDirectory(snapshotDirectory) }
            publish()
            return .success(deleted)
        } catch {
            return .failure(error)
        }
    }

    /// Closes the current segment (synced) and starts the next, named by `firstLSN`;
    /// the manifest lists the new segment before any record goes into it.
    private func rotate(firstLSN: UInt64, stream: ReplicationPosition) throws {
        try fs.sync(fd, path: segmentPath)
        durableLSN = writtenLSN
        // Only the last segment may end in zero fill: cut this one back to its records
        // (truncate fsyncs the new size) before a later segment is listed.
        if preallocatedEnd > segmentBytes { try fs.truncate(segmentPath, size: segmentBytes) }
        fs.close(fd)
        fd = -1
        try startSegment(firstLSN: firstLSN, stream: stream)
    }

    /// A new history while the current segment holds no record: its header is rewritten
    /// (and synced) to name it.
    private func rewriteHeader(firstLSN: UInt64, stream: ReplicationPosition) throws {
        let header = Segment.header(firstLSN: firstLSN, stream: stream)
        try header.withUnsafeBytes { try fs.write(fd, $0, at: 0, path: segmentPath) }
        try fs.sync(fd, path: segmentPath)
        segmentStreamID = stream.id
    }

    private func startSegment(firstLSN: UInt64, stream: ReplicationPosition) throws {
        let name = Segment.fileName(firstLSN: firstLSN)
        let path = logDirectory + "/" + name
        try? fs.remove(path)  // an unlisted leftover of a crash during a previous rotation
        let newFD = try fs.openForWriting(path, create: true)
        let header = Segment.header(firstLSN: firstLSN, stream: stream)
        do {
            try header.withUnsafeBytes { try fs.write(newFD, $0, at: 0, path: path) }
            try writeZeros(newFD, path: path, from: header.count, to: initialPreallocation)
            try fs.sync(newFD, path: path)
            try fs.syncDirectory(logDirectory)
            var updated = manifest
            updated.segments.append(name)
            try updated.write(to: directory, fs: fs)
            manifest = updated
        } catch {
            fs.close(newFD)
            throw error
        }
        fd = newFD
        segmentStreamID = stream.id
        segmentPath = path
        segmentBytes = header.count
        preallocatedEnd = initialPreallocation
        totalBytesApprox += header.count
        publish()
    }
}

extension LogWriter {
    /// The zero fill grows with the segment, from 64 KiB (a short-lived segment, as the
    /// tests' and frequent checkpoints' are, stays small) to 4 MiB steps; each step costs
    /// one fdatasync that also commits the new size (a few ms for 4 MiB).
    static let preallocationStepMin = 64 * 1024
    static let preallocationStepMax = 4 * 1024 * 1024
    private static let zeros = [UInt8](repeating: 0, count: 1024 * 1024)

    /// A new segment's zero fill: 64 KiB, or less when segments are smaller than that.
    var initialPreallocation: Int {
        max(Segment.headerBytes, (min(Self.preallocationStepMin, segmentBytesMax) + 4095) & ~4095)
    }

    /// Makes sure the zero-filled space reaches `end`, extending by about the segment's
    /// size so far (at least 64 KiB, at most 4 MiB, never much past the segment's limit).
    func preallocate(through end: Int) throws {
        guard end > preallocatedEnd else { return }
        let step = min(max(preallocatedEnd, Self.preallocationStepMin), Self.preallocationStepMax)
        let target = (max(end, min(preallocatedEnd + step, segmentBytesMax)) + 4095) & ~4095
        try writeZeros(fd, path: segmentPath, from: preallocatedEnd, to: target)
        preallocatedEnd = target
    }

    func writeZeros(_ fd: Int32, path: String, from: Int, to end: Int) throws {
        var offset = from
        while offset < end {
            let n = min(end - offset, Self.zeros.count)
            try Self.zeros.withUnsafeBytes { try fs.write(fd, UnsafeRawBufferPointer(rebasing: $0[0..<n]), at: offset, path: path) }
            offset += n
        }
    }
}

/// What the engine hands the writer thread, in order.
enum WriterItem {
    /// Records `first...last`, encoded; `streamStart` is the replication offset before them.
    case records(first: UInt64, last: UInt64, streamStart: UInt64, bytes: [UInt8])
    /// Start a new segment at `firstLSN` (unless the current one is still empty).
    case rotate(firstLSN: UInt64, stream: ReplicationPosition)
    /// Start a new segment for a new replication history (or rename the current one's,
    /// while it holds no record).
    case startHistory(firstLSN: UInt64, stream: ReplicationPosition)
    /// Switch the manifest to a snapshot covering up to `lsn` (see `installSnapshot`).
    case installSnapshot(String, lsn: UInt64, directory: String, crashAfter: String?, done: @Sendable (Result<[String], Error>) -> Void)

    var byteCount: Int {
        if case .records(_, _, _, let bytes) = self { return bytes.capacity }
        return 0
    }
}

/// A record handed to `append(at:)` that does not continue the log.
public struct LogContinuityError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "the record does not continue the log: \(reason)" }
}

/// A retention pin (see `LogWriter.pin`).
public struct LogPin: Hashable, Sendable {
    let id: Int
}

/// The writer has stopped (after a failed write or fsync) and takes nothing more.
public struct LogWriterStopped: Error, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "the log writer stopped: \(reason)" }
}

private final class ResultBox: @unchecked Sendable {
    var result: Result<[String], Error>?
}

/// A small mutex (pthread), without Foundation.
final class PthreadMutex: @unchecked Sendable {
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
