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
    private(set) var writer: LogWriter?
    /// Highest LSN known to be on disk (with appendfsync always: what replies may depend on).
    var durableLSN: UInt64 = 0
    /// Highest LSN written to the file (not necessarily synced).
    var writtenLSN: UInt64 = 0
    /// Why the log stopped, once it has: writes are refused from then on.
    private(set) var failure: String?
    /// The database the replication stream is in after the last record; nil when a
    /// replica could not know it (after a start; next, after a full sync), so the next
    /// record selects its database.
    private var streamDatabase: Int?

    init(fs: FileSystem, directory: String) {
        self.fs = fs
        self.directory = directory
    }

    /// LSN of the last record staged: every reply of a command that ran before now may
    /// depend on it.
    var lastAppliedLSN: UInt64 { writer?.lastLSN ?? 0 }

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
    }

    /// Stages the effects of one unit (a command, an EXEC block, one expiry) as one
    /// record, with the bytes it takes in the replication stream.
    func log(_ effects: ArraySlice<Effect>) {
        guard let writer, failure == nil, let first = effects.first else { return }
        let payloadBytes = EffectCodec.encodedSize(effects)
        let streamBytes = ReplicationStream.byteCount(effects, payloadBytes: payloadBytes, after: streamDatabase)
        let flags: RecordFlags = first.database == streamDatabase ? [] : .selectsDatabase
        streamDatabase = effects.last!.database
        writer.append(kind: effects.count == 1 ? .command : .batch, flags: flags, streamBytes: streamBytes,
                      payloadBytes: payloadBytes) {
            EffectCodec.write(effects, to: $0)
        }
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
