import CairnCommands
import CairnCore
import CairnLog
import CairnSnapshot
import CairnStore
import NIOCore

extension Engine {
    /// Loads the manifest's snapshot (verified whole before a key is loaded) and replays
    /// the log after it into the keyspace, in slices on the event loop so that clients
    /// connecting meanwhile are answered (-LOADING), then opens the log for appending.
    /// A torn tail is cut off and reported; any other damage fails start-up.
    func startRecovery(onDone: @escaping @Sendable (Error?) -> Void) {
        loading = true
        do {
            let fs = persistence.fs
            let reader = try LogReader(directory: config.dir, fs: fs)
            var snapshot: SnapshotReader?
            if let manifest = reader.manifest {
                for path in DataDirectory.removeOrphans(directory: config.dir, manifest: manifest, fs: fs) {
                    logger.notice("Removed \(path), which the manifest does not name (left by an interrupted rotation or checkpoint)")
                }
                if let name = manifest.snapshot {
                    let path = checkpointer.snapshotDirectory + "/" + name
                    guard fs.exists(path) else {
                        throw SnapshotDamage(file: path, offset: 0, reason: "the snapshot the manifest names is missing")
                    }
                    let mapped = try fs.mapFile(path)
                    let s = try SnapshotReader(path: path, bytes: mapped.bytes, owner: mapped)
                    guard s.header.lsn == reader.snapshotLSN else {
                        throw SnapshotDamage(file: path, offset: 0, reason: "it covers LSN \(s.header.lsn), its name says \(reader.snapshotLSN)")
                    }
                    snapshot = s
                    checkpointer.currentSnapshot = (name, s.header.lsn)
                    checkpointer.currentSnapshotBytes = s.fileBytes
                }
            }
            let replay = LogReplay(engine: self, reader: reader, snapshot: snapshot, onDone: onDone)
            loop.execute { replay.step() }
        } catch {
            onDone(error)
        }
    }

    /// The snapshot's function libraries in place of the current ones.
    func installFunctionLibraries(from snapshot: SnapshotReader) throws {
        if let error = ctx.functions.replaceAll(with: snapshot.functionLibraries) {
            throw SnapshotDamage(file: snapshot.path, offset: 0, reason: "its function libraries do not load: \(error.text)")
        }
    }

    /// The thresholds snapshot values are rebuilt with: the ones the commands use.
    var collectionLimits: CollectionLimits { ctx.settings.collectionLimits }
}

/// The state of one recovery, stepped on the engine's loop (`@unchecked Sendable`: it is
/// only touched there).
final class LogReplay: @unchecked Sendable {
    let engine: Engine
    let reader: LogReader
    /// The snapshot still to load, nil once loaded (or when there is none).
    var snapshot: SnapshotReader?
    let onDone: @Sendable (Error?) -> Void
    let session = ClientSession(id: 0, nowMs: Clock.unixMilliseconds())
    let started = Clock.monotonicMicroseconds()
    var lastReport = Clock.monotonicMicroseconds()
    var replayErrors = 0
    /// The replication stream's database at the end of the log: the snapshot's, then
    /// each record's last effect's (Persistence.streamDatabase).
    var streamDatabase: Int?
    var streamDatabaseKnown = true
    static let sliceRecords = 100_000

    init(engine: Engine, reader: LogReader, snapshot: SnapshotReader?, onDone: @escaping @Sendable (Error?) -> Void) {
        self.engine = engine
        self.reader = reader
        self.snapshot = snapshot
        self.onDone = onDone
        if let snapshot {
            streamDatabase = snapshot.header.streamDatabase
            streamDatabaseKnown = snapshot.header.streamDatabaseKnown
            engine.logger.notice("Loading the snapshot \(snapshot.path) (LSN \(snapshot.header.lsn), \(snapshot.expectedKeys) keys, \(snapshot.fileBytes) bytes, \(snapshot.header.codec.name))...")
        }
        if let m = reader.manifest {
            engine.logger.notice("Loading the log (\(m.segments.count) segment(s), \(reader.totalBytes) bytes)...")
            // Most logs are mostly writes of distinct keys of database 0, about 64 bytes a
            // record: size its index once instead of doubling it twenty times.
            let keys = (snapshot?.expectedKeys ?? 0) + reader.totalBytes / 64
            engine.keyspace[0].main.reserveSlots(forKeys: min(keys, 1 << 26))
        }
    }

