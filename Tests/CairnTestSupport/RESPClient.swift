import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A reply as a test sees it.
public indirect enum RESPValue: Equatable, CustomStringConvertible {
    case simple(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case null
    case array([RESPValue])
    case map([(RESPValue, RESPValue)])
    case set([RESPValue])
    case double(String)
    case boolean(Bool)
    case verbatim(String)
    case push([RESPValue])
    case bigNumber(String)

    public static func == (a: RESPValue, b: RESPValue) -> Bool { a.description == b.description }

    public var description: String {
        switch self {
        case .simple(let s): return "+\(s)"
        case .error(let s): return "-\(s)"
        case .integer(let i): return ":\(i)"
        case .bulk(let b): return "\"\(String(decoding: b, as: UTF8.self))\""
        case .null: return "(nil)"
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .map(let m): return "{" + m.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
        case .set(let a): return "~[" + a.map(\.description).joined(separator: ", ") + "]"
        case .double(let d): return ",\(d)"
        case .boolean(let b): return b ? "#t" : "#f"
        case .verbatim(let s): return "=\(s)"
        case .push(let a): return ">[" + a.map(\.description).joined(separator: ", ") + "]"
        case .bigNumber(let s): return "(\(s))"
        }
    }

    public var string: String? {
        switch self {
        case .bulk(let b): return String(decoding: b, as: UTF8.self)
        case .simple(let s), .verbatim(let s): return s
        default: return nil
        }
    }

    public var int: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }

    public var array: [RESPValue]? {
        switch self {
        case .array(let a), .set(let a), .push(let a): return a
        default: return nil
        }
    }
}

public struct ClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A plain blocking TCP client speaking RESP, independent of the server's own code, so
/// tests check the server through a second implementation of the protocol.
public final class RESPClient: @unchecked Sendable {
    let fd: Int32
    var buffer: [UInt8] = []
    var position = 0
    public let port: Int

    /// A client of a server's unix socket (`unixsocket`).
    public init(unixSocket path: String, timeoutSeconds: Int = 10) throws {
        port = 0
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket failed") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw ClientError("connect to \(path) failed: errno \(errno)")
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    public init(port: Int, host: String = "127.0.0.1", timeoutSeconds: Int = 10) throws {
        self.port = port
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw ClientError("connect to \(port) failed: errno \(errno)")
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// Ends the connection now (the descriptor itself is closed with the client).
    public func disconnect() { shutdown(fd, Int32(SHUT_RDWR)) }

    public static func encode(_ args: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(args.count)\r\n".utf8)
        for a in args {
            out += Array("$\(a.count)\r\n".utf8)
            out += a
            out += [13, 10]
        }
        return out
    }

    public func sendRaw(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            // MSG_NOSIGNAL: a server that died makes this call fail (the test reports it)
            // instead of raising SIGPIPE, which would kill the whole test process.
            let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw ClientError("write failed: errno \(errno)") }
            off += n
        }
    }

    public func sendRaw(_ text: String) throws { try sendRaw(Array(text.utf8)) }

    /// Sends a command and returns its reply.
    @discardableResult
    public func call(_ args: String...) throws -> RESPValue {
        try call(args.map { Array($0.utf8) })
    }

    @discardableResult
    public func call(_ args: [String]) throws -> RESPValue {
        try call(args.map { Array($0.utf8) })
    }

    @discardableResult
    public func call(_ args: [[UInt8]]) throws -> RESPValue {
        try sendRaw(RESPClient.encode(args))
        return try readReply()
    }

    /// Sends a command and returns the exact bytes of its reply.
    public func callRaw(_ args: [[UInt8]]) throws -> [UInt8] {
        try sendRaw(RESPClient.encode(args))
        return try readRawReply()
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = read(fd, &chunk, chunk.count)
        if n == 0 { throw ClientError("connection closed") }
        if n < 0 { throw ClientError("read failed: errno \(errno)") }
        buffer += chunk[0..<n]
    }

    /// Everything the server sends until it closes or is quiet for the read timeout.
    public func drainAvailable() -> [UInt8] {
        while true {
            do { try fill() } catch { break }
        }
        defer { buffer.removeAll(); position = 0 }
        return Array(buffer[position...])
    }

    /// True when the server closed the connection (reads EOF) within the timeout.
    public func isClosedByServer() -> Bool {
        while true {
            do { try fill() } catch let e as ClientError { return e.description == "connection closed" || e.description.contains("errno 104") } catch { return false }
        }
    }

    private func byte() throws -> UInt8 {
        while position >= buffer.count { try fill() }
        defer { position += 1 }
        return buffer[position]
    }

    private func line() throws -> String {
        var bytes: [UInt8] = []
        while true {
            let b = try byte()
            if b == 13 {
                _ = try byte()
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.append(b)
        }
    }

    private func take(_ n: Int) throws -> [UInt8] {
        while buffer.count - position < n { try fill() }
        defer { position += n }
        return Array(buffer[position..<(position + n)])
    }

    public func readRawReply() throws -> [UInt8] {
        compact()
        let start = position
        _ = try readValue()
        return Array(buffer[start..<position])
    }

    /// Drops what was consumed; only between replies, so a reply's bytes stay in place.
    private func compact() {
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
    }

    public func readReply() throws -> RESPValue {
        compact()
        return try readValue()
    }

    private func readValue() throws -> RESPValue {
        let type = try byte()
        let l = try line()
        switch type {
        case UInt8(ascii: "+"): return .simple(l)
        case UInt8(ascii: "-"): return .error(l)
        case UInt8(ascii: ":"): return .integer(Int64(l)!)
        case UInt8(ascii: "$"), UInt8(ascii: "="):
            let n = Int(l)!
            if n < 0 { return .null }
            let data = try take(n)
            _ = try take(2)
            if type == UInt8(ascii: "=") { return .verbatim(String(decoding: data.dropFirst(4), as: UTF8.self)) }
            return .bulk(data)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            let n = Int(l)!
            if n < 0 { return .null }
            var items: [RESPValue] = []
            for _ in 0..<n { items.append(try readValue()) }
            return type == UInt8(ascii: "*") ? .array(items) : type == UInt8(ascii: "~") ? .set(items) : .push(items)
        case UInt8(ascii: "%"):
            let n = Int(l)!
            var pairs: [(RESPValue, RESPValue)] = []
            for _ in 0..<n { pairs.append((try readValue(), try readValue())) }
            return .map(pairs)
        case UInt8(ascii: "_"): return .null
        case UInt8(ascii: ","): return .double(l)
        case UInt8(ascii: "#"): return .boolean(l == "t")
        case UInt8(ascii: "("): return .bigNumber(l)
        default: throw ClientError("unknown reply type \(type)")
        }
    }
}

extension RESPClient {
    /// One field of INFO (all sections), or "" when the server does not report it.
    public func infoField(_ field: String) throws -> String {
        let text = try call("INFO", "all").string ?? ""
        for line in text.split(separator: "\r\n") where line.hasPrefix(field + ":") {
            return String(line.dropFirst(field.count + 1))
        }
        return ""
    }
}
