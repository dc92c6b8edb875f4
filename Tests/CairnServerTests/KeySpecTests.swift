import CairnTestSupport
import XCTest

/// Key specs as data, checked against redis-server: COMMAND GETKEYS and GETKEYSANDFLAGS
/// for every command Cairn has (each with lines of its own shape, and random argument
/// lists), and the key specs COMMAND INFO reports.
final class KeySpecTests: XCTestCase {
    /// Lines of every key-spec shape: ranges, steps, numkeys (zero, huge, not a number),
    /// keywords anywhere (STORE, BY, GET, LIMIT), flags that depend on an argument (SET
    /// GET), subcommands, and the errors (no keys, arity, unknown command).
    static let shapes = [
        "SET k v", "SET k v GET", "SET k v EX 10 get", "SET k v GETX",
        "MSET a 1 b 2 c 3", "MSET a 1 b", "MSETNX a 1 b 2", "MGET a b c",
        "SORT k", "SORT k BY w_* GET # GET h_*->f LIMIT 0 10 STORE d", "SORT k STORE d1 STORE d2", "SORT k STORE",
        "SORT k LIMIT STORE x STORE y", "SORT k GET STORE STORE d", "SORT_RO k BY x GET y",
        "ZUNIONSTORE d 2 a b WEIGHTS 1 2", "ZUNIONSTORE d 0", "ZUNIONSTORE d 3 a b", "ZUNIONSTORE d -1 a",
        "ZUNIONSTORE d x a", "ZUNIONSTORE d 4294967297 a", "ZINTERSTORE d 1 a AGGREGATE MAX", "ZDIFFSTORE d 2 a b",
        "ZUNION 2 a b WITHSCORES", "ZINTER 1 a", "ZDIFF 3 a b c", "ZINTERCARD 2 a b LIMIT 1", "SINTERCARD 2 a b",
        "LMPOP 2 a b LEFT COUNT 2", "BLMPOP 0 2 a b RIGHT", "ZMPOP 1 a MIN", "BZMPOP 1.5 2 a b MAX COUNT 3",
        "BLPOP a b c 0", "BRPOP a 0", "BZPOPMIN a b 1", "BLMOVE s d LEFT RIGHT 0", "BRPOPLPUSH s d 0",
        "LMOVE s d LEFT LEFT", "RPOPLPUSH s d", "SMOVE s d m", "RENAME a b", "RENAMENX a b", "COPY a b DB 1 REPLACE",
        "SINTERSTORE d a b", "SUNIONSTORE d a", "SDIFFSTORE d a b c", "ZRANGESTORE d s 0 -1", "LCS a b IDX",
        "DEL a b c", "UNLINK a", "EXISTS a a", "TOUCH a b", "WATCH a b", "OBJECT ENCODING k", "OBJECT FREQ k",
        "OBJECT HELP", "CONFIG GET maxmemory", "CLIENT LIST", "COMMAND INFO get", "PING", "GET", "NOSUCH k",
        "MULTI", "EXEC", "SCAN 0", "KEYS *", "DEBUG DIGEST", "SELECT 1", "SWAPDB 0 1", "MOVE k 1",
    ]

    /// A line for `name` that fits its arity, of keys only.
    static func minimalLine(_ name: String, arity: Int) -> [String] {
        [name] + (1..<max(abs(arity), 2)).map { "k\($0)" }
    }

    func call(_ c: RESPClient, _ words: [String]) throws -> RESPValue { try c.call(words) }

    func commandTable(_ c: RESPClient) throws -> [(name: String, arity: Int)] {
        guard case .array(let infos) = try c.call("COMMAND") else { XCTFail("COMMAND"); return [] }
        return infos.compactMap { info in
            guard case .array(let fields) = info, case .bulk(let name) = fields[0], case .integer(let arity) = fields[1] else { return nil }
            return (String(decoding: name, as: UTF8.self), Int(arity))
        }
    }

