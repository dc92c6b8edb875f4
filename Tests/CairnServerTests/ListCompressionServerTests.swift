import CairnTestSupport
import Foundation
import XCTest

/// list-compress-depth over a socket: Redis's list-3 stress pattern (random pushes, pops,
/// LSET, LINSERT, LRANGE and LINDEX on a list of 16-entry nodes) at depths 2, 1 and 0,
/// replies compared with redis-server's; the compressed list survives a restart.
final class ListCompressionServerTests: XCTestCase {
    func testStressMatchesRedisAtEveryDepth() throws {
        let cairn = try ServerProcess.cairn(["--list-max-listpack-size", "16"])
        let redis = try ServerProcess.redis(["--list-max-listpack-size", "16"])
        defer { cairn.stop(); redis.stop() }
        for depth in ["2", "1", "0"] {
            let a = try ListCompressionServerTests.transcript(cairn, depth: depth)
            let b = try ListCompressionServerTests.transcript(redis, depth: depth)
            XCTAssertEqual(a.count, b.count)
            if let i = a.indices.first(where: { i in i < b.count && a[i] != b[i] }) {
                XCTFail("depth \(depth), step \(i): cairn \(a[i].prefix(200)) redis \(b[i].prefix(200))")
            }
        }
    }

    static func transcript(_ server: ServerProcess, depth: String) throws -> [String] {
        let c = try server.client()
        var out = [try c.call("CONFIG", "SET", "list-compress-depth", depth).description]
        _ = try c.call("DEL", "key")
        var seed: UInt64 = 12345
        func random(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        for _ in 0..<3000 {
            let element = random(2) == 0 ? "\(random(1000))" : String(repeating: "x", count: random(300)) + "\(random(1000))"
            let small = "\(5 - random(10))"
            let args: [String]
            switch random(8) {
            case 0: args = ["LPUSH", "key", element]
            case 1: args = ["RPUSH", "key", element]
            case 2: args = ["LPOP", "key"]
            case 3: args = ["RPOP", "key"]
            case 4: args = ["LSET", "key", small, element]
            case 5: args = ["LINSERT", "key", random(2) == 0 ? "BEFORE" : "AFTER", "\(random(1000))", element]
            case 6: args = ["LINDEX", "key", small]
            default: args = ["LLEN", "key"]
            }
            out.append(try c.call(args).description)
        }
        out.append(try c.call("LRANGE", "key", "0", "-1").description)
        return out
    }

    func testACompressedListSurvivesARestart() throws {
        var elements: [String] = []
        try ServerProcess.acrossACrash(["--list-compress-depth", "1", "--list-max-listpack-size", "16"], before: { c in
            for i in 0..<2000 { elements.append("element-\(i % 50)-" + String(repeating: "y", count: i % 70)) }
            _ = try c.call(["RPUSH", "l"] + elements)
            _ = try c.call("BGSAVE")
            usleep(300_000)
            _ = try c.call(["LPUSH", "l", "head"])
        }, after: { c in
            guard case .array(let items) = try c.call("LRANGE", "l", "0", "-1") else { return XCTFail("no list") }
            XCTAssertEqual(items.compactMap(\.string), ["head"] + elements)
        })
    }
}
