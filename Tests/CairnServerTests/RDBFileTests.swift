import CairnTestSupport
import Foundation
import XCTest

/// `cairn export`: a data directory written out as Redis 7.0's dump.rdb, which
/// redis-check-rdb accepts and redis-server loads to the same keys, values, expiries,
/// stream groups and function libraries; `cairn import`: redis-server's dump.rdb made a
/// data directory that cairn-server loads to the same keyspace.
final class RDBFileTests: XCTestCase {
    /// Every key of every database, described by its type and contents (members sorted
    /// where order is not part of the value), with whether it has a TTL.
    static func contents(_ c: RESPClient) throws -> [String] {
        var out: [String] = []
        for db in 0..<16 {
            _ = try c.call("SELECT", "\(db)")
            let keys = (try c.call("KEYS", "*").array ?? []).compactMap(\.string).sorted()
            for key in keys {
                let type = try c.call("TYPE", key).string ?? "?"
                var value: String
                switch type {
                case "string": value = try c.call("GET", key).description
                case "list": value = try c.call("LRANGE", key, "0", "-1").description
                case "set": value = (try c.call("SMEMBERS", key).array ?? []).map(\.description).sorted().joined(separator: ",")
                case "zset": value = try c.call("ZRANGE", key, "0", "-1", "WITHSCORES").description
                case "hash":
                    let flat = try c.call("HGETALL", key).array ?? []
                    value = stride(from: 0, to: flat.count, by: 2).map { "\(flat[$0])=\(flat[$0 + 1])" }.sorted().joined(separator: ",")
                case "stream":
                    let entries = try c.call("XRANGE", key, "-", "+").description
                    let groups = try c.call("XINFO", "GROUPS", key).description
                    value = entries + groups + (try c.call("XPENDING", key, "g").description)
                default: value = "?"
                }
                let ttl = (try c.call("PTTL", key).int ?? -1) > 0
                out.append("db\(db) \(key) \(type) ttl=\(ttl) \(value)")
            }
        }
        _ = try c.call("SELECT", "0")
        return out
    }

