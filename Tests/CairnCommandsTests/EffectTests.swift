import CairnCore
@testable import CairnCommands
import CairnStore
import NIOCore
import XCTest

/// Runs commands straight through the table, without sockets, and checks the replies and
/// the deterministic effects that the durable log will record.
final class EffectTests: XCTestCase {
    var ctx: CommandContext!
    let table = CommandTable.dataCommands()
    let now: Int64 = 1_700_000_000_000

    override func setUp() {
        ctx = CommandContext(keyspace: Keyspace(databaseCount: 16, seed: 1), session: ClientSession(id: 1, nowMs: now))
        ctx.nowMs = now
    }

    @discardableResult
    func run(_ words: String..., at time: Int64? = nil) -> String {
        ctx.nowMs = time ?? now
        let args = words.map { Bytes($0) }
        var spec = table.lookup(args[0])!
        if !spec.subcommands.isEmpty { spec = spec.subcommands[args[1].lowercased]! }
        ctx.out.buffer.clear()
        ctx.call(spec, args)
        return String(buffer: ctx.out.buffer)
    }

    func effects() -> [[String]] {
        defer { ctx.effects.removeAll() }
        return ctx.effects.map { $0.arguments.map(\.string) }
    }

    func testSetWithRelativeExpiryBecomesPXAT() {
        XCTAssertEqual(run("SET", "k", "v", "EX", "10"), "+OK\r\n")
        XCTAssertEqual(effects(), [["SET", "k", "v", "PXAT", "\(now + 10_000)"]])
        run("SETEX", "k", "5", "v")
        XCTAssertEqual(effects(), [["SET", "k", "v", "PXAT", "\(now + 5000)"]])
        run("PSETEX", "k", "5", "v")
        XCTAssertEqual(effects(), [["SET", "k", "v", "PXAT", "\(now + 5)"]])
    }

    func testPlainWritesPropagateAsSent() {
        run("SET", "k", "v")
        run("INCR", "n")
        run("DEL", "k", "missing")
        XCTAssertEqual(effects(), [["SET", "k", "v"], ["INCR", "n"], ["DEL", "k", "missing"]])
    }

    func testWritesThatChangeNothingLogNothing() {
        run("SET", "k", "v")
        _ = effects()
        run("SET", "k", "x", "NX")
        run("DEL", "missing")
        run("EXPIRE", "missing", "10")
        run("PERSIST", "k")
        run("INCR", "k")  // error: not an integer
        run("GET", "k")
        XCTAssertEqual(effects(), [])
    }

    func testSetGetDropsGet() {
        run("SET", "k", "v", "GET")
        XCTAssertEqual(effects(), [["SET", "k", "v"]])
    }

    func testIncrByFloatBecomesSetOfResult() {
        run("SET", "f", "10.5")
        _ = effects()
        XCTAssertEqual(run("INCRBYFLOAT", "f", "0.1"), "$4\r\n10.6\r\n")
        XCTAssertEqual(effects(), [["SET", "f", "10.6", "KEEPTTL"]])
    }

    func testExpireFamilyBecomesPEXPIREAT() {
        run("SET", "k", "v")
        _ = effects()
        run("EXPIRE", "k", "100")
        run("PEXPIRE", "k", "100", "GT")
        run("EXPIREAT", "k", "1800000000")
        // PEXPIRE ... GT with an earlier time changes nothing and logs nothing.
        XCTAssertEqual(effects(), [["PEXPIREAT", "k", "\(now + 100_000)"], ["PEXPIREAT", "k", "1800000000000"]])
    }

    func testExpireInThePastBecomesDEL() {
        run("SET", "k", "v")
        _ = effects()
        XCTAssertEqual(run("EXPIRE", "k", "-1"), ":1\r\n")
        XCTAssertEqual(effects(), [["DEL", "k"]])
    }

    func testGetexBecomesPEXPIREATOrPERSIST() {
        run("SET", "k", "v", "EX", "10")
        _ = effects()
        run("GETEX", "k", "EX", "20")
        run("GETEX", "k", "PERSIST")
        run("GETEX", "k", "PXAT", "1")
        XCTAssertEqual(effects(), [["PEXPIREAT", "k", "\(now + 20_000)"], ["PERSIST", "k"], ["DEL", "k"]])
    }

