import CairnCommands
import CairnCore
import CairnLog
import CairnRESP
import CairnSnapshot
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A replica attached to this server, as this server (its primary) sees it.
final class ReplicaPeer {
    enum State: String {
        /// Waiting for a checkpoint to send (INFO's wait_bgsave).
        case waitingForSnapshot = "wait_bgsave"
        /// Sending the snapshot (send_bulk).
        case sendingSnapshot = "send_bulk"
        /// Streaming records (online).
        case online
    }

    let conn: ClientConnection
    var state: State = .waitingForSnapshot
    /// SYNC rather than PSYNC: no +FULLRESYNC line before the snapshot.
    var legacySync = false
    var listeningPort: Int
    var announcedIP: String?
    /// Where the stream to this replica stands in the log on disk.
    var cursor: LogCursor?
    /// Keeps the segments the replica may still ask for through checkpoints: from the
    /// first record it has not confirmed (on disk when it reports FACK, else received).
    var pin: LogPin?
    /// (last LSN, offset after it) of each round sent and not yet confirmed: an
    /// acknowledgement moves the pin past the rounds it covers.
    var sentRounds: [(lsn: UInt64, offset: UInt64)] = []
    /// Whether the replica reports what it has on disk (REPLCONF ACK ... FACK).
    var reportsDurable = false
    var ackOffset: UInt64 = 0
    /// What the replica has on disk (REPLCONF ACK ... FACK), for WAITAOF.
    var durableOffset: UInt64 = 0
    var lastAckMs: Int64
    var snapshot: (fd: Int32, path: String, size: Int, sent: Int)?
    /// A real Redis (no `capa cairn-snapshot`): its full sync is an RDB file made from the
    /// snapshot (SnapshotAsRDB), which is being made while this is set.
    var wantsRDB = false
    var convertingRDB = false

    init(conn: ClientConnection, listeningPort: Int, announcedIP: String?, nowMs: Int64) {
        self.conn = conn
        self.listeningPort = listeningPort
        self.announcedIP = announcedIP
        self.lastAckMs = nowMs
    }

    var ip: String { announcedIP ?? String(conn.address.split(separator: ":").dropLast().joined(separator: ":")) }
}

/// The primary's side of replication: PSYNC answered from the log on disk (+CONTINUE from
/// any offset a retained segment holds, +FULLRESYNC with a checkpoint's snapshot
/// otherwise), records streamed to each replica from its own cursor once they are on disk
/// (durable under `always`, written otherwise), PINGs and GETACKs logged as `stream`
/// records so offsets are the same on every server, acknowledgements and WAIT.
/// Docs/REPLICATION.md.
final class ReplicationSource {
    unowned let engine: Engine
    private(set) var peers: [ReplicaPeer] = []
    /// Clients in WAIT, served as acknowledgements arrive.
    private var waiters: [ClientConnection] = []
    private var ackRequested = false
    private var lastPingMs: Int64 = 0
    /// When a replica was last attached (nil: none since the start).
    private var lastPeerMs: Int64?
    var fullSyncs = 0
    var partialSyncsAccepted = 0
    var partialSyncsRefused = 0
    /// Bytes read from a snapshot file per write while sending it.
    static let snapshotChunkBytes = 256 * 1024
    /// Stream bytes handed to a replica's channel per round before its writability is checked.
    static let streamRoundBytes = 256 * 1024

    init(engine: Engine) { self.engine = engine }

    func peer(_ conn: ClientConnection) -> ReplicaPeer? { peers.first { $0.conn === conn } }

    /// The replica that says it listens at `host`:`port` (FAILOVER TO), as Redis finds it.
    func peer(host: String, port: Int) -> ReplicaPeer? {
        peers.first { $0.ip.lowercased() == host.lowercased() && $0.listeningPort == port }
    }

    // MARK: - Synchronization

