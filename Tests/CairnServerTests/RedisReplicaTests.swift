import CairnTestSupport
import Foundation
import XCTest

/// A real redis-server replicating from a Cairn primary: its full sync is an RDB file
/// made from the checkpoint's snapshot (it announces no `capa cairn-snapshot`), then it
/// gets the stream, acknowledges for WAIT, and resumes with a partial resync after its
/// link is cut; a Cairn replica of the same primary keeps getting Cairn's snapshot. And
/// the other way: Cairn replicating from a redis-server primary under writers, across a
/// crash, then promoted with every key equal to Redis's.
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
        // The stream is in database 3 when the full sync's checkpoint is taken: the next
        // record must select it again, as the RDB file does not say where the stream is.
        let p3 = try primary.client()
        _ = try p3.call("SELECT", "3")
        _ = try p3.call("SET", "in3", "before")
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
        _ = try p3.call("SET", "in3", "after")
        _ = try p.call("SET", "after", "sync")
        _ = try p.call("HSET", "bighash", "f1", "changed")
        XCTAssertEqual(try p.call("WAIT", "1", "5000"), .integer(1))
        XCTAssertEqual(try r.call("GET", "after"), .bulk(Array("sync".utf8)))
        XCTAssertEqual(try r.call("HGET", "bighash", "f1"), .bulk(Array("changed".utf8)))
        _ = try r.call("SELECT", "3")
        XCTAssertEqual(try r.call("GET", "in3"), .bulk(Array("after".utf8)), "the write after the full sync, in its database")
        _ = try r.call("SELECT", "0")
        XCTAssertEqual(try r.call("GET", "in3"), .null)
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

    func testCairnReplicaOfRedisPrimaryUnderWritersThenPromoted() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("redis-primary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let redisPort = freePort()
        let redis = try ServerProcess(executable: "/usr/bin/redis-server",
                                      arguments: ["--port", "\(redisPort)", "--dir", work.path, "--save", "", "--appendonly", "no"],
                                      port: redisPort, directory: work)
        defer { redis.stop() }
        let r = try redis.client()
        try RDBFileTests.fill(r)
        // Writers on the primary for the whole of the full sync and after it.
        let writing = WritersFlag()
        let writers = DispatchGroup()
        for w in 0..<2 {
            writers.enter()
            DispatchQueue.global().async {
                defer { writers.leave() }
                guard let c = try? RESPClient(port: redisPort) else { return }
                var i = 0
                while writing.on {
                    _ = try? c.call("INCR", "counter-\(w)")
                    _ = try? c.call("RPUSH", "list-\(w)", "\(i)")
                    _ = try? c.call("HSET", "bighash", "w\(w)", "\(i)")
                    i += 1
                }
            }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-of-redis-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let follow = ["--replicaof", "127.0.0.1", "\(redisPort)"]
        var cairn: ServerProcess? = try ServerProcess.cairn(directory: dir, port: port, follow)
        var c = try cairn!.client()
        waitUntil("the Cairn replica's link is up") { try c.infoField("master_link_status") == "up" }
        XCTAssertTrue(cairn!.log.contains("The primary sends an RDB file"), cairn!.log)
        usleep(300_000)
        // A crash of the replica under the writers: it resumes from its own log.
        cairn!.crash()
        usleep(200_000)
        cairn = try ServerProcess.cairn(directory: dir, port: port, follow)
        c = try cairn!.client()
        waitUntil("the replica is back") { try c.infoField("master_link_status") == "up" }
        XCTAssertTrue(cairn!.waitForLog("Partial resynchronization with the primary"), cairn!.log)
        usleep(300_000)
        writing.on = false
        writers.wait()
        XCTAssertEqual(try r.call("WAIT", "1", "5000"), .integer(1))
        waitUntil("offsets agree") { try c.infoField("slave_repl_offset") == (try r.infoField("master_repl_offset")) }
        XCTAssertEqual(try c.call("REPLICAOF", "NO", "ONE"), .simple("OK"))
        XCTAssertEqual(try RDBFileTests.contents(c), try RDBFileTests.contents(r))
        XCTAssertEqual(try c.call("FCALL", "f", "0"), .integer(1))
        XCTAssertEqual(try c.call("SET", "written-on-cairn", "1"), .simple("OK"))
        cairn!.stop()
    }
}

/// Whether the test's writer threads go on.
final class WritersFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = true
    var on: Bool {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