    func testLazyExpiryOnReadBecomesDEL() {
        run("SET", "k", "v", "PX", "100")
        _ = effects()
        XCTAssertEqual(run("GET", "k", at: now + 50), "$1\r\nv\r\n")
        XCTAssertEqual(effects(), [])
        XCTAssertEqual(run("GET", "k", at: now + 100), "$-1\r\n")
        XCTAssertEqual(effects(), [["DEL", "k"]])
        XCTAssertEqual(ctx.stats.expiredKeys, 1)
    }

    func testGetsetAndGetdelBecomeSetAndDel() {
        run("GETSET", "k", "v")
        run("GETDEL", "k")
        XCTAssertEqual(effects(), [["SET", "k", "v"], ["DEL", "k"]])
    }

    func testHashEffects() {
        run("HSET", "h", "f", "1", "g", "2")
        run("HINCRBYFLOAT", "h", "f", "0.5")
        run("HINCRBY", "h", "g", "3")
        run("HDEL", "h", "nope")
        run("HDEL", "h", "f", "g")
        XCTAssertEqual(effects(), [["HSET", "h", "f", "1", "g", "2"], ["HSET", "h", "f", "1.5"], ["HINCRBY", "h", "g", "3"],
                                   ["HDEL", "h", "f", "g"]])
        XCTAssertEqual(run("EXISTS", "h"), ":0\r\n", "the emptied hash is gone")
    }

    func testSpopIsLoggedAsTheRemovalOfWhatWasChosen() {
        run("SADD", "s", "1", "2", "3")
        _ = effects()
        let reply = run("SPOP", "s")
        let logged = effects()
        XCTAssertEqual(logged.count, 1)
        XCTAssertEqual(logged[0][0...1], ["SREM", "s"])
        XCTAssertTrue(reply.contains(logged[0][2]), "the member logged is the one returned")
        run("SPOP", "s", "10")
        XCTAssertEqual(effects().first?.count, 4, "SREM s and the two left")
        XCTAssertEqual(run("EXISTS", "s"), ":0\r\n")
    }

    func testListEffects() {
        run("RPUSH", "a", "1", "2", "3")
        run("LMPOP", "2", "nokey", "a", "RIGHT", "COUNT", "2")
        run("LMOVE", "a", "b", "LEFT", "RIGHT")
        run("LPOP", "nokey")
        XCTAssertEqual(effects(), [["RPUSH", "a", "1", "2", "3"], ["RPOP", "a", "2"], ["LMOVE", "a", "b", "LEFT", "RIGHT"]])
        XCTAssertEqual(run("EXISTS", "a"), ":0\r\n")
    }

    func testSortedSetEffects() {
        run("ZADD", "z", "1", "a", "2", "b", "3", "c")
        run("ZADD", "z", "INCR", "5", "a")
        run("ZMPOP", "1", "z", "MIN", "COUNT", "2")
        run("BZPOPMAX", "z", "0")
        XCTAssertEqual(effects(), [["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZADD", "z", "INCR", "5", "a"],
                                   ["ZPOPMIN", "z", "2"], ["ZPOPMAX", "z"]])
        XCTAssertEqual(run("EXISTS", "z"), ":0\r\n")
    }

    func testEffectsCarryTheirDatabase() {
        run("SELECT", "3")
        run("SET", "k", "v")
        XCTAssertEqual(ctx.effects.map(\.database), [3])
    }

    func testStringEncodingsMatchRedis() {
        run("SET", "i", "123")
        run("SET", "s", "short")
        run("SET", "l", String(repeating: "x", count: 45))
        run("APPEND", "s", "!")
        XCTAssertEqual(run("OBJECT", "ENCODING", "i"), "$3\r\nint\r\n")
        XCTAssertEqual(run("OBJECT", "ENCODING", "l"), "$3\r\nraw\r\n")
        XCTAssertEqual(run("OBJECT", "ENCODING", "s"), "$3\r\nraw\r\n")
    }

    func testAppendAndSetrangeRespectStringLimit() {
        ctx.settings.stringBytesMax = 10
        run("SET", "k", "12345")
        XCTAssertEqual(run("APPEND", "k", "123456"), "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n")
        XCTAssertEqual(run("SETRANGE", "k", "8", "abc"), "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n")
        XCTAssertEqual(run("GET", "k"), "$5\r\n12345\r\n")
    }
}
