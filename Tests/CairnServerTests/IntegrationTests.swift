import CairnTestSupport
import Foundation
import XCTest

/// The built cairn-server over real TCP connections.
final class IntegrationTests: XCTestCase {
    var server: ServerProcess!

    override func setUpWithError() throws {
        server = try ServerProcess.cairn()
    }

    override func tearDown() {
        server?.stop()
    }

    func testCreatesDataDirectoryAndAnswers() throws {
        let c = try server.client()
        XCTAssertEqual(try c.call("PING"), .simple("PONG"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: server.directory.path))
        XCTAssertEqual(try c.call("CONFIG", "GET", "appendfsync"), .array([.bulk(Array("appendfsync".utf8)), .bulk(Array("always".utf8))]))
        XCTAssertEqual(try c.call("CONFIG", "GET", "databases").array?.last?.string, "16")
    }

    func testInlineCommandsAndDeepPipelines() throws {
        let c = try server.client()
        try c.sendRaw("SET greeting \"hello world\"\r\nGET greeting\r\n")
        XCTAssertEqual(try c.readReply(), .simple("OK"))
        XCTAssertEqual(try c.readReply().string, "hello world")
        var batch: [UInt8] = []
        for i in 0..<20_000 { batch += RESPClient.encode([Array("INCR".utf8), Array("n".utf8)]) ; _ = i }
        try c.sendRaw(batch)
        for i in 1...20_000 { XCTAssertEqual(try c.readReply(), .integer(Int64(i))) }
    }

    func testProtocolErrorIsAnsweredThenClosed() throws {
        let c = try server.client()
        try c.sendRaw("*1\r\n$4\r\nPING\r\n*1\r\n+oops\r\n")
        XCTAssertEqual(try c.readReply(), .simple("PONG"))
        XCTAssertEqual(try c.readReply(), .error("ERR Protocol error: expected '$', got '+'"))
        XCTAssertTrue(c.isClosedByServer())
        XCTAssertEqual(try server.client().call("PING"), .simple("PONG"), "the server goes on")
    }

    /// Requests are decoded up to 32 ahead of running them (their keys are prefetched
    /// together): a client that blocks in the middle of a longer pipeline runs the rest
    /// when served, in order, and a malformed request far down a pipeline is answered
    /// after every request before it ran.
    func testPipelinesLongerThanTheLookahead() throws {
        let c = try server.client(), pusher = try server.client()
        func request(_ args: String...) -> [UInt8] { RESPClient.encode(args.map { Array($0.utf8) }) }
        var batch: [UInt8] = []
        for i in 0..<40 { batch += request("SET", "k\(i)", "\(i)") }
        batch += request("BLPOP", "list", "0")
        batch += request("SELECT", "1")
        for i in 0..<40 { batch += request("INCRBY", "k\(i)", "\(i)") }
        batch += request("SELECT", "0")
        batch += request("GET", "k39")
        try c.sendRaw(batch)
        for _ in 0..<40 { XCTAssertEqual(try c.readReply(), .simple("OK")) }
        XCTAssertEqual(try pusher.call("GET", "k39").string, "39")
        XCTAssertEqual(try pusher.call("EXISTS", "k0"), .integer(1))
        XCTAssertEqual(try pusher.call("SELECT", "1"), .simple("OK"))
        XCTAssertEqual(try pusher.call("DBSIZE"), .integer(0), "nothing after the BLPOP ran while it waited")
        XCTAssertEqual(try pusher.call("SELECT", "0"), .simple("OK"))
        XCTAssertEqual(try pusher.call("LPUSH", "list", "x"), .integer(1))
        XCTAssertEqual(try c.readReply().array?.map { $0.string }, ["list", "x"])
        XCTAssertEqual(try c.readReply(), .simple("OK"))
        for i in 0..<40 { XCTAssertEqual(try c.readReply(), .integer(Int64(i))) }
        XCTAssertEqual(try c.readReply(), .simple("OK"))
        XCTAssertEqual(try c.readReply().string, "39")

        let d = try server.client()
        var bad: [UInt8] = []
        for i in 0..<50 { bad += request("RPUSH", "seen", "\(i)") }
        bad += Array("*1\r\n$x\r\n".utf8) + request("RPUSH", "seen", "after")
        try d.sendRaw(bad)
        for i in 0..<50 { XCTAssertEqual(try d.readReply(), .integer(Int64(i + 1))) }
        XCTAssertEqual(try d.readReply(), .error("ERR Protocol error: invalid bulk length"))
        XCTAssertTrue(d.isClosedByServer())
        XCTAssertEqual(try pusher.call("LLEN", "seen"), .integer(50))
    }

    /// Replies go straight to a TCP client's socket while it takes them (DirectSocketWrites);
    /// what it does not take goes through the channel, and the replies after it wait
    /// behind it there. A client that pipelines megabytes of replies and reads them slowly
    /// gets every reply whole and in order, small ones between big ones, and is then
    /// answered as before.
    func testSlowReaderGetsEveryReplyWholeAndInOrder() throws {
        try checkSlowReader(try server.client(), loader: try server.client())
    }

