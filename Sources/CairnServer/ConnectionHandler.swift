import CairnCore
import CairnRESP
import NIOCore

/// One client connection: bytes read are decoded and each request runs in the engine
/// at once; replies accumulate and leave in one write at the end of each read batch, so a
/// pipeline costs one syscall. Decoding happens here rather than in a separate
/// ByteToMessageHandler so that a request does not travel the pipeline as a boxed value.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let engine: Engine
    private var connection: ClientConnection?
    private var decoder: RESPRequestDecoder
    /// Input received but not yet decoded (a partial request).
    private var pending: ByteBuffer?

    /// Replies may go straight to the socket (a TCP client without TLS).
    private let writesDirectly: Bool

    init(engine: Engine, limits: RESPLimits, writesDirectly: Bool) {
        self.engine = engine
        self.writesDirectly = writesDirectly
        self.decoder = RESPRequestDecoder(limits: limits)
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let conn = engine.register(context.channel, writesDirectly: writesDirectly) else {
            var buf = context.channel.allocator.buffer(capacity: 64)
            buf.writeString("-ERR max number of clients reached\r\n")
            context.writeAndFlush(wrapOutboundOut(buf)).whenComplete { _ in context.close(promise: nil) }
            return
        }
        if engine.config.protectedMode && engine.ctx.users.defaultUser.noPass
            && !ProtectedMode.isLocal(context.channel) {
            var buf = context.channel.allocator.buffer(capacity: 1024)
            buf.writeString("-\(ProtectedMode.deniedMessage)\r\n")
            context.writeAndFlush(wrapOutboundOut(buf)).whenComplete { _ in context.close(promise: nil) }
            engine.unregister(conn)
            return
        }
        connection = conn
        // A strong capture, released when the connection goes (channelInactive): a weak
        // one would give the handler a side table, and every retain and release NIO makes
        // of it on every read would take the runtime's slow path.
        conn.resume = { self.resume(context: context) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let conn = connection, !conn.closeAfterFlush else { return }
        var input = unwrapInboundIn(data)
        engine.stats.netInputBytes += input.readableBytes
        engine.stats.readsProcessed += 1
        conn.inputSinceFlush += input.readableBytes
        if var buffered = pending {
            pending = nil
            buffered.writeBuffer(&input)
            input = buffered
        }
        if conn.isParked || waitingForWritable {
            pending = input
            // A blocked client's further requests wait, as in Redis, within the query limit;
            // so do those of a client whose replies are not being read.
            if input.readableBytes > decoder.limits.queryBufferBytesMax {
                protocolError(context: context, RESPProtocolError.queryBufferOverflow)
            }
            return
        }
        // Straight on, not by way of `pending`: storing the buffer there and taking it
        // back cost atomic reference counting on every read.
        process(context: context, conn, &input)
    }

    /// Runs the requests waiting in `pending`, until they run out, the client blocks, or
    /// the connection is to close. A few requests are decoded ahead of running them (see
    /// `lookaheadMax`), so that the engine prefetches their keys together (a pipeline's
    /// lookups then overlap their cache misses); a client that blocks keeps the rest for
    /// when it resumes, and a malformed request is reported after the ones before it ran.
    private func process(context: ChannelHandlerContext) {
        guard let conn = connection else { return }
        var input = pending ?? context.channel.allocator.buffer(capacity: 0)
        pending = nil
        process(context: context, conn, &input)
    }

    /// `process` of `input`, what is left of which is kept in `pending`.
    private func process(context: ChannelHandlerContext, _ conn: ClientConnection, _ input: inout ByteBuffer) {
        conn.queryBufferBytes = input.readableBytes
        conn.queryBufferFree = input.capacity - input.readableBytes
        defer {
            conn.queryBufferBytes = pending?.readableBytes ?? 0
            conn.queryBufferFree = pending.map { $0.capacity - $0.readableBytes } ?? 0
            // Requests decoded and left for later (the client blocked) will run from
            // another buffer: their bytes' places in this one no longer hold.
            for i in nextDecoded..<decoded.count { decodedWire[i] = (0, 0) }
        }
        while true {
            engine.beginBatch(conn)
            var outputBacklog = false
            while !conn.isParked {
                if nextDecoded == decoded.count {
                    // Nothing left to decode: no call into the decoder to find that out.
                    if input.readableBytes == 0 { break }
                    decodeAhead(&input, conn)
                    if decoded.isEmpty { break }
                }
                // Moved out, not copied: the array is the request's only owner then.
                var request: [Bytes] = []
                swap(&request, &decoded[nextDecoded])
                let wire = decodedWire[nextDecoded]
                nextDecoded += 1
                if wire.count > 0 {
                    // The request's bytes stay where they are in `input` while it runs; a
                    // span is used only in the buffer it was taken from.
                    input.withVeryUnsafeBytes { all in
                        let same = all.baseAddress == decodedWireBase && wire.start + wire.count <= all.count
                        engine.execute(conn, &request, wire: same ? UnsafeRawBufferPointer(rebasing: all[wire.start..<(wire.start + wire.count)]) : nil)
                    }
                } else {
                    engine.execute(conn, &request)
                }
                decoder.recycle(&request)
                if conn.closeAfterFlush {
                    engine.endBatch(conn)
                    flush()
                    return
                }
                if engine.batchOutputBytes >= Self.outputBytesBeforeFlush && engine.batchOutputBytes >= engine.pipelinePauseBytes(conn) {
                    outputBacklog = true
                    break
                }
            }
            engine.endBatch(conn)
            guard outputBacklog else { break }
            // Replies pile up faster than they are sent: out with them (the engine writes
            // at the end of the loop's tick), and the rest of the pipeline waits until the
            // socket has taken them, so a client that never reads holds about one
            // high-water mark of replies, not everything its pipeline asks for.
            waitingForWritable = true
            flush()
            context.eventLoop.execute { [self] in continueWhenWritable(context: context) }
            break
        }
        if nextDecoded == decoded.count, let error = decodeError {
            protocolError(context: context, error)
            return
        }
        if input.readableBytes > 0 {
            if input.readerIndex > 64 * 1024 { input.discardReadBytes() }
            pending = input
        }
    }

    /// Unsent replies past which the requests of a read stop running until they are sent
    /// (when the client's class has no output-buffer limit: Engine.pipelinePauseBytes).
    private static let outputBytesBeforeFlush = 1024 * 1024
    /// The rest of this client's pipeline waits for its replies to leave.
    private var waitingForWritable = false

    /// Requests decoded and not yet run (from `nextDecoded` on), and the protocol error
    /// that stopped decoding, if any.
    private var decoded: [[Bytes]] = []
    /// Where each decoded request's bytes lie in the input, when the log can take them as
    /// they are (Effect.wire); a count of 0 when it cannot. By the request's index in
    /// `decoded`, in a block made once (no appending and emptying per request).
    private var decodedWire = [(start: Int, count: Int)](repeating: (0, 0), count: ConnectionHandler.lookaheadMax)
    /// The address of the bytes of the input those spans were taken from (compared, never
    /// read through).
    private var decodedWireBase: UnsafeRawPointer?
    private var nextDecoded = 0
    private var decodeError: Error?
    /// At most 32 requests, and no more once 64 KiB were decoded: the prefetch matters
    /// for small requests, and big ones are not held twice (in the input and decoded).
    private static let lookaheadMax = 32
    private static let lookaheadBytesMax = 64 * 1024

    private func decodeAhead(_ input: inout ByteBuffer, _ conn: ClientConnection) {
        decoded.clearKeepingCapacity()
        nextDecoded = 0
        guard decodeError == nil else { return }
        decodedWireBase = input.withVeryUnsafeBytes { $0.baseAddress }
        let start = input.readerIndex
        do {
            while decoded.count < Self.lookaheadMax, input.readerIndex - start < Self.lookaheadBytesMax,
                  input.readableBytes > 0, let request = try decoder.decode(buffer: &input) {
                decodedWire[decoded.count] = decoder.lastRequestIsCanonical
                    ? (decoder.lastRequestStart, input.readerIndex - decoder.lastRequestStart) : (0, 0)
                decoded.append(request)
            }
        } catch {
            decodeError = error
        }
        if decoded.count > 1 { engine.prefetchKeys(of: decoded, database: conn.session.databaseIndex) }
    }

    /// After a pause for replies: the pipeline goes on if the socket took them, otherwise
    /// when it does (channelWritabilityChanged).
    private func continueWhenWritable(context: ChannelHandlerContext) {
        guard waitingForWritable, connection != nil, context.channel.isWritable else { return }
        waitingForWritable = false
        process(context: context)
        flush()
    }

    /// Called by the engine (on the loop, outside any batch) when a blocked client is
    /// served or times out: its waiting requests run now.
    func resume(context: ChannelHandlerContext) {
        process(context: context)
        flush()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Not passed on: this is the pipeline's last handler (Server.swift), and the tail
        // does nothing with it; forwarding cost about 140 instructions per read.
        flush()
    }

    private func flush() {
        guard let conn = connection else { return }
        engine.flush(conn)
    }

    /// Reading stops while the channel is not writable (the client does not read its
    /// replies), which bounds what it can make the server queue for it; then a replica's
    /// connection that took what was queued gets more of its stream.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.updateReading()
        if let conn = connection, conn.isReplica, context.channel.isWritable, let peer = engine.replication.peer(conn) {
            engine.replication.pump(peer)
        } else if let conn = connection, waitingForWritable, context.channel.isWritable {
            engine.outputWritable(conn)
            continueWhenWritable(context: context)
        } else if let conn = connection, context.channel.isWritable {
            engine.outputWritable(conn)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let conn = connection {
            conn.closed = true
            conn.resume = nil
            engine.unregister(conn)
            connection = nil
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        connection?.closeAfterFlush = true
        flush()
        context.close(promise: nil)
    }

    private func protocolError(context: ChannelHandlerContext, _ error: Error) {
        pending = nil
        guard let conn = connection else {
            context.close(promise: nil)
            return
        }
        if let e = error as? RESPProtocolError {
            if let message = e.message {
                // Redis answers a protocol error, then closes once the reply is out.
                var w = RESPWriter(buffer: conn.output)
                conn.output = context.channel.allocator.buffer(capacity: 0)
                w.error("ERR \(message)")
                conn.output = w.buffer
                engine.logger.info("Protocol error (\(message)) from client: id=\(conn.session.id) addr=\(conn.address)")
            } else {
                engine.logger.warning("Closing client that reached max query buffer length: id=\(conn.session.id) addr=\(conn.address)")
            }
        }
        conn.closeAfterFlush = true
        flush()
    }
}