    /// Loads one slice of the snapshot; true when it is done.
    private func loadSnapshotSlice(_ s: SnapshotReader) throws -> Bool {
        let done = try s.load(into: engine.keyspace, limits: engine.collectionLimits, maxKeys: LogReplay.sliceRecords)
        if done {
            try engine.installFunctionLibraries(from: s)
            engine.checkpointer.keysLoaded = s.keysRead
            let seconds = Double(Clock.monotonicMicroseconds() - started) / 1e6
            engine.logger.notice("Snapshot loaded: \(s.keysRead) keys in \(InfoReport.fixed(seconds, 3)) seconds")
            snapshot = nil
        }
        return done
    }

    func step() {
        let logger = engine.logger
        engine.ctx.nowMs = Clock.unixMilliseconds()
        do {
            if let s = snapshot {
                if !(try loadSnapshotSlice(s)) {
                    let now = Clock.monotonicMicroseconds()
                    if now - lastReport > 1_000_000 {
                        lastReport = now
                        logger.notice("Loading: \(s.keysRead) of \(s.expectedKeys) keys of the snapshot loaded")
                    }
                    engine.loop.scheduleTask(in: .milliseconds(1)) { self.step() }
                    return
                }
            }
            var n = 0
            while n < LogReplay.sliceRecords, let record = try reader.next() {
                let effects = try record.kind.carriesEffects ? EffectCodec.decode(record.payload) : []
                if let last = effects.last {
                    streamDatabase = last.database
                    streamDatabaseKnown = true
                }
                for effect in effects {
                    if let error = engine.replay(effect, session: session) {
                        replayErrors += 1
                        if replayErrors <= 10 {
                            logger.warning("Replaying LSN \(record.lsn) (\(effect.arguments.map(\.string).joined(separator: " ").prefix(200))) failed: \(error)")
                        }
                    }
                }
                n += 1
            }
            if n == LogReplay.sliceRecords {
                let now = Clock.monotonicMicroseconds()
                if now - lastReport > 1_000_000 {
                    lastReport = now
                    logger.notice("Loading: \(reader.recordsRead) records (\(reader.bytesRead) of \(reader.totalBytes) bytes) replayed")
                }
                // Scheduled a millisecond ahead: NIO keeps running tasks that are due (queued
                // by `execute`, or scheduled for now) before it polls the sockets again, so
                // the loop would neither accept nor answer (-LOADING) until the whole log
                // was replayed. A millisecond per 100,000 records is nothing.
                engine.loop.scheduleTask(in: .milliseconds(1)) { self.step() }
                return
            }
            try finish()
            onDone(nil)
        } catch {
            onDone(error)
        }
    }

    private func finish() throws {
        let engine = self.engine
        var totalBytes = reader.totalBytes
        if let tail = reader.tornTail {
            engine.logger.warning("Torn record at the end of the log: \(tail.file) at offset \(tail.offset): \(tail.reason); \(tail.droppedBytes) bytes cut off (never acknowledged)")
            try LogReader.cut(tail, fs: engine.persistence.fs)
            totalBytes -= tail.droppedBytes
        }
        let loop = engine.loop
        try engine.persistence.open(manifest: reader.manifest, lastLSN: reader.lastLSN, totalBytes: totalBytes,
                                    appendOffset: reader.appendOffset, stream: reader.stream, config: engine.config,
                                    onProgress: {
                                        loop.execute { engine.takeLogProgress() }
                                    },
                                    onFailure: { reason in
                                        loop.execute { engine.logFailed(reason) }
                                    })
        // A log without a history (format 1, or none yet) begins one at offset 0: its first
        // record selects, as the first a Redis primary propagates does.
        engine.persistence.streamDatabase = reader.stream == nil ? nil : streamDatabase
        engine.persistence.streamDatabaseKnown = reader.stream == nil || streamDatabaseKnown
        engine.loading = false
        let seconds = Double(Clock.monotonicMicroseconds() - started) / 1e6
        if reader.recordsRead > 0 {
            engine.logger.notice("DB loaded from the log: \(reader.recordsRead) records, last LSN \(reader.lastLSN), \(InfoReport.fixed(seconds, 3)) seconds")
        }
        if replayErrors > 0 {
            engine.logger.warning("\(replayErrors) logged commands failed on replay: the keyspace may differ from what was acknowledged")
        }
    }
}
