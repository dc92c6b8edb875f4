import CairnCore
import CairnLog
import CairnSnapshot
import CCairnSystem
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Checkpoints: a snapshot of the keyspace at LSN L, after which the log segments up to
/// L (and the previous snapshot) are deleted.
///
/// In the background (BGSAVE, the automatic triggers): rotate the log so the next segment
/// starts at L+1, fork; the child writes `snapshots/<L>.snap.tmp` from its frozen
/// copy-on-write image, fdatasyncs it, renames it into place, syncs the directory and
/// exits; the engine polls for it without blocking and hands the manifest switch to the
/// log writer, which deletes what the snapshot covers only after the new
/// manifest is durable. A crash at any step leaves a manifest that names a complete
/// state (Docs/RECOVERY.md). In the foreground (SAVE, SHUTDOWN SAVE): the same steps on
/// the event loop. `@unchecked Sendable`: used on the engine's loop only.
final class Checkpointer: @unchecked Sendable {
    unowned let engine: Engine

    struct Child {
        let pid: pid_t
        let lsn: UInt64
        let tempPath: String
        let name: String
        let reportFD: Int32
        let startedMicros: Int64
        let dirtyAtFork: Int
        var killedForTimeout = false
        /// The snapshot's size, from the child's report.
        var fileBytes = 0
        /// Keys in the keyspace at the fork, and the child's progress page.
        let totalKeys: Int
        let progress: SnapshotChild.Progress?
        /// The child is done and the manifest switch is with the log writer.
        var installing = false
    }

    private(set) var child: Child?
    /// BGSAVE SCHEDULE arrived while a child ran.
    var scheduled = false
    private(set) var lastStatusOK = true
    private(set) var lastDurationSeconds = -1
    private(set) var lastForkMicros = 0
    private(set) var totalForks = 0
    private(set) var saves = 0
    private(set) var lastCopyOnWriteBytes = 0
    private(set) var lastAttemptMs: Int64 = 0
    /// The manifest's snapshot as of the last checkpoint or recovery.
    var currentSnapshot: (name: String, lsn: UInt64)?
    /// Its size on disk: the log-size trigger scales with it (auto-checkpoint-percentage).
    var currentSnapshotBytes = 0
    /// Bytes of live log right after the last checkpoint: segments kept for replicas
    /// (repl-backlog-size, pins) do not count towards the next one.
    var liveBytesAfterCheckpoint = 0
    var keysLoaded = 0
    /// DEBUG CHECKPOINT-CRASH: end the process (as a crash would) right after this step of
    /// the next background checkpoint: "child" (its snapshot is in place, the manifest
    /// not yet switched), "manifest" or "deletes".
    var crashAfter: String?
    static let crashSteps = ["child", "manifest", "deletes"]

    init(engine: Engine) {
        self.engine = engine
    }

    var snapshotDirectory: String { engine.config.dir + "/" + SnapshotFormat.directoryName }

    var inProgress: Bool { child != nil }

    var codec: SnapshotCodec { SnapshotCodec(name: engine.config.snapshotCompression) ?? .zstd }

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    private func prepareTemp(lsn: UInt64) throws -> (temp: String, name: String, fd: Int32) {
        let fs = engine.persistence.fs
        try fs.makeDirectory(snapshotDirectory)
        let name = SnapshotFormat.fileName(lsn: lsn)
        let temp = snapshotDirectory + "/" + name + ".tmp"
        try? fs.remove(temp)
        return (temp, name, try fs.openForAppend(temp, create: true))
    }

    /// The checks and first steps every checkpoint shares: none running, a writable log,
    /// pending expiry effects staged (they belong before the checkpoint's LSN).
    private func beginCheckpoint() throws -> LogWriter {
        guard child == nil else { throw Refused(description: "Background save already in progress") }
        guard let writer = engine.persistence.writer, engine.persistence.failure == nil else {
            throw Refused(description: "the log is not writable: \(engine.persistence.failure ?? "not open")")
        }
        lastAttemptMs = Clock.unixMilliseconds()
        engine.commitEach()
        return writer
    }

