import CairnRDB
import CairnTestSupport
import Foundation
import XCTest

/// DUMP and RESTORE against redis-server: payloads from either server restore in both
/// with the same results; options, errors and damaged payloads answer alike.
final class DumpRestoreTests: XCTestCase {
    /// Every type in each of its encodings, on one server.
    static func fill(_ c: RESPClient) throws {
        let commands: [[String]] = [
            ["SET", "s:embstr", "hello"], ["SET", "s:int", "12345"], ["SET", "s:int64", "9999999999999"], ["SET", "s:neg", "-5"],
            ["SET", "s:long", String(repeating: "abc", count: 100)], ["SET", "s:zeros", "007"], ["SET", "s:empty", ""],
            ["SET", "s:binary", "a\u{0}b\r\n\u{ff}"], ["APPEND", "s:raw", "appended"],
            ["RPUSH", "l:small", "a", "b", "1", "-70000", "9223372036854775807"],
            ["RPUSH", "l:big"] + (0..<3000).map { "element-\($0)" },
            ["RPUSH", "l:wide"] + (0..<20).map { String(repeating: "w", count: $0 * 700) },
            ["SADD", "set:ints", "1", "2", "3", "-99999", "1099511627776"],
            ["SADD", "set:strs"] + (0..<50).map { "m\($0)" },
            ["SADD", "set:bigints"] + (0..<1000).map { String($0) },
            ["HSET", "h:small", "a", "1", "b", "xyz"],
            ["HSET", "h:mid"] + (0..<300).flatMap { ["f\($0)", "v\($0)"] },
            ["HSET", "h:big"] + (0..<600).flatMap { ["f\($0)", "v\($0)"] },
            ["HSET", "h:longvalue", "f", String(repeating: "v", count: 100)],
            ["ZADD", "z:small", "1", "a", "2.5", "b", "-inf", "c", "1e300", "d", "-0", "e", "0.1", "f"],
            ["ZADD", "z:big"] + (0..<500).flatMap { [String(Double($0) / 7), "m\($0)"] },
            ["PFADD", "hll", "a", "b", "c"],
            ["SET", "ttl", "v", "PX", "100000000"],
        ]
        for command in commands { _ = try c.call(command) }
    }

    static let keys = ["s:embstr", "s:int", "s:int64", "s:neg", "s:long", "s:zeros", "s:empty", "s:binary", "s:raw",
                       "l:small", "l:big", "l:wide", "set:ints", "set:strs", "set:bigints", "h:small", "h:mid", "h:big",
                       "h:longvalue", "z:small", "z:big", "hll", "ttl"]

    /// What a key holds, in an order both servers agree on.
    static func contents(_ c: RESPClient, _ key: String, withEncoding: Bool = true) throws -> String {
        let type = try c.call("TYPE", key).description
        let encoding = withEncoding ? try c.call("OBJECT", "ENCODING", key).description : ""
        var body: RESPValue
        switch type {
        case "list": body = try c.call("LRANGE", key, "0", "-1")
        case "set": body = try c.call("SORT", key, "ALPHA")
        case "hash": body = try c.call("HGETALL", key)
        case "zset": body = try c.call("ZRANGE", key, "0", "-1", "WITHSCORES")
        default: body = try c.call("GET", key)
        }
        if type == "hash", case .array(let a) = body {
            // Hash tables iterate in their own order: compare the pairs sorted.
            let pairs = stride(from: 0, to: a.count, by: 2).map { "\(a[$0])=\(a[$0 + 1])" }.sorted()
            return "\(type) \(encoding) \(pairs)"
        }
        return "\(type) \(encoding) \(body)"
    }

