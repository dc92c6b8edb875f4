import CairnTestSupport
import Foundation
import XCTest

/// HyperLogLogs as values that travel: the bytes one server builds count the same, and
/// keep growing the same, on the other; the cached cardinality PFCOUNT writes survives a
/// crash; Redis's self test passes.
final class HyperLogLogTests: XCTestCase {
    func bulk(_ v: RESPValue) -> [UInt8]? {
        if case .bulk(let b) = v { return b }
        return nil
    }

    /// HLLs built on `from` (sparse, dense, merged) are SET on `to` by their bytes; then both
    /// count them alike and, after the same additions, hold the same bytes.
    func move(from a: RESPClient, to b: RESPClient) throws {
        let sizes = [3, 150, 2_500, 20_000]
        for (i, n) in sizes.enumerated() {
            let elements = (0..<n).map { "x\(i)-\($0)" }
            for chunk in stride(from: 0, to: n, by: 1000) {
                _ = try a.call(["PFADD", "h\(i)"] + elements[chunk..<min(n, chunk + 1000)])
            }
        }
        _ = try a.call("PFMERGE", "merged", "h0", "h1", "h2")
        _ = try a.call("PFCOUNT", "h1")  // one with a valid cache, one without
        for key in ["h0", "h1", "h2", "h3", "merged"] {
            guard let bytes = bulk(try a.call("GET", key)) else { return XCTFail("GET \(key)") }
            XCTAssertEqual(try b.call([Array("SET".utf8), Array(key.utf8), bytes]), .simple("OK"))
            XCTAssertEqual(try b.call("PFCOUNT", key), try a.call("PFCOUNT", key), key)
            XCTAssertEqual(try b.call("PFDEBUG", "ENCODING", key), try a.call("PFDEBUG", "ENCODING", key), key)
            let more = ["PFADD", key] + (0..<300).map { "more-\($0)" }
            XCTAssertEqual(try b.call(more), try a.call(more), key)
            XCTAssertEqual(bulk(try b.call("GET", key)), bulk(try a.call("GET", key)), "\(key) after PFADD")
        }
        XCTAssertEqual(try b.call("PFCOUNT", "h0", "h1", "h2", "h3"), try a.call("PFCOUNT", "h0", "h1", "h2", "h3"))
    }

    func testValuesMoveBetweenCairnAndRedis() throws {
        let cairn = try ServerProcess.cairn(["--enable-debug-command", "yes"])
        let redis = try ServerProcess.redis(["--enable-debug-command", "yes"])
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        try move(from: c, to: r)
        _ = try c.call("FLUSHALL")
        _ = try r.call("FLUSHALL")
        try move(from: r, to: c)
    }

    /// PFCOUNT's cache is part of the value: logged (as Redis propagates the PFCOUNT), so
    /// the bytes after a crash are the bytes before it.
    func testCachedCardinalitySurvivesACrash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-hll-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port)
        var c = try server.client()
        _ = try c.call(["PFADD", "sparse"] + (0..<50).map { "e\($0)" })
        _ = try c.call(["PFADD", "dense"] + (0..<5000).map { "e\($0)" })
        XCTAssertEqual(try c.call("PFCOUNT", "sparse"), .integer(50))
        _ = try c.call("PFCOUNT", "dense")
        let before = try ["sparse", "dense"].map { bulk(try c.call("GET", $0)) }
        XCTAssertEqual(before[0]?[15], 0, "the cache is valid")
        server.crash()
        server = try ServerProcess.cairn(directory: dir, port: port)
        defer { server.stop() }
        c = try server.client()
        XCTAssertEqual(try ["sparse", "dense"].map { bulk(try c.call("GET", $0)) }, before)
    }

    /// Redis's fuzzing of damaged HLLs: random bytes overwritten in sparse and dense values,
    /// then counted, added to, merged and converted. Both servers must give the same
    /// answers (and stay up).
    func testDamagedValuesAnswerAsRedisDoes() throws {
        let cairn = try ServerProcess.cairn(["--enable-debug-command", "yes"])
        let redis = try ServerProcess.redis(["--enable-debug-command", "yes"])
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        var rng = RandomizedDifferentialTests.SeededRandom(state: 1_984)
        var mismatches: [String] = []
        for round in 0..<300 {
            let size = [1, 5, 50, 400, 3000].randomElement(using: &rng)!
            var setup: [[String]] = [["DEL", "hll", "other"], ["PFADD", "hll"] + (0..<size).map { "e\($0)-\(round)" }, ["PFADD", "other", "a", "b"]]
            if Bool.random(using: &rng) { setup.append(["PFDEBUG", "TODENSE", "hll"]) }
            for command in setup {
                _ = try c.call(command)
                _ = try r.call(command)
            }
            guard case .integer(let length) = try r.call("STRLEN", "hll") else { return XCTFail("STRLEN") }
            for _ in 0..<Int.random(in: 1...10, using: &rng) {
                // Mostly past the header, so that the runs and registers are what is damaged.
                let at = Int.random(in: (length > 17 && Bool.random(using: &rng) ? 16 : 0)..<Int(length), using: &rng)
                let command = [Array("SETRANGE".utf8), Array("hll".utf8), Array(String(at).utf8), [UInt8.random(in: 0...255, using: &rng)]]
                _ = try c.call(command)
                _ = try r.call(command)
            }
            for command in [["PFCOUNT", "hll"], ["PFADD", "hll", "x\(round)"], ["PFCOUNT", "hll"], ["PFCOUNT", "hll", "other"],
                            ["PFMERGE", "other", "hll"], ["PFDEBUG", "ENCODING", "hll"], ["PFDEBUG", "GETREG", "hll"], ["GET", "hll"], ["GET", "other"]] {
                if let m = try RandomizedDifferentialTests.differ(command, c, r) { mismatches.append("round \(round): " + m.prefix(300)) }
            }
        }
        XCTAssertEqual(try c.call("PING"), .simple("PONG"))
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) differ:\n" + mismatches.prefix(10).joined(separator: "\n"))
    }

    func testSelfTestPasses() throws {
        let cairn = try ServerProcess.cairn()
        defer { cairn.stop() }
        let c = try RESPClient(port: cairn.port, timeoutSeconds: 120)
        XCTAssertEqual(try c.call("PFSELFTEST"), .simple("OK"))
    }
}
