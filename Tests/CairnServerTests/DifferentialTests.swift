import CairnTestSupport
import Foundation
import XCTest

/// Sends the same command scripts to cairn-server and redis-server and compares every
/// reply byte for byte, errors included.
final class DifferentialTests: XCTestCase {
    static func parseLine(_ line: String) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var current: [UInt8] = []
        var inQuotes = false
        var hasWord = false
        var chars = Array(line.utf8).makeIterator()
        while let c = chars.next() {
            if inQuotes {
                if c == UInt8(ascii: "\\"), let n = chars.next() {
                    switch n {
                    case UInt8(ascii: "n"): current.append(10)
                    case UInt8(ascii: "r"): current.append(13)
                    case UInt8(ascii: "x"):
                        // \xHH: a byte by its hex digits.
                        let digits = [chars.next(), chars.next()].compactMap { $0 }
                        current.append(UInt8(String(decoding: digits, as: UTF8.self), radix: 16) ?? 0)
                    default: current.append(n)
                    }
                } else if c == UInt8(ascii: "\"") {
                    inQuotes = false
                } else {
                    current.append(c)
                }
            } else if c == UInt8(ascii: " ") {
                if hasWord { words.append(current); current = []; hasWord = false }
            } else if c == UInt8(ascii: "\"") {
                inQuotes = true
                hasWord = true
            } else {
                current.append(c)
                hasWord = true
            }
        }
        if hasWord { words.append(current) }
        return words
    }

    /// A reply with every RESP integer (":123\r\n") written as ":#".
    static func maskingIntegers(_ reply: [UInt8]) -> [UInt8] {
        let text = String(decoding: reply, as: UTF8.self)
        let masked = text.replacingOccurrences(of: "(^|\r\n):-?[0-9]+\r\n", with: "$1:#\r\n", options: .regularExpression)
        // Twice: adjacent integers share the separator the pattern consumed.
        return Array(masked.replacingOccurrences(of: "(^|\r\n):-?[0-9]+\r\n", with: "$1:#\r\n", options: .regularExpression).utf8)
    }

    static func maskingRadixNodes(_ reply: [UInt8]) -> [UInt8] {
        let text = String(decoding: reply, as: UTF8.self)
        guard text.contains("radix-tree-nodes") else { return reply }
        return Array(text.replacingOccurrences(of: "radix-tree-nodes\r\n:[0-9]+", with: "radix-tree-nodes\r\n:#", options: .regularExpression).utf8)
    }

    /// A line whose replies differ, both replies shown.
    static func mismatch<S: StringProtocol>(_ line: S, _ mine: [UInt8], _ theirs: [UInt8]) -> String {
        "\(line)\n  cairn: \(String(decoding: mine, as: UTF8.self).debugDescription)\n  redis: \(String(decoding: theirs, as: UTF8.self).debugDescription)"
    }

    func compare(_ script: String, protocolVersion: Int = 2, serverArguments: [String] = [],
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let cairn = try ServerProcess.cairn(serverArguments)
        let redis = try ServerProcess.redis(serverArguments)
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        if protocolVersion == 3 {
            _ = try c.call("HELLO", "3")
            _ = try r.call("HELLO", "3")
        }
        var mismatches: [String] = []
        for text in script.split(separator: "\n") where !text.hasPrefix("#") {
            // "~ " before a command: its integer replies are times (idle, elapsed) and
            // are not compared.
            let timed = text.hasPrefix("~ ")
            let args = DifferentialTests.parseLine(String(timed ? text.dropFirst(2) : text))
            if args.isEmpty { continue }
            var mine = try c.callRaw(args)
            var theirs = try r.callRaw(args)
            if timed { (mine, theirs) = (DifferentialTests.maskingIntegers(mine), DifferentialTests.maskingIntegers(theirs)) }
            // XINFO STREAM's radix-tree-nodes counts Redis's radix tree, which Cairn has not.
            (mine, theirs) = (DifferentialTests.maskingRadixNodes(mine), DifferentialTests.maskingRadixNodes(theirs))
            if mine != theirs { mismatches.append(DifferentialTests.mismatch(text, mine, theirs)) }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) replies differ (RESP\(protocolVersion)):\n" + mismatches.joined(separator: "\n"), file: file, line: line)
    }

    func testStringsRESP2() throws { try compare(DifferentialScripts.strings) }
    func testStringsRESP3() throws { try compare(DifferentialScripts.strings, protocolVersion: 3) }
    func testKeysRESP2() throws { try compare(DifferentialScripts.keys) }
    func testKeysRESP3() throws { try compare(DifferentialScripts.keys, protocolVersion: 3) }
    func testDebugRefusedByDefault() throws {
        try compare("DEBUG SLEEP 0\nDEBUG\nDEBUG DIGEST")
    }

    func testDebugSubcommands() throws {
        try compare("""
        DEBUG
        DEBUG FOO
        DEBUG SLEEP 0
        DEBUG SLEEP
        DEBUG SET-ACTIVE-EXPIRE 1
        DEBUG SET-ACTIVE-EXPIRE
        DEBUG OBJECT nokey
        DEBUG ERROR boom
        DEBUG DIGEST
        DEBUG DIGEST-VALUE
        SET k v
        DEBUG RELOAD
        GET k
        """, serverArguments: ["--enable-debug-command", "yes"])
    }

    func testHashesRESP2() throws { try compare(DifferentialScripts.hashes) }
    func testHashesRESP3() throws { try compare(DifferentialScripts.hashes, protocolVersion: 3) }

    func testSetsRESP2() throws { try compare(DifferentialScripts.sets) }
    func testSetsRESP3() throws { try compare(DifferentialScripts.sets, protocolVersion: 3) }

    /// String members live in tables whose order differs between servers: compare sorted.
    func testStringSetsSorted() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        let script: [[String]] = [
            ["SADD", "a", "apple", "banana", "cherry", "1", "2"], ["SADD", "b", "banana", "cherry", "date", "2"],
            ["SINTER", "a", "b"], ["SUNION", "a", "b"], ["SDIFF", "a", "b"], ["SDIFF", "b", "a"],
            ["SUNIONSTORE", "u", "a", "b"], ["SMEMBERS", "u"], ["SPOP", "u", "3"], ["SCARD", "u"],
            ["SRANDMEMBER", "a", "10"], ["SRANDMEMBER", "a", "-3"], ["SMEMBERS", "a"],
        ]
        func normalized(_ v: RESPValue, _ command: String) -> String {
            if let items = v.array, !["SPOP", "SRANDMEMBER"].contains(command) { return items.map(\.description).sorted().description }
            if let items = v.array { return "\(items.count) items" }
            return v.description
        }
        for command in script {
            let mine = try c.call(command), theirs = try r.call(command)
            XCTAssertEqual(normalized(mine, command[0]), normalized(theirs, command[0]), command.joined(separator: " "))
        }
        XCTAssertEqual(normalized(try c.call("SMEMBERS", "u"), "SMEMBERS").count > 0, true)
    }

    /// A big sorted set (skip list and member index): a whole ZSCAN, with and without
    /// MATCH, returns the same (member, score) pairs as Redis's once sorted (the order
    /// follows each server's hash table), while members are added, rescored and removed.
    func testBigSortedSetScanSorted() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        func scanAll(_ client: RESPClient, _ extra: [String]) throws -> [String] {
            var cursor = "0", pairs: [String] = []
            repeat {
                let reply = try client.call(["ZSCAN", "big", cursor] + extra).array!
                cursor = reply[0].string!
                let items = reply[1].array!.map { $0.string! }
                for i in stride(from: 0, to: items.count, by: 2) { pairs.append("\(items[i])=\(items[i + 1])") }
            } while cursor != "0"
            return Array(Set(pairs)).sorted()
        }
        for round in 0..<3 {
            var zadd = ["ZADD", "big"]
            for i in 0..<400 where i % 3 != round { zadd += [String((i * 7919 + round) % 1000) + ".5", "member-\(i)-with-a-longer-name-\(i % 3 == 0 ? "x" : "")"] }
            let zrem = ["ZREM", "big"] + (0..<400).filter { $0 % 5 == round }.map { "member-\($0)-with-a-longer-name-\($0 % 3 == 0 ? "x" : "")" }
            for command in [zadd, zrem, ["ZCARD", "big"], ["OBJECT", "ENCODING", "big"], ["ZRANGE", "big", "0", "20", "WITHSCORES"],
                            ["ZMSCORE", "big", "member-1-with-a-longer-name-", "member-3-with-a-longer-name-x", "absent"]] {
                XCTAssertEqual(try c.call(command).description, try r.call(command).description, command.prefix(3).joined(separator: " "))
            }
            for extra in [["COUNT", "7"], ["MATCH", "member-1*", "COUNT", "50"]] {
                let mine = try scanAll(c, extra), theirs = try scanAll(r, extra)
                XCTAssertFalse(theirs.isEmpty)
                XCTAssertEqual(mine, theirs, "ZSCAN \(extra.joined(separator: " "))")
            }
        }
    }

    func testListsRESP2() throws { try compare(DifferentialScripts.lists) }
    func testListsRESP3() throws { try compare(DifferentialScripts.lists, protocolVersion: 3) }

    func testBitmapsRESP2() throws { try compare(DifferentialScripts.bitmaps) }
    func testBitmapsRESP3() throws { try compare(DifferentialScripts.bitmaps, protocolVersion: 3) }

    func testBitfieldsRESP2() throws { try compare(DifferentialScripts.bitfields) }
    func testBitfieldsRESP3() throws { try compare(DifferentialScripts.bitfields, protocolVersion: 3) }

    func testFunctionsRESP2() throws { try compare(DifferentialScripts.functions) }
    func testFunctionsRESP3() throws { try compare(DifferentialScripts.functions, protocolVersion: 3) }
    func testScriptLibraries() throws { try compare(DifferentialScripts.scriptLibraries) }
    func testScriptingRESP2() throws { try compare(DifferentialScripts.scripting) }
    func testScriptingRESP3() throws { try compare(DifferentialScripts.scripting, protocolVersion: 3) }

    func testDumpRestoreRESP2() throws { try compare(DifferentialScripts.dumpRestore) }
    func testDumpRestoreRESP3() throws { try compare(DifferentialScripts.dumpRestore, protocolVersion: 3) }

    func testHyperLogLogRESP2() throws { try compare(DifferentialScripts.hyperLogLog) }
    func testHyperLogLogRESP3() throws { try compare(DifferentialScripts.hyperLogLog, protocolVersion: 3) }

    func testGeoRESP2() throws { try compare(DifferentialScripts.geo) }
    func testGeoRESP3() throws { try compare(DifferentialScripts.geo, protocolVersion: 3) }

    /// GEOADD runs ZADD's handler in its own call, as Redis does: INFO commandstats counts
    /// GEOADD alone and MONITOR shows GEOADD alone, on both servers.
    func testGeoaddIsOneCommandToStatsAndMonitor() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        func observe(_ server: ServerProcess) throws -> (stats: [String], monitored: [String]) {
            let m = try server.client(), c = try server.client()
            XCTAssertEqual(try m.call("MONITOR"), .simple("OK"))
            XCTAssertEqual(try c.call("GEOADD", "g", "13.361389", "38.115556", "Palermo"), .integer(1))
            XCTAssertEqual(try c.call("GEOADD", "g", "XX", "CH", "15.087269", "37.502669", "Palermo"), .integer(1))
            XCTAssertEqual(try c.call("PING"), .simple("PONG"))
            var monitored: [String] = []
            while monitored.last?.lowercased() != "\"ping\"" {
                let line = try m.readReply().string ?? ""
                monitored.append(String(line[line.index(after: line.firstIndex(of: "]")!)...].dropFirst().split(separator: " ").first ?? ""))
            }
            let stats = try c.call("INFO", "commandstats").string!.split(separator: "\r\n")
                .filter { $0.hasPrefix("cmdstat_") }.map { String($0.prefix { $0 != ":" }) }
            return (stats.filter { $0 != "cmdstat_info" && $0 != "cmdstat_monitor" }.sorted(), monitored.map { $0.lowercased() })
        }
        let mine = try observe(cairn), theirs = try observe(redis)
        XCTAssertEqual(mine.stats, ["cmdstat_geoadd", "cmdstat_ping"])
        XCTAssertEqual(mine.stats, theirs.stats)
        XCTAssertEqual(mine.monitored, ["\"geoadd\"", "\"geoadd\"", "\"ping\""])
        XCTAssertEqual(mine.monitored, theirs.monitored)
    }

    func testGeoSearchRESP2() throws { try compare(DifferentialScripts.geoSearch) }
    func testGeoSearchRESP3() throws { try compare(DifferentialScripts.geoSearch, protocolVersion: 3) }

    func testSortRESP2() throws { try compare(DifferentialScripts.sort) }
    func testSortRESP3() throws { try compare(DifferentialScripts.sort, protocolVersion: 3) }

    func testSortedSetsRESP2() throws { try compare(DifferentialScripts.sortedSets) }
    func testSortedSetsRESP3() throws { try compare(DifferentialScripts.sortedSets, protocolVersion: 3) }

    func testTransactionsRESP2() throws { try compare(DifferentialScripts.transactions) }
    func testTransactionsRESP3() throws { try compare(DifferentialScripts.transactions, protocolVersion: 3) }

    func testEdgesRESP2() throws { try compare(DifferentialScripts.edges) }
    func testEdgesRESP3() throws { try compare(DifferentialScripts.edges, protocolVersion: 3) }

    /// Malformed and unusual raw input: everything each server sends until it closes (or
    /// goes quiet) must be the same.
    func testRawProtocolInput() throws {
        let inputs = [
            "*1\r\n+PING\r\n",
            "*abc\r\n",
            "*-1\r\n*0\r\nPING\r\n",
            "*1\r\n$-1\r\n",
            "*1\r\n$abc\r\n",
            "*2\r\n$4\r\nECHO\r\n$3\r\nabcde\r\nPING\r\n",
            "ECHO \"unbalanced\r\n",
            "ECHO \"a\"b\r\n",
            "ECHO 'it\\'s'\r\nECHO \"\\x41\\n\\t\"\r\n",
            "   \r\n\r\nPING\r\n",
            "SET k v\nGET k\n",
            "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\nGET k\r\n",
            "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n",
            "*1\r\n$4\r\nPING\r\n*1\r\n:4\r\n",
        ]
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        for input in inputs {
            let mine = try exchange(port: cairn.port, input)
            let theirs = try exchange(port: redis.port, input)
            XCTAssertEqual(mine, theirs, "input \(input.debugDescription)")
        }
    }

    /// Sends `input`, then collects what comes back until the server closes or stays
    /// quiet for a moment.
    func exchange(port: Int, _ input: String) throws -> String {
        let c = try RESPClient(port: port, timeoutSeconds: 1)
        try c.sendRaw(input)
        usleep(100_000)
        return String(decoding: c.drainAvailable(), as: UTF8.self)
    }

    func testProtocolAndServerRESP2() throws { try compare(DifferentialScripts.protocolAndServer) }
    func testProtocolAndServerRESP3() throws { try compare(DifferentialScripts.protocolAndServer, protocolVersion: 3) }
}

