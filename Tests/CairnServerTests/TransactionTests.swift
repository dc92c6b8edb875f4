import CairnTestSupport
import Foundation
import XCTest

/// MULTI/EXEC and WATCH across clients, against redis-server: the same lines from the same
/// clients to both servers, every reply compared byte for byte.
final class TransactionTests: XCTestCase {
    func compareClients(_ script: String, arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        try ClientScript.compare(script, arguments: arguments, file: file, line: line)
    }

    /// DEBUG refused by enable-debug-command is refused before it is queued, so it dooms
    /// the block (EXECABORT) as any other refusal does.
    func testRefusedDebugDoomsTheBlock() throws {
        try compareClients("""
        A MULTI
        A SET k v
        A DEBUG SLEEP 0
        A EXEC
        A GET k
        """)
    }

    /// SMOVE modifies its destination for WATCH only when it adds the member there; a
    /// member already in the destination, or a source that is the destination, leaves a
    /// watcher's block to run.
    func testSmoveTouchesTheDestinationOnlyWhenItAdds() throws {
        try compareClients("""
        A SADD src a b
        A SADD dst a
        B WATCH dst
        B MULTI
        B SADD dst c
        A SMOVE src dst a
        B EXEC
        B WATCH dst
        B MULTI
        B SCARD dst
        A SMOVE dst dst a
        B EXEC
        B WATCH dst
        B MULTI
        B SCARD dst
        A SMOVE src dst b
        B EXEC
        A SMEMBERS src
        A SCARD dst
        """)
    }

    /// Writes that leave their key as it was (ZINCRBY by 0, HSETNX of an existing field,
    /// LREM of nothing, SREM of a stranger, EXPIRE GT that does not apply ...) do or do not
    /// count as a modification for WATCH exactly as in Redis.
    func testNoOpWritesAndWatch() throws {
        try compareClients("""
        A ZADD z 1 m
        B WATCH z
        B MULTI
        B ZSCORE z m
        A ZINCRBY z 0 m
        B EXEC
        B WATCH z
        B MULTI
        B ZSCORE z m
        A ZADD z INCR 0 m
        B EXEC
        B WATCH z
        B MULTI
        B ZSCORE z m
        A ZADD z 1 m
        B EXEC
        B WATCH z
        B MULTI
        B ZSCORE z m
        A ZADD z GT 0 m
        B EXEC
        B WATCH z
        B MULTI
        B ZSCORE z m
        A HSET h f v
        A HSET h f v
        B EXEC
        B WATCH h
        B MULTI
        B HGET h f
        A HSET h f v
        B EXEC
        B WATCH h
        B MULTI
        B HGET h f
        A HSETNX h f v
        B EXEC
        B WATCH h
        B MULTI
        B HGET h f
        A HINCRBY h n 0
        B EXEC
        B WATCH h
        B MULTI
        B HGET h f
        A HINCRBYFLOAT h n 0
        B EXEC
        A RPUSH l a b
        B WATCH l
        B MULTI
        B LLEN l
        A LSET l 0 a
        B EXEC
        B WATCH l
        B MULTI
        B LLEN l
        A LTRIM l 0 -1
        B EXEC
        B WATCH l
        B MULTI
        B LLEN l
        A LREM l 0 zz
        B EXEC
        B WATCH l
        B MULTI
        B LLEN l
        A LINSERT l BEFORE zz x
        B EXEC
        B WATCH l
        B MULTI
        B LLEN l
        A LMOVE l l LEFT LEFT
        B EXEC
        A SADD s a
        B WATCH s
        B MULTI
        B SCARD s
        A SREM s zz
        B EXEC
        B WATCH z
        B MULTI
        B ZSCORE z m
        A ZREMRANGEBYSCORE z 100 200
        B EXEC
        B WATCH z
        B MULTI
        B ZSCORE z m
        A ZREM z nope
        B EXEC
        B WATCH h
        B MULTI
        B HGET h f
        A HDEL h nope
        B EXEC
        A SET str 1
        B WATCH str
        B MULTI
        B GET str
        A SET str 1
        B EXEC
        B WATCH str
        B MULTI
        B GET str
        A INCRBY str 0
        B EXEC
        B WATCH str
        B MULTI
        B GET str
        A APPEND str ""
        B EXEC
        B WATCH str
        B MULTI
        B GET str
        A SETRANGE str 0 ""
        B EXEC
        B WATCH str
        B MULTI
        B GET str
        A EXPIRE str 100 GT
        B EXEC
        B WATCH str
        B MULTI
        B GET str
        A PERSIST str
        B EXEC
        B WATCH l
        B MULTI
        B LLEN l
        A SORT l ALPHA STORE l
        B EXEC
        B WATCH s
        B MULTI
        B SCARD s
        A SINTERSTORE s s
        B EXEC
        B WATCH l
        B MULTI
        B LLEN l
        A RPUSHX l
        B EXEC
        """)
    }

