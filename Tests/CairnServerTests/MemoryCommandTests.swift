import CairnTestSupport
import Foundation
import XCTest

/// MEMORY's subcommands against redis-server: the same replies where they must agree
/// (errors, HELP, STATS's fields, DOCTOR on an empty server), and USAGE near Redis's
/// figure for each shape of value.
final class MemoryCommandTests: XCTestCase {
    func testRepliesMatchRedis() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        XCTAssertEqual(try MemoryCommandTests.transcript(cairn), try MemoryCommandTests.transcript(redis))
    }

    static func transcript(_ server: ServerProcess) throws -> [String] {
        let c = try server.client()
        var out: [String] = []
        _ = try c.call("SET", "s", "bar")
        for args in [["MEMORY", "HELP"], ["MEMORY", "USAGE", "nokey"], ["MEMORY", "USAGE", "s", "SAMPLES", "-1"],
                     ["MEMORY", "USAGE", "s", "SAMPLES", "x"], ["MEMORY", "USAGE", "s", "foo"], ["MEMORY", "USAGE", "s", "SAMPLES"],
                     ["MEMORY", "FOO"], ["MEMORY", "PURGE"], ["MEMORY", "DOCTOR"], ["MEMORY", "STATS", "x"]] {
            out.append(try c.call(args).description)
        }
        // STATS: the same fields, in the same order.
        guard case .array(let stats) = try c.call("MEMORY", "STATS") else { return out + ["no stats"] }
        out.append(stats.enumerated().filter { $0.offset % 2 == 0 }.map { $0.element.string ?? "?" }.joined(separator: ","))
        return out
    }

    func testUsageIsNearRedisForEveryShape() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let shapes = try [cairn, redis].map { server -> [String: Int] in
            let c = try server.client()
            var script: [[String]] = [["SET", "big", String(repeating: "x", count: 100)]]
            script.append(["HSET", "hash"] + (0..<5000).flatMap { ["f\($0)", "v\($0)"] })
            script.append(["HSET", "small-hash"] + (0..<10).flatMap { ["f\($0)", "v\($0)"] })
            script.append(["SADD", "set"] + (0..<1000).map { "m\($0)" })
            script.append(["SADD", "intset"] + (0..<100).map { "\($0)" })
            script.append(["RPUSH", "list"] + (0..<10000).map { "e\($0)" })
            script.append(["ZADD", "zset"] + (0..<5000).flatMap { ["\($0)", "m\($0)"] })
            for args in script { _ = try c.call(args) }
            var sizes: [String: Int] = [:]
            for key in ["big", "hash", "small-hash", "set", "intset", "list", "zset"] {
                guard case .integer(let n) = try c.call("MEMORY", "USAGE", key, "SAMPLES", "0") else { continue }
                sizes[key] = Int(n)
            }
            return sizes
        }
        for (key, redisBytes) in shapes[1] {
            let cairnBytes = shapes[0][key] ?? 0
            XCTAssertGreaterThan(cairnBytes, redisBytes / 2, "\(key): cairn \(cairnBytes), redis \(redisBytes)")
            XCTAssertLessThan(cairnBytes, redisBytes * 2, "\(key): cairn \(cairnBytes), redis \(redisBytes)")
        }
        XCTAssertEqual(shapes[0].count, 7)
    }

    /// A large collection is estimated from a sample (SAMPLES n: n × 1000 elements) near
    /// what all of it measures, and MALLOC-STATS is jemalloc's report.
    func testSampledUsageAndAllocatorReport() throws {
        let server = try ServerProcess.cairn()
        defer { server.stop() }
        let c = try server.client()
        _ = try c.call(["HSET", "h"] + (0..<20000).flatMap { ["field:\($0)", "value:\($0)"] })
        guard case .integer(let all) = try c.call("MEMORY", "USAGE", "h", "SAMPLES", "0"),
              case .integer(let sampled) = try c.call("MEMORY", "USAGE", "h", "SAMPLES", "1") else { return XCTFail("no usage") }
        XCTAssertLessThan(abs(Double(sampled) / Double(all) - 1), 0.1, "sampled \(sampled), all \(all)")
        XCTAssertTrue(try c.call("MEMORY", "MALLOC-STATS").string?.hasPrefix("___ Begin jemalloc statistics ___") == true)
    }

    /// DEBUG HTSTATS: Redis's header, element count, empty-table text and range error.
    func testHTStatsMatchesRedis() throws {
        let cairn = try ServerProcess.cairn(["--enable-debug-command", "yes"])
        let redis = try ServerProcess.redis(["--enable-debug-command", "yes"])
        defer { cairn.stop(); redis.stop() }
        let transcripts = try [cairn, redis].map { server -> [String] in
            let c = try server.client()
            var out = [try c.call("DEBUG", "HTSTATS", "0").string ?? "", try c.call("DEBUG", "HTSTATS", "99").description]
            _ = try c.call("MSET", "a", "1", "b", "2", "c", "3")
            let lines = (try c.call("DEBUG", "HTSTATS", "0").string ?? "").split(separator: "\n").map(String.init)
            out += lines.prefix(2) + lines.filter { $0.hasPrefix(" number of elements") }.prefix(1)
            return out
        }
        XCTAssertEqual(transcripts[0], transcripts[1])
        XCTAssertTrue(transcripts[0].contains(" number of elements: 3"), "\(transcripts[0])")
    }
}
