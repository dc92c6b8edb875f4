import CairnCore
import CairnRESP
import NIOCore

/// Counts bytes read from clients (INFO total_net_input_bytes) before they are decoded.
final class InputCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let engine: Engine

    init(engine: Engine) { self.engine = engine }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        engine.stats.netInputBytes += unwrapInboundIn(data).readableBytes
        context.fireChannelRead(data)
    }
}

/// One client connection: decoded requests go to the engine, replies accumulate and
/// leave in one write at the end of each read batch (so pipelines cost one syscall).
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = [Bytes]
    typealias OutboundOut = ByteBuffer

    let engine: Engine
    private var connection: ClientConnection?

    init(engine: Engine) { self.engine = engine }

    func channelActive(context: ChannelHandlerContext) {
        guard let conn = engine.register(context.channel) else {
            var buf = context.channel.allocator.buffer(capacity: 64)
            buf.writeString("-ERR max number of clients reached\r\n")
            context.writeAndFlush(wrapOutboundOut(buf)).whenComplete { _ in context.close(promise: nil) }
            return
        }
        connection = conn
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let conn = connection, !conn.closeAfterFlush else { return }
        engine.execute(conn, unwrapInboundIn(data))
        if conn.closeAfterFlush { flush() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
        context.fireChannelReadComplete()
    }

    private func flush() {
        guard let conn = connection else { return }
        engine.stats.netOutputBytes += conn.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let conn = connection {
            conn.closed = true
            engine.unregister(conn)
            connection = nil
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
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