    /// PSYNC (or SYNC): continues from `offset` when the log on disk holds it in history
    /// `replid`, else starts a full sync. Nothing is written in the command's reply: every
    /// byte to the replica from here on goes through the peer, in order.
    func synchronize(_ conn: ClientConnection, replid: String, offset: Int64, legacy: Bool) {
        let peer = ReplicaPeer(conn: conn, listeningPort: conn.replicaListeningPort, announcedIP: conn.replicaAnnouncedIP,
                               nowMs: Clock.unixMilliseconds())
        peer.legacySync = legacy
        peer.wantsRDB = !conn.replicaCapabilities.contains("cairn-snapshot")
        conn.isReplica = true
        peers.append(peer)
        retainLog(nowMs: Clock.unixMilliseconds())
        let fs = engine.persistence.fs
        // Any history this log holds the offset of: ours, or the one before a promotion
        // (PSYNC2), whose records up to there are the same.
        if !legacy, replid != "?", offset > 0, let stream = engine.persistence.stream,
           let cursor = try? LogCursor.find(directory: engine.config.dir, fs: fs, id: replid, offset: UInt64(offset - 1)) {
            partialSyncsAccepted += 1
            start(peer, at: cursor)
            send(peer, "+CONTINUE \(stream.id)\r\n")
            engine.logger.notice("Replica \(peer.ip):\(peer.listeningPort) asks for synchronization: partial resynchronization accepted, sending the log from offset \(offset)")
            pump(peer)
            return
        }
        if replid != "?" { partialSyncsRefused += 1 }
        engine.logger.notice("Replica \(peer.ip):\(peer.listeningPort) asks for synchronization: full resynchronization (\(replid) \(offset) is not in the log on disk)")
        if !engine.checkpointer.inProgress {
            do {
                try engine.checkpointer.startBackground()
            } catch {
                engine.logger.warning("Full resynchronization of \(peer.ip):\(peer.listeningPort) failed to start: \(error)")
                drop(peer, why: "no checkpoint for its full sync")
            }
        }
    }

    /// A checkpoint finished: the replicas waiting for one get its snapshot, then the log
    /// after it.
    func snapshotReady(name: String, lsn: UInt64) {
        for peer in peers where peer.state == .waitingForSnapshot && !peer.convertingRDB {
            let path = engine.checkpointer.snapshotDirectory + "/" + name
            if peer.wantsRDB {
                sendAsRDB(peer, snapshot: name, path: path, lsn: lsn)
                continue
            }
            let fs = engine.persistence.fs
            guard let cursor = try? LogCursor.find(directory: engine.config.dir, fs: fs, afterLSN: lsn),
                  let fd = try? fs.openForReading(path), let size = try? fs.fileSize(path),
                  let id = engine.persistence.stream?.id else {
                drop(peer, why: "its snapshot or the log after it could not be opened")
                continue
            }
            fullSyncs += 1
            start(peer, at: cursor)
            peer.state = .sendingSnapshot
            peer.snapshot = (fd, path, size, 0)
            if !peer.legacySync { send(peer, "+FULLRESYNC \(id) \(cursor.streamOffset)\r\n") }
            send(peer, "$\(size)\r\n")
            engine.logger.notice("Starting the full sync of \(peer.ip):\(peer.listeningPort): snapshot \(name) (LSN \(lsn), \(size) bytes), then the log from offset \(cursor.streamOffset)")
            pump(peer)
        }
    }

    /// A Redis replica's full sync: the log is pinned and the stream position fixed now,
    /// the RDB file made off the loop, then sent as a snapshot would be.
    private func sendAsRDB(_ peer: ReplicaPeer, snapshot name: String, path: String, lsn: UInt64) {
        let fs = engine.persistence.fs
        guard let cursor = try? LogCursor.find(directory: engine.config.dir, fs: fs, afterLSN: lsn),
              let mapped = try? fs.mapFile(path), let id = engine.persistence.stream?.id else {
            drop(peer, why: "its snapshot or the log after it could not be opened")
            return
        }
        start(peer, at: cursor)
        peer.state = .waitingForSnapshot
        peer.convertingRDB = true
        let offset = cursor.streamOffset
        SnapshotAsRDB.convert(mapped, path: path, into: engine.checkpointer.snapshotDirectory, replicaID: peer.conn.session.id,
                              fs: fs, loop: engine.loop) { [self] result in
            guard peers.contains(where: { $0 === peer }) else {
                if case .success(let file) = result { fs.close(file.fd) }
                return
            }
            peer.convertingRDB = false
            switch result {
            case .failure(let error):
                drop(peer, why: "its snapshot could not be written as RDB: \(error)")
            case .success(let file):
                fullSyncs += 1
                peer.state = .sendingSnapshot
                peer.snapshot = (file.fd, file.path, file.size, 0)
                if !peer.legacySync { send(peer, "+FULLRESYNC \(id) \(offset)\r\n") }
                send(peer, "$\(file.size)\r\n")
                engine.logger.notice("Starting the full sync of \(peer.ip):\(peer.listeningPort): snapshot \(name) as RDB (LSN \(lsn), \(file.size) bytes), then the log from offset \(offset)")
                pump(peer)
            }
        }
    }

