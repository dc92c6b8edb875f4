import CairnTestSupport
import Foundation
import XCTest

/// Known-good and deliberately damaged data directories and a configuration file, kept
/// in Fixtures/, read by the real binaries: the on-disk format and the config syntax
/// must keep working as they were written.
final class FixtureTests: XCTestCase {
    let fixtures = packageRoot.appendingPathComponent("Fixtures")
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-fixture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    /// A copy of Fixtures/logs/<name>, so that tests may change it.
    func copy(_ name: String) throws -> URL {
        let target = scratch.appendingPathComponent(name)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("logs/\(name)"), to: target)
        return target
    }

    func testCheckLogOnWholeTornAndDamagedLogs() throws {
        let whole = try copy("whole")
        var (status, out) = try cairnTool(["check-log", whole.path])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("records: 7, LSN 1 to 7") && out.contains("log OK"), out)

        // What a crash leaves after preallocation: zeros after the last record.
        let segment = whole.appendingPathComponent("log/00000000000000000001.log")
        try (try Data(contentsOf: segment) + Data(count: 5000)).write(to: segment)
        (status, out) = try cairnTool(["check-log", whole.path])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("records: 7, LSN 1 to 7") && out.contains("zero fill: 5000 byte(s)") && out.contains("log OK"), out)

        let torn = try copy("torn-tail")
        (status, out) = try cairnTool(["check-log", torn.path])
        XCTAssertEqual(status, 1, out)
        XCTAssertTrue(out.contains("torn tail") && out.contains("at offset 418"), out)
        (status, out) = try cairnTool(["check-log", torn.path, "--fix"])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("cutting 7 byte(s)"), out)
        (status, out) = try cairnTool(["check-log", torn.path])
        XCTAssertEqual(status, 0, out)

        let damaged = try copy("damaged")
        let before = try Data(contentsOf: damaged.appendingPathComponent("log/00000000000000000001.log"))
        (status, out) = try cairnTool(["check-log", damaged.path, "--fix"])
        XCTAssertEqual(status, 2, out)
        XCTAssertTrue(out.contains("at offset 24: checksum mismatch"), out)
        XCTAssertEqual(try Data(contentsOf: damaged.appendingPathComponent("log/00000000000000000001.log")), before,
                       "--fix never touches damage other than a torn tail")
    }

    func testServerRecoversTheFixtureLog() throws {
        let whole = try copy("whole")
        // With zeros after the last record, as a crash leaves the preallocated segment:
        // the server reads them as the end of the log. The fixture is of format 1, so the
        // server cuts them off and writes on in a new segment.
        let segment = whole.appendingPathComponent("log/00000000000000000001.log")
        let records = try Data(contentsOf: segment)
        try (records + Data(count: 70_000)).write(to: segment)
        let port = freePort()
        let server = try ServerProcess.cairn(directory: whole, port: port)
        defer { server.stop() }
        let c = try server.client()
        for i in 1...5 { XCTAssertEqual(try c.call("GET", "key\(i)").string, "value\(i)") }
        XCTAssertEqual(try c.call("GET", "counter").string, "1")
        // The fixture logged `SET ttl v PXAT 1795256053870` (100 s after it was made).
        let expiry: Int64 = 1_795_256_053_870
        if Int64(Date().timeIntervalSince1970 * 1000) < expiry {
            XCTAssertEqual(try c.call("PEXPIRETIME", "ttl"), .integer(expiry))
        } else {
            XCTAssertEqual(try c.call("EXISTS", "ttl"), .integer(0), "its PXAT time has passed")
        }
        XCTAssertEqual(try c.call("SET", "after", "zeros").string, "OK")
        server.stop()
        XCTAssertEqual(try Data(contentsOf: segment), records, "the old segment is cut back to its records")
        let again = try ServerProcess.cairn(directory: whole, port: freePort())
        defer { again.stop() }
        XCTAssertEqual(try again.client().call("GET", "after").string, "zeros")
    }

    /// Fixtures/logs/whole-v2: a log of format version 2 (SET key1 value1, SET key2 value2,
    /// INCR counter, then in database 2 SET other x and MULTI SET a 1 SET b 2 EXEC): its
    /// records carry their stream offsets, and its history goes on in the server.
    func testVersion2LogKeepsItsReplicationHistory() throws {
        let dir = try copy("whole-v2")
        // With zeros after the last record, as a crash leaves the preallocated segment:
        // the server reads them as the end of the log and writes on from there.
        let segment = dir.appendingPathComponent("log/00000000000000000001.log")
        let records = try Data(contentsOf: segment)
        try (records + Data(count: 70_000)).write(to: segment)
        let (status, out) = try cairnTool(["check-log", dir.path])
        XCTAssertEqual(status, 0, out)
        let history = "id 6d6d099a92f190b562621e0be6aff37494a25a76, offset 257"
        XCTAssertTrue(out.contains("records: 5, LSN 1 to 5") && out.contains("replication: \(history) after the last record"), out)
        let server = try ServerProcess.cairn(directory: dir, port: freePort())
        defer { server.stop() }
        let c = try server.client()
        XCTAssertEqual(try c.call("GET", "key2").string, "value2")
        try c.call("SELECT", "2")
        XCTAssertEqual(try c.call("MGET", "other", "a", "b").array?.map(\.string), ["x", "1", "2"])
        let info = try c.call("INFO", "replication").string!
        XCTAssertTrue(info.contains("master_replid:6d6d099a92f190b562621e0be6aff37494a25a76\r\n") &&
                      info.contains("master_repl_offset:257\r\n"), info)
        try c.call("SELECT", "0")
        XCTAssertEqual(try c.call("SET", "after", "zeros").string, "OK")
        server.stop()  // SIGKILL: the fill stays
        let written = try Data(contentsOf: segment)
        XCTAssertEqual(written.prefix(records.count), records, "the records before the zero fill are kept")
        XCTAssertNotEqual(written[written.startIndex + records.count], 0, "the new record starts right after them, not after the fill")
        let again = try ServerProcess.cairn(directory: dir, port: freePort())
        defer { again.stop() }
        XCTAssertEqual(try again.client().call("GET", "after").string, "zeros")
    }

    /// A version 1 log (Fixtures/logs/whole) has no offsets: the server starts a new
    /// history, in a new segment of the current format, and leaves the old one readable.
    func testVersion1LogContinuesInANewSegment() throws {
        let dir = try copy("whole")
        var (status, out) = try cairnTool(["check-log", dir.path])
        XCTAssertTrue(out.contains("replication: no offsets"), out)
        let server = try ServerProcess.cairn(directory: dir, port: freePort())
        let c = try server.client()
        XCTAssertEqual(try c.call("SET", "new", "record").string, "OK")
        XCTAssertEqual(server.terminate(), 0)
        (status, out) = try cairnTool(["check-log", dir.path])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("manifest: 2 segment(s)") && out.contains("records: 8, LSN 1 to 8") &&
                      out.contains(", offset 57 after the last record"), out)
        let again = try ServerProcess.cairn(directory: dir, port: freePort())
        defer { again.stop() }
        XCTAssertEqual(try again.client().call("MGET", "key1", "new").array?.map(\.string), ["value1", "record"])
    }

    func testConfigurationFileFixture() throws {
        let port = freePort()
        let server = try ServerProcess(executable: cairnServerBinary(),
                                       arguments: [fixtures.appendingPathComponent("config/cairn.conf").path,
                                                   "--port", "\(port)", "--dir", scratch.appendingPathComponent("data").path],
                                       port: port, directory: scratch)
        defer { server.stop() }
        let c = try server.client()
        let expected = ["databases": "8", "appendfsync": "everysec", "loglevel": "verbose", "maxclients": "500",
                        "tcp-keepalive": "60", "hz": "20", "proto-max-bulk-len": "67108864",
                        "client-query-buffer-limit": "268435456", "log-segment-size": "16777216", "bind": "127.0.0.1 -::1"]
        for (name, value) in expected {
            XCTAssertEqual(try c.call("CONFIG", "GET", name).array?.last?.string, value, name)
        }
    }
}

