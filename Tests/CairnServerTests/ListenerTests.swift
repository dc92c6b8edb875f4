import CairnTestSupport
import Foundation
import XCTest

/// Where clients come from: the unix socket (unixsocket, unixsocketperm) and the
/// descriptors CLIENT LIST reports, each checked on Cairn and on redis-server alike.
final class ListenerTests: XCTestCase {
    func unixSocketTranscript(redis: Bool) throws -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sock-\(UUID().uuidString.prefix(8))").path
        let arguments = ["--unixsocket", path, "--unixsocketperm", "700", "--enable-debug-command", "local"]
        let server = redis ? try ServerProcess.redis(arguments) : try ServerProcess.cairn(arguments)
        defer { server.stop(); unlink(path) }
        var out: [String] = []
        var st = stat()
        out.append("mode: \(stat(path, &st) == 0 ? String(st.st_mode & 0o777, radix: 8) : "missing")")
        let tcp = try server.client()
        out.append("perm: \(try tcp.call("CONFIG", "GET", "unixsocketperm"))")
        out.append("path: \(try tcp.call("CONFIG", "GET", "unixsocket").array?.last?.string == path)")
        out.append("immutable: \(try tcp.call("CONFIG", "SET", "unixsocket", "/tmp/x"))")
        let local = try RESPClient(unixSocket: path)
        out.append("set: \(try local.call("SET", "k", "v")), get: \(try local.call("GET", "k"))")
        // A unix-socket client is local: "local" lets it run DEBUG.
        out.append("debug: \(try local.call("DEBUG", "SLEEP", "0"))")
        let info = try local.call("CLIENT", "INFO").string ?? ""
        let fields = Dictionary(info.split(separator: " ").compactMap { pair -> (String, String)? in
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return kv.count == 2 ? (kv[0], kv[1]) : nil
        }, uniquingKeysWith: { a, _ in a })
        out.append("addr: \(fields["addr"] == "\(path):0") laddr: \(fields["laddr"] == "\(path):0") flags: \(fields["flags"] ?? "")")
        let list = try tcp.call("CLIENT", "LIST").string ?? ""
        out.append("listed with U: \(list.split(separator: "\n").contains { $0.contains("addr=\(path):0") && $0.contains("flags=U") })")
        _ = try? local.call("SHUTDOWN", "NOSAVE")
        _ = server.waitForExit()
        out.append("removed at exit: \(!FileManager.default.fileExists(atPath: path))")
        return out
    }

    func testUnixSocketAsRedis() throws {
        let mine = try unixSocketTranscript(redis: false), theirs = try unixSocketTranscript(redis: true)
        XCTAssertEqual(mine, theirs)
        XCTAssertEqual(mine.first, "mode: 700")
        XCTAssertTrue(mine.contains("removed at exit: true"), "\(mine)")
    }

    /// The inode of the TCP socket from local port `server` to remote port `client`, from
    /// /proc/net/tcp.
    func tcpInode(serverPort: Int, clientPort: Int) -> String? {
        // Read to the end by hand: /proc files report no size, and the table is long when
        // the whole suite runs.
        var bytes: [UInt8] = []
        let fd = open("/proc/net/tcp", O_RDONLY)
        if fd >= 0 {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            close(fd)
        }
        let table = String(decoding: bytes, as: UTF8.self)
        for line in table.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ")
            guard f.count > 9 else { continue }
            let local = Int(f[1].split(separator: ":").last ?? "", radix: 16)
            let remote = Int(f[2].split(separator: ":").last ?? "", radix: 16)
            if local == serverPort && remote == clientPort { return String(f[9]) }
        }
        return nil
    }

    /// CLIENT INFO's fd is the descriptor of that client's socket in the server process.
    func descriptorsAreTrue(_ server: ServerProcess) throws -> Int {
        let clients = try (0..<3).map { _ in try server.client() }
        var checked = 0
        for c in clients {
            let text = try c.call("CLIENT", "INFO").string ?? ""
            guard let fd = text.split(separator: " ").first(where: { $0.hasPrefix("fd=") })?.dropFirst(3),
                  let addr = text.split(separator: " ").first(where: { $0.hasPrefix("addr=") }),
                  let clientPort = Int(addr.split(separator: ":").last ?? "") else { XCTFail(text); continue }
            let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(server.process.processIdentifier)/fd/\(fd)")) ?? "none"
            let inode = tcpInode(serverPort: server.port, clientPort: clientPort)
            XCTAssertEqual(link, "socket:[\(inode ?? "?")]", "fd \(fd) of \(text)")
            if link == "socket:[\(inode ?? "?")]" { checked += 1 }
        }
        return checked
    }

    func testClientFdIsTheSocketsDescriptor() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        XCTAssertEqual(try descriptorsAreTrue(redis), 3, "the check itself, on Redis")
        XCTAssertEqual(try descriptorsAreTrue(cairn), 3)
    }

    /// socket-mark-id marks the listening sockets (ss shows the fwmark), as on Redis.
    func testSocketMarkOnListeners() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ss") || FileManager.default.isExecutableFile(atPath: "/bin/ss") else {
            throw XCTSkip("ss (iproute2) is not installed: run Tools/setup")
        }
        for redis in [false, true] {
            let server = redis ? try ServerProcess.redis(["--socket-mark-id", "9"]) : try ServerProcess.cairn(["--socket-mark-id", "9"])
            defer { server.stop() }
            let ss = Process()
            ss.executableURL = URL(fileURLWithPath: "/bin/sh")
            ss.arguments = ["-c", "ss -ltne"]
            let pipe = Pipe()
            ss.standardOutput = pipe
            try ss.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            ss.waitUntilExit()
            let line = text.split(separator: "\n").first { $0.contains("127.0.0.1:\(server.port) ") }
            XCTAssertTrue(line?.contains("fwmark:0x9") == true, "redis \(redis): \(line ?? "no listener")")
            XCTAssertEqual(try server.client().call("CONFIG", "GET", "socket-mark-id").array?.last?.string, "9")
        }
    }

    /// bind-source-addr: a replica's link leaves from that address, which its primary sees.
    /// (127.0.0.5 is not local to protected mode, in Redis as in Cairn: the primary has it off.)
    func testReplicaLeavesFromBindSourceAddress() throws {
        for redis in [false, true] {
            let open = ["--protected-mode", "no"]
            let primary = redis ? try ServerProcess.redis(open) : try ServerProcess.cairn(open)
            let follow = ["--replicaof", "127.0.0.1", "\(primary.port)", "--bind-source-addr", "127.0.0.5"]
            let replica = redis ? try ServerProcess.redis(follow) : try ServerProcess.cairn(follow)
            defer { primary.stop(); replica.stop() }
            let p = try primary.client()
            let deadline = Date().addingTimeInterval(20)
            var listed = ""
            while Date() < deadline {
                listed = (try? p.infoField("slave0")) ?? ""
                if listed.contains("state=online") { break }
                usleep(50_000)
            }
            XCTAssertTrue(listed.hasPrefix("ip=127.0.0.5,"), "redis \(redis): \(listed)")
        }
    }

    /// CONFIG SET port and bind move the listeners at run time; a port or address that
    /// cannot be had changes nothing (Redis's errors), the server goes on where it was.
    func portAndBindTranscript(redis: Bool) throws -> [String] {
        let server = redis ? try ServerProcess.redis() : try ServerProcess.cairn()
        defer { server.stop() }
        var out: [String] = []
        let first = try server.client()
        out.append("same port: \(try first.call("CONFIG", "SET", "port", "\(server.port)"))")
        let moved = freePort()
        out.append("new port: \(try first.call("CONFIG", "SET", "port", "\(moved)"))")
        let second = try RESPClient(port: moved)
        out.append("on the new port: \(try second.call("PING"))")
        out.append("old port refused: \((try? RESPClient(port: server.port)) == nil)")
        // A port another socket holds.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        let held = freePort()
        address.sin_port = in_port_t(UInt16(held).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(holder, 1)
        out.append("held port: \(try second.call("CONFIG", "SET", "port", "\(held)"))")
        out.append("bad address: \(try second.call("CONFIG", "SET", "bind", "999.999.999.999"))")
        out.append("too many: \(try second.call("CONFIG", "SET", "bind", (1...17).map { "127.0.0.\($0)" }.joined(separator: " ")))")
        out.append("optional one missing: \(try second.call("CONFIG", "SET", "bind", "127.0.0.1 -::1 -192.0.2.77"))")
        out.append("bind now: \(try second.call("CONFIG", "GET", "bind"))")
        out.append("still serving: \(try RESPClient(port: moved).call("PING"))")
        return out
    }

    func testPortAndBindChangeAtRunTimeAsRedis() throws {
        XCTAssertEqual(try portAndBindTranscript(redis: false), try portAndBindTranscript(redis: true))
    }

    /// Redis's "CONFIG sanity" (introspection unit): every directive but the ones it skips
    /// can be set to the value it has, and keeps it.
    func testEveryDirectiveTakesItsOwnValue() throws {
        let skipped: Set<String> = [
            "rdbchecksum", "daemonize", "io-threads-do-reads", "tcp-backlog", "always-show-logo", "syslog-enabled",
            "cluster-enabled", "disable-thp", "aclfile", "unixsocket", "pidfile", "syslog-ident", "appendfilename",
            "appenddirname", "supervised", "syslog-facility", "databases", "io-threads", "logfile", "unixsocketperm",
            "replicaof", "slaveof", "requirepass", "server_cpulist", "bio_cpulist", "aof_rewrite_cpulist", "bgsave_cpulist",
            "set-proc-title", "cluster-config-file", "cluster-port", "oom-score-adj", "oom-score-adj-values",
            "enable-protected-configs", "enable-debug-command", "enable-module-command", "dbfilename", "dir", "socket-mark-id",
        ]
        for redis in [false, true] {
            let server = redis ? try ServerProcess.redis() : try ServerProcess.cairn()
            defer { server.stop() }
            let c = try server.client()
            func all() throws -> [String: String] {
                let flat = try c.call("CONFIG", "GET", "*").array?.compactMap(\.string) ?? []
                return Dictionary(stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) }) { a, _ in a }
                    .filter { !skipped.contains($0.key) }
            }
            let before = try all()
            for (name, value) in before.sorted(by: { $0.key < $1.key }) {
                XCTAssertEqual(try c.call("CONFIG", "SET", name, value), .simple("OK"), "redis \(redis): \(name) \(value)")
            }
            XCTAssertEqual(try all(), before, "redis \(redis)")
        }
    }
}