    /// A key pushed and then expired by the time its waiters are served (an EXEC whose
    /// last command slept past the expiry, a SWAPDB that brings an expired list) is
    /// deleted, and the waiters stay blocked until a later push or their timeout. (The
    /// list case of the EXEC is SuiteScenarioTests' "multi expire sleep".)
    func testExpiredKeyDoesNotServeWaiters() throws {
        try compareClients("""
        A DEBUG SET-ACTIVE-EXPIRE 0
        C> BZPOPMIN z 0
        A MULTI
        A ZADD z 1 a
        A PEXPIRE z 100
        A DEBUG SLEEP 0.2
        A EXEC
        A ZADD z 2 b
        C<
        A SELECT 1
        A RPUSH s hello
        A PEXPIRE s 100
        B SELECT 9
        B> BLMOVE s d LEFT RIGHT 1
        A DEBUG SLEEP 0.2
        A SWAPDB 1 9
        B<
        A SELECT 9
        A EXISTS s d
        """, arguments: ["--enable-debug-command", "yes"])
    }

    /// MONITOR shows MULTI, then each command of the block as EXEC runs it, then EXEC;
    /// nothing of a discarded or refused block but its MULTI and DISCARD or EXEC. The lines
    /// (time and address taken off) must be Redis's.
    func testMonitorShowsTheCommandsOfABlockAsTheyRun() throws {
        let script: [[String]] = [
            ["MULTI"], ["SET", "a", "1"], ["INCR", "a"], ["SELECT", "1"], ["GET", "a"], ["EXEC"],
            ["SELECT", "0"], ["MULTI"], ["SET", "b", "1"], ["DISCARD"],
            ["MULTI"], ["SET", "c", "1"], ["NOSUCHCOMMAND"], ["EXEC"],
            ["MULTI"], ["LPUSH", "a", "x"], ["GET", "a"], ["EXEC"], ["ECHO", "end"],
        ]
        func monitorLines(_ server: ServerProcess) throws -> [String] {
            let m = try server.client(), c = try server.client()
            XCTAssertEqual(try m.call("MONITOR"), .simple("OK"))
            for command in script { _ = try c.callRaw(command.map { Array($0.utf8) }) }
            var lines: [String] = []
            while lines.last != "\"ECHO\" \"end\"" {
                let line = try m.readReply().string!
                // "<time> [<db> <address>] <command>": keep the database and the command.
                let db = line.split(separator: "[")[1].split(separator: " ")[0]
                lines.append(String(line[line.range(of: "] ")!.upperBound...]))
                lines[lines.count - 1] = lines.count > 0 && db != "0" ? "db\(db) " + lines[lines.count - 1] : lines[lines.count - 1]
            }
            return lines
        }
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let theirs = try monitorLines(redis)
        XCTAssertTrue(theirs.contains("\"INCR\" \"a\""), "\(theirs)")
        XCTAssertEqual(try monitorLines(cairn), theirs)
    }

    func testWatchSeesOtherClientsWrites() throws {
        try compareClients("""
        A SET k 1
        A WATCH k
        B SET k 2
        A MULTI
        A SET k 3
        A EXEC
        A GET k
        A WATCH k
        B SET other 1
        A MULTI
        A SET k 4
        A EXEC
        A GET k
        A WATCH k
        B SET k 4
        A UNWATCH
        A MULTI
        A SET k 5
        A EXEC
        A WATCH h s z l
        B SADD s m
        A MULTI
        A PING
        A EXEC
        B SADD s m
        A WATCH s
        B SADD s m
        B SREM s nosuch
        B HDEL h nosuch
        A MULTI
        A PING
        A EXEC
        A WATCH l
        B RPUSH l a
        A MULTI
        A PING
        A EXEC
        A WATCH l
        B LSET l 0 b
        A MULTI
        A LRANGE l 0 -1
        A EXEC
        """)
    }

