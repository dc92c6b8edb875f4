import CairnCommands
import CairnCore
import NIOCore

/// What the server keeps for one connected client: its session, pending output,
/// and the connection-level modes (CLIENT REPLY, MONITOR, closing).
final class ClientConnection: SessionConnection {
    enum ReplyMode { case on, off, skipNext, skipThis }

    let session: ClientSession
    let channel: Channel
    let address: String
    /// Connected through `unixsocket` (CLIENT LIST flag U).
    let isUnixSocket: Bool
    /// Its socket's descriptor, once looked up (SocketDescriptors).
    var descriptor: Int32?
    let localAddress: String
    /// Replies produced since the last flush.
    var output: ByteBuffer
    var replyMode = ReplyMode.on
    var isMonitor = false
    /// A replica of this server (after PSYNC or SYNC): its replies are not sent, and the
    /// stream goes to it through `ReplicationSource`.
    var isReplica = false {
        didSet { if isReplica { directWrites.stop() } }
    }
    /// Replies written straight to the socket (plain TCP clients).
    let directWrites = DirectSocketWrites()
    /// What the replica said in REPLCONF listening-port and ip-address.
    var replicaListeningPort = 0
    var replicaAnnouncedIP: String?
    /// What a replica announced with REPLCONF capa (`cairn-snapshot`: a Cairn replica).
    var replicaCapabilities: Set<String> = []
    var closeAfterFlush = false
    var closed = false
    /// Replies held until the log is durable up to their LSN (appendfsync always), in order.
    var gated: [(lsn: UInt64, bytes: ByteBuffer, cost: Int, heldSinceNs: UInt64)] = []
    /// What waiting on the log holds for this client: its held replies plus the requests
    /// that produced them (their records wait in the log writer's queue meanwhile).
    var gatedBytes = 0
    /// Request bytes read since the last flush.
    var inputSinceFlush = 0
    /// CLIENT LIST's qbuf: the bytes of the read being run (Redis keeps a read's requests
    /// in its query buffer until all have run), or of a partial request waiting for more.
    var queryBufferBytes = 0
    /// CLIENT LIST's qbuf-free: the room left in the buffer requests are read into.
    var queryBufferFree = 0
    /// Reading from the socket is paused because too many replies are held.
    var readPaused = false
    /// Whether the channel reads (autoRead), as `updateReading` last set it.
    private var reading = true
    /// Set while the client waits in a blocking command (BLPOP ...).
    var blocked: BlockedClient?
    /// Set while the client's script is paused (busy-reply-threshold): its further
    /// requests wait, as a blocked client's do.
    var runningScript = false
    /// Whether its further requests wait.
    var isParked: Bool { blocked != nil || runningScript || postponed != nil || awaitingShutdown }
    /// Its SHUTDOWN waits for replicas to catch up (ShutdownSequence).
    var awaitingShutdown = false
    /// A command held by CLIENT PAUSE, run when the pause ends.
    var postponed: [Bytes]?
    /// Runs the client's waiting requests after it was unblocked (set by its handler).
    var resume: (() -> Void)?

    /// Held bytes (replies and the requests behind them) beyond which a client's socket is
    /// not read any more until the log catches up: a client pipelining writes while the
    /// disk is slow or stuck cannot make the server queue records and replies without bound.
    static let heldReplyBytesMax = 8 * 1024 * 1024

    init(session: ClientSession, channel: Channel) {
        self.session = session
        self.channel = channel
        if case .unixDomainSocket? = channel.localAddress {
            // As Redis: the socket's path for both ends.
            self.address = "\(channel.localAddress?.pathname ?? ""):0"
            self.localAddress = self.address
            self.isUnixSocket = true
        } else {
            self.address = ClientConnection.describe(channel.remoteAddress)
            self.localAddress = ClientConnection.describe(channel.localAddress)
            self.isUnixSocket = false
        }
        self.output = channel.allocator.buffer(capacity: 256)
        session.connection = self
    }

