import CairnCore
import CairnSnapshot
import CairnStore
import CairnTestSupport
import Foundation
import XCTest

/// Checkpoints over real sockets: SAVE, BGSAVE by fork, restart from snapshot plus log
/// tail, crashes in the middle of a checkpoint, damaged snapshots.
final class SnapshotTests: XCTestCase {
    var directories: [URL] = []

    func newDirectory() -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-snap-\(UUID().uuidString)")
        directories.append(dir)
        return dir
    }

    override func tearDown() {
        for d in directories { try? FileManager.default.removeItem(at: d) }
    }

    /// Sends `commands` in one pipeline and reads every reply.
    @discardableResult
    func pipeline(_ c: RESPClient, _ commands: [[String]]) throws -> [RESPValue] {
        var bytes: [UInt8] = []
        for cmd in commands { bytes += RESPClient.encode(cmd.map { Array($0.utf8) }) }
        try c.sendRaw(bytes)
        return try commands.map { _ in try c.readReply() }
    }

    func waitForBackgroundSave(_ c: RESPClient, seconds: Double = 30) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try c.infoField("rdb_bgsave_in_progress") == "0" { return }
            usleep(10_000)
        }
        XCTFail("background save did not finish")
    }

    func files(_ dir: URL, _ sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(sub).path)) ?? []).sorted()
    }

    /// Every type in both of its encodings, with expiries and several databases.
    func writeEveryType(_ c: RESPClient, prefix: String = "") throws {
        var cmds: [[String]] = [
            ["SET", prefix + "str", "hello"], ["SET", prefix + "int", "-42"], ["SET", prefix + "long", String(repeating: "x", count: 80)],
            ["APPEND", prefix + "raw", "appended"], ["SET", prefix + "ttl", "v", "EX", "5000"],
            ["HSET", prefix + "hash:small", "a", "1", "b", "2"],
            ["SADD", prefix + "set:ints", "1", "2", "-300000"], ["SADD", prefix + "set:words", "x", "y"],
            ["RPUSH", prefix + "list", "a", "b", "c"],
            ["ZADD", prefix + "zset:small", "1.5", "a", "-inf", "b", "inf", "c"],
            ["SELECT", "7"], ["SET", prefix + "in7", "seven"], ["SELECT", "0"],
        ]
        for i in 0..<300 {
            cmds.append(["HSET", prefix + "hash:big", "f\(i)", "v\(i)"])
            cmds.append(["SADD", prefix + "set:big", "m\(i)"])
            cmds.append(["ZADD", prefix + "zset:big", "\(Double(i) / 7)", "m\(i)"])
            cmds.append(["RPUSH", prefix + "list:long", String(repeating: "e", count: i % 50)])
        }
        cmds.append(["PEXPIRE", prefix + "zset:big", "9000000"])
        for r in try pipeline(c, cmds) { if case .error(let e) = r { XCTFail(e) } }
    }

    func testEveryTypeSurvivesASnapshotAndAKill() throws {
        for codec in ["zstd", "lz4", "none"] {
            let dir = newDirectory(), port = freePort()
            var server = try ServerProcess.cairn(directory: dir, port: port, ["--enable-debug-command", "yes", "--snapshot-compression", codec])
            var c = try server.client()
            try writeEveryType(c)
            let digest = try c.call("DEBUG", "DIGEST").string!
            let encodings = try ["hash:small", "hash:big", "set:ints", "set:big", "zset:small", "zset:big", "list", "int", "raw", "long"]
                .map { try c.call("OBJECT", "ENCODING", $0).string! }
            XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
            XCTAssertEqual(files(dir, "log").count, 1, "segments covered by the snapshot are gone")
            server.crash()
            server = try ServerProcess.cairn(directory: dir, port: port, ["--enable-debug-command", "yes"])
            c = try server.client()
            XCTAssertEqual(try c.call("DEBUG", "DIGEST").string, digest, codec)
            XCTAssertEqual(try ["hash:small", "hash:big", "set:ints", "set:big", "zset:small", "zset:big", "list", "int", "raw", "long"]
                .map { try c.call("OBJECT", "ENCODING", $0).string! }, encodings)
            XCTAssertGreaterThan(try c.call("TTL", "ttl").int!, 4900)
            XCTAssertTrue(server.log.contains("Snapshot loaded: "), server.log)
            XCTAssertEqual(try c.infoField("rdb_last_load_keys_loaded"), "15", "14 keys in database 0, 1 in 7")
            server.stop()
        }
    }

    /// BGSAVE, more writes, kill -9: the restart holds exactly what was acknowledged
    /// (snapshot plus log tail), and the segments the snapshot covers are gone.
    func testBackgroundSaveThenTailThenKill() throws {
        let dir = newDirectory(), port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port, ["--enable-debug-command", "yes", "--log-segment-size", "64kb"])
        var c = try server.client()
        for batch in 0..<10 {
            try pipeline(c, (0..<1000).map { ["SET", "key:\(batch * 1000 + $0)", "value-\($0)"] })
        }
        let segmentsBefore = files(dir, "log")
        XCTAssertGreaterThan(segmentsBefore.count, 3)
        XCTAssertEqual(try c.call("BGSAVE"), .simple("Background saving started"))
        try writeEveryType(c, prefix: "during:")
        try waitForBackgroundSave(c)
        XCTAssertEqual(try c.infoField("rdb_last_bgsave_status"), "ok")
        XCTAssertEqual(try c.infoField("total_forks"), "1")
        XCTAssertFalse(try c.infoField("latest_fork_usec").isEmpty)
        let lsn = UInt64(try c.infoField("snapshot_lsn"))!
        XCTAssertGreaterThanOrEqual(lsn, 10_000)
        let segmentsAfter = files(dir, "log")
        for s in segmentsAfter { XCTAssertGreaterThan(UInt64(s.prefix(20))!, lsn, "\(s) starts after the snapshot") }
        XCTAssertEqual(files(dir, "snapshots"), [SnapshotFormat.fileName(lsn: lsn)])
        try writeEveryType(c, prefix: "after:")
        try pipeline(c, (0..<500).map { ["DEL", "key:\($0)"] })
        let digest = try c.call("DEBUG", "DIGEST").string!
        let keys = try c.call("DBSIZE")
        server.crash()
        server = try ServerProcess.cairn(directory: dir, port: port, ["--enable-debug-command", "yes"])
        c = try server.client()
        XCTAssertEqual(try c.call("DBSIZE"), keys)
        XCTAssertEqual(try c.call("DEBUG", "DIGEST").string, digest)
        server.stop()
    }

    /// A snapshot taken while a client keeps writing holds exactly the state at its LSN:
    /// one client INCRs one counter, so the counter in the snapshot is its LSN minus the
    /// LSN before the first INCR.
    func testSnapshotUnderConcurrentWritesIsTheStateAtItsLSN() throws {
        let dir = newDirectory(), port = freePort()
        let server = try ServerProcess.cairn(directory: dir, port: port, ["--rdb-key-save-delay", "100"])
        defer { server.stop() }
        let c = try server.client()
        try pipeline(c, (0..<2000).map { ["SET", "filler:\($0)", "x"] })
        let base = UInt64(try c.infoField("log_last_lsn"))!
        let writer = try server.client()
        try c.call("BGSAVE")
        var increments = 0
        while try c.infoField("rdb_bgsave_in_progress") == "1" {
            try pipeline(writer, (0..<50).map { _ in ["INCR", "counter"] })
            increments += 50
        }
        XCTAssertGreaterThan(increments, 50, "the writes ran while the child wrote")
        let lsn = UInt64(try c.infoField("snapshot_lsn"))!
        let path = dir.appendingPathComponent("snapshots/" + SnapshotFormat.fileName(lsn: lsn)).path
        let reader = try SnapshotReader(path: path, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let ks = Keyspace(databaseCount: 16, seed: 1)
        XCTAssertTrue(try reader.load(into: ks, limits: CollectionLimits()))
        let counter = ks[0].main["counter"]?.stringBytes?.int64 ?? 0
        XCTAssertEqual(UInt64(counter), lsn - base)
        XCTAssertEqual(ks[0].count, 2000 + (counter > 0 ? 1 : 0))
    }

    /// A crash at each step of a checkpoint (while the child writes, after the child put
    /// its file in place, after the manifest switch, after the deletes) loses nothing, and
    /// what the manifest does not name is cleared at the next start.
    func testCrashAtEveryStepOfACheckpointLosesNothing() throws {
        for step in ["during", "child", "manifest", "deletes"] {
            let dir = newDirectory(), port = freePort()
            var server = try ServerProcess.cairn(directory: dir, port: port, ["--enable-debug-command", "yes", "--log-segment-size", "16kb"])
            var c = try server.client()
            try pipeline(c, (0..<300).map { ["SET", "first:\($0)", "v\($0)"] })
            XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
            try writeEveryType(c)
            let digest = try c.call("DEBUG", "DIGEST").string!
            if step == "during" {
                // The server dies while its child writes; the child dies with it.
                XCTAssertEqual(try c.call("CONFIG", "SET", "rdb-key-save-delay", "100000"), .simple("OK"))
                XCTAssertEqual(try c.call("BGSAVE"), .simple("Background saving started"))
                usleep(200_000)
                server.crash()
                usleep(100_000)
                XCTAssertTrue(files(dir, "snapshots").contains { $0.hasSuffix(".tmp") }, "\(files(dir, "snapshots"))")
            } else {
                XCTAssertEqual(try c.call("DEBUG", "CHECKPOINT-CRASH", step), .simple("OK"))
                XCTAssertEqual(try c.call("BGSAVE"), .simple("Background saving started"))
                XCTAssertEqual(server.waitForExit(), 70, "\(step): \(server.log)")
            }
            server = try ServerProcess.cairn(directory: dir, port: port, ["--enable-debug-command", "yes"])
            c = try server.client()
            XCTAssertEqual(try c.call("DEBUG", "DIGEST").string, digest, step)
            XCTAssertEqual(try c.call("DBSIZE"), .integer(314), step)
            // Only what the manifest names is left.
            let manifest = String(decoding: try Data(contentsOf: dir.appendingPathComponent("MANIFEST")), as: UTF8.self)
            for s in files(dir, "log") { XCTAssertTrue(manifest.contains("segment \(s)"), "\(step): stray \(s)") }
            XCTAssertEqual(files(dir, "snapshots").count, 1, "\(step): \(files(dir, "snapshots"))")
            if step != "deletes" { XCTAssertTrue(server.waitForLog("which the manifest does not name"), "\(step): \(server.log)") }
            // And it goes on working: another checkpoint and restart.
            XCTAssertEqual(try c.call("BGSAVE"), .simple("Background saving started"))
            try waitForBackgroundSave(c)
            XCTAssertEqual(server.terminate(), 0)
            server = try ServerProcess.cairn(directory: dir, port: port, ["--enable-debug-command", "yes"])
            XCTAssertEqual(try server.client().call("DEBUG", "DIGEST").string, digest, step)
            server.stop()
        }
    }

    /// A damaged snapshot stops start-up with a message that names it and what to do;
    /// so does a missing one.
    func testDamagedOrMissingSnapshotRefusesToStart() throws {
        let dir = newDirectory(), port = freePort()
        let server = try ServerProcess.cairn(directory: dir, port: port)
        let c = try server.client()
        try pipeline(c, (0..<2000).map { ["SET", "k\($0)", "v\($0)"] })
        XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
        XCTAssertEqual(server.terminate(), 0)
        let name = files(dir, "snapshots")[0]
        let path = dir.appendingPathComponent("snapshots/" + name)
        let good = try Data(contentsOf: path)
        var bad = good
        bad[SnapshotFormat.headerBytes + 30] ^= 0x10
        try bad.write(to: path)
        var broken = try ServerProcess.cairn(directory: dir, port: port, waitForPort: false)
        XCTAssertEqual(broken.waitForExit(), 1)
        XCTAssertTrue(broken.log.contains("Bad snapshot") && broken.log.contains("frame 0 checksum mismatch"), broken.log)
        XCTAssertTrue(broken.log.contains("cairn check-snapshot"), broken.log)
        broken.stop()
        try FileManager.default.removeItem(at: path)
        broken = try ServerProcess.cairn(directory: dir, port: port, waitForPort: false)
        XCTAssertEqual(broken.waitForExit(), 1)
        XCTAssertTrue(broken.log.contains("the snapshot the manifest names is missing"), broken.log)
        broken.stop()
        try good.write(to: path)
        let fixed = try ServerProcess.cairn(directory: dir, port: port)
        XCTAssertEqual(try fixed.client().call("DBSIZE"), .integer(2000))
        fixed.stop()
    }

    func testBackgroundSaveCommandsAndTheServerKeepsAnswering() throws {
        let dir = newDirectory(), port = freePort()
        let server = try ServerProcess.cairn(directory: dir, port: port, ["--rdb-key-save-delay", "200"])
        defer { server.stop() }
        let c = try server.client()
        try pipeline(c, (0..<3000).map { ["SET", "k\($0)", "v\($0)"] })
        XCTAssertEqual(try c.infoField("rdb_changes_since_last_save"), "3000")
        XCTAssertEqual(try c.call("BGSAVE", "now"), .error("ERR syntax error"))
        let before = try c.call("LASTSAVE").int!
        XCTAssertEqual(try c.call("BGSAVE"), .simple("Background saving started"))
        XCTAssertEqual(try c.call("BGSAVE"), .error("ERR Background save already in progress"))
        XCTAssertEqual(try c.call("SAVE"), .error("ERR Background save already in progress"))
        XCTAssertEqual(try c.infoField("rdb_bgsave_in_progress"), "1")
        // The parent serves while the child writes: no reply waits for the snapshot.
        var slowest = 0.0
        for i in 0..<50 {
            let t0 = Date()
            XCTAssertEqual(try c.call("SET", "during\(i)", "x"), .simple("OK"))
            slowest = max(slowest, Date().timeIntervalSince(t0))
            usleep(5000)
        }
        XCTAssertLessThan(slowest, 0.2)
        XCTAssertEqual(try c.infoField("rdb_bgsave_in_progress"), "1", "the child was still running")
        // Its progress, published through a shared page.
        XCTAssertEqual(try c.infoField("current_save_keys_total"), "3000")
        let processed = Int(try c.infoField("current_save_keys_processed"))!
        XCTAssertTrue(processed > 0 && processed < 3000, "\(processed)")
        XCTAssertGreaterThan(Double(try c.infoField("current_fork_perc"))!, 0)
        XCTAssertGreaterThan(Int(try c.infoField("current_cow_peak"))!, 0)
        XCTAssertEqual(try c.call("BGSAVE", "SCHEDULE"), .simple("Background saving scheduled"))
        XCTAssertEqual(try c.call("BGREWRITEAOF"), .simple("Background append only file rewriting scheduled"))
        try waitForBackgroundSave(c)
        // The scheduled one runs after the first.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, try c.infoField("rdb_saves") != "2" { usleep(20_000) }
        XCTAssertEqual(try c.infoField("rdb_saves"), "2")
        try waitForBackgroundSave(c)
        XCTAssertEqual(try c.infoField("rdb_last_bgsave_status"), "ok")
        XCTAssertEqual(try c.infoField("rdb_changes_since_last_save"), "0")
        XCTAssertGreaterThanOrEqual(try c.call("LASTSAVE").int!, before)
        XCTAssertGreaterThan(Int(try c.infoField("rdb_last_cow_size"))!, 0)
        XCTAssertEqual(try c.infoField("current_save_keys_processed"), "0", "no child, no progress")
        // BGREWRITEAOF compacts the log the only way Cairn has: a checkpoint.
        XCTAssertEqual(try c.call("CONFIG", "SET", "rdb-key-save-delay", "0"), .simple("OK"))
        try c.call("SET", "one-more", "x")
        XCTAssertEqual(try c.call("BGREWRITEAOF"), .simple("Background append only file rewriting started"))
        try waitForBackgroundSave(c)
        XCTAssertEqual(try c.infoField("rdb_saves"), "3")
        XCTAssertEqual(files(dir, "log").count, 1)
    }

    /// SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE and SHUTDOWN's options answer as
    /// redis-server does, compared byte for byte (waiting for each background save).
    func testSnapshotCommandsReplyAsRedis() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        try c.call("SET", "k", "v")
        try r.call("SET", "k", "v")
        var mismatches: [String] = []
        for command in [["SAVE"], ["BGSAVE", "now"], ["BGSAVE", "SCHEDULE", "x"], ["SAVE", "x"], ["LASTSAVE", "x"],
                        ["BGSAVE"], ["BGSAVE", "SCHEDULE"], ["BGREWRITEAOF"], ["BGREWRITEAOF", "x"],
                        ["SHUTDOWN", "SAVE", "NOSAVE"], ["SHUTDOWN", "ABORT"], ["SHUTDOWN", "bogus"]] {
            if let m = try RandomizedDifferentialTests.differ(command, c, r) { mismatches.append(m) }
            try waitForBackgroundSave(c)
            try waitForBackgroundSave(r)
        }
        XCTAssert(mismatches.isEmpty, mismatches.joined(separator: "\n"))
        guard case .integer = try c.call("LASTSAVE") else { return XCTFail("LASTSAVE is an integer") }
    }

    /// A child that overruns snapshot-child-timeout is killed and reported; the log
    /// stays complete.
    func testChildOverrunningItsDeadlineIsKilled() throws {
        let dir = newDirectory(), port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port, ["--rdb-key-save-delay", "100000", "--snapshot-child-timeout", "3"])
        var c = try server.client()
        try pipeline(c, (0..<100).map { ["SET", "k\($0)", "v"] })
        let leaving = try RESPClient(port: port, timeoutSeconds: 1)
        XCTAssertEqual(try c.call("BGSAVE"), .simple("Background saving started"))
        // The child holds none of the server's sockets: a client the server closes sees
        // the end at once, not when the child exits.
        XCTAssertEqual(try leaving.call("QUIT"), .simple("OK"))
        XCTAssertTrue(leaving.isClosedByServer(), "closed while the child still runs")
        try waitForBackgroundSave(c, seconds: 10)
        XCTAssertEqual(try c.infoField("rdb_last_bgsave_status"), "err")
        XCTAssertTrue(server.log.contains("overran its deadline"), server.log)
        XCTAssertEqual(files(dir, "snapshots"), [], "the partial file is removed")
        try c.call("SET", "after", "1")
        XCTAssertEqual(server.terminate(), 0)
        server = try ServerProcess.cairn(directory: dir, port: port)
        c = try server.client()
        XCTAssertEqual(try c.call("DBSIZE"), .integer(101))
        server.stop()
    }

    /// A child that dies (here: killed from outside) is reported, its file removed, the
    /// log left complete; the next checkpoint works.
    func testFailedChildIsReportedAndTheLogStaysComplete() throws {
        let dir = newDirectory(), port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port, ["--rdb-key-save-delay", "2000"])
        var c = try server.client()
        try pipeline(c, (0..<2000).map { ["SET", "k\($0)", "v"] })
        XCTAssertEqual(try c.call("BGSAVE"), .simple("Background saving started"))
        usleep(100_000)
        let line = server.log.split(separator: "\n").first { $0.contains("Background saving started by pid") } ?? ""
        let pid = Int32(line.split(separator: " ").drop { $0 != "pid" }.dropFirst().first ?? "") ?? 0
        XCTAssertGreaterThan(pid, 0, server.log)
        kill(pid, SIGKILL)
        try waitForBackgroundSave(c)
        XCTAssertEqual(try c.infoField("rdb_last_bgsave_status"), "err")
        XCTAssertTrue(server.log.contains("killed by signal 9"), server.log)
        XCTAssertEqual(files(dir, "snapshots"), [], "the partial file is removed")
        XCTAssertEqual(try c.call("CONFIG", "SET", "rdb-key-save-delay", "0"), .simple("OK"))
        XCTAssertEqual(try c.call("BGSAVE"), .simple("Background saving started"))
        try waitForBackgroundSave(c)
        XCTAssertEqual(try c.infoField("rdb_last_bgsave_status"), "ok")
        try c.call("SET", "after", "1")
        server.crash()
        server = try ServerProcess.cairn(directory: dir, port: port)
        c = try server.client()
        XCTAssertEqual(try c.call("DBSIZE"), .integer(2001))
        server.stop()
    }

    /// The log-size trigger and the `save` rules start checkpoints by themselves; SHUTDOWN
    /// SAVE leaves a snapshot and an empty log.
    func testAutomaticCheckpointsAndShutdownSave() throws {
        let dir = newDirectory(), port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port, ["--auto-checkpoint-log-size", "100kb", "--log-segment-size", "32kb"])
        var c = try server.client()
        try pipeline(c, (0..<5000).map { ["SET", "key:\($0)", "value:\($0)"] })
        var deadline = Date().addingTimeInterval(10)
        while Date() < deadline, try c.infoField("rdb_saves") == "0" { usleep(20_000) }
        try waitForBackgroundSave(c)
        XCTAssertEqual(try c.infoField("rdb_last_bgsave_status"), "ok")
        XCTAssertTrue(server.log.contains("auto-checkpoint-log-size"), server.log)
        XCTAssertLessThan(Int(try c.infoField("aof_current_size"))!, 100 * 1024)
        // The log must also outgrow a share of the snapshot: 100x holds the next one back...
        XCTAssertEqual(try c.call("CONFIG", "SET", "auto-checkpoint-percentage", "10000"), .simple("OK"))
        let savesBefore = try c.infoField("rdb_saves")
        try pipeline(c, (0..<5000).map { ["SET", "more:\($0)", "value:\($0)"] })
        usleep(600_000)
        XCTAssertEqual(try c.infoField("rdb_saves"), savesBefore, "held back by auto-checkpoint-percentage")
        // ...and 0 leaves the fixed size alone.
        XCTAssertEqual(try c.call("CONFIG", "SET", "auto-checkpoint-percentage", "0"), .simple("OK"))
        deadline = Date().addingTimeInterval(10)
        while Date() < deadline, try c.infoField("rdb_saves") == savesBefore { usleep(20_000) }
        XCTAssertNotEqual(try c.infoField("rdb_saves"), savesBefore)
        try waitForBackgroundSave(c)
        XCTAssertEqual(server.terminate(), 0)

        server = try ServerProcess.cairn(directory: dir, port: port, ["--save", "1 1", "--auto-checkpoint-log-size", "0"])
        c = try server.client()
        let saves = try c.infoField("rdb_saves")
        try c.call("SET", "one", "change")
        deadline = Date().addingTimeInterval(10)
        while Date() < deadline, try c.infoField("rdb_saves") == saves { usleep(50_000) }
        XCTAssertNotEqual(try c.infoField("rdb_saves"), saves, "save 1 1 fired")
        XCTAssertTrue(server.log.contains("1 changes in 1 seconds"), server.log)
        try waitForBackgroundSave(c)
        try c.call("SET", "two", "x")
        XCTAssertEqual(try c.call("SHUTDOWN", "SAVE", "NOSAVE"), .error("ERR syntax error"))
        _ = try? c.call("SHUTDOWN", "SAVE")
        XCTAssertEqual(server.waitForExit(), 0)
        XCTAssertTrue(server.log.contains("DB saved on disk"), server.log)
        let segments = files(dir, "log")
        XCTAssertEqual(segments.count, 1)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("log/" + segments[0])).count, 76, "nothing after the snapshot (a segment header only)")
        server = try ServerProcess.cairn(directory: dir, port: port)
        XCTAssertEqual(try server.client().call("DBSIZE"), .integer(10002))
        server.stop()
    }
}
