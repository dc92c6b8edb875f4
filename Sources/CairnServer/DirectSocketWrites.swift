#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Replies written straight to a plain TCP client's socket, one `send` per flush, rather
/// than through the channel's pipeline and pending-writes queue. At one request per read
/// (redis-benchmark -P 1), NIO's write path cost as much user time as the command: the
/// pipeline's hops and its checks of the channel's state retain and release the channel's
/// objects on every write (Docs/BENCHMARKS.md, "Replies written to the socket").
///
/// Order is kept by one rule: a direct write happens only while nothing handed to the
/// channel is still waiting in it. What the socket does not take (it is full, or an error
/// the channel will report and close on) goes to the channel, and writes stay with the
/// channel until it has written all of that. TLS clients, unix-socket clients and replicas
/// always go through the channel.
///
/// A class, not a struct in the connection: a channel write can complete (or fail, the
/// client gone) before `writeAndFlush` returns, running the completion that counts it
/// down, and no access to the connection's state may be held open across that call.
final class DirectSocketWrites {
    /// The socket's descriptor, found by its addresses when the client connected (kept
    /// after `stop`, so that the engine can forget it when the client goes).
    private(set) var attachedDescriptor: Int32?
    private var stopped = false
    /// Where direct writes go; nil: every write goes through the channel.
    private var descriptor: Int32? { stopped ? nil : attachedDescriptor }
    /// Writes handed to the channel and not yet completed.
    private var inChannel = 0

    /// Writes go straight to `fd` from now on (while the rule above allows).
    func attach(_ fd: Int32) { attachedDescriptor = fd }

    /// Writes go through the channel from now on (the connection became a replica, whose
    /// stream the channel carries, or it is gone).
    func stop() { stopped = true }

    /// Sends what the socket takes of `bytes` now, without the channel; returns how many
    /// bytes that was (0 as well when the channel must carry this write: no descriptor,
    /// or earlier writes still in the channel). The caller hands the rest to `handOver`.
    func sendDirectly(_ bytes: ByteBuffer, on channel: Channel) -> Int {
        guard let fd = descriptor, inChannel == 0, channel.isActive else { return 0 }
        let sent = bytes.withUnsafeReadableBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        return max(sent, 0)
    }

    /// Sends `bytes`: what the socket takes now directly, the rest through the channel.
    func send(_ bytes: ByteBuffer, on channel: Channel) {
        let sent = sendDirectly(bytes, on: channel)
        guard sent < bytes.readableBytes else { return }
        var rest = bytes
        rest.moveReaderIndex(forwardBy: sent)
        handOver(rest, to: channel)
    }

    /// Writes `bytes` through the channel, keeping later direct writes behind them.
    func handOver(_ bytes: ByteBuffer, to channel: Channel) {
        guard descriptor != nil else {
            channel.writeAndFlush(bytes, promise: nil)
            return
        }
        inChannel += 1
        let done = channel.eventLoop.makePromise(of: Void.self)
        // Strong: the channel completes every write it took, closing or not (and a weak
        // reference would put every retain of this object on the runtime's slow path).
        done.futureResult.whenComplete { _ in self.inChannel -= 1 }
        channel.writeAndFlush(bytes, promise: done)
    }
}

/// Descriptors known to belong to clients, as bits: finding a new client's descriptor
/// walks the gaps between them, so it costs the same with ten thousand clients as with ten.
struct DescriptorSet {
    private var words: [UInt64] = []

    mutating func insert(_ fd: Int32) {
        let (w, b) = (Int(fd) >> 6, Int(fd) & 63)
        if w >= words.count { words += [UInt64](repeating: 0, count: w - words.count + 1) }
        words[w] |= 1 << UInt64(b)
    }

    mutating func remove(_ fd: Int32) {
        let (w, b) = (Int(fd) >> 6, Int(fd) & 63)
        if w < words.count { words[w] &= ~(1 << UInt64(b)) }
    }

    /// The lowest descriptor from `fd` on that is not in the set.
    func nextAbsent(from fd: Int32) -> Int32 {
        var w = Int(fd) >> 6
        guard w < words.count else { return fd }
        var free = ~words[w] & (~0 << UInt64(Int(fd) & 63))
        while free == 0 {
            w += 1
            guard w < words.count else { return Int32(w << 6) }
            free = ~words[w]
        }
        return Int32(w << 6 + free.trailingZeroBitCount)
    }
}

extension SocketDescriptors {
    /// The descriptor of this process's connected TCP socket whose own and peer addresses
    /// are `local` and `remote` ("ip:port", as ClientConnection writes them). Descriptors
    /// are probed from the lowest up, as an accepted socket gets the lowest free one,
    /// skipping `known` ones (other clients'); nil when not found within `maxProbes`.
    /// Two open TCP sockets never share both addresses, so a match is this client's.
    static func find(local: String, remote: String, skipping known: DescriptorSet, maxProbes: Int = 1024) -> Int32? {
        var probes = 0
        var closedInARow = 0
        var fd = known.nextAbsent(from: 0)
        while probes < maxProbes && closedInARow < 256 {
            defer { fd = known.nextAbsent(from: fd + 1) }
            probes += 1
            guard let own = address(fd, peer: false) else {
                closedInARow = fcntl(fd, F_GETFD) == -1 ? closedInARow + 1 : 0
                continue
            }
            closedInARow = 0
            if !own.isUnix && own.text == local, let peer = address(fd, peer: true), peer.text == remote {
                return fd
            }
        }
        return nil
    }
}
