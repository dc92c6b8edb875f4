import CairnTestSupport
import Foundation
import XCTest

/// A real redis-server replicating from a Cairn primary: its full sync is an RDB file
/// made from the checkpoint's snapshot (it announces no `capa cairn-snapshot`), then it
/// gets the stream, acknowledges for WAIT, and resumes with a partial resync after its
/// link is cut; a Cairn replica of the same primary keeps getting Cairn's snapshot.
final class RedisReplicaTests: XCTestCase {
    func waitUntil(_ what: String, seconds: Double = 20, _ condition: () throws -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? condition()) == true { return }
            usleep(50_000)
        }
        XCTFail("timed out waiting until \(what)")
    }

    func testRedisReplicaOfCairnPrimary() throws {
        let primary = try ServerProcess.cairn()
        defer { primary.stop() }
        let p = try primary.client()
        try RDBFileTests.fill(p)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("redis-replica-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let port = freePort()
        let redis = try ServerProcess(executable: "/usr/bin/redis-server",
                                      arguments: ["--port", "\(port)", "--dir", work.path, "--save", "", "--appendonly", "no",
                                                  "--replicaof", "127.0.0.1", "\(primary.port)"],
                                      port: port, directory: work)
        defer { redis.stop() }
        let r = try redis.client()
        waitUntil("the Redis replica's link is up") { try r.infoField("master_link_status") == "up" }
        XCTAssertTrue(primary.waitForLog("as RDB"), primary.log)
        XCTAssertEqual(try RDBFileTests.contents(r), try RDBFileTests.contents(p))
        // The stream, and WAIT counting the Redis replica's acknowledgements.
        _ = try p.call("SET", "after", "sync")
        _ = try p.call("HSET", "bighash", "f1", "changed")
        XCTAssertEqual(try p.call("WAIT", "1", "5000"), .integer(1))
        XCTAssertEqual(try r.call("GET", "after"), .bulk(Array("sync".utf8)))
        XCTAssertEqual(try r.call("HGET", "bighash", "f1"), .bulk(Array("changed".utf8)))
        // Its link cut: it comes back with PSYNC from its offset and is continued.
        XCTAssertEqual(try p.call("CLIENT", "LIST", "TYPE", "replica").string?.split(separator: "\n").count, 1)
        XCTAssertEqual(try p.call("CLIENT", "KILL", "TYPE", "replica"), .integer(1))
        for i in 0..<50 { _ = try p.call("SET", "while-away-\(i)", "\(i)") }
        waitUntil("the replica resynchronized") { try r.infoField("master_link_status") == "up" && redis.log.contains("Successful partial resynchronization") }
        XCTAssertTrue(primary.waitForLog("partial resynchronization accepted"), primary.log)
        XCTAssertEqual(try p.call("WAIT", "1", "5000"), .integer(1))
        XCTAssertEqual(try RDBFileTests.contents(r), try RDBFileTests.contents(p))
        XCTAssertEqual(try r.infoField("master_repl_offset"), try p.infoField("master_repl_offset"))
        // A Cairn replica of the same primary still gets the snapshot as it is.
        let cairnReplica = try ServerProcess.cairn(["--replicaof", "127.0.0.1", "\(primary.port)"])
        defer { cairnReplica.stop() }
        let c = try cairnReplica.client()
        waitUntil("the Cairn replica's link is up") { try c.infoField("master_link_status") == "up" }
        XCTAssertEqual(primary.log.components(separatedBy: "as RDB").count, 2, "only the Redis replica's sync was RDB")
        XCTAssertEqual(try RDBFileTests.contents(c), try RDBFileTests.contents(p))
    }
}
