import CairnTestSupport
import Foundation
import XCTest

/// MIGRATE: the same script run with Cairn and with Redis as the source, each moving
/// keys to a Redis target and to a Cairn target (DUMP payloads cross both ways), with
/// Redis's replies, errors and cached connections; and what it leaves in the log.
final class MigrateTests: XCTestCase {
    func transcript(sourceIsRedis: Bool, targetIsRedis: Bool) throws -> [String] {
        let start: ([String]) throws -> ServerProcess = { targetIsRedis ? try ServerProcess.redis($0) : try ServerProcess.cairn($0) }
        let source = sourceIsRedis ? try ServerProcess.redis() : try ServerProcess.cairn()
        let target = try start(["--enable-debug-command", "yes"]), guarded = try start(["--requirepass", "pw"])
        defer { source.stop(); target.stop(); guarded.stop() }
        let s = try source.client(), t = try target.client(), g = try guarded.client()
        var out: [String] = []
        func log(_ label: String, _ value: RESPValue) { out.append("\(label): \(value)") }
        func migrate(_ label: String, _ port: Int, _ rest: String...) throws {
            log(label, try s.call(["MIGRATE", "127.0.0.1", "\(port)"] + rest))
        }
        _ = try s.call("SET", "a", "1")
        _ = try s.call("HSET", "h", "f", "v", "g", "w")
        _ = try s.call("PEXPIRE", "h", "100000")
        _ = try s.call("RPUSH", "l", "x", "y", "z")
        _ = try s.call("ZADD", "z", "1.5", "m", "2", "n")
        _ = try s.call("SADD", "set", "p", "q")
        try migrate("one key", target.port, "a", "0", "1000")
        log("gone here", try s.call("EXISTS", "a"))
        log("there", try t.call("GET", "a"))
        try migrate("KEYS", target.port, "", "0", "1000", "KEYS", "h", "l", "nosuch")
        log("types there", try t.call("EVAL", "return {redis.call('type', KEYS[1]).ok, redis.call('type', KEYS[2]).ok}", "2", "h", "l"))
        let ttl = try t.call("PTTL", "h").description
        out.append("ttl kept: \((Int(ttl.dropFirst()) ?? 0) > 90_000)")
        log("hash there", try t.call("HGETALL", "h"))
        log("list there", try t.call("LRANGE", "l", "0", "-1"))
        try migrate("nothing", target.port, "nosuch", "0", "1000")
        _ = try t.call("SET", "b", "there")
        _ = try s.call("SET", "b", "here")
        try migrate("busy", target.port, "b", "0", "1000")
        log("kept after refusal", try s.call("GET", "b"))
        try migrate("copy replace", target.port, "b", "0", "1000", "COPY", "REPLACE")
        log("copied", try t.call("GET", "b"))
        log("still here", try s.call("GET", "b"))
        try migrate("other db", target.port, "z", "5", "1000")
        _ = try t.call("SELECT", "5")
        log("zset in db 5", try t.call("ZRANGE", "z", "0", "-1", "WITHSCORES"))
        try migrate("back to db 0", target.port, "set", "0", "1000")
        _ = try t.call("SELECT", "0")
        log("set in db 0", try t.call("SORT", "set", "ALPHA"))
        try migrate("timeout word", target.port, "b", "0", "soon")
        try migrate("db word", target.port, "b", "x", "1000")
        try migrate("unknown option", target.port, "b", "0", "1000", "FAST")
        try migrate("KEYS with a key", target.port, "b", "0", "1000", "KEYS", "b")
        try migrate("AUTH without password", target.port, "b", "0", "1000", "AUTH")
        try migrate("no password", guarded.port, "b", "0", "1000", "COPY")
        try migrate("wrong password", guarded.port, "b", "0", "1000", "COPY", "AUTH", "nope")
        try migrate("AUTH2", guarded.port, "b", "0", "1000", "COPY", "AUTH2", "default", "pw")
        _ = try g.call("AUTH", "pw")
        log("arrived with AUTH2", try g.call("GET", "b"))
        try migrate("refused", freePort(), "b", "0", "1000")
        out.append("cached sockets: \(try s.infoField("migrate_cached_sockets"))")
        // A target that does not answer in time: the key stays.
        let sleeper = try target.client()
        try sleeper.sendRaw(RESPClient.encode([Array("DEBUG".utf8), Array("SLEEP".utf8), Array("1".utf8)]))
        usleep(100_000)
        try migrate("timed out", target.port, "b", "0", "200", "REPLACE")
        log("kept after timeout", try s.call("GET", "b"))
        _ = try sleeper.readReply()
        return out
    }

    func testMigrateRepliesAsRedisAcrossBothTargets() throws {
        for targetIsRedis in [false, true] {
            let mine = try transcript(sourceIsRedis: false, targetIsRedis: targetIsRedis)
            let theirs = try transcript(sourceIsRedis: true, targetIsRedis: targetIsRedis)
            XCTAssertEqual(mine, theirs, "target is Redis: \(targetIsRedis)")
            XCTAssertTrue(mine.contains("one key: +OK"), "\(mine)")
            XCTAssertTrue(mine.contains("refused: -IOERR error or timeout writing to target instance"), "\(mine)")
            XCTAssertTrue(mine.contains("timed out: -IOERR error or timeout reading to target instance"), "\(mine)")
        }
    }

    /// The keys MIGRATE moved away are gone after a crash and from a replica: the log
    /// and the stream hold a DEL of them, never the MIGRATE.
    func testMovedKeysAreDeletedInTheLogAndOnReplicas() throws {
        let target = try ServerProcess.redis()
        defer { target.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-migrate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let source = try ServerProcess.cairn(directory: dir, port: port)
        let replica = try ServerProcess.cairn(["--replicaof", "127.0.0.1", "\(port)"])
        defer { replica.stop() }
        let s = try source.client(), r = try replica.client()
        for k in ["a", "b", "c"] { _ = try s.call("SET", k, "v-\(k)") }
        XCTAssertEqual(try s.call("MIGRATE", "127.0.0.1", "\(target.port)", "", "0", "1000", "KEYS", "a", "b").description, "+OK")
        XCTAssertEqual(try s.call("MIGRATE", "127.0.0.1", "\(target.port)", "c", "0", "1000", "COPY").description, "+OK")
        _ = try s.call("WAIT", "1", "5000")
        XCTAssertEqual(try r.call("KEYS", "*").description, "[\"c\"]")
        XCTAssertEqual(try s.call("DBSIZE").description, ":1")
        source.crash()
        let restarted = try ServerProcess.cairn(directory: dir, port: port)
        defer { restarted.stop() }
        let again = try restarted.client()
        XCTAssertEqual(try again.call("KEYS", "*").description, "[\"c\"]")
        XCTAssertEqual(try target.client().call("DBSIZE").description, ":3")
    }
}
