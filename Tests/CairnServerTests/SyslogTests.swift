import CairnTestSupport
import Foundation
import XCTest

/// syslog-enabled: the server's messages reach syslog with syslog-ident and
/// syslog-facility, as Redis's do. The test plays the syslog daemon: it binds /dev/log
/// (only where no daemon has it) and reads what both servers send.
final class SyslogTests: XCTestCase {
    func testMessagesReachSyslogAsRedisSendsThem() throws {
        let path = "/dev/log"
        guard !FileManager.default.fileExists(atPath: path) else { throw XCTSkip("a syslog daemon owns /dev/log") }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw XCTSkip("cannot bind /dev/log: errno \(errno)") }
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))

        let options = ["--syslog-enabled", "yes", "--syslog-facility", "local3"]
        let cairn = try ServerProcess.cairn(options + ["--syslog-ident", "cairn-under-test"])
        let redis = try ServerProcess.redis(options + ["--syslog-ident", "redis-under-test"])
        defer { cairn.stop(); redis.stop() }
        var received: [String] = []
        let deadline = Date().addingTimeInterval(5)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
            let ready = received.filter { $0.contains("Ready to accept connections") }
            if ready.contains(where: { $0.contains("cairn-under-test") }) && ready.contains(where: { $0.contains("redis-under-test") }) { break }
        }
        // local3 (19) * 8 + notice (5): <157>; then the ident and the pid.
        func line(_ ident: String, _ server: ServerProcess) -> String? {
            received.first { $0.contains("\(ident)[\(server.process.processIdentifier)]: Ready to accept connections") }
        }
        let mine = line("cairn-under-test", cairn), theirs = line("redis-under-test", redis)
        XCTAssertNotNil(theirs, "redis: \(received)")
        XCTAssertTrue(mine?.hasPrefix("<157>") == true, "cairn: \(received)")
        XCTAssertEqual(mine.map { String($0.prefix(5)) }, theirs.map { String($0.prefix(5)) })
        // Fixed at start-up, as in Redis.
        let reply = try cairn.client().call("CONFIG", "SET", "syslog-ident", "x")
        XCTAssertEqual(reply, try redis.client().call("CONFIG", "SET", "syslog-ident", "x"))
    }
}
