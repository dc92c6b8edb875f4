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

    init(fs: FileSystem, directory: String) {
        self.fs = fs
        self.directory = directory
    }

    /// LSN of the last record staged: every reply of a command that ran before now may
    /// depend on it.
    var lastAppliedLSN: UInt64 { writer?.lastLSN ?? 0 }

    var isActive: Bool { writer != nil && failure == nil }

    func open(manifest: Manifest?, lastLSN: UInt64, totalBytes: Int, appendOffset: Int?, config: ServerConfig,
              onProgress: @escaping @Sendable (UInt64, UInt64) -> Void,
              onFailure: @escaping @Sendable (String) -> Void) throws {
        writer = try LogWriter(directory: directory, fs: fs, manifest: manifest, lastLSN: lastLSN, totalBytes: totalBytes,
                               appendOffset: appendOffset,
                               segmentBytesMax: config.logSegmentSize, policy: SyncPolicy(rawValue: config.appendfsync.rawValue)!,
                               onProgress: onProgress, onFailure: onFailure)
        durableLSN = lastLSN
        writtenLSN = lastLSN
    }

    /// Stages the effects of one command (or one expiry) as one record.
    func log(_ effects: ArraySlice<Effect>) {
        guard let writer, failure == nil, !effects.isEmpty else { return }
        writer.append(kind: effects.count == 1 ? .command : .batch, payloadBytes: EffectCodec.encodedSize(effects)) {
            EffectCodec.write(effects, to: $0)
        }
    }

    func submit() { writer?.submit() }

    var hasStaged: Bool { writer?.hasStaged ?? false }

    /// Reads the writer's progress (the policies other than always do not report it).
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
