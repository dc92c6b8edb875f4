import CairnTestSupport
import Foundation
import XCTest

/// CLIENT PAUSE and UNPAUSE against redis-server doing the same: which commands wait,
/// that they run when the pause ends, and that keys past their time read as gone but stay.
final class ClientPauseTests: XCTestCase {
    func testPauseMatchesRedis() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        XCTAssertEqual(try ClientPauseTests.transcript(cairn), try ClientPauseTests.transcript(redis))
    }

    static func transcript(_ server: ServerProcess) throws -> [String] {
        let a = try server.client(), b = try server.client(), c = try server.client()
        var out: [String] = []
        func say(_ client: RESPClient, _ args: String...) throws { out.append(try client.call(args).description) }
        func send(_ client: RESPClient, _ args: String...) throws { try client.sendRaw(RESPClient.encode(args.map { Array($0.utf8) })) }
        func since(_ start: Date, atLeast ms: Double) -> String { Date().timeIntervalSince(start) * 1000 >= ms ? "waited" : "did not wait" }
        for args in [["PAUSE"], ["PAUSE", "abc"], ["PAUSE", "-1"], ["PAUSE", "100", "FOO"], ["PAUSE", "100", "write", "x"], ["UNPAUSE", "x"]] {
            out.append(try a.call(["CLIENT"] + args).description)
        }
        try say(a, "SET", "k", "v")
        try say(a, "SET", "e", "x", "PX", "50")
        usleep(100_000)
        // WRITE: writes and commands that may replicate wait, reads go on.
        var start = Date()
        try say(a, "CLIENT", "PAUSE", "400", "WRITE")
        try send(b, "SET", "k", "v2")
        try send(c, "PUBLISH", "ch", "m")
        try say(a, "GET", "k")
        try say(a, "GET", "e")
        try say(a, "DBSIZE")
        guard case .bulk(let info) = try a.call("INFO", "clients") else { throw XCTSkip("no info") }
        out.append(String(decoding: info, as: UTF8.self).contains("blocked_clients:2") ? "2 held" : "not 2 held")
        out.append(try b.readReply().description + " " + since(start, atLeast: 300))
        out.append(try c.readReply().description + " " + since(start, atLeast: 300))
        try say(a, "GET", "k")
        // ALL: everything waits, CLIENT UNPAUSE from another client too.
        start = Date()
        try say(a, "CLIENT", "PAUSE", "300", "ALL")
        try send(b, "PING")
        try say(c, "CLIENT", "UNPAUSE")
        out.append(since(start, atLeast: 200))
        out.append(try b.readReply().description)
        // Inside MULTI a write waits before it is even queued; a read queues at once.
        try say(b, "MULTI")
        start = Date()
        try say(a, "CLIENT", "PAUSE", "300", "WRITE")
        try say(b, "GET", "k")
        out.append(since(start, atLeast: 200))
        try say(b, "SET", "k", "v4")
        out.append(since(start, atLeast: 200))
        try say(b, "EXEC")
        // UNPAUSE ends a WRITE pause at once.
        try say(a, "CLIENT", "PAUSE", "5000", "WRITE")
        try send(b, "SET", "k", "v3")
        start = Date()
        try say(c, "CLIENT", "UNPAUSE")
        out.append(try b.readReply().description)
        out.append(Date().timeIntervalSince(start) < 2 ? "released" : "not released")
        return out
    }
}
