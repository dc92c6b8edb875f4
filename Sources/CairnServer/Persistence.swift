import CairnCommands
import CairnCore
import CairnLog
import Logging
import NIOCore

/// The engine's side of the write-ahead log: recovery at start-up, staging each
/// command's effects as a record, and the LSNs that gate replies.
final class Persistence {
    let fs: FileSystem
    let directory: String
    private(set) var writer: LogWriter? {
        didSet { writerRef = writer.map { Unmanaged.passUnretained($0) } }
    }
    /// `writer`, for the per-command paths: a call through it retains nothing (`guard let
    /// writer` retained and released the writer for every record staged).
    private var writerRef: Unmanaged<LogWriter>?
    /// Highest LSN known to be on disk (with appendfsync always: what replies may depend on).
    var durableLSN: UInt64 = 0
    /// Highest LSN written to the file (not necessarily synced).
    var writtenLSN: UInt64 = 0
    /// The replication stream's database after the last record: a record selects its
    /// database in the stream only when it differs (nil: the next record selects). Set
    /// by recovery and a replica's full sync, followed by every record staged or copied,
    /// and forgotten at a primary's checkpoints (`checkpointStreamDatabase`).
    var streamDatabase: Int?
    /// False when recovery could not tell the stream's database (a snapshot that did
    /// not know it and no record after it): a replica then asks for a full sync.
    var streamDatabaseKnown = true
    /// Why the log stopped, once it has: writes are refused from then on.
    private(set) var failure: String?
    private var onProgress: (@Sendable () -> Void)?
    private var onFailure: (@Sendable (String) -> Void)?

    init(fs: FileSystem, directory: String) {
        self.fs = fs
        self.directory = directory
    }

    /// LSN of the last record staged: every reply of a command that ran before now may
    /// depend on it.
    var lastAppliedLSN: UInt64 { writerRef?._withUnsafeGuaranteedRef { $0.lastLSN } ?? 0 }

    var isActive: Bool { writer != nil && failure == nil }

    func open(manifest: Manifest?, lastLSN: UInt64, totalBytes: Int, appendOffset: Int?, stream: ReplicationPosition?,
              config: ServerConfig,
              onProgress: @escaping @Sendable () -> Void,
              onFailure: @escaping @Sendable (String) -> Void) throws {
        writer = try LogWriter(directory: directory, fs: fs, manifest: manifest, lastLSN: lastLSN, totalBytes: totalBytes,
                               appendOffset: appendOffset, stream: stream,
                               segmentBytesMax: config.logSegmentSize, policy: SyncPolicy(rawValue: config.appendfsync.rawValue)!,
                               onProgress: onProgress, onFailure: onFailure)
        durableLSN = lastLSN
        writtenLSN = lastLSN
        self.onProgress = onProgress
        self.onFailure = onFailure
    }

    /// A replica's full sync: the log starts over after `snapshot` (already in place in the
    /// snapshots directory), at the primary's LSN and position. The new manifest names the
    /// snapshot and a new segment at once; the old segments and snapshots go after it.
    func restart(afterSnapshot snapshot: String, lsn: UInt64, stream: ReplicationPosition, streamDatabase: Int?,
                 streamDatabaseKnown: Bool, config: ServerConfig) throws {
        guard let onProgress, let onFailure else { throw LogWriterStopped(reason: "the log is not open") }
        writer?.close()
        writer = nil
        failure = nil
        try open(manifest: Manifest(snapshot: snapshot, segments: []), lastLSN: lsn, totalBytes: 0, appendOffset: nil,
                 stream: stream, config: config, onProgress: onProgress, onFailure: onFailure)
        self.streamDatabase = streamDatabase
        self.streamDatabaseKnown = streamDatabaseKnown
        if let manifest = try? Manifest.decode(fs.readFile(directory + "/" + Manifest.fileName)).get() {
            DataDirectory.removeOrphans(directory: directory, manifest: manifest, fs: fs)
        }
    }

