import CairnCore
#if canImport(Glibc)
import Glibc
#endif

/// MIGRATE's connections to other servers, kept per host:port for ten seconds of disuse
/// (at most 64), as Redis keeps them (INFO migrate_cached_sockets). The I/O is blocking
/// with a deadline, on the engine's thread, as Redis's MIGRATE blocks its server.
final class MigrateConnections {
    final class Connection {
        let fd: Int32
        /// The database last SELECTed on it (-1: unknown, SELECT next time).
        var lastDatabase = -1
        var lastUseMs: Int64
        init(fd: Int32, nowMs: Int64) {
            self.fd = fd
            self.lastUseMs = nowMs
        }
    }

    static let idleMs: Int64 = 10_000
    static let countMax = 64
    private var cached: [String: Connection] = [:]

    var count: Int { cached.count }

    /// The cached connection to host:port, or a new one within `timeoutMs`; nil when it
    /// cannot be had.
    func connection(host: String, port: String, timeoutMs: Int, nowMs: Int64) -> Connection? {
        let name = "\(host):\(port)"
        if let c = cached[name] {
            c.lastUseMs = nowMs
            return c
        }
        guard let fd = Self.connect(host: host, port: port, timeoutMs: timeoutMs) else { return nil }
        if cached.count >= Self.countMax, let victim = cached.keys.randomElement() { close(victim) }
        let c = Connection(fd: fd, nowMs: nowMs)
        cached[name] = c
        return c
    }

    func close(host: String, port: String) { close("\(host):\(port)") }

    private func close(_ name: String) {
        guard let c = cached.removeValue(forKey: name) else { return }
        _ = Glibc.close(c.fd)
    }

    /// From the cron: connections unused for ten seconds close.
    func closeIdle(nowMs: Int64) {
        for (name, c) in cached where nowMs - c.lastUseMs > Self.idleMs { close(name) }
    }

    // MARK: - Blocking I/O with deadlines

    private static func connect(host: String, port: String, timeoutMs: Int) -> Int32? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &found) == 0, let info = found else { return nil }
        defer { freeaddrinfo(info) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // As Redis, a connect that completes with an error (refused) is not told apart
        // here: the first write finds it, so the reply is Redis's "writing" error.
        if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS, wait(fd, for: Int16(POLLOUT), deadline: Clock.monotonicMicroseconds() + Int64(timeoutMs) * 1000) else {
                _ = Glibc.close(fd)
                return nil
            }
        }
        return fd
    }

    /// Whether `fd` is ready for `events` before the deadline (monotonic microseconds);
    /// errno is ETIMEDOUT when it is not.
    static func wait(_ fd: Int32, for events: Int16, deadline: Int64) -> Bool {
        while true {
            let left = deadline - Clock.monotonicMicroseconds()
            guard left > 0 else { errno = ETIMEDOUT; return false }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, Int32(clamping: (left + 999) / 1000))
            if n > 0 { return true }
            if n == 0 { errno = ETIMEDOUT; return false }
            if errno != EINTR { return false }
        }
    }

    /// Writes all of `bytes`, or false.
    static func write(_ fd: Int32, _ bytes: [UInt8], deadline: Int64) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard wait(fd, for: Int16(POLLOUT), deadline: deadline) else { return false }
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { offset += n } else if n < 0 && errno != EAGAIN && errno != EINTR { return false }
        }
        return true
    }

    /// One reply line, without its CRLF (a one-line reply: +OK or -ERR ...), or nil.
    static func readLine(_ fd: Int32, deadline: Int64, limit: Int = 4096) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < limit {
            guard wait(fd, for: Int16(POLLIN), deadline: deadline) else { return nil }
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { errno = ECONNRESET; return nil }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return nil
            }
            if byte == 10 { break }
            line.append(byte)
        }
        if line.last == 13 { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }
}