    func testGetKeysAgreesForEveryCommand() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        var lines = Self.shapes.map { $0.split(separator: " ").map(String.init) }
        // Commands Redis 7.0 does not have (WAITAOF, of 7.2) are not compared.
        let known = Set(try commandTable(r).map(\.name))
        let table = try commandTable(c).filter { known.contains($0.name) }
        XCTAssertGreaterThan(table.count, 150)
        lines += table.map { Self.minimalLine($0.name, arity: $0.arity) }
        lines += table.map { [$0.name] }
        var mismatches: [String] = []
        for line in lines {
            for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
                let mine = try call(c, ["COMMAND", sub] + line), theirs = try call(r, ["COMMAND", sub] + line)
                if mine != theirs { mismatches.append("COMMAND \(sub) \(line.joined(separator: " ")): cairn \(mine), redis \(theirs)") }
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) differ:\n" + mismatches.prefix(20).joined(separator: "\n"))
    }

    /// Random argument lists for every command (words that are counts, keywords of every
    /// key-spec kind, key names), so no line was chosen to fit the implementation.
    func testRandomArgumentsGetTheSameKeys() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        let tokens = ["0", "1", "2", "3", "-1", "5", "x", "k", "a", "b", "STORE", "store", "BY", "GET", "get", "LIMIT",
                      "WEIGHTS", "LEFT", "MIN", "COUNT", "4294967297", "9223372036854775807", "1.5", ""]
        var rng = RandomizedDifferentialTests.SeededRandom(state: 15_2026)
        var mismatches: [String] = []
        // ZRANK and ZREVRANK take WITHSCORE (arity -3, not 3): a difference on purpose.
        let known = Set(try commandTable(r).map(\.name))
        for (name, _) in try commandTable(c) where !["zrank", "zrevrank"].contains(name) && known.contains(name) {
            for _ in 0..<12 {
                var line = [name]
                for _ in 0..<Int.random(in: 0...7, using: &rng) { line.append(tokens.randomElement(using: &rng)!) }
                let mine = try call(c, ["COMMAND", "GETKEYSANDFLAGS"] + line)
                let theirs = try call(r, ["COMMAND", "GETKEYSANDFLAGS"] + line)
                if mine != theirs { mismatches.append("\(line.joined(separator: " ")): cairn \(mine), redis \(theirs)") }
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) differ:\n" + mismatches.prefix(20).joined(separator: "\n"))
    }

    /// COMMAND INFO: the flags, the legacy key range, movablekeys, the key specs and the
    /// ACL categories (subcommands' too), in RESP3 where they are maps and sets.
    func testCommandInfoKeySpecsAgree() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        _ = try c.call("HELLO", "3")
        _ = try r.call("HELLO", "3")
        // Each command's and subcommand's own key parts, by name.
        func keyParts(_ info: RESPValue, into parts: inout [String: String]) {
            guard case .array(let f) = info, f.count >= 10 else { return }
            var movable = false
            if case .set(let flags) = f[2] { movable = flags.contains(.simple("movablekeys")) }
            var categories: [String] = []
            if case .set(let cats) = f[6] { categories = cats.map(\.description).sorted() }
            var flagNames: [String] = []
            if case .set(let flags) = f[2] { flagNames = flags.map(\.description).sorted() }
            parts["\(f[0])"] = "keys \(f[3]) \(f[4]) \(f[5]) movable \(movable) specs \(f[8]) acl \(categories) flags \(flagNames)"
            if case .array(let subs) = f[9] { for sub in subs { keyParts(sub, into: &parts) } }
        }
        var mismatches: [String] = []
        for (name, _) in try commandTable(c) {
            var mine: [String: String] = [:], theirs: [String: String] = [:]
            if case .array(let infos) = try c.call("COMMAND", "INFO", name) { for i in infos { keyParts(i, into: &mine) } }
            if case .array(let infos) = try r.call("COMMAND", "INFO", name) { for i in infos { keyParts(i, into: &theirs) } }
            XCTAssertFalse(mine.isEmpty, name)
            // What only one of them has (CONFIG REWRITE in Redis; CLIENT NO-TOUCH, of 7.2, in
            // Cairn) is not compared.
            for (command, part) in mine {
                if let other = theirs[command], other != part { mismatches.append("\(command): cairn \(part), redis \(other)") }
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) differ:\n" + mismatches.prefix(20).joined(separator: "\n"))
    }
}