    /// Stages the effects of one unit (a command, an EXEC block, one expiry) as one
    /// record, with the bytes it takes in the replication stream.
    func log(_ effects: UnsafeBufferPointer<Effect>) {
        guard let writerRef, failure == nil, !effects.isEmpty else { return }
        let payloadBytes = EffectCodec.encodedSize(effects)
        // SELECT in the stream only when the database changes, as Redis sends it
        // (Docs/REPLICATION.md): the record's flag says so, and its offsets count it.
        let streamBytes = ReplicationStream.byteCount(effects, payloadBytes: payloadBytes, after: streamDatabase)
        let flags: RecordFlags = effects[0].database != streamDatabase ? .selectsDatabase : []
        streamDatabase = effects[effects.count - 1].database
        writerRef._withUnsafeGuaranteedRef { writer in
            writer.append(kind: effects.count == 1 ? .command : .batch, flags: flags, streamBytes: streamBytes,
                          payloadBytes: payloadBytes) {
                EffectCodec.write(effects, to: $0)
            }
        }
    }

    /// The stream's database for the header of a checkpoint's snapshot. A primary (which
    /// writes the stream) forgets it first, so that its next record selects: a replica
    /// whose full sync starts after this snapshot needs nothing before it, be it a Cairn
    /// replica or a Redis one (whose RDB file does not say). A replica keeps it: its
    /// primary decides the stream, and its own replicas' full syncs read the header.
    func checkpointStreamDatabase(writesStream: Bool) -> (database: Int?, known: Bool) {
        if writesStream {
            streamDatabase = nil
            streamDatabaseKnown = true
        }
        return (streamDatabase, streamDatabaseKnown)
    }

    /// Stages bytes of the replication stream that change nothing (a PING, a GETACK sent
    /// to replicas) as a record, so that offsets stay continuous on disk.
    func logStream(_ bytes: [UInt8]) {
        guard let writer, failure == nil else { return }
        writer.append(kind: .stream, payload: bytes)
    }

    /// Stages a record received from this server's primary without effects (a PING, a
    /// GETACK, a PUBLISH), with the primary's LSN and stream position.
    func copy(lsn: UInt64, streamEnd: UInt64, kind: RecordKind, flags: RecordFlags, payload: [UInt8]) throws {
        guard let writer, failure == nil else { throw LogWriterStopped(reason: failure ?? "the log is not open") }
        try writer.append(at: lsn, streamEnd: streamEnd, kind: kind, flags: flags, payload: payload)
    }

    /// Stages a unit of effects received from this server's primary as its record, with the
    /// primary's LSN and stream position, encoded straight into the log's staging (each
    /// effect's bytes as they arrived, when it has them). The stream's database is then
    /// the last effect's.
    func copy(lsn: UInt64, streamEnd: UInt64, kind: RecordKind, flags: RecordFlags, effects: UnsafeBufferPointer<Effect>) throws {
        guard !effects.isEmpty else { return }
        guard let writerRef, failure == nil else { throw LogWriterStopped(reason: failure ?? "the log is not open") }
        try writerRef._withUnsafeGuaranteedRef { writer in
            try writer.append(at: lsn, streamEnd: streamEnd, kind: kind, flags: flags,
                              payloadBytes: EffectCodec.encodedSize(effects)) { EffectCodec.write(effects, to: $0) }
        }
        streamDatabase = effects[effects.count - 1].database
        streamDatabaseKnown = true
    }

    /// The replication history and the offset after the last staged record (INFO
    /// replication's master_replid and master_repl_offset).
    var stream: ReplicationPosition? { writer?.stream }

    func submit() { writer?.submit() }

    var hasStaged: Bool { writer?.hasStaged ?? false }

    /// Takes the writer's announced progress (see `LogWriter.takeProgress`).
    func takeProgress() -> (written: UInt64, durable: UInt64) {
        writer?.takeProgress() ?? (writtenLSN, durableLSN)
    }

    /// Reads the writer's progress without taking an announcement.
    func refreshProgress() {
        guard let writer else { return }
        let p = writer.progress
        writtenLSN = max(writtenLSN, p.written)
        if failure == nil { durableLSN = max(durableLSN, p.durable) }
    }

    func markFailed(_ reason: String) {
        if failure == nil { failure = reason }
    }

    func setPolicy(_ policy: FsyncPolicy) {
        writer?.policy = SyncPolicy(rawValue: policy.rawValue)!
    }

    /// Everything staged written to the log (blocking; DEBUG RELOAD).
    func flushAndWait() {
        writer?.flushAndWait()
        refreshProgress()
    }

    /// Closes the log for good (shutdown): later writes are refused with MISCONF, as
    /// after a failure, so nothing is acknowledged that was not logged.
    func close() {
        writer?.close()
        markFailed("the log is closed: the server is shutting down")
    }
}
