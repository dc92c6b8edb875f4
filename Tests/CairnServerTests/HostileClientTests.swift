import CairnTestSupport
import Foundation
import XCTest

/// Clients that attack rather than use the server: many connections that never log in,
/// huge and nested headers, half-sent requests, pipelines whose replies are never read,
/// commands with a million arguments. Each test checks that the server stays up, that its
/// memory stays bounded (resident set, from /proc) and that a well-behaved client keeps
/// its latency; each prints its figures (`hostile:` lines), recorded in Docs/OPERATIONS.md.
final class HostileClientTests: XCTestCase {
    /// The server's resident set, in MiB.
    func residentMiB(_ server: ServerProcess) -> Double {
        let text = (try? String(contentsOfFile: "/proc/\(server.process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
    }

    /// The slowest of `count` PING round trips of a client, in milliseconds.
    func slowestPingMs(_ c: RESPClient, count: Int = 200) throws -> Double {
        var worst = 0.0
        for _ in 0..<count {
            let start = Date()
            XCTAssertEqual(try c.call("PING"), .simple("PONG"))
            worst = max(worst, Date().timeIntervalSince(start) * 1000)
        }
        return worst
    }

    func figure(_ text: String) { print("hostile: \(text)") }

    func testTenThousandConnectionsThatNeverAuthenticate() throws {
        let server = try ServerProcess.cairn(["--requirepass", "secret", "--maxclients", "10100"])
        defer { server.stop() }
        let checker = try server.client()
        XCTAssertEqual(try checker.call("AUTH", "secret"), .simple("OK"))
        let before = residentMiB(server)
        var strangers: [RESPClient] = []
        for _ in 0..<10_000 { strangers.append(try server.client()) }
        for (i, s) in strangers.enumerated() where i % 100 == 0 {
            XCTAssertEqual(try s.call("GET", "k"), .error("NOAUTH Authentication required."))
        }
        XCTAssertEqual(try checker.infoField("connected_clients"), "10001")
        let grown = residentMiB(server) - before
        let worst = try slowestPingMs(checker)
        figure("10,000 unauthenticated connections: +\(Int(grown)) MiB resident (\(Int(grown * 1024 * 1024 / 10_000)) bytes each), slowest PING of another client \(String(format: "%.2f", worst)) ms")
        XCTAssertLessThan(grown, 200, "memory per idle connection")
        XCTAssertLessThan(worst, 100)
        strangers.removeAll()
        var left = ""
        for _ in 0..<200 {
            left = try checker.infoField("connected_clients")
            if left == "1" { break }
            usleep(20_000)
        }
        XCTAssertEqual(left, "1")
    }

    /// Headers announcing more than the limits allow are refused with Redis's errors and
    /// the connection closed; ones within the limits whose data never comes cost nothing
    /// up front (nothing is reserved for what is only announced).
    func testHugeHeadersAnswerAsRedisAndReserveNothing() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        for bad in ["*2147483648\r\n", "*1\r\n$2147483648\r\n", "*1\r\n$-5\r\n", "*1\r\n*1\r\n*1\r\n$1\r\nx\r\n",
                    "*" + String(repeating: "9", count: 70_000), "*1\r\n$" + String(repeating: "9", count: 70_000)] {
            var replies: [String] = []
            for server in [cairn, redis] {
                let c = try server.client()
                try c.sendRaw(bad)
                replies.append(String(decoding: c.drainAvailable(), as: UTF8.self))
            }
            XCTAssertEqual(replies[0], replies[1], bad.prefix(40).debugDescription)
            XCTAssertTrue(replies[0].hasPrefix("-ERR Protocol error"), replies[0])
        }
        let checker = try cairn.client()
        let before = residentMiB(cairn)
        var waiting: [RESPClient] = []
        for i in 0..<100 {
            let c = try cairn.client()
            // Alternately: a 512 MB bulk announced, a billion arguments announced.
            try c.sendRaw(i % 2 == 0 ? "*2\r\n$3\r\nGET\r\n$536870912\r\nabc" : "*1000000000\r\n$3\r\nDEL\r\n")
            waiting.append(c)
        }
        XCTAssertEqual(try checker.call("PING"), .simple("PONG"))
        let grown = residentMiB(cairn) - before
        figure("100 clients announcing 512 MB bulks or 10^9 arguments: +\(String(format: "%.1f", grown)) MiB resident")
        XCTAssertLessThan(grown, 32)
    }

    /// Slowloris: many clients trickling requests a few bytes at a time. The server keeps
    /// serving everyone else at once, holds little per client, and answers each trickled
    /// request when it is whole.
    func testSlowlorisClients() throws {
        let server = try ServerProcess.cairn()
        defer { server.stop() }
        let checker = try server.client()
        let before = residentMiB(server)
        let request = Array("*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$5\r\nvalue\r\n".utf8)
        var trickling: [RESPClient] = []
        for _ in 0..<500 { trickling.append(try server.client()) }
        var worst = 0.0
        for offset in 0..<request.count {
            for c in trickling { try c.sendRaw([request[offset]]) }
            if offset < request.count - 1 { worst = max(worst, try slowestPingMs(checker, count: 5)) }
        }
        for c in trickling { XCTAssertEqual(try c.readReply(), .simple("OK")) }
        let grown = residentMiB(server) - before
        figure("500 clients sending a request a byte at a time (\(request.count) rounds): +\(String(format: "%.1f", grown)) MiB resident, slowest PING of another client \(String(format: "%.2f", worst)) ms")
        XCTAssertLessThan(worst, 100)
        XCTAssertLessThan(grown, 64)
    }

    /// A pipeline of GETs of a 1 MB value whose replies are never read (2 GB of replies):
    /// the server stops reading that client's requests once its replies back up, so its
    /// memory stays near what is in flight, and other clients are served as usual.
    func testPipelineThatNeverReadsItsReplies() throws {
        let server = try ServerProcess.cairn()
        defer { server.stop() }
        let checker = try server.client()
        XCTAssertEqual(try checker.call([Array("SET".utf8), Array("big".utf8), [UInt8](repeating: 120, count: 1 << 20)]), .simple("OK"))
        let before = residentMiB(server)
        let greedy = try server.client()
        let get = RESPClient.encode([Array("GET".utf8), Array("big".utf8)])
        try greedy.sendRaw(Array((0..<2000).map { _ in get }.joined()))
        usleep(500_000)
        let worst = try slowestPingMs(checker)
        let grown = residentMiB(server) - before
        figure("2,000 GETs of a 1 MB value never read (2 GB of replies): +\(Int(grown)) MiB resident, slowest PING of another client \(String(format: "%.2f", worst)) ms")
        XCTAssertLessThan(grown, 256)
        XCTAssertLessThan(worst, 100)
        greedy.disconnect()
        XCTAssertEqual(try checker.call("STRLEN", "big"), .integer(1 << 20))
    }

    /// One command of a million arguments, against Redis doing the same: it works, and
    /// the server is back to others as soon as it is done.
    func testCommandWithAMillionArguments() throws {
        let members = (0..<1_000_000).map { Array("m\($0)".utf8) }
        var seconds: [Double] = []
        for redis in [false, true] {
            let server = redis ? try ServerProcess.redis() : try ServerProcess.cairn()
            defer { server.stop() }
            let c = try server.client()
            let start = Date()
            XCTAssertEqual(try c.call([Array("SADD".utf8), Array("s".utf8)] + members), .integer(1_000_000))
            XCTAssertEqual(try c.call([Array("SREM".utf8), Array("s".utf8)] + members), .integer(1_000_000))
            seconds.append(Date().timeIntervalSince(start))
            XCTAssertEqual(try server.client().call("EXISTS", "s"), .integer(0))
        }
        figure("SADD then SREM of 1,000,000 members, one command each: Cairn \(String(format: "%.2f", seconds[0])) s, Redis \(String(format: "%.2f", seconds[1])) s")
    }
}