    /// The same through the channel alone (a unix-socket client is never written to
    /// directly), with appendfsync always: replies released from the gate set off
    /// writability events that release the same client again. Before the release took its
    /// replies out of the gate first, this sent some twice and then trapped.
    func testSlowReaderThroughTheChannelGetsEveryReplyOnce() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-slow-\(UUID().uuidString).sock").path
        let unixServer = try ServerProcess.cairn(["--unixsocket", path])
        defer { unixServer.stop() }
        try checkSlowReader(try RESPClient(unixSocket: path), loader: try unixServer.client())
    }

    func checkSlowReader(_ c: RESPClient, loader: RESPClient) throws {
        continueAfterFailure = false
        func request(_ args: String...) -> [UInt8] { RESPClient.encode(args.map { Array($0.utf8) }) }
        func value(_ i: Int) -> [UInt8] { [UInt8](repeating: UInt8(65 + i), count: 300_000 + i * 7) }
        for i in 0..<8 {
            XCTAssertEqual(try loader.call([Array("SET".utf8), Array("slow:big\(i)".utf8), value(i)]), .simple("OK"))
        }
        var batch: [UInt8] = []
        let rounds = 96
        for round in 0..<rounds { batch += request("GET", "slow:big\(round % 8)") + request("INCR", "slow:n") + request("PING") }
        try c.sendRaw(batch)
        // Reading while the server writes: the socket keeps gaining room while part of
        // the output still waits in the channel.
        for round in 0..<rounds {
            // Compared as a Bool: a failure would print megabytes otherwise.
            let reply = try c.readReply()
            guard reply == .bulk(value(round % 8)) else {
                return XCTFail("reply \(round): \(String(describing: reply).prefix(80))")
            }
            XCTAssertEqual(try c.readReply(), .integer(Int64(round + 1)))
            XCTAssertEqual(try c.readReply(), .simple("PONG"))
            usleep(round < 8 ? 100_000 : 1_000)
        }
        XCTAssertEqual(try c.call("GET", "slow:n").string, "\(rounds)")
        XCTAssertEqual(try c.call("PING"), .simple("PONG"))
    }

    /// INFO persistence says where durable writes' time goes: fdatasync latency, records
    /// per fdatasync, how long replies waited at the gate; CONFIG RESETSTAT starts over.
    func testDurabilityFiguresInInfo() throws {
        let c = try server.client()
        func field(_ name: String) throws -> Double {
            let info = try c.call("INFO", "persistence").string!
            let line = info.split(separator: "\r\n").first { $0.hasPrefix(name + ":") }
            return try XCTUnwrap(line.flatMap { Double($0.split(separator: ":")[1]) }, name)
        }
        for i in 0..<50 { try c.call("SET", "k\(i)", "v") }
        XCTAssertGreaterThan(try field("log_fsync_p50_usec"), 0)
        XCTAssertGreaterThanOrEqual(try field("log_fsync_p99_usec"), try field("log_fsync_p50_usec"))
        XCTAssertGreaterThanOrEqual(try field("log_records_per_fsync"), 1)
        XCTAssertGreaterThan(try field("log_reply_hold_p50_usec"), 0, "each SET's reply waited for its fdatasync")
        let duty = try field("log_fsync_duty_cycle")
        XCTAssertTrue(duty >= 0 && duty <= 1)
        XCTAssertEqual(try c.call("CONFIG", "RESETSTAT"), .simple("OK"))
        XCTAssertEqual(try field("log_fsync_p50_usec"), 0)
        XCTAssertEqual(try field("log_records_per_fsync"), 0)
        XCTAssertEqual(try field("log_reply_hold_p99_usec"), 0)
    }

    func testBulkLimitFromConfiguration() throws {
        server.stop()
        server = try ServerProcess.cairn(["--proto-max-bulk-len", "1mb"])
        let c = try server.client()
        try c.sendRaw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n")
        XCTAssertEqual(try c.readReply(), .error("ERR Protocol error: invalid bulk length"))
        XCTAssertTrue(c.isClosedByServer())
        let d = try server.client()
        XCTAssertEqual(try d.call("APPEND", "k", String(repeating: "x", count: 1_000_000)), .integer(1_000_000))
        XCTAssertEqual(try d.call("APPEND", "k", String(repeating: "x", count: 100_000)),
                       .error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"))
    }

    /// A negative count is the one request whose reply grows with a number instead of with
    /// stored data: past 10,000,000 repetitions it is refused, and nothing changes.
    func testRandomRepeatsAreBounded() throws {
        let c = try server.client()
        try c.call("SADD", "s", "a")
        try c.call("HSET", "h", "f", "v")
        try c.call("ZADD", "z", "1", "m")
        let refusal = RESPValue.error("ERR count is out of range: a negative count may ask for at most 10000000 elements")
        XCTAssertEqual(try c.call("SRANDMEMBER", "s", "-10000001"), refusal)
        XCTAssertEqual(try c.call("HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"), refusal)
        XCTAssertEqual(try c.call("ZRANDMEMBER", "z", "-9223372036854775807"), refusal)
        XCTAssertEqual(try c.call("SRANDMEMBER", "s", "-3").array?.count, 3)
        XCTAssertEqual(try c.call("ZRANDMEMBER", "nokey", "-10000001"), .array([]), "a missing key answers before the count matters")
        XCTAssertEqual(try c.call("PING"), .simple("PONG"))
    }

    func testQueryBufferLimitClosesConnection() throws {
        server.stop()
        server = try ServerProcess.cairn(["--client-query-buffer-limit", "1mb"])
        let c = try server.client()
        // A bulk announced within proto-max-bulk-len, but more unparsed input than the limit.
        try c.sendRaw("*2\r\n$4\r\nECHO\r\n$5000000\r\n")
        try? c.sendRaw(Array(repeating: UInt8(ascii: "x"), count: 1_200_000))
        XCTAssertTrue(c.isClosedByServer())
        XCTAssertEqual(try server.client().call("PING"), .simple("PONG"))
    }

    func testResp3Hello() throws {
        let c = try server.client()
        guard case .map(let pairs) = try c.call("HELLO", "3") else { return XCTFail("HELLO 3 should reply with a map") }
        XCTAssertEqual(pairs.first?.0.string, "server")
        XCTAssertEqual(try c.call("GET", "missing"), .null)
        XCTAssertEqual(try c.call("CONFIG", "GET", "port").description, "{\"port\": \"\(server.port)\"}")
        XCTAssertEqual(try c.call("HELLO", "2").array?.count, 14, "after HELLO 2 the map is a flat array")
        XCTAssertEqual(try c.callRaw([Array("GET".utf8), Array("missing".utf8)]), Array("$-1\r\n".utf8))
    }

    func testRequirepass() throws {
        server.stop()
        server = try ServerProcess.cairn(["--requirepass", "s3cret"])
        let c = try server.client()
        XCTAssertEqual(try c.call("GET", "k"), .error("NOAUTH Authentication required."))
        XCTAssertEqual(try c.call("AUTH", "wrong"), .error("WRONGPASS invalid username-password pair or user is disabled."))
        XCTAssertEqual(try c.call("AUTH", "s3cret"), .simple("OK"))
        XCTAssertEqual(try c.call("GET", "k"), .null)
        let d = try server.client()
        guard case .map = try d.call("HELLO", "3", "AUTH", "default", "s3cret") else { return XCTFail("HELLO AUTH") }
        XCTAssertEqual(try d.call("PING"), .simple("PONG"))
        XCTAssertEqual(try d.call("RESET"), .simple("RESET"))
        XCTAssertEqual(try d.call("PING"), .error("NOAUTH Authentication required."))
    }

    func testClientCommands() throws {
        let a = try server.client(), b = try server.client()
        let idA = try a.call("CLIENT", "ID").int!
        XCTAssertEqual(try a.call("CLIENT", "SETNAME", "alpha"), .simple("OK"))
        XCTAssertEqual(try a.call("CLIENT", "GETNAME").string, "alpha")
        let list = try b.call("CLIENT", "LIST").string!
        XCTAssertTrue(list.contains("id=\(idA) ") && list.contains("name=alpha"), list)
        XCTAssertTrue(try a.call("CLIENT", "INFO").string!.hasPrefix("id=\(idA) "))
        XCTAssertEqual(try b.call("CLIENT", "KILL", "ID", "\(idA)"), .integer(1))
        XCTAssertTrue(a.isClosedByServer())
        // CLIENT REPLY OFF silences replies until ON; SKIP silences the next one.
        try b.sendRaw(RESPClient.encode([Array("CLIENT".utf8), Array("REPLY".utf8), Array("OFF".utf8)]))
        try b.sendRaw(RESPClient.encode([Array("SET".utf8), Array("x".utf8), Array("1".utf8)]))
        try b.sendRaw(RESPClient.encode([Array("CLIENT".utf8), Array("REPLY".utf8), Array("ON".utf8)]))
        XCTAssertEqual(try b.readReply(), .simple("OK"))
        try b.sendRaw(RESPClient.encode([Array("CLIENT".utf8), Array("REPLY".utf8), Array("SKIP".utf8)]))
        try b.sendRaw(RESPClient.encode([Array("GET".utf8), Array("x".utf8)]))
        XCTAssertEqual(try b.call("PING"), .simple("PONG"))
        XCTAssertEqual(try b.call("GET", "x").string, "1")
    }

    func testMonitorSeesOtherClientsCommands() throws {
        let m = try server.client(), c = try server.client()
        XCTAssertEqual(try m.call("MONITOR"), .simple("OK"))
        try c.call("SET", "watched", "a b\n")
        let line = try m.readReply().string!
        XCTAssertTrue(line.hasSuffix("\"SET\" \"watched\" \"a b\\n\""), line)
        XCTAssertTrue(line.contains("[0 127.0.0.1:"), line)
    }

    func testActiveExpiryReclaimsUntouchedKeys() throws {
        let c = try server.client()
        for i in 0..<200 { try c.call("SET", "tmp\(i)", "v", "PX", "30") }
        try c.call("SET", "keep", "v")
        let deadline = Date().addingTimeInterval(5)
        var size: Int64 = -1
        while Date() < deadline {
            size = try c.call("DBSIZE").int!
            if size == 1 { break }
            usleep(50_000)
        }
        XCTAssertEqual(size, 1, "expired keys are reclaimed without being read")
        let info = try c.call("INFO", "stats").string!
        XCTAssertTrue(info.contains("expired_keys:200"), info)
    }

    func testLazyExpiryOnAccess() throws {
        let c = try server.client()
        try c.call("CONFIG", "SET", "hz", "1")
        try c.call("SET", "k", "v", "PX", "20")
        usleep(60_000)
        XCTAssertEqual(try c.call("GET", "k"), .null)
        XCTAssertEqual(try c.call("EXISTS", "k"), .integer(0))
    }

    func testScanVisitsEveryKeyOnce() throws {
        let c = try server.client()
        var batch: [UInt8] = []
        for i in 0..<3000 { batch += RESPClient.encode([Array("SET".utf8), Array("key:\(i)".utf8), Array("v".utf8)]) }
        try c.sendRaw(batch)
        for _ in 0..<3000 { _ = try c.readReply() }
        var seen: [String] = []
        var cursor = "0"
        repeat {
            let reply = try c.call("SCAN", cursor, "COUNT", "100").array!
            cursor = reply[0].string!
            seen += reply[1].array!.map { $0.string! }
        } while cursor != "0"
        XCTAssertEqual(Set(seen).count, 3000)
        XCTAssertEqual(try c.call("SCAN", "0", "MATCH", "key:1?", "COUNT", "10000").array![1].array!.count, 10)
        XCTAssertEqual(try c.call("KEYS", "key:2??").array!.count, 100)
    }

    func testConfigSetIsAtomicAndGlobGet() throws {
        let c = try server.client()
        XCTAssertEqual(try c.call("CONFIG", "SET", "timeout", "5", "maxclients", "abc"),
                       .error("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"))
        XCTAssertEqual(try c.call("CONFIG", "GET", "timeout").array?.last?.string, "0", "nothing changed")
        XCTAssertEqual(try c.call("CONFIG", "SET", "timeout", "5", "appendfsync", "everysec"), .simple("OK"))
        let all = try c.call("CONFIG", "GET", "*").array!
        XCTAssertGreaterThan(all.count, 20)
        XCTAssertEqual(try c.call("CONFIG", "GET", "append*", "time*").array!.map { $0.string! }, ["appendfsync", "everysec", "appendonly", "yes", "appenddirname", "appendonlydir",
                                                                                                       "appendfilename", "appendonly.aof", "timeout", "5"])
    }

    func testIdleTimeoutClosesClients() throws {
        let c = try server.client()
        try c.call("CONFIG", "SET", "timeout", "1")
        XCTAssertTrue(c.isClosedByServer())
    }

    func testMaxclients() throws {
        let c = try server.client()
        try c.call("CONFIG", "SET", "maxclients", "2")
        let d = try server.client()
        XCTAssertEqual(try d.call("PING"), .simple("PONG"))
        let e = try server.client()
        XCTAssertEqual(try e.readReply(), .error("ERR max number of clients reached"))
    }

    /// 10,000 connections that send nothing fill maxclients 10000: the next is refused with
    /// Redis's error, the idle ones still answer, and a closed one makes room.
    func testTenThousandIdleConnectionsAgainstMaxclients() throws {
        let server = try ServerProcess.cairn(["--maxclients", "10000"])
        defer { server.stop() }
        let checker = try server.client()
        var idle: [RESPClient] = []
        for _ in 0..<9_999 { idle.append(try server.client()) }
        let refused = try server.client()
        XCTAssertEqual(try refused.readReply(), .error("ERR max number of clients reached"))
        XCTAssertEqual(try checker.infoField("connected_clients"), "10000")
        XCTAssertEqual(try idle[5000].call("PING"), .simple("PONG"))
        idle.removeLast()
        var admitted: RESPClient?
        for _ in 0..<100 where admitted == nil {
            usleep(20_000)
            let next = try server.client()
            if case .simple("PONG") = try next.call("PING") { admitted = next }
        }
        XCTAssertNotNil(admitted, "no room after a client left")
    }

    func testInfoSections() throws {
        let c = try server.client()
        try c.call("SET", "a", "1")
        try c.call("GET", "a")
        let info = try c.call("INFO").string!
        for heading in ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Keyspace"] {
            XCTAssertTrue(info.contains(heading), heading)
        }
        XCTAssertTrue(info.contains("db0:keys=1,expires=0,avg_ttl=0"))
        XCTAssertTrue(info.contains("tcp_port:\(server.port)"))
        XCTAssertTrue(info.contains("mem_allocator:jemalloc-"), "the server runs on jemalloc, as Redis does")
        let stats = try c.call("INFO", "commandstats").string!
        XCTAssertTrue(stats.contains("cmdstat_get:calls=1,"), stats)
        XCTAssertFalse(try c.call("INFO", "server").string!.contains("# Clients"))
        // Counted from here: the start-up probe's PING may have met -LOADING, an error reply too.
        func errorReplies() throws -> Int { try XCTUnwrap(Int(c.infoField("total_error_replies"))) }
        let before = try errorReplies()
        try c.call("NOSUCH")
        try c.call("LPUSH", "a", "x")
        try c.call("GET")
        let errors = try c.call("INFO", "errorstats").string!
        XCTAssertTrue(errors.contains("errorstat_ERR:count=2") && errors.contains("errorstat_WRONGTYPE:count=1"), errors)
        XCTAssertEqual(try errorReplies() - before, 3)
    }

    func testCommandTable() throws {
        let c = try server.client()
        let count = try c.call("COMMAND", "COUNT").int!
        XCTAssertGreaterThan(count, 60)
        XCTAssertEqual(try c.call("COMMAND").array!.count, Int(count))
        let info = try c.call("COMMAND", "INFO", "set").array![0].array!
        XCTAssertEqual(info[0].string, "set")
        XCTAssertEqual(info[1], .integer(-3))
        guard case .map(let docs) = try { try c.call("HELLO", "3"); return try c.call("COMMAND", "DOCS", "get") }() else {
            return XCTFail("COMMAND DOCS is a map")
        }
        XCTAssertEqual(docs.first?.0.string, "get")
    }

    func testQuitAndShutdown() throws {
        let c = try server.client()
        XCTAssertEqual(try c.call("QUIT"), .simple("OK"))
        XCTAssertTrue(c.isClosedByServer())
        let d = try server.client()
        try d.sendRaw(RESPClient.encode([Array("SHUTDOWN".utf8), Array("NOSAVE".utf8)]))
        XCTAssertEqual(server.waitForExit(), 0)
    }

    func testSigtermShutsDownCleanly() throws {
        _ = try server.client().call("SET", "k", "v")
        XCTAssertEqual(server.terminate(), 0)
        XCTAssertTrue(server.log.contains("ready to exit"), server.log)
    }
}