    func testFlushSwapAndOtherDatabases() throws {
        try compareClients("""
        B SET present 1
        A WATCH absent present
        B FLUSHDB
        A MULTI
        A PING
        A EXEC
        A WATCH absent
        B FLUSHALL
        A MULTI
        A PING
        A EXEC
        A SELECT 1
        A WATCH k
        B SET k 0
        A MULTI
        A PING
        A EXEC
        B SELECT 1
        B SET k 1
        A WATCH k
        B SWAPDB 0 1
        A MULTI
        A PING
        A EXEC
        A WATCH k
        B SELECT 0
        B DEL k
        A MULTI
        A GET k
        A EXEC
        """)
    }

    func testExpiryOfWatchedKeys() throws {
        try compareClients("""
        A DEBUG SET-ACTIVE-EXPIRE 0
        A SET k v PX 50
        A WATCH k
        A> DEBUG SLEEP 0.2
        A<
        A MULTI
        A PING
        A EXEC
        B SET gone v PX 20
        A> DEBUG SLEEP 0.1
        A<
        A WATCH gone
        B GET gone
        A MULTI
        A PING
        A EXEC
        """)
    }

    /// A blocked client is served after EXEC, with what the whole block left.
    func testExecWakesBlockedClientsAfterTheBlock() throws {
        try compareClients("""
        C> BLPOP q 0
        A MULTI
        A RPUSH q a
        A RPUSH q b
        A LPOP q
        A EXEC
        C<
        A LRANGE q 0 -1
        C> BLMOVE src dst LEFT RIGHT 0
        B WATCH dst
        A MULTI
        A LPUSH src x
        A EXEC
        C<
        B MULTI
        B PING
        B EXEC
        """)
    }

    /// A block is one log record (the LSN moves by one for it), and after a crash all of
    /// it is there, in its databases.
    func testExecSurvivesACrashAsOneRecord() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-exec-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port)
        let c = try server.client()
        func lastLSN() throws -> Int {
            Int(try c.infoField("log_last_lsn")) ?? -1
        }
        let before = try lastLSN()
        XCTAssertEqual(try c.call("MULTI"), .simple("OK"))
        for args in [["SET", "a", "1"], ["SELECT", "3"], ["RPUSH", "list", "x", "y"], ["INCR", "a"]] {
            XCTAssertEqual(try c.call(args), .simple("QUEUED"))
        }
        XCTAssertEqual(try c.call("EXEC").array?.count, 4)
        XCTAssertEqual(try lastLSN(), before + 1, "one record for the block")
        server.crash()
        server = try ServerProcess.cairn(directory: dir, port: port)
        defer { server.stop() }
        let d = try server.client()
        XCTAssertEqual(try d.call("GET", "a").string, "1")
        _ = try d.call("SELECT", "3")
        XCTAssertEqual(try d.call("LRANGE", "list", "0", "-1").array?.map { $0.string }, ["x", "y"])
        XCTAssertEqual(try d.call("GET", "a").string, "1", "the INCR ran in database 3")
    }

    /// The arguments one MULTI may queue are bounded by client-query-buffer-limit: the
    /// command past it is refused, and EXEC discards the block.
    func testQueuedBytesAreBounded() throws {
        let server = try ServerProcess.cairn(["--client-query-buffer-limit", "1mb"])
        defer { server.stop() }
        let c = try server.client()
        let value = String(repeating: "v", count: 300_000)
        XCTAssertEqual(try c.call("MULTI"), .simple("OK"))
        for i in 0..<3 { XCTAssertEqual(try c.call("SET", "k\(i)", value), .simple("QUEUED")) }
        guard case .error(let e) = try c.call("SET", "k3", value) else { return XCTFail("the fourth is refused") }
        XCTAssertTrue(e.contains("client-query-buffer-limit"), e)
        guard case .error(let abort) = try c.call("EXEC") else { return XCTFail("EXECABORT") }
        XCTAssertTrue(abort.hasPrefix("EXECABORT"), abort)
        XCTAssertEqual(try c.call("DBSIZE"), .integer(0))
        XCTAssertEqual(try c.call("MULTI"), .simple("OK"), "a new block starts empty")
        XCTAssertEqual(try c.call("SET", "k", value), .simple("QUEUED"))
        XCTAssertEqual(try c.call("EXEC").array?.count, 1)
    }
}
