import CairnCommands
import CairnCore
import CairnLog
import CairnRESP
import CairnSnapshot
import NIOCore
import NIOPosix
import NIOSSL

/// This server's link to its primary (`replicaof`): Redis's handshake, then a full sync
/// (the primary's snapshot, loaded, and this server's log started over at the primary's
/// LSN and offset) or a partial one (+CONTINUE from where this server's own log ends),
/// then the stream. Each unit of the stream (one command, a MULTI ... EXEC block, a PING
/// or GETACK) is applied and written to this server's log as the primary's record, with
/// its LSN and stream offset, so a restarted replica resumes from its own log.
/// Docs/REPLICATION.md.
final class ReplicaLink {
    enum State: String {
        case connect, connecting, handshake, sync, connected
    }

    /// The engine owns the link and outlives it: unowned(unsafe), because a checked unowned
    /// reference costs a strong retain and release at every use, several per unit.
    unowned(unsafe) let engine: Engine
    let host: String
    let port: Int
    private(set) var state = State.connect
    private var channel: Channel?
    private var input: ByteBuffer?
    private var handshake: [[String]] = []
    private var decoder = RESPRequestDecoder(limits: RESPLimits())
    private var stopped = false
    /// The snapshot being received: its temporary file and the bytes still to come.
    private var payload: (fd: Int32, path: String, remaining: Int)?
    /// The payload's first bytes are still to be seen (they tell an RDB file).
    private var payloadStart = false
    /// The payload is a Redis primary's RDB file (RDBAsSnapshot makes it a snapshot).
    private var payloadIsRDB = false
    private var primaryID = ""
    /// Bytes of the stream received and applied, at the end of the last whole unit.
    private(set) var appliedOffset: UInt64 = 0
    /// Bytes received so far, whole units or not (slave_read_repl_offset).
    private(set) var readOffset: UInt64 = 0
    private var unit = PendingUnit()
    /// Records written and not yet known durable, with the offset after each: what the
    /// replica reports as on disk (FACK) follows its log's durable LSN through them.
    private var pendingDurable: [(lsn: UInt64, offset: UInt64)] = []
    /// The stream offset this server has on disk.
    private(set) var durableOffset: UInt64 = 0
    private(set) var lastIOMs: Int64 = 0
    private(set) var linkDownSinceMs: Int64
    private(set) var syncedOnce = false
    let session = ClientSession(id: 0, nowMs: 0)

    /// A unit of the stream being received: the effects of a MULTI block, or the SELECT
    /// before a command.
    struct PendingUnit {
        var effects: [Effect] = []
        var inMulti = false
        var selects = false
    }

    /// FAILOVER's hand-over: the PSYNC says FAILOVER until the new primary answers it.
    private var failover: Bool

    init(engine: Engine, host: String, port: Int, failover: Bool = false) {
        self.engine = engine
        self.host = host
        self.port = port
        self.failover = failover
        self.linkDownSinceMs = Clock.unixMilliseconds()
    }

    var isUp: Bool { state == .connected }

    // MARK: - Connection

