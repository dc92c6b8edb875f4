import CairnTestSupport
import Foundation
import XCTest

/// Automatic failover with Debian's redis-sentinel: Tools/sentinelcheck starts a group
/// and three sentinels, kills the primary with -9 under redis-py Sentinel writers that
/// WAIT 1, and checks that a replica is promoted, that redis-py reaches it, that the
/// killed server rejoins as a replica, and that no acknowledged write is lost.
final class SentinelTests: XCTestCase {
    func runCheck(_ arguments: [String]) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["CAIRN_BENCH_BINARY"] = cairnServerBinary()  // the binary under test, not a rebuild
        let run = try runToExit("/usr/bin/python3", [packageRoot.appendingPathComponent("Tools/sentinelcheck").path] + arguments,
                                environment: environment)
        XCTAssertEqual(run.status, 0, run.output)
        return run.output
    }

    func testSentinelFailsACairnGroupOverWithoutLosingAcknowledgedWrites() throws {
        let text = try runCheck(["--cycles", "2"])
        XCTAssertTrue(text.contains("2 failovers:") && text.contains("lost 0, unexpected 0\nPASS"), text)
        XCTAssertTrue(text.contains("a rejoined as a replica"), text)
    }

    func testSentinelFailsARedisPrimaryOverToACairnReplica() throws {
        let text = try runCheck(["--primary", "redis", "--cycles", "1"])
        XCTAssertTrue(text.contains("redis primary a killed") && text.contains("PASS"), text)
    }

    /// Sentinel sends REPLICAOF then CONFIG REWRITE so that the role survives a restart:
    /// the file gets `replicaof` (under Redis's name, not also `slaveof`), and loses it
    /// after REPLICAOF NO ONE; an alias line in the file is rewritten under its new name.
    func testConfigRewriteKeepsTheRoleSentinelSet() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-rewrite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let conf = dir.appendingPathComponent("cairn.conf")
        try "port \(port)\nbind 127.0.0.1\ndir \(dir.path)\nslave-read-only yes\n".write(to: conf, atomically: true, encoding: .utf8)
        let server = try ServerProcess(executable: cairnServerBinary(), arguments: [conf.path], port: port, directory: dir)
        let c = try server.client()
        XCTAssertEqual(try c.call("REPLICAOF", "127.0.0.1", "1"), .simple("OK"))
        XCTAssertEqual(try c.call("CONFIG", "GET", "replicaof"), .array([.bulk(Array("replicaof".utf8)), .bulk(Array("127.0.0.1 1".utf8))]))
        XCTAssertEqual(try c.call("CONFIG", "REWRITE"), .simple("OK"))
        var text = try String(contentsOf: conf, encoding: .utf8)
        XCTAssertTrue(text.contains("replicaof 127.0.0.1 1\n") && !text.contains("slaveof"), text)
        XCTAssertTrue(text.contains("replica-read-only yes\n") && !text.contains("slave-read-only"), text)
        server.stop()
        let restarted = try ServerProcess(executable: cairnServerBinary(), arguments: [conf.path], port: port, directory: dir)
        defer { restarted.stop() }
        let r = try restarted.client()
        XCTAssertEqual(try r.infoField("role"), "slave")
        XCTAssertEqual(try r.call("REPLICAOF", "NO", "ONE"), .simple("OK"))
        XCTAssertEqual(try r.call("CONFIG", "REWRITE"), .simple("OK"))
        text = try String(contentsOf: conf, encoding: .utf8)
        XCTAssertFalse(text.contains("replicaof"), text)
    }
}