/// Start-up with redis-server's command line and redis.conf syntax.
final class ConfigurationTests: XCTestCase {
    func run(_ arguments: [String]) throws -> (Int32, String) {
        try runToExit(cairnServerBinary(), arguments)
    }

    func testUnknownDirectiveStopsStartup() throws {
        let (status, text) = try run(["--no-such-directive", "1"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(text.contains("Bad directive or wrong number of arguments"), text)
        XCTAssertTrue(text.contains("no-such-directive"), text)
    }

    func testBadValueStopsStartup() throws {
        let (status, text) = try run(["--port", "99999"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(text.contains("argument must be between 0 and 65535 inclusive"), text)
        let (status2, text2) = try run(["--appendfsync", "sometimes"])
        XCTAssertNotEqual(status2, 0)
        XCTAssertTrue(text2.contains("appendfsync"), text2)
    }

    func testConfigFileThenCommandLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-conf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let conf = dir.appendingPathComponent("cairn.conf")
        try """
        # a comment
        port 1
        bind 127.0.0.1
        dir "\(dir.path)/data"
        databases 4
        appendfsync everysec
        """.write(to: conf, atomically: true, encoding: .utf8)
        let server = try ServerProcess(executable: cairnServerBinary(), arguments: [conf.path, "--port", "\(port)"],
                                       port: port, directory: dir)
        defer { server.stop() }
        let c = try server.client()
        XCTAssertEqual(try c.call("CONFIG", "GET", "databases").array?.last?.string, "4")
        XCTAssertEqual(try c.call("CONFIG", "GET", "appendfsync").array?.last?.string, "everysec")
        XCTAssertEqual(try c.call("SELECT", "4"), .error("ERR DB index is out of range"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path + "/data"))
    }
}

/// Protected mode decides by the peer's address; loopback peers are served.
final class ProtectedModeTests: XCTestCase {
    func testLoopbackClientsAreServedInProtectedMode() throws {
        let server = try ServerProcess.cairn(["--protected-mode", "yes"])
        defer { server.stop() }
        XCTAssertEqual(try server.client().call("PING"), .simple("PONG"))
        XCTAssertEqual(try server.client().call("CONFIG", "GET", "protected-mode").array?.last?.string, "yes")
    }
}

/// The short crash test: Tools/crashtest kills the built server with SIGKILL under
/// concurrent writers and checks every acknowledged write after each restart.
final class CrashTests: XCTestCase {
    func testKillNineLosesNothingAcknowledged() throws {
        let (status, out) = try runToExit("/usr/bin/env", [
            "python3", packageRoot.appendingPathComponent("Tools/crashtest").path,
            "--cycles", "3", "--writers", "3", "--min-seconds", "0.2", "--max-seconds", "0.6", "--checkpoint-log-size", "32kb",
            "--binary", cairnServerBinary()])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("3 passed, 0 failed"), out)
        XCTAssertTrue(out.contains("checkpoints: ") && !out.contains("checkpoints: 0 started"), "kills land among checkpoints: \(out)")
    }

    /// Restart after a clean shutdown and after SIGKILL replays the log.
    func testRestartReplaysTheLog() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-restart-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        func launch() throws -> ServerProcess {
            try ServerProcess.cairn(directory: dir, port: port)
        }
        var server = try launch()
        var c = try server.client()
        try c.call("SET", "plain", "v")
        try c.call("SET", "ttl", "v", "EX", "1000")
        try c.call("INCRBYFLOAT", "f", "1.1")
        // An intset is a new object after each change, written back to its key.
        try c.call("SADD", "ints", "1", "2", "3", "4", "5")
        try c.call("EXPIRE", "ints", "1000")
        let popped = try c.call("SPOP", "ints", "2").array!.compactMap(\.string)
        let rest = try c.call("SMEMBERS", "ints").array!.compactMap(\.string)
        XCTAssertEqual(popped.count, 2)
        XCTAssertEqual(Set(popped + rest), ["1", "2", "3", "4", "5"])
        XCTAssertGreaterThan(try c.call("TTL", "ints").int!, 990)
        try c.call("SELECT", "5")
        try c.call("SET", "indb5", "x")
        try c.call("SET", "gone", "x", "PX", "1")
        try c.call("HSET", "hash", "a", "1", "b", "2")
        try c.call("HINCRBYFLOAT", "hash", "a", "0.25")
        try c.call("SADD", "set", "x", "y", "z")
        try c.call("SPOP", "set")
        XCTAssertEqual(server.terminate(), 0)
        server = try launch()
        c = try server.client()
        XCTAssertEqual(try c.call("GET", "plain").string, "v")
        XCTAssertGreaterThan(try c.call("TTL", "ttl").int!, 990)
        XCTAssertEqual(try c.call("GET", "f").string, "1.1")
        XCTAssertEqual(try c.call("SMEMBERS", "ints").array!.compactMap(\.string), rest)
        XCTAssertEqual(try c.call("OBJECT", "ENCODING", "ints").string, "intset")
        XCTAssertGreaterThan(try c.call("TTL", "ints").int!, 990)
        try c.call("SELECT", "5")
        XCTAssertEqual(try c.call("GET", "indb5").string, "x")
        XCTAssertEqual(try c.call("EXISTS", "gone"), .integer(0))
        XCTAssertEqual(try c.call("HMGET", "hash", "a", "b").array?.map { $0.string }, ["1.25", "2"])
        XCTAssertEqual(try c.call("SCARD", "set"), .integer(2), "SPOP replayed as the removal it made")
        try c.call("SET", "after-restart", "y")
        server.crash()
        server = try launch()
        c = try server.client()
        try c.call("SELECT", "5")
        XCTAssertEqual(try c.call("GET", "after-restart").string, "y")
        XCTAssertTrue(server.log.contains("DB loaded from the log"), server.log)
        server.stop()
    }

    /// A damaged record inside the log stops start-up with a message naming the file,
    /// the offset and what to do.
    func testDamagedLogRefusesToStart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-damaged-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let server = try ServerProcess.cairn(directory: dir, port: port)
        let c = try server.client()
        for i in 0..<10 { try c.call("SET", "k\(i)", "v\(i)") }
        XCTAssertEqual(server.terminate(), 0)
        let segment = dir.appendingPathComponent("log/00000000000000000001.log")
        var bytes = try Data(contentsOf: segment)
        bytes[76 + 16] ^= 0x20  // inside the first record, after the 76-byte segment header
        try bytes.write(to: segment)
        let broken = try ServerProcess.cairn(directory: dir, port: port, waitForPort: false)
        XCTAssertEqual(broken.waitForExit(), 1)
        XCTAssertTrue(broken.log.contains("00000000000000000001.log at offset 76"), broken.log)
        XCTAssertTrue(broken.log.contains("cairn check-log"), broken.log)
        broken.stop()
    }

