#if canImport(Glibc)
import Glibc
#endif

/// CLIENT LIST's and CLIENT INFO's `fd`. SwiftNIO does not expose a channel's descriptor,
/// so the process's own sockets are read from /proc/self/fd when a client's is first
/// asked for, and each is kept with its connection from then on. A TCP socket is known by
/// its two addresses, which no other connection shares. Unix-socket clients all show the
/// socket's path, so they are told apart by order: the lowest unclaimed descriptor goes
/// to the oldest client without one (descriptors are handed out lowest first).
enum SocketDescriptors {
    /// The sockets open in this process: TCP ones by "local|remote" address, the
    /// connected unix ones as a list.
    static func scan() -> (tcp: [String: Int32], unix: [Int32]) {
        var tcp: [String: Int32] = [:], unix: [Int32] = []
        guard let dir = opendir("/proc/self/fd") else { return (tcp, unix) }
        defer { closedir(dir) }
        let own = dirfd(dir)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let fd = Int32(name), fd != own else { continue }
            guard let local = address(fd, peer: false) else { continue }
            if local.isUnix {
                // A listening socket has no peer; a connected one has an (unnamed) peer.
                if self.address(fd, peer: true) != nil { unix.append(fd) }
            } else if let remote = self.address(fd, peer: true) {
                tcp["\(local.text)|\(remote.text)"] = fd
            }
        }
        return (tcp, unix.sorted())
    }

    /// A socket's own or peer address as CLIENT LIST writes it ("ip:port"), or nil when
    /// `fd` is not a socket (or, for the peer, not connected).
    static func address(_ fd: Int32, peer: Bool) -> (text: String, isUnix: Bool)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length)
            }
        }
        guard result == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_UNIX: return ("", true)
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                    var a = p.pointee.sin_addr
                    return (text(AF_INET, &a, Int(UInt16(bigEndian: p.pointee.sin_port))), false)
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    var a = p.pointee.sin6_addr
                    return (text(AF_INET6, &a, Int(UInt16(bigEndian: p.pointee.sin6_port))), false)
                }
            }
        default: return nil
        }
    }

    private static func text(_ family: Int32, _ address: UnsafeRawPointer, _ port: Int) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        guard inet_ntop(family, address, &buffer, socklen_t(buffer.count)) != nil else { return "?:\(port)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + ":\(port)"
    }
}

extension Engine {
    /// Finds the descriptors of the clients that do not know theirs yet (one scan).
    func resolveDescriptors() {
        let unknown = clients.values.filter { $0.descriptor == nil }
        guard !unknown.isEmpty else { return }
        let found = SocketDescriptors.scan()
        let claimed = Set(clients.values.compactMap(\.descriptor))
        var unixFree = found.unix.filter { !claimed.contains($0) }
        for conn in unknown.sorted(by: { $0.session.id < $1.session.id }) {
            if conn.isUnixSocket {
                if !unixFree.isEmpty { conn.descriptor = unixFree.removeFirst() }
            } else {
                conn.descriptor = found.tcp["\(conn.localAddress)|\(conn.address)"]
            }
        }
    }
}