    func snapshotFailed(_ why: String) {
        for peer in peers where peer.state == .waitingForSnapshot && !peer.convertingRDB {
            drop(peer, why: "the checkpoint for its full sync failed: \(why)")
        }
    }

    private func start(_ peer: ReplicaPeer, at cursor: LogCursor) {
        peer.cursor = cursor
        peer.ackOffset = cursor.streamOffset
        peer.pin = engine.persistence.writer?.pin(from: cursor.lastLSN + 1)
        peer.state = .online
    }

    // MARK: - Streaming

    /// Records a replica may have: on disk for certain (durable with `always`, so a
    /// replica never holds what its primary could lose; written otherwise).
    private var shippableLSN: UInt64 {
        engine.config.appendfsync == .always ? engine.persistence.durableLSN : engine.persistence.writtenLSN
    }

    /// Sends each replica what it can take now.
    func pumpAll() {
        for peer in peers where peer.state != .waitingForSnapshot { pump(peer) }
    }

    /// Sends a replica the rest of its snapshot and the records after it, while its
    /// connection takes them (the rest when it becomes writable again, or when more
    /// records are on disk).
    func pump(_ peer: ReplicaPeer) {
        let channel = peer.conn.channel
        while channel.isActive && channel.isWritable {
            switch peer.state {
            case .waitingForSnapshot:
                return
            case .sendingSnapshot:
                if !sendSnapshotChunk(peer) { return }
            case .online:
                if !sendRecords(peer) { return }
            }
        }
    }

