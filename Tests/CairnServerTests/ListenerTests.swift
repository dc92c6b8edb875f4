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
}