/// The same random operations on Cairn and redis-server, every reply compared, with a
/// DEBUG RELOAD on both now and then (a snapshot round trip in the middle of the run).
final class RandomizedDifferentialTests: XCTestCase {
    /// Sends one command to both servers; a description when the replies differ.
    static func differ(_ command: [String], _ c: RESPClient, _ r: RESPClient) throws -> String? {
        let args = command.map { Array($0.utf8) }
        let mine = try c.callRaw(args), theirs = try r.callRaw(args)
        if mine == theirs { return nil }
        return "\(command.joined(separator: " ")): cairn \(String(decoding: mine, as: UTF8.self).debugDescription), redis \(String(decoding: theirs, as: UTF8.self).debugDescription)"
    }

    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Starts Cairn and redis-server (with `arguments`, DEBUG enabled), sends both the 3,000
    /// commands `next` makes and compares every reply; now and then both save and reload
    /// (Cairn through its snapshot, Redis through its RDB), and what follows must still agree.
    func runRandomized(seed: UInt64, arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line,
                       next: (inout SeededRandom) -> [String]) throws {
        var rng = SeededRandom(state: seed)
        let cairn = try ServerProcess.cairn(arguments + ["--enable-debug-command", "yes"])
        let redis = try ServerProcess.redis(arguments + ["--enable-debug-command", "yes"])
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        var mismatches: [String] = []
        for _ in 0..<3000 {
            if let m = try RandomizedDifferentialTests.differ(next(&rng), c, r) { mismatches.append(m) }
            if Int.random(in: 0..<250, using: &rng) == 0,
               let m = try RandomizedDifferentialTests.differ(["DEBUG", "RELOAD"], c, r) {
                mismatches.append(m)
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) differ:\n" + mismatches.prefix(10).joined(separator: "\n"),
                  file: file, line: line)
    }

