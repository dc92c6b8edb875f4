import CairnCommands
import CairnCore
import CairnLog
import NIOCore

extension Engine {
    /// Replays the log into the keyspace, in slices on the event loop so that clients
    /// connecting meanwhile are answered (-LOADING), then opens the log for appending.
    /// A torn tail is cut off and reported; any other damage fails start-up.
    func startRecovery(onDone: @escaping @Sendable (Error?) -> Void) {
        loading = true
        do {
            let replay = LogReplay(engine: self, reader: try LogReader(directory: config.dir, fs: persistence.fs), onDone: onDone)
            loop.execute { replay.step() }
        } catch {
            onDone(error)
        }
    }
}

/// The state of one recovery, stepped on the engine's loop (`@unchecked Sendable`: it is
/// only touched there).
final class LogReplay: @unchecked Sendable {
    let engine: Engine
    let reader: LogReader
    let onDone: @Sendable (Error?) -> Void
    let session = ClientSession(id: 0, nowMs: Clock.unixMilliseconds())
    let started = Clock.monotonicMicroseconds()
    var lastReport = Clock.monotonicMicroseconds()
    var replayErrors = 0
    static let sliceRecords = 100_000

    init(engine: Engine, reader: LogReader, onDone: @escaping @Sendable (Error?) -> Void) {
        self.engine = engine
        self.reader = reader
        self.onDone = onDone
        if let m = reader.manifest {
            engine.logger.notice("Loading the log (\(m.segments.count) segment(s), \(reader.totalBytes) bytes)...")
            // Most logs are mostly writes of distinct keys of database 0, about 64 bytes a
            // record: size its index once instead of doubling it twenty times.
            engine.keyspace[0].main.reserveSlots(forKeys: min(reader.totalBytes / 64, 1 << 26))
        }
    }

    func step() {
        let logger = engine.logger
        engine.ctx.nowMs = Clock.unixMilliseconds()
        do {
            var n = 0
            while n < LogReplay.sliceRecords, let record = try reader.next() {
                for effect in try EffectCodec.decode(record.payload) {
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
        try engine.persistence.open(manifest: reader.manifest, lastLSN: reader.lastLSN, totalBytes: totalBytes, config: engine.config,
                                    onProgress: { written, durable in
                                        loop.execute { engine.logProgress(written: written, durable: durable) }
                                    },
                                    onFailure: { reason in
                                        loop.execute { engine.logFailed(reason) }
                                    })
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