/// Fixtures/snapshots: a data directory with a snapshot of every type plus a log tail
/// (made by SAVE, then SET after snapshot, RPUSH list d, DEL words), and a copy whose
/// snapshot has one flipped bit in its frame.
final class SnapshotFixtureTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-snapfixture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func copy(_ name: String) throws -> URL {
        let target = scratch.appendingPathComponent(name)
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("Fixtures/snapshots/\(name)"), to: target)
        return target
    }

    func testServerRestoresSnapshotAndTail() throws {
        let dir = try copy("snapshot-and-tail")
        let server = try ServerProcess.cairn(directory: dir, port: freePort())
        defer { server.stop() }
        let c = try server.client()
        XCTAssertEqual(try c.call("GET", "str").string, "hello")
        XCTAssertEqual(try c.call("GET", "int").string, "-42")
        XCTAssertEqual(try c.call("GET", "raw").string, "appended")
        XCTAssertEqual(try c.call("PEXPIRETIME", "ttl"), .integer(4_102_444_800_000))
        XCTAssertEqual(try c.call("HGETALL", "hash").array?.map { $0.string! }, ["a", "1", "b", "2"])
        XCTAssertEqual(try c.call("SMEMBERS", "ints").array?.map { $0.string! }, ["-300000", "1", "2"])
        XCTAssertEqual(try c.call("LRANGE", "list", "0", "-1").array?.map { $0.string! }, ["a", "b", "c", "d"], "tail applied")
        XCTAssertEqual(try c.call("ZRANGE", "zset", "0", "-1", "WITHSCORES").array?.map { $0.string! },
                       ["b", "-inf", "a", "1.5", "c", "inf"])
        XCTAssertEqual(try c.call("HLEN", "bighash"), .integer(200))
        // 200 fields: packed under Redis 7.0's default of 512 hash-max-listpack-entries.
        XCTAssertEqual(try c.call("OBJECT", "ENCODING", "bighash").string, "listpack")
        XCTAssertEqual(try c.call("ZSCORE", "bigzset", "m77").string, "77")
        XCTAssertEqual(try c.call("EXISTS", "words"), .integer(0), "tail's DEL applied")
        XCTAssertEqual(try c.call("GET", "after").string, "snapshot")
        try c.call("SELECT", "3")
        XCTAssertEqual(try c.call("GET", "indb3").string, "three")
    }

    func testCheckSnapshotAndDump() throws {
        let dir = try copy("snapshot-and-tail")
        var (status, out) = try cairnTool(["check-snapshot", dir.appendingPathComponent("snapshots/00000000000000000410.snap").path])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("LSN 410") && out.contains("keys: 12 (1 with an expiry)") && out.contains("snapshot OK"), out)
        let damaged = try copy("damaged-frame")
        (status, out) = try cairnTool(["check-snapshot", damaged.appendingPathComponent("snapshots/00000000000000000410.snap").path])
        XCTAssertEqual(status, 2, out)
        XCTAssertTrue(out.contains("frame 0 checksum mismatch"), out)
        let broken = try ServerProcess.cairn(directory: damaged, port: freePort(), waitForPort: false)
        XCTAssertEqual(broken.waitForExit(), 1)
        XCTAssertTrue(broken.log.contains("frame 0 checksum mismatch"), broken.log)
        broken.stop()

        // cairn dump's commands rebuild the same keyspace in another server: Cairn's digest
        // matches, and redis-server takes every command.
        (status, out) = try cairnTool(["dump", dir.path])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.hasPrefix("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"), String(out.prefix(100)))
        let original = try ServerProcess.cairn(directory: dir, port: freePort(), ["--enable-debug-command", "yes"])
        defer { original.stop() }
        let copyServer = try ServerProcess.cairn(["--enable-debug-command", "yes"])
        defer { copyServer.stop() }
        let redis = try ServerProcess.redis()
        defer { redis.stop() }
        for target in [copyServer, redis] {
            let c = try target.client()
            try c.sendRaw(Array(out.utf8))
            let commands = out.components(separatedBy: "\r\n").filter { $0.hasPrefix("*") }.count
            for _ in 0..<commands {
                if case .error(let e) = try c.readReply() { XCTFail(e) }
            }
        }
        XCTAssertEqual(try copyServer.client().call("DEBUG", "DIGEST"), try original.client().call("DEBUG", "DIGEST"))
        let r = try redis.client()
        XCTAssertEqual(try r.call("DBSIZE"), .integer(11))
        XCTAssertEqual(try r.call("LRANGE", "list", "0", "-1").array?.map { $0.string! }, ["a", "b", "c", "d"])
        XCTAssertEqual(try r.call("ZSCORE", "zset", "b").string, "-inf")
    }
}