    /// A torn tail (a crash in the middle of a write) is cut off and reported, and the
    /// server starts with everything before it.
    func testTornTailIsCutAndReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-torn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        func launch() throws -> ServerProcess {
            try ServerProcess.cairn(directory: dir, port: port)
        }
        var server = try launch()
        try server.client().call("SET", "k", "v")
        XCTAssertEqual(server.terminate(), 0)
        let segment = dir.appendingPathComponent("log/00000000000000000001.log")
        let handle = try FileHandle(forWritingTo: segment)
        handle.seekToEndOfFile()
        handle.write(Data([40, 0, 0, 0, 1, 2, 3, 4, 5]))
        handle.closeFile()
        server = try launch()
        XCTAssertEqual(try server.client().call("GET", "k").string, "v")
        XCTAssertTrue(server.log.contains("Torn record at the end of the log"), server.log)
        server.stop()
    }
}

/// DEBUG as test suites use it.
final class DebugCommandTests: XCTestCase {
    func testReloadReplaysTheLogAndKeepsTheDigest() throws {
        let server = try ServerProcess.cairn(["--enable-debug-command", "yes"])
        defer { server.stop() }
        let c = try server.client()
        for i in 0..<500 { try c.call("SET", "k\(i)", "v\(i)") }
        try c.call("INCRBYFLOAT", "f", "2.5")
        try c.call("SET", "t", "x", "EX", "1000")
        try c.call("SELECT", "2")
        try c.call("SET", "other", "db")
        let digest = try c.call("DEBUG", "DIGEST").string!
        XCTAssertEqual(digest.count, 40)
        XCTAssertNotEqual(digest, String(repeating: "0", count: 40))
        XCTAssertEqual(try c.call("DEBUG", "RELOAD"), .simple("OK"))
        XCTAssertEqual(try c.call("DEBUG", "DIGEST").string, digest)
        XCTAssertEqual(try c.call("GET", "other").string, "db")
        try c.call("SELECT", "0")
        XCTAssertEqual(try c.call("DBSIZE"), .integer(502))
        try c.call("SET", "k1", "changed")
        XCTAssertNotEqual(try c.call("DEBUG", "DIGEST").string, digest)
        let object = try c.call("DEBUG", "OBJECT", "k1").string!
        XCTAssertTrue(object.contains("encoding:embstr") && object.contains("serializedlength:8"), object)
        XCTAssertEqual(try c.call("DEBUG", "DIGEST-VALUE", "k2", "k3").array?.count, 2)
    }