    func testRandomHashOperations() throws {
        try runRandomized(seed: 20261121) { rng in
            func word(_ prefix: String, _ n: Int) -> String { "\(prefix)\(Int.random(in: 0..<n, using: &rng))" }
            let key = word("h", 4)
            switch Int.random(in: 0..<12, using: &rng) {
            case 0, 1: return ["HSET", key, word("f", 30), word("v", 1000)]
            case 2: return ["HSET", key, word("f", 30), word("v", 10), word("f", 30), word("v", 10)]
            case 3: return ["HDEL", key, word("f", 30), word("f", 30)]
            case 4: return ["HGET", key, word("f", 30)]
            case 5: return ["HMGET", key, word("f", 30), word("f", 30), word("f", 30)]
            case 6: return ["HINCRBY", key, word("n", 5), String(Int.random(in: -100...100, using: &rng))]
            case 7: return ["HSETNX", key, word("f", 30), "nx"]
            case 8: return ["HLEN", key]
            case 9: return ["HEXISTS", key, word("f", 30)]
            case 10: return ["HSTRLEN", key, word("f", 30)]
            default: return ["HGETALL", key]
            }
        }
    }

    func testRandomListOperations() throws {
        try runRandomized(seed: 424_242, arguments: ["--list-max-listpack-size", "4"]) { rng in
            func key() -> String { "l\(Int.random(in: 0..<3, using: &rng))" }
            func value() -> String { "v\(Int.random(in: 0..<8, using: &rng))" }
            func index() -> String { String(Int.random(in: -12...12, using: &rng)) }
            switch Int.random(in: 0..<16, using: &rng) {
            case 0, 1: return ["LPUSH", key(), value(), value()]
            case 2, 3: return ["RPUSH", key(), value()]
            case 4: return ["LPOP", key()]
            case 5: return ["RPOP", key(), String(Int.random(in: 0...3, using: &rng))]
            case 6: return ["LRANGE", key(), index(), index()]
            case 7: return ["LINDEX", key(), index()]
            case 8: return ["LSET", key(), index(), value()]
            case 9: return ["LINSERT", key(), Bool.random(using: &rng) ? "BEFORE" : "AFTER", value(), value()]
            case 10: return ["LREM", key(), index(), value()]
            case 11: return ["LTRIM", key(), index(), index()]
            case 12: return ["LPOS", key(), value(), "RANK", String([1, 2, -1, -2].randomElement(using: &rng)!), "COUNT", "0"]
            case 13: return ["LMOVE", key(), key(), Bool.random(using: &rng) ? "LEFT" : "RIGHT", Bool.random(using: &rng) ? "LEFT" : "RIGHT"]
            case 14: return ["LMPOP", "2", key(), key(), "LEFT", "COUNT", "2"]
            default: return ["LLEN", key()]
            }
        }
    }