    func testExportLoadsInRedisAsTheSameKeyspace() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-export-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let cairn = try ServerProcess.cairn(directory: dir, port: port)
        let c = try cairn.client()
        _ = try c.call("SET", "s", "hello")
        _ = try c.call("SET", "n", "12345")
        _ = try c.call("SET", "long", String(repeating: "ab", count: 500))
        _ = try c.call("SET", "ttl", "v", "EX", "1000")
        _ = try c.call(["RPUSH", "l"] + (0..<20).map(String.init))
        _ = try c.call(["RPUSH", "biglist"] + (0..<2000).map { "element-\($0)" })
        _ = try c.call("HSET", "h", "a", "1", "b", "2")
        _ = try c.call(["HSET", "bighash"] + (0..<600).flatMap { ["f\($0)", String(repeating: "v", count: 70)] })
        _ = try c.call("SADD", "ints", "1", "2", "300000")
        _ = try c.call("SADD", "strs", "a", "b", "c")
        _ = try c.call(["SADD", "bigset"] + (0..<700).map { "m\($0)" })
        _ = try c.call("ZADD", "z", "1.5", "a", "-2", "b", "inf", "c")
        _ = try c.call(["ZADD", "bigz"] + (0..<300).flatMap { ["\(Double($0) / 7)", "member-\($0)"] })
        _ = try c.call(["PFADD", "hll"] + (0..<50).map { "e\($0)" })
        _ = try c.call("XADD", "st", "1-1", "f", "v")
        _ = try c.call("XADD", "st", "2-1", "f", "w", "g", "x")
        _ = try c.call("XGROUP", "CREATE", "st", "g", "0")
        _ = try c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "st", ">")
        _ = try c.call("SELECT", "3")
        _ = try c.call("SET", "in-three", "yes")
        _ = try c.call("SELECT", "0")
        _ = try c.call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
        let before = try Self.contents(c)
        try c.sendRaw(RESPClient.encode([Array("SHUTDOWN".utf8)]))
        XCTAssertNotNil(cairn.waitForExit())
        cairn.stop()

        let file = dir.appendingPathComponent("exported.rdb").path
        let export = try cairnTool(["export", dir.path, file])
        XCTAssertEqual(export.status, 0, export.output)
        XCTAssertTrue(export.output.contains("wrote \(file): 16 keys, 1 function libraries"), export.output)
        let check = try runToExit("/usr/bin/redis-check-rdb", [file])
        XCTAssertEqual(check.status, 0, check.output)
        XCTAssertTrue(check.output.contains("RDB looks OK"), check.output)

        let redisPort = freePort()
        let redis = try ServerProcess(executable: "/usr/bin/redis-server",
                                      arguments: ["--port", "\(redisPort)", "--dir", dir.path, "--dbfilename", "exported.rdb",
                                                  "--save", "", "--appendonly", "no"],
                                      port: redisPort, directory: dir)
        defer { redis.stop() }
        let r = try redis.client()
        XCTAssertEqual(try Self.contents(r), before)
        XCTAssertEqual(try r.call("FCALL", "f", "0"), .integer(1))
        XCTAssertEqual(try r.call("PFCOUNT", "hll"), .integer(50))
    }

    /// Fills a server with every type and encoding (two databases, a TTL, a stream with a
    /// group and a pending entry, a function library).
    static func fill(_ c: RESPClient) throws {
        _ = try c.call("SET", "s", "hello")
        _ = try c.call("SET", "n", "12345")
        _ = try c.call("SET", "ttl", "v", "EX", "1000")
        _ = try c.call(["RPUSH", "l"] + (0..<20).map(String.init))
        _ = try c.call(["RPUSH", "biglist"] + (0..<2000).map { "element-\($0)" })
        _ = try c.call(["HSET", "bighash"] + (0..<600).flatMap { ["f\($0)", String(repeating: "v", count: 70)] })
        _ = try c.call("HSET", "h", "a", "1")
        _ = try c.call("SADD", "ints", "1", "2", "300000")
        _ = try c.call(["SADD", "bigset"] + (0..<700).map { "m\($0)" })
        _ = try c.call("ZADD", "z", "1.5", "a", "-2", "b")
        _ = try c.call(["ZADD", "bigz"] + (0..<300).flatMap { ["\(Double($0) / 7)", "member-\($0)"] })
        _ = try c.call("PFADD", "hll", "a", "b", "c")
        _ = try c.call("XADD", "st", "1-1", "f", "v")
        _ = try c.call("XGROUP", "CREATE", "st", "g", "0")
        _ = try c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "st", ">")
        _ = try c.call("SELECT", "5")
        _ = try c.call("SET", "in-five", "yes")
        _ = try c.call("SELECT", "0")
        _ = try c.call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
    }

    func testImportOfRedisDumpLoadsInCairnAsTheSameKeyspace() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-import-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let redisPort = freePort()
        let redis = try ServerProcess(executable: "/usr/bin/redis-server",
                                      arguments: ["--port", "\(redisPort)", "--dir", work.path, "--save", "", "--appendonly", "no"],
                                      port: redisPort, directory: work)
        let r = try redis.client()
        try Self.fill(r)
        let theirs = try Self.contents(r)
        XCTAssertEqual(try r.call("SAVE"), .simple("OK"))
        redis.stop()
        let rdb = work.appendingPathComponent("dump.rdb").path
        let dir = work.appendingPathComponent("data")
        let run = try cairnTool(["import", rdb, dir.path])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("14 keys, 1 function libraries"), run.output)
        let port = freePort()
        let cairn = try ServerProcess.cairn(directory: dir, port: port)
        let c = try cairn.client()
        XCTAssertEqual(try Self.contents(c), theirs)
        XCTAssertEqual(try c.call("FCALL", "f", "0"), .integer(1))
        // It is a data directory like any other: writes go to its log and survive.
        _ = try c.call("SET", "after", "import")
        cairn.crash()
        let again = try ServerProcess.cairn(directory: dir, port: port)
        defer { again.stop() }
        XCTAssertEqual(try again.client().call("GET", "after"), .bulk(Array("import".utf8)))
        // Never over an existing directory; a damaged or truncated file is refused.
        XCTAssertNotEqual(try cairnTool(["import", rdb, dir.path]).status, 0)
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: rdb)))
        bytes[bytes.count / 2] ^= 0x40
        let damaged = work.appendingPathComponent("damaged.rdb").path
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let refused = try cairnTool(["import", damaged, work.appendingPathComponent("d2").path])
        XCTAssertEqual(refused.status, 2, refused.output)
        XCTAssertTrue(refused.output.contains("damaged.rdb: at byte"), refused.output)
        let truncated = work.appendingPathComponent("truncated.rdb").path
        try Data(bytes.prefix(bytes.count - 20)).write(to: URL(fileURLWithPath: truncated))
        let cut = try cairnTool(["import", truncated, work.appendingPathComponent("d3").path])
        XCTAssertEqual(cut.status, 2, cut.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("d3/MANIFEST").path))
    }

    func testExportRefusesADamagedDirectory() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-export-none-\(UUID().uuidString)")
        let run = try cairnTool(["export", missing.path, missing.path + ".rdb"])
        XCTAssertNotEqual(run.status, 0, run.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path + ".rdb"))
    }
}