    /// DEBUG RELOAD in the middle of a pipeline keeps the replies before it.
    func testReloadInAPipelineKeepsEarlierReplies() throws {
        let server = try ServerProcess.cairn(["--enable-debug-command", "yes"])
        defer { server.stop() }
        let c = try server.client()
        try c.sendRaw("SET a 1\r\nDEBUG RELOAD\r\nGET a\r\n")
        XCTAssertEqual(try c.readReply(), .simple("OK"))
        XCTAssertEqual(try c.readReply(), .simple("OK"))
        XCTAssertEqual(try c.readReply().string, "1")
    }

    func testSetActiveExpireOffLeavesKeysToLazyExpiry() throws {
        let server = try ServerProcess.cairn(["--enable-debug-command", "yes"])
        defer { server.stop() }
        let c = try server.client()
        XCTAssertEqual(try c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), .simple("OK"))
        for i in 0..<50 { try c.call("SET", "tmp\(i)", "v", "PX", "10") }
        usleep(400_000)
        XCTAssertEqual(try c.call("DBSIZE"), .integer(50), "nothing reclaimed in the background")
        XCTAssertEqual(try c.call("GET", "tmp1"), .null, "reading expires")
        XCTAssertEqual(try c.call("DBSIZE"), .integer(49))
        XCTAssertEqual(try c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), .simple("OK"))
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, try c.call("DBSIZE") != .integer(0) { usleep(50_000) }
        XCTAssertEqual(try c.call("DBSIZE"), .integer(0))
    }
}