    /// The next chunk of the snapshot; true while there is more to send.
    private func sendSnapshotChunk(_ peer: ReplicaPeer) -> Bool {
        guard let s = peer.snapshot else { return false }
        let fs = engine.persistence.fs
        let n = min(ReplicationSource.snapshotChunkBytes, s.size - s.sent)
        var buffer = peer.conn.channel.allocator.buffer(capacity: n)
        do {
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { raw in
                try fs.read(s.fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<n]), at: s.sent, path: s.path)
            }
            guard got > 0 || n == 0 else { throw FileSystemError("read", s.path, EIO) }
            peer.snapshot!.sent += got
        } catch {
            drop(peer, why: "reading its snapshot: \(error)")
            return false
        }
        write(peer, buffer)
        if peer.snapshot!.sent >= s.size {
            fs.close(s.fd)
            peer.snapshot = nil
            peer.state = .online
            engine.logger.notice("Synchronization with replica \(peer.ip):\(peer.listeningPort) succeeded")
        }
        return true
    }

    /// The next records on disk, as stream bytes; true while there may be more.
    private func sendRecords(_ peer: ReplicaPeer) -> Bool {
        guard let cursor = peer.cursor else { return false }
        let limit = shippableLSN
        var out: [UInt8] = []
        do {
            while out.count < ReplicationSource.streamRoundBytes {
                let before = cursor.streamOffset
                guard let record = try cursor.next(through: limit) else { break }
                let start = out.count
                try ReplicationFeed.append(record, to: &out)
                // Offsets are the contract with the replica: a record must be exactly the
                // bytes its stream offsets say.
                guard UInt64(out.count - start) == record.streamEnd - before else {
                    throw ReplicationFeed.Mismatch(lsn: record.lsn, expected: record.streamEnd - before, actual: out.count - start)
                }
            }
        } catch {
            engine.logger.warning("Replication stream to \(peer.ip):\(peer.listeningPort) stopped: \(error)")
            drop(peer, why: "its stream could not be read from the log")
            return false
        }
        if out.isEmpty { return false }
        if peer.legacySync {
            // A SYNC replica never acknowledges: its pin follows what was sent.
            if let pin = peer.pin { engine.persistence.writer?.move(pin, to: cursor.lastLSN + 1) }
        } else {
            // Bounded: dropping the oldest rounds only keeps the pin back longer.
            if peer.sentRounds.count >= 4096 { peer.sentRounds.removeFirst(2048) }
            peer.sentRounds.append((cursor.lastLSN, cursor.streamOffset))
        }
        var buffer = peer.conn.channel.allocator.buffer(capacity: out.count)
        buffer.writeBytes(out)
        write(peer, buffer)
        return true
    }

    private func send(_ peer: ReplicaPeer, _ text: String) {
        var buffer = peer.conn.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        write(peer, buffer)
    }

    private func write(_ peer: ReplicaPeer, _ buffer: ByteBuffer) {
        engine.stats.netReplOutputBytes += buffer.readableBytes
        peer.conn.channel.writeAndFlush(buffer, promise: nil)
    }

    private func drop(_ peer: ReplicaPeer, why: String) {
        engine.logger.warning("Dropping replica \(peer.ip):\(peer.listeningPort): \(why)")
        peer.conn.closeAfterFlush = true
        _ = peer.conn.flush()
        forget(peer.conn)
    }

    /// This server's history took a new id (it was promoted, or its primary was): its
    /// replicas reconnect and learn the id from their PSYNC's +CONTINUE, as Redis
    /// disconnects its sub-replicas then. Their offsets are in the log, so they continue.
    func dropAll(why: String) {
        for peer in peers { drop(peer, why: why) }
    }

    /// The connection is gone (or dropped): its pin and snapshot go with it.
    func forget(_ conn: ClientConnection) {
        guard let i = peers.firstIndex(where: { $0.conn === conn }) else { return }
        let peer = peers.remove(at: i)
        if let pin = peer.pin { engine.persistence.writer?.unpin(pin) }
        if let s = peer.snapshot { engine.persistence.fs.close(s.fd) }
        engine.checkPendingShutdown()  // a replica gone is not waited for
    }

    /// Whether this server serves replication: a replica attached, or one left less than
    /// repl-backlog-ttl ago (as Redis keeps its backlog). PUBLISH goes to replicas then.
    func inUse(nowMs: Int64) -> Bool {
        if !peers.isEmpty { return true }
        let ttl = Int64(engine.config.replBacklogTTL) * 1000
        return lastPeerMs.map { ttl == 0 || nowMs - $0 < ttl } ?? false
    }

    /// Old segments are kept (repl-backlog-size) while replication is in use here, or this
    /// server is a replica. As Redis creates its backlog with the first replica and frees
    /// it after the TTL, a server that never had a replica keeps no log beyond its snapshot.
    private func retainLog(nowMs: Int64) {
        if !peers.isEmpty { lastPeerMs = nowMs }
        let bytes = (engine.primaryLink != nil || inUse(nowMs: nowMs)) ? engine.config.replBacklogSize : 0
        if let writer = engine.persistence.writer, writer.retainedBytes != bytes { writer.retainedBytes = bytes }
    }

    // MARK: - Acknowledgements, WAIT, PING

    /// REPLCONF ACK from a replica, with what it has on disk when it says (FACK).
    func acknowledged(_ conn: ClientConnection, offset: UInt64, durable: UInt64?) {
        guard let peer = peer(conn) else { return }
        peer.ackOffset = max(peer.ackOffset, offset)
        if let durable {
            peer.durableOffset = max(peer.durableOffset, durable)
            peer.reportsDurable = true
        }
        peer.lastAckMs = Clock.unixMilliseconds()
        // The replica resumes from what it has (on disk, when it says): the log before
        // that may go.
        let confirmed = peer.reportsDurable ? peer.durableOffset : peer.ackOffset
        let covered = peer.sentRounds.firstIndex { $0.offset > confirmed } ?? peer.sentRounds.count
        if covered > 0, let pin = peer.pin {
            engine.persistence.writer?.move(pin, to: peer.sentRounds[covered - 1].lsn + 1)
            peer.sentRounds.removeFirst(covered)
        }
        serveWaiters()
        engine.checkPendingShutdown()
        // After this command: a failover hands over by making this server a replica.
        if engine.failover != nil { engine.loop.execute { [engine] in engine.updateFailover(nowMs: Clock.unixMilliseconds()) } }
    }

    /// Replicas online that acknowledged within `maxLagSeconds` (min-replicas-to-write).
    func goodReplicas(maxLagSeconds: Int) -> Int {
        let now = Clock.unixMilliseconds()
        return peers.reduce(0) { $0 + ($1.state == .online && now - $1.lastAckMs <= Int64(maxLagSeconds) * 1000 ? 1 : 0) }
    }

    /// How many replicas acknowledged the stream up to `offset` (on disk, if `durable`).
    func acknowledgements(reaching offset: UInt64, durable: Bool = false) -> Int {
        peers.reduce(0) { $0 + ($1.state == .online && (durable ? $1.durableOffset : $1.ackOffset) >= offset ? 1 : 0) }
    }

    /// Where a WAIT (`local` nil) or WAITAOF stands now: whether this server's log is
    /// durable through `lsn` (1 or 0), and how many replicas have the stream through
    /// `offset` (on disk, for WAITAOF).
    func waitState(offset: UInt64, lsn: UInt64, local: Int?) -> (local: Int, replicas: Int) {
        (engine.persistence.durableLSN >= lsn ? 1 : 0, acknowledgements(reaching: offset, durable: local != nil))
    }

    /// Whether a WAIT or WAITAOF is satisfied now.
    func waitSatisfied(offset: UInt64, lsn: UInt64, replicas: Int, local: Int?) -> Bool {
        let state = waitState(offset: offset, lsn: lsn, local: local)
        return state.replicas >= replicas && state.local >= (local ?? 0)
    }

    /// WAIT's answer (how many replicas) or WAITAOF's ([local, replicas]).
    func answerWait(offset: UInt64, lsn: UInt64, local: Int?, into w: inout RESPWriter) {
        let state = waitState(offset: offset, lsn: lsn, local: local)
        guard local != nil else {
            w.integer(state.replicas)
            return
        }
        w.arrayHeader(2)
        w.integer(state.local)
        w.integer(state.replicas)
    }

    /// A client was parked in WAIT: replicas are asked for their offsets.
    func waiting(_ conn: ClientConnection) {
        waiters.append(conn)
        requestAcknowledgements()
    }

    /// Answers the clients in WAIT or WAITAOF whose condition holds now (after an
    /// acknowledgement, or this server's log becoming durable further).
    func serveWaiters() {
        guard !waiters.isEmpty else { return }
        waiters.removeAll { conn in
            guard let blocked = conn.blocked, case .replicaAcks(let offset, let lsn, let wanted, let local) = blocked.request.awaited else {
                return true
            }
            guard waitSatisfied(offset: offset, lsn: lsn, replicas: wanted, local: local) else { return false }
            engine.finishBlocked(conn) { w in self.answerWait(offset: offset, lsn: lsn, local: local, into: &w) }
            return true
        }
    }

    /// REPLCONF GETACK * to every replica, once per loop turn however many ask.
    func requestAcknowledgements() {
        // Not while a FAILOVER pauses writes: the stream stands still for the replica to catch up.
        guard engine.primaryLink == nil, engine.failover == nil, !ackRequested, peers.contains(where: { $0.state == .online }) else { return }
        ackRequested = true
        engine.loop.execute { [self] in
            ackRequested = false
            // Still a primary (a FAILOVER may have handed over meanwhile).
            if engine.primaryLink == nil { engine.commitStream(ReplicationFeed.getAck) }
        }
    }

    /// From the cron: a PING every repl-ping-replica-period, replicas silent for longer
    /// than repl-timeout dropped.
    func cron(nowMs: Int64) {
        retainLog(nowMs: nowMs)
        guard !peers.isEmpty else { return }
        // A replica relays its primary's stream (PINGs included) to its own replicas and
        // adds nothing: a record of its own would shift every offset after it in its log.
        // Nor while a FAILOVER waits for a replica to have the whole stream, as Redis.
        if engine.primaryLink == nil && engine.failover == nil && nowMs - lastPingMs >= Int64(engine.config.replPingReplicaPeriod) * 1000 {
            lastPingMs = nowMs
            engine.commitStream(ReplicationFeed.ping)
        }
        let timeout = Int64(engine.config.replTimeout) * 1000
        let end = engine.persistence.stream?.offset ?? 0
        for peer in peers where peer.state == .online {
            // SYNC (pre-PSYNC) replicas never acknowledge, as in Redis.
            if !peer.legacySync && nowMs - peer.lastAckMs > timeout {
                drop(peer, why: "no acknowledgement for \(engine.config.replTimeout) seconds (repl-timeout)")
            } else if let cursor = peer.cursor, end > cursor.streamOffset + UInt64(engine.config.replicaLagBytesMax) {
                // Its pin would keep the log growing on disk without bound.
                drop(peer, why: "it is \(end - cursor.streamOffset) bytes behind, past the replica limit of client-output-buffer-limit")
            }
        }
    }
}