    func connect() {
        guard !stopped, state == .connect else { return }
        state = .connecting
        let loop = engine.loop
        var bootstrap = ClientBootstrap(group: loop)
        let source = engine.config.bindSourceAddr
        if !source.isEmpty {
            // bind-source-addr: leave from that address, or not at all (as Redis).
            guard let address = try? SocketAddress(ipAddress: source, port: 0) else {
                engine.logger.warning("Error connecting to the primary \(host):\(port): bind-source-addr '\(source)' is not an IP address")
                return linkLost()
            }
            bootstrap = bootstrap.bind(to: address)
        }
        bootstrap
            .connectTimeout(.seconds(Int64(max(1, engine.config.replTimeout))))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    // tls-replication: the stream comes over TLS, this server showing its
                    // client certificate (TLSContexts).
                    if engine.config.tls.replication, let tls = engine.tlsContexts {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls.client, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(PrimaryStreamHandler(link: self))
                }
            }
            .connect(host: host, port: port)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    if stopped { channel.close(promise: nil); return }
                    self.channel = channel
                    startHandshake()
                case .failure(let error):
                    engine.logger.warning("Error connecting to the primary \(host):\(port): \(error)")
                    linkLost()
                }
            }
    }

    /// REPLICAOF NO ONE or another primary: the link closes for good.
    func stop() {
        stopped = true
        state = .connect
        channel?.close(promise: nil)
        channel = nil
        input = nil
        abandonPayload()
    }

    /// Stopped for good (REPLICAOF NO ONE or another primary, or a primary it cannot
    /// follow): REPLICAOF with the same primary starts a new link.
    var isStopped: Bool { stopped }

    fileprivate func linkLost() {
        guard !stopped else { return }
        if state == .connected { linkDownSinceMs = Clock.unixMilliseconds() }
        channel = nil
        input = nil
        decoder = RESPRequestDecoder(limits: RESPLimits())
        unit = PendingUnit()
        abandonPayload()
        state = .connect
    }

    /// From the cron: reconnects a lost link, acknowledges the offset once a second,
    /// drops a link silent for longer than repl-timeout.
    func cron(nowMs: Int64) {
        switch state {
        case .connect:
            connect()
        case .connected:
            sendAck()
            if nowMs - lastIOMs > Int64(engine.config.replTimeout) * 1000 {
                engine.logger.warning("The primary \(host):\(port) was silent for \(engine.config.replTimeout) seconds (repl-timeout): reconnecting")
                channel?.close(promise: nil)
            }
        default:
            if nowMs - lastIOMs > Int64(engine.config.replTimeout) * 1000, channel != nil {
                engine.logger.warning("Timeout in the \(state.rawValue) stage with the primary \(host):\(port): reconnecting")
                channel?.close(promise: nil)
            }
        }
    }

    private func sendCommand(_ words: [String]) {
        guard let channel else { return }
        var out: [UInt8] = []
        ReplicationStream.appendCommand(words.map { Bytes($0) }, to: &out)
        var buffer = channel.allocator.buffer(capacity: out.count)
        buffer.writeBytes(out)
        channel.writeAndFlush(buffer, promise: nil)
    }

    // MARK: - Handshake

    private func startHandshake() {
        state = .handshake
        lastIOMs = Clock.unixMilliseconds()
        let config = engine.config
        handshake = [["PING"]]
        if !config.masterauth.isEmpty {
            handshake.append(config.masteruser.isEmpty ? ["AUTH", config.masterauth] : ["AUTH", config.masteruser, config.masterauth])
        }
        handshake.append(["REPLCONF", "listening-port", String(config.replicaAnnouncePort ?? config.port)])
        if let ip = config.replicaAnnounceIP { handshake.append(["REPLCONF", "ip-address", ip]) }
        // cairn-snapshot: this replica takes the primary's snapshot as it is (a Redis
        // replica gets RDB instead); a Redis primary ignores capabilities it does not know.
        handshake.append(["REPLCONF", "capa", "psync2", "capa", "cairn-snapshot"])
        // Where this server's own log ends: the primary continues from there if it can
        // (and if this server knows the stream's database there: records select only
        // when it changes).
        if let stream = engine.persistence.stream, stream.offset > 0 || syncedOnce, engine.persistence.streamDatabaseKnown {
            handshake.append(["PSYNC", stream.id, String(stream.offset + 1)] + (failover ? ["FAILOVER"] : []))
        } else {
            handshake.append(["PSYNC", "?", "-1"])
        }
        sendCommand(handshake[0])
    }

    /// One reply line of the handshake.
    private func handshakeReply(_ line: String) {
        let step = handshake.removeFirst()
        let command = step[0]
        if command == "PSYNC" {
            psyncReply(line)
            return
        }
        if line.hasPrefix("-") {
            // Redis's own rules: PING may answer NOAUTH when a password is set; a REPLCONF
            // error is not fatal; anything else ends the attempt.
            let tolerated = (command == "PING" && line.hasPrefix("-NOAUTH")) || command == "REPLCONF"
            if !tolerated {
                engine.logger.warning("The primary \(host):\(port) refused \(command): \(line.dropFirst())")
                channel?.close(promise: nil)
                return
            }
        }
        sendCommand(handshake[0])
    }

    private func psyncReply(_ line: String) {
        let words = line.split(separator: " ").map(String.init)
        if failover {
            if words.first == "+FULLRESYNC" || words.first == "+CONTINUE" {
                failover = false
                // Once the reply is taken in: the paused writes run then, on a replica.
                engine.loop.execute { [engine] in engine.failoverAccepted() }
            } else if !line.hasPrefix("-NOMASTERLINK") && !line.hasPrefix("-LOADING") {
                // Refused (a busy or loading target is asked again, as Redis does).
                engine.logger.warning("The failover target \(host):\(port) refused PSYNC FAILOVER: \(line)")
                return engine.abortFailover("Failover target rejected psync request")
            }
        }
        if words.first == "+FULLRESYNC", words.count == 3, let offset = UInt64(words[2]) {
            primaryID = words[1]
            appliedOffset = offset
            readOffset = offset
            state = .sync
            engine.logger.notice("Full resynchronization from the primary \(host):\(port): \(primaryID) at offset \(offset)")
        } else if words.first == "+CONTINUE" {
            let stream = engine.persistence.stream
            appliedOffset = stream?.offset ?? 0
            readOffset = appliedOffset
            if words.count == 2, words[1] != stream?.id {
                // The primary's history has a new id (it was promoted): ours follows it.
                engine.persistence.writer?.startHistory(ReplicationPosition(id: words[1], offset: appliedOffset))
                engine.replication.dropAll(why: "the replication id changed: it is to resynchronize")
            }
            primaryID = words.count == 2 ? words[1] : (stream?.id ?? "")
            // The stream goes on in the database it was in after the last record logged
            // here (a SELECT received after it belonged to the unit that was cut).
            session.databaseIndex = engine.persistence.streamDatabase ?? 0
            becomeConnected()
            engine.logger.notice("Partial resynchronization with the primary \(host):\(port) accepted: continuing from offset \(appliedOffset)")
        } else {
            engine.logger.warning("Unexpected reply to PSYNC from the primary \(host):\(port): \(line)")
            channel?.close(promise: nil)
        }
    }

    private func becomeConnected() {
        state = .connected
        syncedOnce = true
        lastIOMs = Clock.unixMilliseconds()
        // What the log holds now is on disk (recovered, or the snapshot just synced).
        pendingDurable.removeAll()
        durableOffset = appliedOffset
        sendAck()
    }

    /// REPLCONF ACK <applied offset> FACK <offset on disk>, as a Redis 7.2 replica sends.
    private func sendAck() {
        sendCommand(["REPLCONF", "ACK", String(appliedOffset), "FACK", String(durableOffset)])
    }

    /// This server's log became durable further: the offset on disk moves with it, and
    /// the primary hears at once (WAITAOF waits on it).
    func logProgressed() {
        let durable = engine.persistence.durableLSN
        let done = pendingDurable.firstIndex { $0.lsn > durable } ?? pendingDurable.count
        guard done > 0 else { return }
        durableOffset = pendingDurable[done - 1].offset
        pendingDurable.removeFirst(done)
        if state == .connected { sendAck() }
    }

    /// Notes a record just written, to report it durable later.
    private func written(offset: UInt64) {
        // Bounded: dropping the oldest only delays what is reported, never overstates it.
        if pendingDurable.count >= 65536 { pendingDurable.removeFirst(32768) }
        pendingDurable.append((engine.persistence.lastAppliedLSN, offset))
    }

    // MARK: - Input

    fileprivate func received(_ data: inout ByteBuffer) {
        lastIOMs = Clock.unixMilliseconds()
        engine.stats.netReplInputBytes += data.readableBytes
        if input == nil { input = data } else { input!.writeBuffer(&data) }
        // The stream waits while a script of this replica's clients is paused, as Redis
        // leaves its primary's input unread then.
        guard engine.ctx.pausedScript == nil else { return }
        do {
            while var buffer = input, buffer.readableBytes > 0 {
                let before = buffer.readableBytes
                switch state {
                case .handshake:
                    guard let line = buffer.readLine() else { return }
                    input = buffer
                    handshakeReply(line)
                case .sync:
                    try receivePayload(&buffer)
                    input = buffer
                case .connected:
                    try receiveStream(&buffer)
                    input = buffer
                default:
                    input = nil
                    return
                }
                if buffer.readableBytes == before { return }
            }
        } catch {
            engine.logger.warning("Replication link to \(host):\(port) failed: \(error)")
            channel?.close(promise: nil)
        }
        engine.submitLog()
    }

    /// A paused script ended: what the primary sent meanwhile is applied now.
    func scriptEnded() {
        guard input != nil else { return }
        var nothing = ByteBuffer()
        received(&nothing)
    }

    /// `$<size>\r\n` then the snapshot's bytes, written to a temporary file as they come.
    private func receivePayload(_ buffer: inout ByteBuffer) throws {
        let fs = engine.persistence.fs
        if payload == nil {
            // Newlines are the primary's keep-alives while its checkpoint runs.
            while buffer.readableBytesView.first == UInt8(ascii: "\n") { buffer.moveReaderIndex(forwardBy: 1) }
            guard let line = buffer.readLine() else { return }
            guard line.hasPrefix("$"), let size = Int(line.dropFirst()), size >= 0 else {
                throw ReplicationLinkError("bad snapshot header from the primary: \(line.prefix(64))")
            }
            let directory = engine.checkpointer.snapshotDirectory
            try fs.makeDirectory(directory)
            let path = directory + "/from-primary.snap.tmp"
            try? fs.remove(path)
            payload = (try fs.openForWriting(path, create: true), path, size)
            payloadStart = true
            payloadIsRDB = false
            engine.logger.notice("Receiving \(size) bytes of snapshot from the primary")
        }
        guard var p = payload else { return }
        if payloadStart {
            // A Redis primary sends an RDB file: kept as it comes, made a snapshot at the end.
            guard buffer.readableBytes >= 5 || p.remaining < 5 else { return }
            payloadStart = false
            payloadIsRDB = buffer.readableBytesView.starts(with: Array("REDIS".utf8))
            if payloadIsRDB { engine.logger.notice("The primary sends an RDB file: it is loaded into a snapshot once whole") }
        }
        let n = min(p.remaining, buffer.readableBytes)
        if n > 0 {
            try buffer.readWithUnsafeReadableBytes { raw in
                try fs.write(p.fd, UnsafeRawBufferPointer(rebasing: raw[0..<n]), path: p.path)
                return n
            }
            p.remaining -= n
            payload = p
        }
        if p.remaining == 0 {
            guard payloadIsRDB else { return try installSnapshot(p.fd, p.path) }
            // The RDB file's keys into a snapshot after everything this server has logged
            // (any LSN would do: the log restarts after it with the primary's history).
            fs.close(p.fd)
            payload = nil
            let rdbPath = p.path + ".rdb"
            try fs.rename(p.path, rdbPath)
            let fd: Int32
            do {
                fd = try RDBAsSnapshot.convert(rdbPath: rdbPath, snapshotPath: p.path, lsn: engine.persistence.lastAppliedLSN + 1,
                                               databases: engine.config.databases, limits: engine.collectionLimits, fs: fs)
            } catch {
                // Another try would cost that primary another BGSAVE for the same file:
                // the link stops until REPLICAOF.
                try? fs.remove(rdbPath)
                engine.logger.warning("The RDB file of the primary \(host):\(port) cannot be loaded: \(error). Not retrying; REPLICAOF tries again.")
                stop()
                return
            }
            try installSnapshot(fd, p.path)
        }
    }

    private func abandonPayload() {
        guard let p = payload else { return }
        engine.persistence.fs.close(p.fd)
        try? engine.persistence.fs.remove(p.path)
        payload = nil
    }

    /// The whole snapshot is here: verified, put in place, loaded; the log starts over
    /// after it with the primary's history.
    private func installSnapshot(_ fd: Int32, _ temp: String) throws {
        let fs = engine.persistence.fs
        try fs.sync(fd, path: temp)
        fs.close(fd)
        payload = nil
        let mapped = try fs.mapFile(temp)
        let reader = try SnapshotReader(path: temp, bytes: mapped.bytes, owner: mapped)
        let lsn = reader.header.lsn
        let name = SnapshotFormat.fileName(lsn: lsn)
        let directory = engine.checkpointer.snapshotDirectory
        try fs.rename(temp, directory + "/" + name)
        try fs.syncDirectory(directory)
        engine.checkpointer.killChild()
        try engine.persistence.restart(afterSnapshot: name, lsn: lsn,
                                       stream: ReplicationPosition(id: primaryID, offset: appliedOffset),
                                       streamDatabase: reader.header.streamDatabase,
                                       streamDatabaseKnown: reader.header.streamDatabaseKnown, config: engine.config)
        session.databaseIndex = reader.header.streamDatabase ?? 0
        engine.releaseHeldReplies()
        // Every WATCHed key may have changed, and every tracked one: clients that track are
        // told to drop everything, as after FLUSHALL (the keys loaded are not recorded).
        engine.keyspace.touches.recordsAll = false
        engine.keyspace.flushAll()
        _ = try reader.load(into: engine.keyspace, limits: engine.collectionLimits)
        try engine.installFunctionLibraries(from: reader)
        engine.ctx.watches.applyTouches(changed: true)
        engine.ctx.tracking.invalidateAll()
        engine.ctx.trackingChanged()
        engine.checkpointer.currentSnapshot = (name, lsn)
        engine.checkpointer.currentSnapshotBytes = reader.fileBytes
        engine.checkpointer.liveBytesAfterCheckpoint = 0  // the log starts over
        engine.ctx.dirty = 0
        engine.logger.notice("Loaded the primary's snapshot: \(reader.keysRead) keys at LSN \(lsn); streaming from offset \(appliedOffset)")
        becomeConnected()
    }

    /// Commands of the stream, applied a unit at a time. Up to `decodeAhead` whole
    /// commands are decoded first and their keys' table slots loaded before the first
    /// runs, as for a client's pipeline: the replica applies the primary's writes one
    /// after the other, and each key's lookup was a cache miss otherwise.
    private func receiveStream(_ buffer: inout ByteBuffer) throws {
        // One reading of the clock for what arrived together (a client's batch has one too).
        engine.ctx.commandClock = Clock.monotonicMicroseconds()
        streamNowMs = Clock.unixMilliseconds()
        // A command read whole from this buffer is logged as its bytes (Effect.wire, as a
        // client's request is): the buffer is not written to while this runs, so they stay
        // where they are. A unit still open at the end (a MULTI block cut by the read)
        // drops them: the next call may see the bytes moved.
        let base = buffer.withVeryUnsafeBytes { $0.baseAddress }
        defer {
            currentWire = nil
            for i in unit.effects.indices { unit.effects[i].wire = nil }
        }
        var commands: [[Bytes]] = []
        var ends: [UInt64] = []
        var spans: [(start: Int, count: Int)] = []
        while true {
            commands.clearKeepingCapacity()
            ends.clearKeepingCapacity()
            spans.clearKeepingCapacity()
            while commands.count < Self.decodeAhead {
                let before = buffer.readableBytes
                let args = try decoder.decode(buffer: &buffer)
                // The decoder takes the bytes of a command as they come, whole or not: every
                // byte it took counts, when it took it.
                readOffset += UInt64(before - buffer.readableBytes)
                guard let args else { break }
                commands.append(args)
                ends.append(readOffset)
                spans.append(decoder.lastRequestIsCanonical
                             ? (decoder.lastRequestStart, buffer.readerIndex - decoder.lastRequestStart) : (0, 0))
            }
            if commands.isEmpty { return }
            if commands.count > 1 { engine.prefetchKeys(of: commands, database: session.databaseIndex) }
            let received = readOffset
            for i in commands.indices {
                readOffset = ends[i]  // a unit ends where its last command does
                currentWire = spans[i].count > 0 && base != nil
                    ? UnsafeRawBufferPointer(start: base! + spans[i].start, count: spans[i].count) : nil
                try apply(commands[i])
            }
            readOffset = received
            if commands.count < Self.decodeAhead { return }
        }
    }

    /// The bytes of the command being applied, when it was read whole (see receiveStream).
    private var currentWire: UnsafeRawBufferPointer?

    static let decodeAhead = 32
    /// The wall clock for the commands of one receive (see `receiveStream`).
    private var streamNowMs: Int64 = 0

    private func apply(_ args: [Bytes]) throws {
        // The name's bytes are compared in place: most units are data commands, and making
        // a String of every name cost a conversion and string compares per unit.
        let name = args[0]
        if name.equalsLowercased("select") {
            guard args.count == 2, let db = Int(args[1].string), db >= 0, db < engine.keyspace.databaseCount else {
                throw ReplicationLinkError("bad SELECT in the stream")
            }
            session.databaseIndex = db
            if unit.effects.isEmpty { unit.selects = true }
        } else if name.equalsLowercased("multi") {
            unit.inMulti = true
        } else if name.equalsLowercased("exec") {
            unit.inMulti = false
            try commitUnit()
        } else if name.equalsLowercased("ping") {
            if !unit.inMulti { try commitStreamUnit(args) }
        } else if !unit.inMulti && (name.equalsLowercased("publish") || name.equalsLowercased("spublish")) {
            // A record of its own, as on the primary; then delivered to this server's subscribers.
            try commitStreamUnit(args)
            _ = engine.replay(Effect(database: session.databaseIndex, arguments: args), session: session, origin: .replicated,
                             nowMs: streamNowMs)
            engine.ctx.replicaOnly.removeAll()  // already in this server's log, as the primary's record
            engine.flushPushes()
        } else if name.equalsLowercased("replconf") {
            // REPLCONF GETACK *: answered with the offset after it.
            try commitStreamUnit(args)
            sendAck()
        } else {
            unit.effects.append(Effect(database: session.databaseIndex, arguments: args, wire: currentWire))
            if !unit.inMulti { try commitUnit() }
        }
    }

    /// A unit of effects: applied, then written to the log as the primary's record.
    private func commitUnit() throws {
        // Taken out of the unit and read in place (copying effects out retains their
        // arguments); the emptied array goes back for the next unit.
        var effects: [Effect] = []
        swap(&effects, &unit.effects)
        let flags: RecordFlags = unit.selects ? .selectsDatabase : []
        unit.inMulti = false
        unit.selects = false
        appliedOffset = readOffset
        defer {
            effects.clearKeepingCapacity()
            swap(&effects, &unit.effects)
        }
        guard !effects.isEmpty else { return }
        try effects.withUnsafeBufferPointer { effects in
            for i in effects.indices {
                if let error = engine.replay(effects[i], session: session, origin: .replicated, nowMs: streamNowMs) {
                    engine.logger.warning("A command from the primary failed here: \(effects[i].arguments.map(\.string).joined(separator: " ").prefix(200)): \(error)")
                }
            }
            try engine.commitReplicated(streamEnd: appliedOffset, flags: flags, effects: effects)
        }
        engine.flushPushes()  // the keyspace notifications of the unit, through the gate
        written(offset: appliedOffset)
    }

    /// A PING or GETACK: no effect, but its bytes are a record, as on the primary (a
    /// primary sends them as RESP multibulks, byte for byte what this encodes).
    private func commitStreamUnit(_ args: [Bytes]) throws {
        unit = PendingUnit()
        appliedOffset = readOffset
        var raw: [UInt8] = []
        ReplicationStream.appendCommand(args, to: &raw)
        try engine.commitReplicated(streamEnd: appliedOffset, kind: .stream, flags: [], payload: raw)
        written(offset: appliedOffset)
    }
}