    func closeAfterReply() { closeAfterFlush = true }

    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "?:0" }
        let ip = address.ipAddress ?? "?"
        let port = address.port ?? 0
        return "\(ip):\(port)"
    }

    /// In the engine's list of connections to flush at the end of this loop tick.
    var flushPending = false
    /// In the engine's list of connections that were pushed to (MONITOR lines, messages), which
    /// leave through the gate once the pushing command is committed.
    var pushPending = false

    /// A subscriber's output stays here while its socket is full, rather than piling up
    /// in the channel, so that the pubsub output limit sees it (`enforceOutputLimit`).
    var holdsWhileUnwritable: Bool { session.subscriptions.isActive && !closeAfterFlush }
    /// Output not yet handed to the socket: what the output limits count.
    var heldOutputBytes: Int { output.readableBytes + gatedBytes }
    var hasHeldOutput: Bool { output.readableBytes > 0 || !gated.isEmpty }
    /// Since when the held output has been past the soft limit.
    var softLimitSinceMs: Int64?

    /// CLIENT LIST's omem (output not yet taken: held replies, the unsent buffer, what the
    /// socket has not accepted) and tot-mem (that with the query buffer, the running
    /// command's `argumentBytes` and a MULTI block's); maxmemory-clients counts tot-mem.
    func memory(argumentBytes: Int = 0) -> (output: Int, total: Int) {
        let inChannel = channelBufferedBytes
        let total = queryBufferBytes + queryBufferFree + argumentBytes + (session.transaction?.bytes ?? 0)
            + output.capacity + gatedBytes + inChannel
        return (heldOutputBytes + inChannel, total)
    }

    /// Output handed to the channel that the socket has not accepted yet.
    var channelBufferedBytes: Int { (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0 }

    /// Closes at once, dropping what was held (a client past its output limit).
    func drop() {
        output.clear()
        gated.removeAll()
        gatedBytes = 0
        closeAfterFlush = true
        closed = true
        channel.close(promise: nil)
    }

    /// Sends what has accumulated, then closes if asked to.
    func flush() -> Int {
        if holdsWhileUnwritable && !channel.isWritable { return 0 }
        inputSinceFlush = 0
        let n = output.readableBytes
        if n > 0 {
            let sent = directWrites.sendDirectly(output, on: channel)
            if sent == n {
                // The socket took it all and nothing else ran: the buffer is reused in
                // place (clearing a buffer still shared with a copy would allocate anew).
                output.clear()
                if output.capacity > Self.keptOutputCapacity { output = freshOutput(sizedLike: n) }
            } else {
                handOverUnsent(afterSending: sent)
            }
        }
        if closeAfterFlush && !closed {
            closed = true
            channel.close(promise: nil)
        }
        return n
    }

    /// What a direct send did not take (or all of it, when the channel carries this
    /// client's writes) goes through the channel. The connection's buffer is emptied
    /// before the hand-over: a send through the channel can fire writability events that
    /// reach this connection again (outputWritable gates or flushes it), and they must not
    /// find these bytes still here to send twice.
    private func handOverUnsent(afterSending sent: Int) {
        var rest = output
        output = freshOutput(sizedLike: rest.readableBytes)
        rest.moveReaderIndex(forwardBy: sent)
        directWrites.handOver(rest, to: channel)
    }

    /// A new output buffer sized like the last output of `n` bytes (within 256 and
    /// `keptOutputCapacity`), so that a steady stream (a subscriber's messages) does not
    /// regrow its buffer on every tick.
    private func freshOutput(sizedLike n: Int) -> ByteBuffer {
        channel.allocator.buffer(capacity: min(max(256, n), Self.keptOutputCapacity))
    }

    /// An output buffer the socket took whole is kept for the next replies up to this size.
    static let keptOutputCapacity = 64 * 1024

    /// Holds the replies produced since the last flush until `lsn` is durable.
    func gate(lsn: UInt64) {
        if output.readableBytes > 0 {
            let cost = output.readableBytes + inputSinceFlush
            gatedBytes += cost
            gated.append((lsn, output, cost, Clock.monotonicNanoseconds()))
            output = channel.allocator.buffer(capacity: 256)
        }
        inputSinceFlush = 0
        if gatedBytes > ClientConnection.heldReplyBytesMax && !readPaused {
            readPaused = true
            updateReading()
        }
    }

    /// Takes the held replies whose LSN is durable now out of `gated`, as one buffer (nil:
    /// none), recording how long each was held into `holdTimes`. No channel call happens
    /// here: sending (`sendReleased`) can fire writability events that release this
    /// connection again (outputWritable), which must find only the replies not yet taken,
    /// and no caller's access to `holdTimes` may still be open then. (Writing each entry
    /// before removing them all sent the first ones twice under load, then trapped.)
    func takeReleased(durable: UInt64, nowNs: UInt64, holdTimes: inout LatencyHistogram) -> ByteBuffer? {
        var cost = 0
        var released = 0
        let holds = holdsWhileUnwritable
        var sending: ByteBuffer?
        for entry in gated {
            if entry.lsn > durable || (holds && !channel.isWritable) { break }
            cost += entry.cost
            holdTimes.record(microseconds: nowNs > entry.heldSinceNs ? (nowNs - entry.heldSinceNs) / 1000 : 0)
            if sending == nil {
                sending = entry.bytes
            } else {
                var bytes = entry.bytes
                sending!.writeBuffer(&bytes)
            }
            released += 1
        }
        if released > 0 {
            gated.removeFirst(released)
            gatedBytes -= cost
        }
        return sending
    }

    /// Sends what `takeReleased` took (if anything); reading resumes once the held bytes
    /// are down to half their limit, and the connection closes when asked to and nothing
    /// is held any more.
    func sendReleased(_ bytes: ByteBuffer?) {
        if let bytes { directWrites.send(bytes, on: channel) }
        if readPaused && gatedBytes <= ClientConnection.heldReplyBytesMax / 2 {
            readPaused = false
            updateReading()
        }
        if gated.isEmpty && closeAfterFlush && !closed {
            closed = true
            channel.close(promise: nil)
        }
    }

    /// Reading from the client goes on unless its replies are not being read (the channel
    /// is not writable: back-pressure) or too many wait at the durability gate.
    func updateReading() {
        let on = channel.isWritable && !readPaused
        guard on != reading else { return }
        reading = on
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: on)
    }
}
