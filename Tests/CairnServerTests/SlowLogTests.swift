import CairnTestSupport
import Foundation
import XCTest

/// SLOWLOG against redis-server doing the same (the situations of Redis's slowlog unit):
/// what is logged, with which arguments (trimmed, redacted, as sent), for which client,
/// and what is not logged. Ids, times, durations and ports differ between the two servers
/// and are left out of the comparison; the rest must be equal.
final class SlowLogTests: XCTestCase {
    func testSlowLogMatchesRedis() throws {
        let arguments = ["--enable-debug-command", "yes"]
        let cairn = try ServerProcess.cairn(arguments)
        let redis = try ServerProcess.redis(arguments)
        defer { cairn.stop(); redis.stop() }
        let mine = try SlowLogTests.transcript(cairn)
        let theirs = try SlowLogTests.transcript(redis)
        XCTAssertEqual(mine.count, theirs.count)
        for (i, (m, t)) in zip(mine, theirs).enumerated() {
            XCTAssertEqual(m, t, "step \(i)")
        }
    }

    /// The entries of SLOWLOG GET as (arguments, client host, client name), newest first.
    static func entries(_ c: RESPClient, _ count: String = "-1") throws -> String {
        guard case .array(let entries) = try c.call("SLOWLOG", "GET", count) else { return "not an array" }
        let lines = entries.map { e -> String in
            guard case .array(let f) = e, f.count == 6, case .bulk(let client) = f[4] else { return "bad entry \(e)" }
            let host = String(decoding: client, as: UTF8.self).split(separator: ":").first.map(String.init) ?? ""
            return "\(f[3]) \(host) \(f[5])"
        }
        // How many times waitBlocked polled INFO depends on timing: a run of them is one.
        let polls = lines.enumerated().filter { i, line in
            !(i > 0 && line.hasPrefix("[\"INFO\", \"clients\"]") && line == lines[i - 1])
        }
        return polls.map(\.element).joined(separator: "\n")
    }

    static func transcript(_ server: ServerProcess) throws -> [String] {
        let c = try server.client(), other = try server.client()
        var out: [String] = []
        func say(_ args: [String]) throws { out.append(try c.call(args).description) }
        func say(_ args: String...) throws { try say(args) }
        // Replies that differ on purpose (HELLO's client id, SPOP's order) are not compared.
        func run(_ args: String...) throws { _ = try c.call(args) }
        func log(_ count: String = "-1") throws { out.append(try entries(c, count)) }
        try say("CONFIG", "SET", "slowlog-log-slower-than", "100000")
        try say("SLOWLOG", "RESET")
        try say("PING")
        try say("SLOWLOG", "LEN")
        try say("CLIENT", "SETNAME", "foobar")
        try say("DEBUG", "SLEEP", "0.2")
        try log()
        // Everything, then only the newest slowlog-max-len.
        try say("CONFIG", "SET", "slowlog-log-slower-than", "0")
        try say("CONFIG", "SET", "slowlog-max-len", "10")
        for _ in 0..<30 { try say("PING") }
        try say("SLOWLOG", "LEN")
        try log("5")
        try say("CONFIG", "SET", "slowlog-max-len", "128")
        try say("SLOWLOG", "RESET")
        // Passwords redacted; EXEC not logged, the commands it ran are.
        try say("AUTH", "secret")
        try say("AUTH", "user", "secret")
        try run("HELLO", "2", "AUTH", "default", "pw", "SETNAME", "named")
        try say("CONFIG", "SET", "masterauth", "pw", "masteruser", "someone")
        try say("MULTI")
        try say("SET", "x", "1")
        try say("GET", "x")
        try say("EXEC")
        try say("NOSUCHCOMMAND")
        try say("GET")
        try log()
        try say("SLOWLOG", "RESET")
        // Long commands kept short; rewritten commands shown as sent.
        try say("SADD", "set", "a", "b", "c", "d", "e")
        try run("SPOP", "set", "10")
        try say("SADD", "big", "foo", String(repeating: "A", count: 129))
        try say(["SADD", "many"] + (0..<38).map { "m\($0)" })
        try say("INCRBYFLOAT", "f", "1.0")
        try say("EVAL", "redis.call('set','a','b') return 1", "0")
        try log()
        try say("SLOWLOG", "RESET")
        // A blocked command: logged as sent when served, not when it times out.
        try other.sendRaw(RESPClient.encode([Array("BLPOP".utf8), Array("l".utf8), Array("0".utf8)]))
        try waitBlocked(c)
        // A subcommand named like a transaction command (RESET) is queued like any other.
        try say("MULTI")
        try say("LPUSH", "l", "v")
        try say("SLOWLOG", "RESET")
        try say("EXEC")
        out.append(try other.readReply().description)
        try other.sendRaw(RESPClient.encode(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"].map { Array($0.utf8) }))
        try waitBlocked(c)
        try say("XADD", "s", "1-1", "a", "1")
        out.append(try other.readReply().description)
        try other.sendRaw(RESPClient.encode(["BLPOP", "none", "0.05"].map { Array($0.utf8) }))
        out.append(try other.readReply().description)
        try log()
        // Off.
        try say("CONFIG", "SET", "slowlog-log-slower-than", "-1")
        try say("SLOWLOG", "RESET")
        try say("PING")
        try say("SLOWLOG", "LEN")
        for args in [["GET", "-2"], ["GET", "abc"], ["GET", "1", "2"], ["LEN", "x"], ["foo"], ["HELP"], ["GET", "0"]] {
            try say(["SLOWLOG"] + args)
        }
        return out
    }

    static func waitBlocked(_ c: RESPClient) throws {
        for _ in 0..<200 {
            if case .bulk(let info) = try c.call("INFO", "clients"),
               String(decoding: info, as: UTF8.self).contains("blocked_clients:1") { return }
            usleep(10_000)
        }
        throw NSError(domain: "SlowLogTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "client not blocked"])
    }
}