/// While the log replays, commands get -LOADING and the log reports progress.
final class LoadingTests: XCTestCase {
    func testClientsSeeLoadingWhileTheLogReplays() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-loading-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port, ["--appendfsync", "no"])
        let c = try server.client()
        var batch: [UInt8] = []
        for i in 0..<20_000 { batch += RESPClient.encode([Array("SET".utf8), Array("key:\(i)".utf8), Array("v".utf8)]) }
        for _ in 0..<15 {
            try c.sendRaw(batch)
            for _ in 0..<20_000 { _ = try c.readReply() }
        }
        XCTAssertEqual(server.terminate(), 0)
        server = try ServerProcess.cairn(directory: dir, port: port, ["--appendfsync", "no"], waitForPort: false)
        defer { server.stop() }
        var sawLoading = false, sawValue = false
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && !sawValue {
            guard let probe = try? RESPClient(port: port, timeoutSeconds: 5) else { usleep(2000); continue }
            switch try probe.call("GET", "key:19999") {
            case .error(let e) where e.hasPrefix("LOADING"): sawLoading = true
            case .bulk: sawValue = true
            default: break
            }
            // INFO has the loading flag and answers during the load.
            if !sawValue, let info = try? probe.call("INFO", "persistence").string, info.contains("loading:1") { sawLoading = true }
        }
        XCTAssertTrue(sawLoading, "300k records take long enough to be seen loading")
        XCTAssertTrue(sawValue, "and then the data is served")
        XCTAssertEqual(try server.client().call("DBSIZE"), .integer(20_000))
        // The log is read from the server's output as it comes: wait for the line.
        XCTAssertTrue(server.waitForLog("DB loaded from the log: 300000 records"), server.log)
    }
}

/// Redis's own configuration files start Cairn: the directives that mean nothing here are
/// accepted, checked as Redis checks them, reported by CONFIG GET, and named at start-up.
final class RedisConfigurationTests: XCTestCase {
    func testDebiansStockRedisConfStartsCairn() throws {
        let stock = "/etc/redis/redis.conf"
        guard FileManager.default.fileExists(atPath: stock) else { throw XCTSkip("no \(stock): run Tools/setup") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-stock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        // The file unchanged; where it names the system's paths, the test's own.
        let server = try ServerProcess(executable: cairnServerBinary(),
                                       arguments: [stock, "--port", "\(port)", "--dir", dir.path, "--logfile", "",
                                                   "--pidfile", dir.appendingPathComponent("pid").path],
                                       port: port, directory: dir)
        defer { server.stop() }
        let c = try server.client()
        XCTAssertEqual(try c.call("SET", "k", "v"), .simple("OK"))
        XCTAssertEqual(try c.call("CONFIG", "GET", "appendfsync"), .array([.bulk(Array("appendfsync".utf8)), .bulk(Array("everysec".utf8))]))
        XCTAssertTrue(server.log.contains("do not apply to Cairn and are ignored"), server.log)
        XCTAssertTrue(server.log.contains("daemonize"), server.log)
    }

    func testIgnoredDirectivesAnswerAsRedis() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        let lines: [[String]] = [
            ["CONFIG", "GET", "aof-use-rdb-preamble"], ["CONFIG", "SET", "aof-use-rdb-preamble", "no"],
            ["CONFIG", "GET", "aof-use-rdb-preamble"], ["CONFIG", "SET", "aof-use-rdb-preamble", "maybe"],
            ["CONFIG", "GET", "appendfilename"], ["CONFIG", "SET", "appendfilename", "x.aof"],
            ["CONFIG", "GET", "repl-diskless-load"], ["CONFIG", "SET", "repl-diskless-load", "swapdb"],
            ["CONFIG", "GET", "repl-diskless-load"], ["CONFIG", "SET", "repl-diskless-load", "sometimes"],
            ["CONFIG", "SET", "repl-diskless-sync-delay", "-1"], ["CONFIG", "SET", "repl-diskless-sync-delay", "x"],
            ["CONFIG", "SET", "repl-diskless-sync-delay", "7"], ["CONFIG", "GET", "repl-diskless-sync-delay"],
            ["CONFIG", "GET", "auto-aof-rewrite-min-size"], ["CONFIG", "SET", "auto-aof-rewrite-min-size", "128mb"],
            ["CONFIG", "GET", "auto-aof-rewrite-min-size"], ["CONFIG", "GET", "auto-aof-rewrite-percentage"],
            ["CONFIG", "GET", "list-compress-depth"], ["CONFIG", "SET", "list-compress-depth", "0"],
            ["CONFIG", "SET", "list-compress-depth", "-1"], ["CONFIG", "SET", "list-compress-depth", "2"],
            ["CONFIG", "GET", "list-compress-depth"], ["CONFIG", "SET", "list-compress-depth", "0"],
            ["CONFIG", "GET", "oom-score-adj-values"], ["CONFIG", "GET", "daemonize"], ["CONFIG", "SET", "daemonize", "yes"],
            ["CONFIG", "GET", "lazyfree-lazy-user-del"], ["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"],
            ["CONFIG", "GET", "lazyfree-lazy-user-del"],
            ["CONFIG", "SET", "active-defrag-cycle-min", "100"], ["CONFIG", "SET", "active-defrag-threshold-upper", "1001"],
            ["CONFIG", "SET", "active-expire-effort", "11"], ["CONFIG", "SET", "activedefrag", "x"],
            ["CONFIG", "SET", "io-threads", "2"], ["CONFIG", "GET", "io-threads"], ["CONFIG", "SET", "supervised", "x"],
            ["CONFIG", "SET", "sanitize-dump-payload", "x"], ["CONFIG", "SET", "sanitize-dump-payload", "yes"],
            ["CONFIG", "GET", "sanitize-dump-payload"], ["CONFIG", "SET", "propagation-error-behavior", "x"],
            ["CONFIG", "GET", "crash-log-enabled"], ["CONFIG", "GET", "server_cpulist"], ["CONFIG", "GET", "active-defrag-cycle-max"],
        ]
        for line in lines {
            XCTAssertEqual(try c.call(line), try r.call(line), line.joined(separator: " "))
        }
    }