    func testPayloadsFromEitherServerRestoreAlikeInBoth() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        try DumpRestoreTests.fill(c)
        try DumpRestoreTests.fill(r)
        for key in DumpRestoreTests.keys {
            XCTAssertEqual(try DumpRestoreTests.contents(c, key), try DumpRestoreTests.contents(r, key), "\(key) before")
            for (origin, source) in [("redis", r), ("cairn", c)] {
                guard case .bulk(let payload) = try source.call("DUMP", key) else { XCTFail("DUMP \(key)"); continue }
                let copy = Array("\(origin):\(key)".utf8)
                let restore = [Array("RESTORE".utf8), copy, Array("0".utf8), payload]
                XCTAssertEqual(try c.call(restore), .simple("OK"), "\(origin) payload of \(key) in cairn")
                XCTAssertEqual(try r.call(restore), .simple("OK"), "\(origin) payload of \(key) in redis")
                let name = String(decoding: copy, as: UTF8.self)
                XCTAssertEqual(try DumpRestoreTests.contents(c, name), try DumpRestoreTests.contents(r, name), "\(origin) payload of \(key)")
                // The same value as the original (a restored string may change encoding, as in Redis).
                XCTAssertEqual(try DumpRestoreTests.contents(c, name, withEncoding: false),
                               try DumpRestoreTests.contents(r, key, withEncoding: false), "\(origin) payload of \(key)")
            }
        }
        // Payloads of values with one representation (no hash-table order, no quicklist
        // node boundaries) are the same bytes, LZF-compressed ones included.
        for key in ["s:embstr", "s:int", "s:int64", "s:neg", "s:zeros", "s:empty", "s:long", "s:binary", "h:small", "h:mid",
                    "h:longvalue", "l:small", "set:ints", "z:small", "hll"] {
            XCTAssertEqual(try c.call("DUMP", key), try r.call("DUMP", key), key)
        }
        XCTAssertEqual(try c.call("DUMP", "nokey"), try r.call("DUMP", "nokey"))
    }

    /// A payload with its footer made right again after `change`.
    static func resealed(_ payload: [UInt8], version: Int? = nil, _ change: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var body = Array(payload.dropLast(10))
        change(&body)
        let v = version ?? (Int(payload[payload.count - 10]) | Int(payload[payload.count - 9]) << 8)
        body += [UInt8(v & 0xff), UInt8(v >> 8)]
        let crc = CRC64.checksum(body)
        return body + (0..<8).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt64($0))) }
    }

    func testOptionsErrorsAndDamagedPayloadsAnswerAlike() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        _ = try r.call("RPUSH", "list", "a", "b", "c")
        guard case .bulk(let payload) = try r.call("DUMP", "list") else { return XCTFail("DUMP") }
        var flipped = payload
        flipped[3] ^= 0x10
        let bad: [(String, [UInt8])] = [
            ("flipped", flipped), ("short", Array(payload.prefix(9))), ("empty", []),
            ("version 11", DumpRestoreTests.resealed(payload, version: 11)),
            ("version 9", DumpRestoreTests.resealed(payload, version: 9)),
            ("unknown type", DumpRestoreTests.resealed(payload) { $0[0] = 7 }),
            ("stream type", DumpRestoreTests.resealed(payload) { $0[0] = 40 }),
            ("cut listpack", DumpRestoreTests.resealed(payload) { $0.removeLast() }),
            ("empty set", DumpRestoreTests.resealed(payload) { $0 = [2, 0] }),
            ("duplicate set member", DumpRestoreTests.resealed(payload) { $0 = [2, 2, 1, 97, 1, 97] }),
            ("duplicate hash field", DumpRestoreTests.resealed(payload) { $0 = [4, 2, 1, 97, 1, 98, 1, 97, 1, 99] }),
            ("string past the end", DumpRestoreTests.resealed(payload) { $0 = [0, 9, 97] }),
        ]
        for (name, p) in bad {
            let command = [Array("RESTORE".utf8), Array("k".utf8), Array("0".utf8), p]
            XCTAssertEqual(try c.call(command), try r.call(command), name)
        }
        func both(_ args: [String], payload p: [UInt8] = payload, _ label: String) throws {
            let command = [Array("RESTORE".utf8)] + [Array(args[0].utf8), Array(args[1].utf8), p] + args.dropFirst(2).map { Array($0.utf8) }
            XCTAssertEqual(try c.call(command), try r.call(command), label)
        }
        try both(["k", "0"], "restore")
        try both(["k", "0"], "busy")
        try both(["k", "0", "REPLACE"], "replace")
        try both(["k", "-1", "REPLACE"], "negative ttl")
        try both(["k", "abc", "REPLACE"], "bad ttl")
        try both(["k", "0", "BOGUS"], "bogus option")
        try both(["k", "0", "REPLACE", "IDLETIME", "-1"], "negative idle")
        try both(["k", "0", "REPLACE", "IDLETIME", "x"], "bad idle")
        try both(["k", "0", "REPLACE", "FREQ", "256"], "freq too big")
        try both(["k", "0", "REPLACE", "FREQ", "10", "IDLETIME", "10"], "freq and idle")
        try both(["k", "0", "REPLACE", "IDLETIME"], "idle without a value")
        try both(["idle", "0", "IDLETIME", "1000"], "idle")
        XCTAssertEqual(try c.call("OBJECT", "IDLETIME", "idle"), try r.call("OBJECT", "IDLETIME", "idle"))
        try both(["freq", "0", "FREQ", "100"], "freq")
        try both(["ttl", "100000", "REPLACE"], "ttl")
        guard case .integer(let pttl) = try c.call("PTTL", "ttl") else { return XCTFail("PTTL") }
        XCTAssertGreaterThan(pttl, 99_000)
        try both(["abs", "1", "ABSTTL"], "past absolute ttl")
        XCTAssertEqual(try c.call("EXISTS", "abs"), try r.call("EXISTS", "abs"))
        try both(["k", "1", "ABSTTL", "REPLACE"], "past absolute ttl replacing")
        XCTAssertEqual(try c.call("EXISTS", "k"), try r.call("EXISTS", "k"))
        try both(["abs2", "99999999999999", "ABSTTL"], "future absolute ttl")
        XCTAssertEqual(try c.call("PEXPIRETIME", "abs2"), try r.call("PEXPIRETIME", "abs2"))
        XCTAssertEqual(try c.call("LRANGE", "abs2", "0", "-1"), try r.call("LRANGE", "abs2", "0", "-1"))
        _ = try c.call("SET", "str", "x")
        _ = try r.call("SET", "str", "x")
        XCTAssertEqual(try c.call("DUMP", "str"), try r.call("DUMP", "str"))
    }

    /// RESTORE is logged with its expiry absolute: after a crash the key and its deadline
    /// are back.
    func testRestoreSurvivesACrash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-restore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port)
        var c = try server.client()
        try DumpRestoreTests.fill(c)
        var payloads: [String: [UInt8]] = [:]
        for key in DumpRestoreTests.keys {
            guard case .bulk(let p) = try c.call("DUMP", key) else { return XCTFail("DUMP \(key)") }
            payloads[key] = p
            XCTAssertEqual(try c.call([Array("RESTORE".utf8), Array("copy:\(key)".utf8), Array("50000000".utf8), p]), .simple("OK"))
        }
        let deadline = try c.call("PEXPIRETIME", "copy:hll")
        server.crash()
        server = try ServerProcess.cairn(directory: dir, port: port)
        defer { server.stop() }
        c = try server.client()
        for key in DumpRestoreTests.keys {
            XCTAssertEqual(try c.call("DUMP", "copy:\(key)"), .bulk(payloads[key]!), key)
        }
        XCTAssertEqual(try c.call("PEXPIRETIME", "copy:hll"), deadline)
    }
}