    /// The checkpoint's LSN (the log rotates after it) and the stream's database there,
    /// for the snapshot's header, taken together: a primary's next record selects.
    private func rotate(_ writer: LogWriter) -> (lsn: UInt64, streamDatabase: (database: Int?, known: Bool)) {
        let lsn = writer.rotateForCheckpoint()
        return (lsn, engine.persistence.checkpointStreamDatabase(writesStream: engine.primaryLink == nil))
    }

    // MARK: - Background

    /// Starts a background checkpoint (BGSAVE). Throws why not.
    func startBackground() throws {
        let writer = try beginCheckpoint()
        let (lsn, streamDatabase) = rotate(writer)
        let (temp, name, fd) = try prepareTemp(lsn: lsn)
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            let e = errno
            engine.persistence.fs.close(fd)
            try? engine.persistence.fs.remove(temp)
            throw Refused(description: "pipe: \(String(cString: strerror(e)))")
        }
        _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC)
        let keyspace = engine.keyspace
        let functionLibraries = engine.ctx.functions.codes
        let codec = self.codec
        let delay = engine.config.rdbKeySaveDelay
        let createdMs = Clock.unixMilliseconds()
        let paths = SnapshotChild.Paths(temp: temp, final: snapshotDirectory + "/" + name, directory: snapshotDirectory)
        let parent = getpid()
        let progress = SnapshotChild.Progress()
        let started = Clock.monotonicMicroseconds()
        let pid = cairn_fork()
        if pid == 0 {
            SnapshotChild.run(keyspace: keyspace, functionLibraries: functionLibraries, codec: codec, lsn: lsn,
                              streamDatabase: streamDatabase, createdMs: createdMs, fd: fd, reportFD: pipeFDs[1],
                              paths: paths, parent: parent, keySaveDelay: delay, progress: progress)
        }
        lastForkMicros = Int(Clock.monotonicMicroseconds() - started)
        engine.ctx.sampleLatency("fork", milliseconds: Int64(lastForkMicros / 1000))
        close(pipeFDs[1])
        engine.persistence.fs.close(fd)
        if pid < 0 {
            let e = errno
            close(pipeFDs[0])
            try? engine.persistence.fs.remove(temp)
            lastStatusOK = false
            throw Refused(description: "Can't save in background: fork: \(String(cString: strerror(e)))")
        }
        totalForks += 1
        _ = fcntl(pipeFDs[0], F_SETFL, O_NONBLOCK)
        child = Child(pid: pid, lsn: lsn, tempPath: temp, name: name, reportFD: pipeFDs[0], startedMicros: started,
                      dirtyAtFork: engine.ctx.dirty, totalKeys: keyspace.totalKeys, progress: progress)
        engine.logger.notice("Background saving started by pid \(pid) (snapshot at LSN \(lsn), fork took \(lastForkMicros) us)")
        schedulePoll()
    }

    private func schedulePoll() {
        engine.loop.scheduleTask(in: .milliseconds(10)) { [self] in poll() }
    }

    /// Reaps the child if it is done (never blocks), enforces its deadline.
    func poll() {
        guard var c = child, !c.installing else { return }
        var status: Int32 = 0
        let r = waitpid(c.pid, &status, WNOHANG)
        if r == 0 {
            let elapsed = Clock.monotonicMicroseconds() - c.startedMicros
            if !c.killedForTimeout && elapsed > Int64(engine.config.snapshotChildTimeout) * 1_000_000 {
                engine.logger.warning("Snapshot child \(c.pid) overran its deadline of \(engine.config.snapshotChildTimeout) s: killing it")
                kill(c.pid, SIGKILL)
                c.killedForTimeout = true
                child = c
            }
            schedulePoll()
            return
        }
        var report = SnapshotChild.Report()
        let got = withUnsafeMutableBytes(of: &report) { read(c.reportFD, $0.baseAddress, $0.count) }
        close(c.reportFD)
        let exitedCleanly = r == c.pid && (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
        guard exitedCleanly, got == SnapshotChild.Report.size, report.errorCode == 0 else {
            let why: String
            if c.killedForTimeout {
                why = "the child overran its deadline (snapshot-child-timeout \(engine.config.snapshotChildTimeout) s) and was killed"
            } else if r < 0 {
                why = "waitpid: \(String(cString: strerror(errno)))"
            } else if (status & 0x7f) != 0 {
                why = "the child was killed by signal \(status & 0x7f)"
            } else if got == SnapshotChild.Report.size && report.errorCode != 0 {
                let what = ["write", "fdatasync", "rename", "fsync of the directory"][max(0, min(3, Int(report.failedStep) - 1))]
                why = "\(what) \(c.tempPath): \(report.errorCode > 0 ? String(cString: strerror(Int32(report.errorCode))) : "failed")"
            } else {
                why = "the child exited with status \((status >> 8) & 0xff)"
            }
            finish(c, error: why)
            return
        }
        // The child renamed the file into place (and synced the directory) before it left.
        if crashAfter == "child" { _exit(70) }
        lastCopyOnWriteBytes = Int(report.copyOnWriteBytes)
        engine.logger.notice("Snapshot written by the child: \(report.keys) keys, \(report.fileBytes) bytes; \(report.copyOnWriteBytes / (1024 * 1024)) MB of memory used by copy-on-write")
        c.installing = true
        c.fileBytes = Int(report.fileBytes)
        child = c
        let installed = c
        let loop = engine.loop
        engine.persistence.writer?.installSnapshot(installed.name, lsn: installed.lsn, snapshotDirectory: snapshotDirectory,
                                                   crashAfter: crashAfter) { [self] result in
            loop.execute { [self] in
                switch result {
                case .success(let deleted): finish(installed, deleted: deleted)
                case .failure(let error): finish(installed, error: "manifest: \(error)")
                }
            }
        }
    }

    /// Renames a written snapshot into place and makes the rename durable.
    private func placeFile(_ temp: String, _ name: String) throws {
        let fs = engine.persistence.fs
        try fs.rename(temp, snapshotDirectory + "/" + name)
        try fs.syncDirectory(snapshotDirectory)
    }

    private func finish(_ c: Child, deleted: [String]? = nil, error: String? = nil) {
        child = nil
        let seconds = Int((Clock.monotonicMicroseconds() - c.startedMicros + 500_000) / 1_000_000)
        lastDurationSeconds = seconds
        if let error {
            lastStatusOK = false
            try? engine.persistence.fs.remove(c.tempPath)
            engine.logger.warning("Background saving error: \(error)")
            engine.replication.snapshotFailed(error)
        } else {
            succeeded(name: c.name, lsn: c.lsn, bytes: c.fileBytes, dirtyAtStart: c.dirtyAtFork, deleted: deleted ?? [])
            engine.logger.notice("Background saving terminated with success")
        }
        if scheduled {
            scheduled = false
            do { try startBackground() } catch { engine.logger.warning("Scheduled background save failed to start: \(error)") }
        }
    }

    private func succeeded(name: String, lsn: UInt64, bytes: Int, dirtyAtStart: Int, deleted: [String]) {
        lastStatusOK = true
        saves += 1
        currentSnapshot = (name, lsn)
        currentSnapshotBytes = bytes
        liveBytesAfterCheckpoint = engine.persistence.writer?.liveBytes ?? 0
        engine.ctx.dirty -= dirtyAtStart
        engine.lastSaveUnixSeconds = Clock.unixMilliseconds() / 1000
        if !deleted.isEmpty {
            engine.logger.notice("Snapshot \(name) covers the log up to LSN \(lsn): deleted \(deleted.joined(separator: ", "))")
        }
        engine.replication.snapshotReady(name: name, lsn: lsn)
    }

    // MARK: - Foreground

    /// SAVE: the whole checkpoint on the event loop (clients wait, as with Redis's SAVE).
    func saveInForeground() throws {
        let writer = try beginCheckpoint()
        let fs = engine.persistence.fs
        let started = Clock.monotonicMicroseconds()
        let (lsn, streamDatabase) = rotate(writer)
        var tempPath: String?
        let deleted: [String]
        let name: String
        var fileBytes = 0
        do {
            let (temp, snapshotName, fd) = try prepareTemp(lsn: lsn)
            tempPath = temp
            name = snapshotName
            do {
                defer { fs.close(fd) }
                let w = try SnapshotWriter(codec: codec, lsn: lsn, createdMs: Clock.unixMilliseconds(),
                                           databases: engine.keyspace.databaseCount, streamDatabase: streamDatabase.database,
                                           streamDatabaseKnown: streamDatabase.known) { try fs.write(fd, $0, path: temp) }
                try w.write(functionLibraries: engine.ctx.functions.codes)
                try w.write(engine.keyspace)
                fileBytes = try w.finish().fileBytes
                try fs.sync(fd, path: temp)
            }
            try placeFile(temp, name)
            tempPath = nil
            deleted = try writer.installSnapshotAndWait(name, lsn: lsn, snapshotDirectory: snapshotDirectory)
        } catch {
            // Nothing the manifest names changed: the log still holds everything.
            if let tempPath { try? fs.remove(tempPath) }
            lastStatusOK = false
            throw error
        }
        lastDurationSeconds = Int((Clock.monotonicMicroseconds() - started + 500_000) / 1_000_000)
        succeeded(name: name, lsn: lsn, bytes: fileBytes, dirtyAtStart: engine.ctx.dirty, deleted: deleted)
        engine.logger.notice("DB saved on disk")
    }

    // MARK: - Triggers

    /// From the cron: the log-size trigger and the `save` rules.
    func cron(nowMs: Int64) {
        guard child == nil, !engine.loading, engine.persistence.isActive else { return }
        // After a failure, wait a few seconds before trying again (as Redis does).
        if !lastStatusOK && nowMs - lastAttemptMs < 5000 { return }
        let config = engine.config
        var reason: String?
        // The log since the last snapshot must outgrow both the fixed size and, for large
        // datasets, a share of the snapshot (as Redis's auto-aof-rewrite-percentage):
        // otherwise a big keyspace under steady writes would checkpoint back to back.
        let logLimit = max(config.autoCheckpointLogSize, currentSnapshotBytes / 100 * config.autoCheckpointPercentage)
        if config.autoCheckpointLogSize > 0, let writer = engine.persistence.writer,
           writer.liveBytes - liveBytesAfterCheckpoint > logLimit, engine.persistence.lastAppliedLSN > (currentSnapshot?.lsn ?? 0) {
            reason = "the log since the last snapshot is \(writer.liveBytes - liveBytesAfterCheckpoint) bytes (auto-checkpoint-log-size \(config.autoCheckpointLogSize), "
                + "auto-checkpoint-percentage \(config.autoCheckpointPercentage) of the \(currentSnapshotBytes)-byte snapshot)"
        } else {
            let sinceSave = nowMs / 1000 - engine.lastSaveUnixSeconds
            for rule in config.saveRules where engine.ctx.dirty >= rule.changes && sinceSave > rule.seconds {
                reason = "\(rule.changes) changes in \(rule.seconds) seconds"
                break
            }
        }
        guard let reason else { return }
        engine.logger.notice("Checkpoint: \(reason). Saving...")
        do { try startBackground() } catch { engine.logger.warning("Background saving failed to start: \(error)") }
    }

    /// At shutdown: a running child is killed and its file removed (the log has it all).
    func killChild() {
        guard let c = child else { return }
        if !c.installing {
            kill(c.pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(c.pid, &status, 0)
            close(c.reportFD)
            try? engine.persistence.fs.remove(c.tempPath)
            engine.logger.notice("Killed the snapshot child \(c.pid) at shutdown")
        }
        child = nil
    }

    /// The running child's progress for INFO: keys written of the total, and the
    /// copy-on-write it last measured (and its peak); zeros when no child runs.
    var currentProgress: (keys: Int, total: Int, copyOnWrite: Int, peak: Int) {
        guard let c = child, let p = c.progress else { return (0, 0, 0, 0) }
        return (Int(p[SnapshotChild.Progress.keys]), c.totalKeys, Int(p[SnapshotChild.Progress.copyOnWrite]),
                Int(p[SnapshotChild.Progress.copyOnWritePeak]))
    }

    /// Seconds since the running checkpoint started, or -1.
    var currentSeconds: Int {
        guard let c = child else { return -1 }
        return Int((Clock.monotonicMicroseconds() - c.startedMicros) / 1_000_000)
    }
}