    /// Every directive Redis 7.0 knows is one Cairn knows, with the same default.
    func testEveryRedisDirectiveIsKnown() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        func names(_ server: ServerProcess) throws -> Set<String> {
            let all = try server.client().call("CONFIG", "GET", "*").array ?? []
            return Set(stride(from: 0, to: all.count, by: 2).compactMap { all[$0].string })
        }
        XCTAssertEqual(try names(redis).subtracting(names(cairn)).sorted(), [])
        for name in ["aclfile", "acl-pubsub-default", "acllog-max-len"] {
            XCTAssertEqual(try cairn.client().call("CONFIG", "GET", name), try redis.client().call("CONFIG", "GET", name), name)
        }
    }

    /// The directives and commands of cluster mode, modules and protected configs, as a
    /// Redis without cluster mode and with the enable-* defaults answers them.
    func testClusterModuleAndProtectedAnswerAsRedis() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        let lines: [[String]] = [
            ["CONFIG", "GET", "cluster-enabled"], ["CONFIG", "SET", "cluster-enabled", "yes"],
            ["CONFIG", "SET", "cluster-node-timeout", "5000"], ["CONFIG", "GET", "cluster-node-timeout"],
            ["CONFIG", "SET", "cluster-slave-validity-factor", "3"], ["CONFIG", "GET", "cluster-replica-validity-factor"],
            ["CONFIG", "SET", "cluster-preferred-endpoint-type", "x"], ["CONFIG", "SET", "cluster-announce-hostname", "a b"],
            ["CONFIG", "SET", "cluster-announce-hostname", "host-1.example"], ["CONFIG", "GET", "cluster-announce-hostname"],
            ["CONFIG", "SET", "cluster-port", "7000"], ["CONFIG", "GET", "cluster-config-file"],
            ["CLUSTER", "INFO"], ["CLUSTER", "NODES"], ["CLUSTER", "KEYSLOT", "k"], ["CLUSTER", "HELP"], ["CLUSTER", "NOSUCH"],
            ["CLUSTER", "KEYSLOT"], ["READONLY"], ["READWRITE"], ["ASKING"],
            ["MODULE", "LIST"], ["MODULE", "LOAD", "/nonexistent.so"], ["MODULE", "UNLOAD", "x"], ["MODULE", "NOSUCH"],
            ["MODULE", "HELP"], ["MODULE", "LIST", "x"],
            ["CONFIG", "SET", "dir", "/tmp"], ["CONFIG", "SET", "dbfilename", "x.rdb"], ["CONFIG", "GET", "enable-protected-configs"],
            ["CONFIG", "SET", "enable-protected-configs", "yes"], ["CONFIG", "SET", "enable-module-command", "yes"],
            ["CONFIG", "GET", "enable-module-command"],
            ["CONFIG", "SET", "slave-announce-ip", "10.0.0.9"], ["CONFIG", "GET", "replica-announce-ip"],
            ["CONFIG", "SET", "slave-announce-port", "70000"], ["CONFIG", "SET", "slave-lazy-flush", "yes"],
            ["CONFIG", "GET", "replica-lazy-flush"], ["CONFIG", "SET", "replica-announced", "321"],
            ["CONFIG", "SET", "replica-announced", "no"], ["CONFIG", "GET", "replica-announced"],
            ["CONFIG", "GET", "syslog-enabled"], ["CONFIG", "GET", "syslog-facility"], ["CONFIG", "SET", "syslog-enabled", "yes"],
            ["CONFIG", "GET", "unixsocket"], ["CONFIG", "GET", "unixsocketperm"], ["CONFIG", "SET", "unixsocketperm", "700"],
            ["CONFIG", "GET", "socket-mark-id"], ["CONFIG", "SET", "socket-mark-id", "1"],
            ["CONFIG", "SET", "bind-source-addr", "127.0.0.1"], ["CONFIG", "GET", "bind-source-addr"],
            ["CONFIG", "SET", "bind-source-addr", ""],
            ["COMMAND", "LIST", "FILTERBY", "PATTERN", "set"], ["COMMAND", "LIST", "FILTERBY", "PATTERN", "non_exists*"],
            ["COMMAND", "LIST", "FILTERBY", "MODULE", "x"], ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"],
            ["COMMAND", "LIST", "FILTERBY", "bad"], ["COMMAND", "LIST", "bad"], ["COMMAND", "LIST", "FILTERBY", "bad", "x"],
        ]
        for line in lines {
            XCTAssertEqual(try c.call(line), try r.call(line), line.joined(separator: " "))
        }
        // Same members, in each server's own order.
        for line in [["COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*help"], ["COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*re*"],
                     ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "hyperloglog"], ["COMMAND", "LIST", "FILTERBY", "PATTERN", "xgroup*"]] {
            let mine = try c.call(line).array?.compactMap(\.string).sorted(), theirs = try r.call(line).array?.compactMap(\.string).sorted()
            XCTAssertEqual(mine, theirs, line.joined(separator: " "))
        }
        let all = try c.call("COMMAND", "LIST").array?.compactMap(\.string) ?? []
        XCTAssertTrue(all.contains("client|list") && all.contains("set") && all.contains("cluster|help"))
    }
}

/// CLIENT LIST and CLIENT INFO's fields that describe the request being run, against
/// redis-server: qbuf (the read being run), argv-mem (its arguments), cmd (the command
/// running, so CLIENT LIST shows itself), as Redis's introspection unit expects.
final class ClientListFieldsTests: XCTestCase {
    static func fields(_ line: String, _ names: [String]) -> String {
        let pairs = line.split(separator: " ").compactMap { word -> (String, String)? in
            let kv = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
        }
        return names.map { n in "\(n)=\(pairs.first { $0.0 == n }?.1 ?? "?")" }.joined(separator: " ")
    }

