import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The TCP listening sockets of `bind` and `port`, opened by hand (socket, bind, listen)
/// so that a failure is known at once, also on the event loop where CONFIG SET port or
/// bind runs and cannot wait for a future; NIO then adopts each socket. A leading "-"
/// marks an address whose failure is only warned about, as in Redis.
enum TCPListeners {
    struct Failure: Error, CustomStringConvertible {
        let address: String
        let reason: String
        var description: String { "Could not create server TCP listening socket \(address): \(reason)" }
    }

    /// What identifies a listener: its address (without the "-") and port.
    static func key(_ entry: String, port: Int) -> String {
        "\(entry.hasPrefix("-") ? String(entry.dropFirst()) : entry) \(port)"
    }

    /// Listening sockets for every address but those already listening (`open`), by key,
    /// or the first failure of one that must bind (the sockets opened are closed then).
    /// Optional failures go to `warn`.
    static func open(bind: [String], port: Int, backlog: Int, mark: Int, except listening: Set<String> = [],
                     warn: (String) -> Void) -> Result<[(key: String, fd: Int32)], Failure> {
        var opened: [(key: String, fd: Int32)] = []
        for entry in bind where !listening.contains(key(entry, port: port)) {
            let optional = entry.hasPrefix("-")
            let host = optional ? String(entry.dropFirst()) : entry
            switch listen(host: host, port: port, backlog: backlog, mark: mark) {
            case .success(let fd):
                opened.append((key(entry, port: port), fd))
            case .failure(let failure) where optional:
                warn("Warning: \(failure)")
            case .failure(let failure):
                opened.forEach { _ = Glibc.close($0.fd) }
                return .failure(failure)
            }
        }
        return .success(opened)
    }

    /// One listening socket on `host` ("*" and "::*" are every IPv4 and IPv6 address).
    static func listen(host: String, port: Int, backlog: Int, mark: Int) -> Result<Int32, Failure> {
        let name = host == "*" ? "0.0.0.0" : host == "::*" ? "::" : host
        func fail(_ what: String) -> Result<Int32, Failure> {
            .failure(Failure(address: "\(host):\(port)", reason: "\(what): \(String(cString: strerror(errno)))"))
        }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, String(port), &hints, &found)
        guard status == 0, let info = found else {
            return .failure(Failure(address: "\(host):\(port)", reason: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(info) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return fail("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if info.pointee.ai_family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        if mark != 0 {
            var value = UInt32(truncatingIfNeeded: mark)
            guard setsockopt(fd, SOL_SOCKET, SO_MARK, &value, socklen_t(MemoryLayout<UInt32>.size)) == 0 else {
                let result = fail("setsockopt SO_MARK")
                _ = Glibc.close(fd)
                return result
            }
        }
        guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let result = fail("bind")
            _ = Glibc.close(fd)
            return result
        }
        guard Glibc.listen(fd, Int32(clamping: backlog)) == 0 else {
            let result = fail("listen")
            _ = Glibc.close(fd)
            return result
        }
        return .success(fd)
    }
}