    /// Small sorted sets turn into skip lists at 4 members here, so both encodings are hit.
    func testRandomSortedSetOperations() throws {
        try runRandomized(seed: 99_001, arguments: ["--zset-max-listpack-entries", "4"]) { rng in
            func key() -> String { "z\(Int.random(in: 0..<3, using: &rng))" }
            func member() -> String { "m\(Int.random(in: 0..<25, using: &rng))" }
            func score() -> String { ["0", "1", "1.5", "2", "-3", "10", "inf", "-inf", "7.25"].randomElement(using: &rng)! }
            func bound() -> String { ["-inf", "+inf", "0", "(1", "2", "(10", "1.5", "-3"].randomElement(using: &rng)! }
            func lex() -> String { ["-", "+", "[m1", "(m1", "[m2", "(m3", "[m9"].randomElement(using: &rng)! }
            func index() -> String { String(Int.random(in: -8...8, using: &rng)) }
            switch Int.random(in: 0..<16, using: &rng) {
            case 0, 1, 2: return ["ZADD", key(), score(), member(), score(), member()]
            case 3: return ["ZREM", key(), member()]
            case 4: return ["ZINCRBY", key(), score(), member()]
            case 5: return ["ZRANGE", key(), index(), index(), "WITHSCORES"]
            case 6: return ["ZRANGE", key(), index(), index(), "REV"]
            case 7: return ["ZRANK", key(), member()]
            case 8: return ["ZREVRANK", key(), member()]
            case 9: return ["ZCOUNT", key(), bound(), bound()]
            case 10: return ["ZRANGEBYSCORE", key(), bound(), bound(), "WITHSCORES", "LIMIT", "1", "3"]
            case 11: return ["ZREVRANGEBYSCORE", key(), bound(), bound()]
            // Lex ranges are defined when all scores are equal (Redis leaves the rest unspecified).
            case 12: return Bool.random(using: &rng) ? ["ZADD", "lz", "0", member()] : ["ZRANGE", "lz", lex(), lex(), "BYLEX"]
            case 13: return ["ZREMRANGEBYRANK", key(), index(), index()]
            case 14: return ["ZPOPMIN", key(), String(Int.random(in: 0...2, using: &rng))]
            default: return ["ZSCORE", key(), member()]
            }
        }
    }