    func testRequestFieldsMatchRedis() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let names = ["flags", "db", "multi", "qbuf", "argv-mem", "cmd", "resp"]
        func transcript(_ server: ServerProcess) throws -> [String] {
            let c = try server.client()
            var out: [String] = []
            func info(_ reply: RESPValue) { out.append(ClientListFieldsTests.fields(reply.string ?? "", names)) }
            info(try c.call("CLIENT", "INFO"))
            info(try c.call("CLIENT", "LIST"))
            // Two requests in one read: qbuf counts the whole read while its first runs.
            try c.sendRaw(RESPClient.encode([Array("CLIENT".utf8), Array("INFO".utf8)]) + RESPClient.encode([Array("PING".utf8)]))
            info(try c.readReply())
            out.append(try c.readReply().description)
            _ = try c.call("SELECT", "2")
            info(try c.call("CLIENT", "INFO"))
            return out
        }
        XCTAssertEqual(try transcript(cairn), try transcript(redis))
    }

    /// CLIENT LIST's flags, several at once, in Redis's order: x (MULTI), b (blocked),
    /// t (tracking), B (BCAST), d (a watched key changed), P (subscribed), S (a replica).
    func testFlagsMatchRedis() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        func transcript(_ server: ServerProcess) throws -> [String] {
            let observer = try server.client()
            func clientID(_ c: RESPClient) throws -> String {
                guard case .integer(let n) = try c.call("CLIENT", "ID") else { return "?" }
                return String(n)
            }
            func flags(_ c: RESPClient) throws -> String {
                let id = try clientID(c)
                let line = try observer.call("CLIENT", "LIST", "ID", id).string ?? ""
                return ClientListFieldsTests.fields(line, ["flags"])
            }
            var out: [String] = []
            let a = try server.client(), b = try server.client(), sub = try server.client()
            _ = try a.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:")
            _ = try a.call("WATCH", "k")
            _ = try observer.call("SET", "k", "1")
            let idA = try clientID(a)
            _ = try a.call("MULTI")
            out.append(ClientListFieldsTests.fields(try observer.call("CLIENT", "LIST", "ID", idA).string ?? "", ["flags"]))
            _ = try a.call("DISCARD")
            out.append(try flags(a))
            let idB = try clientID(b)
            try b.sendRaw(RESPClient.encode(["BLPOP", "list", "0"].map { Array($0.utf8) }))
            usleep(100_000)
            out.append(ClientListFieldsTests.fields(try observer.call("CLIENT", "LIST", "ID", idB).string ?? "", ["flags"]))
            _ = try observer.call("LPUSH", "list", "x")
            _ = try b.readReply()
            let idSub = try clientID(sub)
            _ = try sub.call("SUBSCRIBE", "ch")
            out.append(ClientListFieldsTests.fields(try observer.call("CLIENT", "LIST", "ID", idSub).string ?? "", ["flags"]))
            return out
        }
        let mine = try transcript(cairn)
        XCTAssertEqual(mine, try transcript(redis))
        XCTAssertEqual(mine.first, "flags=xtBd")
    }
}

/// INFO has every field redis-server 7.0 reports (what monitoring such as the Prometheus
/// redis_exporter reads), section by section; Cairn's own fields come on top.
final class InfoFieldsTests: XCTestCase {
    static func fields(_ c: RESPClient) throws -> [String: Set<String>] {
        guard case .bulk(let text) = try c.call("INFO", "everything") else { return [:] }
        var sections: [String: Set<String>] = [:]
        var current = ""
        for line in String(decoding: text, as: UTF8.self).split(whereSeparator: \.isNewline) {
            if line.hasPrefix("# ") { current = String(line.dropFirst(2)); continue }
            guard let name = line.split(separator: ":").first.map(String.init) else { continue }
            if ["cmdstat_", "errorstat_", "latency_percentiles_usec_", "db"].contains(where: { name.hasPrefix($0) }) { continue }
            sections[current, default: []].insert(name)
        }
        return sections
    }

    func testEveryRedisFieldIsThere() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let mine = try InfoFieldsTests.fields(cairn.client()), theirs = try InfoFieldsTests.fields(redis.client())
        XCTAssertEqual(Set(mine.keys), Set(theirs.keys))
        for (section, names) in theirs {
            XCTAssertEqual(names.subtracting(mine[section] ?? []), [], "INFO \(section) lacks these")
        }
    }
}

/// CONFIG REWRITE: the file keeps its comments, order and unknown lines, takes the values
/// in force, and starts a server that has them again.
final class ConfigRewriteTests: XCTestCase {
    func testRewriteKeepsTheFileAndRoundTrips() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-rewrite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let conf = dir.appendingPathComponent("cairn.conf")
        try """
        # my settings
        port \(port)
        bind 127.0.0.1

        # persistence
        save 900 1
        save 300 10
        appendfsync everysec
        hash-max-ziplist-entries 256
        dir "\(dir.path)/data"
        """.write(to: conf, atomically: true, encoding: .utf8)
        var server = try ServerProcess(executable: cairnServerBinary(), arguments: [conf.path], port: port, directory: dir)
        var c = try server.client()
        XCTAssertEqual(try c.call("CONFIG", "SET", "maxclients", "500", "hash-max-listpack-entries", "100", "requirepass", "p w"), .simple("OK"))
        _ = try c.call("AUTH", "p w")
        // As redis-sentinel sends it after a failover: inside MULTI.
        _ = try c.call("MULTI")
        _ = try c.call("CONFIG", "REWRITE")
        XCTAssertEqual(try c.call("EXEC"), .array([.simple("OK")]))
        let text = try String(contentsOf: conf, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("# my settings\nport \(port)\nbind 127.0.0.1\n\n# persistence\nsave 900 1 300 10\n"), text)
        XCTAssertTrue(text.contains("hash-max-listpack-entries 100\n") && !text.contains("ziplist"), "an alias line is rewritten under its new name, as Redis 7.0 does: \(text)")
        XCTAssertTrue(text.contains("# Generated by CONFIG REWRITE\n"), text)
        XCTAssertTrue(text.contains("maxclients 500\n") && text.contains("requirepass \"p w\"\n"), text)
        XCTAssertFalse(text.contains("slowlog-max-len"), "defaults are not written: \(text)")
        server.stop()
        server = try ServerProcess(executable: cairnServerBinary(), arguments: [conf.path], port: port, directory: dir)
        defer { server.stop() }
        c = try server.client()
        _ = try c.call("AUTH", "p w")
        XCTAssertEqual(try c.call("CONFIG", "GET", "maxclients").array?.last?.string, "500")
        XCTAssertEqual(try c.call("CONFIG", "GET", "hash-max-listpack-entries").array?.last?.string, "100")
        XCTAssertEqual(try c.call("CONFIG", "GET", "save").array?.last?.string, "900 1 300 10")
        // A rewrite with nothing changed leaves the file as it was, but for the flag the
        // default user's "user" line gained when it was read back (Redis resets that user
        // first, which sets sanitize-payload; redis-server 7.0.15 does the same).
        XCTAssertEqual(try c.call("CONFIG", "REWRITE"), .simple("OK"))
        XCTAssertEqual(try String(contentsOf: conf, encoding: .utf8),
                       text.replacingOccurrences(of: "user default on #", with: "user default on sanitize-payload #"))
    }

    func testWithoutAConfigFileAsRedis() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        XCTAssertEqual(try cairn.client().call("CONFIG", "REWRITE"), try redis.client().call("CONFIG", "REWRITE"))
    }
}
