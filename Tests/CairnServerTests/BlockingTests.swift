import CairnTestSupport
import Foundation
import XCTest

/// Blocking list commands over real sockets.
final class BlockingTests: XCTestCase {
    var server: ServerProcess!

    override func setUpWithError() throws { server = try ServerProcess.cairn() }
    override func tearDown() { server?.stop() }

    func send(_ c: RESPClient, _ args: String...) throws {
        try c.sendRaw(RESPClient.encode(args.map { Array($0.utf8) }))
    }

    func waitBlocked(_ observer: RESPClient, _ n: Int) throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if try observer.call("INFO", "clients").string!.contains("blocked_clients:\(n)\r\n") { return }
            usleep(5000)
        }
        XCTFail("expected \(n) blocked clients")
    }

    func testPushWakesTheFirstWaiterAndOrderIsFIFO() throws {
        let a = try server.client(), b = try server.client(), pusher = try server.client()
        try send(a, "BLPOP", "q", "0")
        try waitBlocked(pusher, 1)
        try send(b, "BLPOP", "q", "0")
        try waitBlocked(pusher, 2)
        XCTAssertEqual(try pusher.call("RPUSH", "q", "first"), .integer(1))
        XCTAssertEqual(try a.readReply().array?.map { $0.string }, ["q", "first"])
        try waitBlocked(pusher, 1)
        XCTAssertEqual(try pusher.call("RPUSH", "q", "second", "third"), .integer(2))
        XCTAssertEqual(try b.readReply().array?.map { $0.string }, ["q", "second"])
        XCTAssertEqual(try pusher.call("LRANGE", "q", "0", "-1").array?.map { $0.string }, ["third"])
    }

    /// Redis 7.0 rounds the milliseconds up before it checks the sign, so a tiny negative
    /// timeout waits for ever; so does one whose deadline is past Int64.
    func testTimeoutsThatRoundToForever() throws {
        let a = try server.client(), b = try server.client(), pusher = try server.client()
        try send(a, "BLPOP", "q", "-0.0001")
        try send(b, "BLPOP", "q", "9223372036854775")
        try waitBlocked(pusher, 2)
        usleep(200_000)
        XCTAssertEqual(try pusher.call("RPUSH", "q", "x", "y"), .integer(2))
        XCTAssertEqual(try a.readReply().array?.map { $0.string }, ["q", "x"])
        XCTAssertEqual(try b.readReply().array?.map { $0.string }, ["q", "y"])
    }

    func testSeveralKeysAndTheKeyThatServed() throws {
        let a = try server.client(), pusher = try server.client()
        try send(a, "BRPOP", "k1", "k2", "0")
        try waitBlocked(pusher, 1)
        try pusher.call("LPUSH", "k2", "x", "y")
        XCTAssertEqual(try a.readReply().array?.map { $0.string }, ["k2", "x"])
        XCTAssertEqual(try pusher.call("LLEN", "k2"), .integer(1))
    }

    func testTimeoutRepliesNullAndLaterRequestsWait() throws {
        let a = try server.client()
        try a.sendRaw(RESPClient.encode([Array("BLPOP".utf8), Array("none".utf8), Array("0.2".utf8)]) +
                      RESPClient.encode([Array("PING".utf8)]))
        let started = Date()
        XCTAssertEqual(try a.readReply(), .null)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.15)
        XCTAssertEqual(try a.readReply(), .simple("PONG"), "the pipelined PING ran after the BLPOP ended")
        try a.call("HELLO", "3")
        try send(a, "BLMOVE", "none", "dst", "LEFT", "RIGHT", "0.05")
        XCTAssertEqual(try a.readReply(), .null)
    }

    func testListsArrivingByRenameCopyAndMoveWakeWaiters() throws {
        let a = try server.client(), b = try server.client(), c = try server.client(), other = try server.client()
        try send(a, "BLPOP", "renamed", "0")
        try send(b, "BLPOP", "copied", "0")
        try c.call("SELECT", "1")
        try send(c, "BLPOP", "moved", "0")
        try waitBlocked(other, 3)
        try other.call("RPUSH", "tmp", "r")
        try other.call("RENAME", "tmp", "renamed")
        XCTAssertEqual(try a.readReply().array?.last?.string, "r")
        try other.call("RPUSH", "src", "c")
        try other.call("COPY", "src", "copied")
        XCTAssertEqual(try b.readReply().array?.last?.string, "c")
        try other.call("RPUSH", "moved", "m")
        try other.call("MOVE", "moved", "1")
        XCTAssertEqual(try c.readReply().array?.last?.string, "m")
        // SWAPDB brings database 2's list into database 1, where c waits again.
        try send(c, "BLPOP", "swapped", "0")
        try waitBlocked(other, 1)
        try other.call("SELECT", "2")
        try other.call("RPUSH", "swapped", "s")
        try other.call("SWAPDB", "1", "2")
        XCTAssertEqual(try c.readReply().array?.last?.string, "s")
    }

    func testSortedSetPopsWaitAndTypesDoNotMix() throws {
        let a = try server.client(), b = try server.client(), listWaiter = try server.client(), other = try server.client()
        try send(listWaiter, "BLPOP", "z", "0")
        try send(a, "BZPOPMIN", "z", "0")
        try send(b, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "2")
        try waitBlocked(other, 3)
        XCTAssertEqual(try other.call("ZADD", "z", "1", "low", "5", "mid", "9", "high"), .integer(3))
        XCTAssertEqual(try a.readReply().array?.map { $0.string }, ["z", "low", "1"])
        let reply = try b.readReply().array!
        XCTAssertEqual(reply[0].string, "z")
        XCTAssertEqual(reply[1].array?.map { $0.array?.map { $0.string } }, [["high", "9"], ["mid", "5"]])
        try waitBlocked(other, 1)  // the list waiter stays: the key holds a sorted set
        XCTAssertEqual(try other.call("EXISTS", "z"), .integer(0))
        try other.call("RPUSH", "z", "item")
        XCTAssertEqual(try listWaiter.readReply().array?.map { $0.string }, ["z", "item"])
    }

    func testBlmoveAndBlmpopWhenServed() throws {
        let a = try server.client(), b = try server.client(), pusher = try server.client()
        try send(a, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
        try waitBlocked(pusher, 1)
        try send(b, "BLMPOP", "0", "2", "dst", "other", "LEFT", "COUNT", "5")
        try waitBlocked(pusher, 2)
        try pusher.call("RPUSH", "src", "a", "b")
        // a is served from src (b), pushes onto dst, which serves the BLMPOP waiting on dst.
        XCTAssertEqual(try a.readReply().string, "b")
        XCTAssertEqual(try b.readReply().description, RESPValue.array([.bulk(Array("dst".utf8)), .array([.bulk(Array("b".utf8))])]).description)
        XCTAssertEqual(try pusher.call("LRANGE", "src", "0", "-1").array?.map { $0.string }, ["a"])
        XCTAssertEqual(try pusher.call("EXISTS", "dst"), .integer(0))
    }

    func testClientUnblockAndDisconnect() throws {
        let a = try server.client(), b = try server.client(), admin = try server.client()
        let idA = try a.call("CLIENT", "ID").int!, idB = try b.call("CLIENT", "ID").int!
        try send(a, "BLPOP", "k", "0")
        try send(b, "BLPOP", "k", "0")
        try waitBlocked(admin, 2)
        XCTAssertEqual(try admin.call("CLIENT", "UNBLOCK", "\(idA)"), .integer(1))
        XCTAssertEqual(try a.readReply(), .null)
        XCTAssertEqual(try admin.call("CLIENT", "UNBLOCK", "\(idB)", "ERROR"), .integer(1))
        XCTAssertEqual(try b.readReply(), .error("UNBLOCKED client unblocked via CLIENT UNBLOCK"))
        XCTAssertEqual(try admin.call("CLIENT", "UNBLOCK", "\(idA)"), .integer(0))
        XCTAssertEqual(try admin.call("CLIENT", "UNBLOCK", "\(idA)", "MAYBE"), .error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"))
        do {
            let c = try server.client()
            try send(c, "BLPOP", "k", "0")
            try waitBlocked(admin, 1)
        }
        // The client object is gone and its socket closed: the server forgets the wait.
        try waitBlocked(admin, 0)
        try admin.call("RPUSH", "k", "kept")
        XCTAssertEqual(try admin.call("LLEN", "k"), .integer(1), "nobody consumed it")
    }

    /// A pop served to a blocked client is logged: after a restart it is gone for good.
    func testServedPopIsDurable() throws {
        server.stop()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-block-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        func launch() throws -> ServerProcess {
            try ServerProcess.cairn(directory: dir, port: port)
        }
        var s = try launch()
        let a = try s.client(), pusher = try s.client()
        try send(a, "BLPOP", "q", "0")
        try waitBlocked(pusher, 1)
        try pusher.call("RPUSH", "q", "taken", "left")
        XCTAssertEqual(try a.readReply().array?.last?.string, "taken")
        XCTAssertEqual(s.terminate(), 0)
        s = try launch()
        XCTAssertEqual(try s.client().call("LRANGE", "q", "0", "-1").array?.map { $0.string }, ["left"])
        s.stop()
    }

    /// Requests are logged as they arrived when their bytes are in the log's form
    /// (Effect.wire). Those decoded ahead of a command that blocks run later, from another
    /// buffer: they must be logged from their arguments, and all of it must replay.
    func testRequestsLoggedAsTheyCameReplay() throws {
        server.stop()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-wire-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        var s = try ServerProcess.cairn(directory: dir, port: port)
        let a = try s.client(), pusher = try s.client()
        let big = String(repeating: "b", count: 300)  // all of it within the first read (2 KiB)
        // One write: a SET, a blocking pop, then writes decoded ahead and run after it
        // wakes, one of them inline and one whose payload ends in "\rX" (not the log's form).
        try a.sendRaw(RESPClient.encode([Array("SET".utf8), Array("before".utf8), Array("1".utf8)])
            + RESPClient.encode([Array("BLPOP".utf8), Array("q".utf8), Array("0".utf8)])
            + RESPClient.encode([Array("SET".utf8), Array("after".utf8), Array(big.utf8)])
            + Array("HSET h f inline\r\n".utf8)
            + Array("*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$1\r\nmrX".utf8)
            + RESPClient.encode([Array("RPUSH".utf8), Array("l".utf8), Array("x".utf8), Array("y".utf8)]))
        try waitBlocked(pusher, 1)
        // More from the blocked client meanwhile: read into the same receive buffer, over
        // the bytes of the requests decoded ahead.
        try a.sendRaw(RESPClient.encode([Array("SET".utf8), Array("pad".utf8), [UInt8](repeating: 112, count: 6000)]))
        Thread.sleep(forTimeInterval: 0.2)
        try pusher.call("RPUSH", "q", "woken")
        XCTAssertEqual(try a.readReply().string, "OK")
        XCTAssertEqual(try a.readReply().array?.last?.string, "woken")
        for _ in 0..<5 { _ = try a.readReply() }
        try pusher.call("SET", "last", "z")
        XCTAssertEqual(s.terminate(), 0)
        s = try ServerProcess.cairn(directory: dir, port: port)
        let c = try s.client()
        XCTAssertEqual(try c.call("GET", "before").string, "1")
        XCTAssertEqual(try c.call("GET", "after").string, big)
        XCTAssertEqual(try c.call("HGET", "h", "f").string, "inline")
        XCTAssertEqual(try c.call("SMEMBERS", "s").array?.map { $0.string }, ["m"])
        XCTAssertEqual(try c.call("LRANGE", "l", "0", "-1").array?.map { $0.string }, ["x", "y"])
        XCTAssertEqual(try c.call("GET", "last").string, "z")
        XCTAssertEqual(try c.call("STRLEN", "pad").int, 6000)
        XCTAssertEqual(try c.call("LLEN", "q").int, 0)
        s.stop()
    }
}