    /// HLL values of every size, both encodings, across a small hll-sparse-max-bytes: the
    /// counts and the bytes (GET) must be the same.
    func testRandomHyperLogLogOperations() throws {
        try runRandomized(seed: 31_337, arguments: ["--hll-sparse-max-bytes", "400"]) { rng in
            func key() -> String { "h\(Int.random(in: 0..<4, using: &rng))" }
            func elements() -> [String] {
                (0..<Int.random(in: 0...30, using: &rng)).map { _ in "e\(Int.random(in: 0..<2000, using: &rng))" }
            }
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1, 2, 3: return ["PFADD", key()] + elements()
            case 4: return ["PFCOUNT", key()]
            case 5: return ["PFCOUNT", key(), key()]
            case 6: return ["PFMERGE", key(), key(), key()]
            case 7: return ["PFDEBUG", Bool.random(using: &rng) ? "ENCODING" : "TODENSE", key()]
            case 8: return ["DEL", key()]
            default: return ["GET", key()]
            }
        }
    }

    /// Places all over the globe (poles, the antimeridian included) and searches of every
    /// size from zero to the whole earth, unsorted and with COUNT ANY too: the same places
    /// in the same order, since both read the same geohash cells.
    func testRandomGeoSearches() throws {
        try runRandomized(seed: 40_075) { rng in
            // Random places never share a distance exactly; the exact edges (the antimeridian,
            // the poles' limits) are each one member named after them. Among places at
            // exactly one distance Redis's sort order is its qsort's (a documented departure).
            func lon() -> String {
                [String(format: "%.6f", Double.random(in: -180...180, using: &rng)),
                 String(format: "%.7f", 179.9 + Double.random(in: 0...0.0999999, using: &rng)),
                 String(format: "%.7f", -179.9 - Double.random(in: 0...0.0999999, using: &rng)),
                 String(format: "%.6f", 13 + Double.random(in: 0...1, using: &rng))].randomElement(using: &rng)!
            }
            func lat() -> String {
                [String(format: "%.6f", Double.random(in: -85.05...85.05, using: &rng)),
                 String(format: "%.8f", 85 + Double.random(in: 0...0.05112878, using: &rng)),
                 String(format: "%.8f", -85 - Double.random(in: 0...0.05112878, using: &rng)),
                 String(format: "%.6f", 38 + Double.random(in: 0...1, using: &rng))].randomElement(using: &rng)!
            }
            func edge() -> [String] {
                let place = [["180", "85.05112878"], ["-180", "-85.05112878"], ["180", "0"], ["-180", "0"], ["0", "85.05112878"],
                             ["0", "-85.05112878"]].randomElement(using: &rng)!
                return place + ["edge:\(place[0]),\(place[1])"]
            }
            func distance() -> [String] {
                [[String(Int.random(in: 0...3, using: &rng)), "km"], [String(Int.random(in: 1...500, using: &rng)), "km"],
                 ["20000", "km"], ["0", "m"], [String(Int.random(in: 1...3000, using: &rng)), "mi"]].randomElement(using: &rng)!
            }
            func extras() -> [String] {
                var e: [String] = []
                if Bool.random(using: &rng) { e.append("WITHDIST") }
                if Bool.random(using: &rng) { e.append("WITHHASH") }
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: e.append("ASC")
                case 1: e += ["COUNT", String(Int.random(in: 1...5, using: &rng)), "ANY"]
                case 2: e += ["COUNT", String(Int.random(in: 1...5, using: &rng)), "DESC"]
                default: break
                }
                return e
            }
            let from = Bool.random(using: &rng) ? ["FROMLONLAT", lon(), lat()] : ["FROMMEMBER", "p\(Int.random(in: 0..<60, using: &rng))"]
            let by = Bool.random(using: &rng) ? ["BYRADIUS"] + distance()
                                             : ["BYBOX", String(Int.random(in: 0...2000, using: &rng)), String(Int.random(in: 0...2000, using: &rng)), "km"]
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: return ["GEOADD", "g"] + (Int.random(in: 0..<8, using: &rng) == 0 ? edge() : [lon(), lat(), "p\(Int.random(in: 0..<60, using: &rng))"])
            case 1: return ["GEORADIUS", "g", lon(), lat()] + distance() + extras()
            default: return ["GEOSEARCH", "g"] + from + by + extras()
            }
        }
    }

    /// Bits set, cleared, counted, found and combined at random offsets.
    func testRandomBitmapOperations() throws {
        try runRandomized(seed: 5_150) { rng in
            func key() -> String { "b\(Int.random(in: 0..<3, using: &rng))" }
            func offset() -> String { String(Int.random(in: 0..<200, using: &rng)) }
            func index() -> String { String(Int.random(in: -30...30, using: &rng)) }
            func unit() -> [String] { [[], ["BIT"], ["BYTE"]].randomElement(using: &rng)! }
            switch Int.random(in: 0..<9, using: &rng) {
            case 0, 1, 2: return ["SETBIT", key(), offset(), String(Int.random(in: 0...1, using: &rng))]
            case 3: return ["GETBIT", key(), offset()]
            case 4: return ["BITCOUNT", key(), index(), index()] + unit()
            case 5: return ["BITPOS", key(), String(Int.random(in: 0...1, using: &rng)), index(), index()] + unit()
            case 6: return ["BITOP", ["AND", "OR", "XOR"].randomElement(using: &rng)!, key(), key(), key()]
            case 7: return ["BITOP", "NOT", key(), key()]
            default: return ["GET", key()]
            }
        }
    }

    /// BITFIELD's types, offsets and overflow policies at random.
    func testRandomBitfieldOperations() throws {
        try runRandomized(seed: 64_064) { rng in
            func key() -> String { "f\(Int.random(in: 0..<2, using: &rng))" }
            func type() -> String {
                Bool.random(using: &rng) ? "i\(Int.random(in: 1...64, using: &rng))" : "u\(Int.random(in: 1...63, using: &rng))"
            }
            func offset() -> String { Bool.random(using: &rng) ? String(Int.random(in: 0..<300, using: &rng)) : "#\(Int.random(in: 0..<5, using: &rng))" }
            func value() -> String {
                [String(Int.random(in: -300...300, using: &rng)), String(Int64.random(in: Int64.min...Int64.max, using: &rng))].randomElement(using: &rng)!
            }
            var command = [Int.random(in: 0..<6, using: &rng) == 0 ? "BITFIELD_RO" : "BITFIELD", key()]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                if command[0] == "BITFIELD_RO" { command += ["GET", type(), offset()]; continue }
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: command += ["GET", type(), offset()]
                case 1: command += ["SET", type(), offset(), value()]
                case 2: command += ["INCRBY", type(), offset(), value()]
                default: command += ["OVERFLOW", ["WRAP", "SAT", "FAIL"].randomElement(using: &rng)!]
                }
            }
            return command
        }
    }

    /// Integer members keep the intset encoding, so even member order must agree.
    func testRandomSetOperations() throws {
        try runRandomized(seed: 7_770_001) { rng in
            func key() -> String { "s\(Int.random(in: 0..<4, using: &rng))" }
            func member() -> String { String(Int.random(in: -40...40, using: &rng) * (Int.random(in: 0..<10, using: &rng) == 0 ? 100_000 : 1)) }
            switch Int.random(in: 0..<12, using: &rng) {
            case 0, 1, 2: return ["SADD", key(), member(), member()]
            case 3: return ["SREM", key(), member(), member()]
            case 4: return ["SISMEMBER", key(), member()]
            case 5: return ["SMISMEMBER", key(), member(), member()]
            case 6: return ["SCARD", key()]
            case 7: return ["SINTER", key(), key()]
            case 8: return ["SUNION", key(), key()]
            case 9: return ["SDIFF", key(), key(), key()]
            case 10: return ["SMOVE", key(), key(), member()]
            default: return ["SMEMBERS", key()]
            }
        }
    }
}

extension DifferentialTests {
    func testStreamsRESP2() throws { try compare(DifferentialScripts.streams) }
    func testStreamsRESP3() throws { try compare(DifferentialScripts.streams, protocolVersion: 3) }
    func testStreamGroupsRESP2() throws { try compare(DifferentialScripts.streamGroups) }
    func testStreamGroupsRESP3() throws { try compare(DifferentialScripts.streamGroups, protocolVersion: 3) }
}
