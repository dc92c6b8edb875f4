import CairnTestSupport
import Foundation
import XCTest

/// Random stream and consumer-group commands sent to Cairn and redis-server alike, every
/// reply compared, with saves and reloads between (RandomizedDifferentialTests). Trims
/// are exact: after a reload Cairn packs the live entries anew, so what an approximate
/// trim may remove then differs from Redis's (whose RDB keeps its nodes), as it may.
extension RandomizedDifferentialTests {
    func testRandomStreamAndGroupOperations() throws {
        var clock = 1
        try runRandomized(seed: 18_2026, arguments: ["--stream-node-max-entries", "5"]) { rng in
            func pick(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
            let key = "s\(pick(2))"
            func id() -> String { "\(1 + pick(max(1, clock)))-\(pick(3))" }
            let group = "g\(pick(2))", consumer = "c\(pick(3))"
            switch pick(20) {
            case 0, 1, 2:
                clock += 1
                return ["XADD", key, "\(clock)-*", "f\(pick(3))", "v\(pick(100))"]
            case 3:
                clock += 1
                return ["XADD", key, "MAXLEN", "=", "\(8 + pick(10))", "\(clock)-\(pick(2))", "a", "1", "b", "2"]
            case 4: return ["XDEL", key, id(), id()]
            case 5: return ["XTRIM", key, "MINID", id()]
            case 6: return ["XGROUP", "CREATE", key, group, pick(2) == 0 ? "0" : "$", "MKSTREAM"]
            case 7, 8: return ["XREADGROUP", "GROUP", group, consumer, "COUNT", "\(1 + pick(4))", "STREAMS", key, ">"]
            case 9: return ["XREADGROUP", "GROUP", group, consumer, "COUNT", "\(pick(4))", "STREAMS", key, pick(2) == 0 ? "0" : id()]
            case 10: return ["XACK", key, group, id(), id(), id()]
            case 11: return ["XCLAIM", key, group, consumer, "0", id(), id(), "JUSTID"]
            case 12: return ["XAUTOCLAIM", key, group, consumer, "0", pick(2) == 0 ? "0" : id(), "COUNT", "\(1 + pick(3))", "JUSTID"]
            case 13: return ["XPENDING", key, group]
            case 14: return ["XINFO", "GROUPS", key]
            case 15: return ["XRANGE", key, pick(2) == 0 ? "-" : id(), "+", "COUNT", "\(1 + pick(5))"]
            case 16: return ["XREVRANGE", key, "+", "-", "COUNT", "\(1 + pick(5))"]
            case 17: return ["XREAD", "COUNT", "3", "STREAMS", "s0", "s1", id(), id()]
            case 18: return ["XGROUP", pick(2) == 0 ? "DELCONSUMER" : "CREATECONSUMER", key, group, consumer]
            default: return ["XLEN", key]
            }
        }
    }
}