struct ReplicationLinkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The channel to the primary: hands what arrives to the link, on the engine's loop.
final class PrimaryStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let link: ReplicaLink

    init(link: ReplicaLink) { self.link = link }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        link.received(&buffer)
    }

    func channelInactive(context: ChannelHandlerContext) {
        link.engine.logger.notice("Connection with the primary \(link.host):\(link.port) lost")
        link.linkLost()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

extension ByteBuffer {
    /// A line ended by CRLF (without it), consumed; nil until one is whole.
    mutating func readLine() -> String? {
        guard let end = readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let length = end - readerIndex
        guard var line = readString(length: length) else { return nil }
        moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        return line
    }
}

extension Engine {
    /// REPLICAOF host port (or `replicaof` in the configuration): this server follows
    /// that primary from now on.
    /// `failover`: FAILOVER's hand-over, whose PSYNC asks the new primary to take over.
    func follow(host: String, port: Int, failover: Bool = false) {
        primaryLink?.stop()
        previousHistory = nil
        unblockAllForNewPrimary()
        let link = ReplicaLink(engine: self, host: host, port: port, failover: failover)
        primaryLink = link
        config.replicaof = (host, port)  // what CONFIG GET and CONFIG REWRITE show, as in Redis
        logger.notice("Connecting to the primary \(host):\(port)")
        link.connect()
    }

    /// REPLICAOF NO ONE: this server takes writes from now on, in a new history that
    /// continues its primary's at the same offset, so the primary's other replicas can
    /// continue from here (they find their offset in this server's log).
    func promote() {
        primaryLink?.stop()
        primaryLink = nil
        config.replicaof = nil
        if let stream = persistence.stream {
            previousHistory = stream
            persistence.writer?.startHistory(ReplicationPosition(id: ReplicationPosition.randomID(), offset: stream.offset))
        }
        replication.dropAll(why: "this server was promoted: it is to resynchronize with the new replication id")
        logger.notice("Promoted: this server is a primary now (new replication id, offset \(persistence.stream?.offset ?? 0))")
    }
}
