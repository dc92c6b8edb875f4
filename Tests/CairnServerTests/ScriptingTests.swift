import CairnTestSupport
import Foundation
import XCTest

/// Lua scripts over real sockets: a script's writes are one record (all of them after a
/// crash), the sandbox holds against the escapes people try, and redis-py's Lock (which
/// is Lua) works.
final class ScriptingTests: XCTestCase {
    func testScriptWritesSurviveACrashTogether() throws {
        let script = "for i = 1, 50 do redis.call('rpush', KEYS[1], i) redis.call('incr', KEYS[2]) end return redis.call('llen', KEYS[1])"
        try ServerProcess.acrossACrash(before: { c in
            for i in 1...20 { XCTAssertEqual(try c.call("EVAL", script, "2", "list", "counter"), .integer(Int64(i * 50))) }
        }, after: { c in
            XCTAssertEqual(try c.call("LLEN", "list"), .integer(1000))
            XCTAssertEqual(try c.call("GET", "counter").string, "1000")
        })
    }

    /// Each escape is refused (or harmless), the server stays up, and the next script
    /// finds the sandbox as it was.
    func testSandboxEscapesAreRefused() throws {
        let cairn = try ServerProcess.cairn()
        defer { cairn.stop() }
        let c = try cairn.client()
        let escapes = [
            "return loadstring(string.dump(function() return 1 end))",
            "local s = string.dump(function() return 1 end) local done = false return load(function() if done then return nil end done = true return s end)",
            "setmetatable(_G, nil)",
            "rawset(_G, 'redis', nil)",
            "rawset(redis, 'call', nil)",
            "local mt = getmetatable(_G) mt.__newindex = nil",
            "redis.call = function() return 1 end",
            "string.len = nil",
            "getmetatable('').__index.len = nil",
            "local mt = getmetatable('') mt.__index = {}",
            "_G.redis = nil",
            "return setfenv(0, {})",
            "return getfenv(1)",
            "return debug.getregistry()",
            "return os.execute('true')",
            "return io.open('/etc/passwd')",
            "return require('os')",
            "return package.loadlib('libc.so.6', 'system')",
            "return dofile('/etc/passwd')",
            "local function f() return 1 + f() end return f()",
            "local co = coroutine.create(function() redis = nil end) return coroutine.resume(co)",
            "return coroutine.wrap(function() return redis.call('set', 'from-coroutine', 'yes') end)()",
            "return string.rep('x', 1024 * 1024)",
            // Crashes of the stock Lua 5.1.5 and lua-bitop that Redis patched in its copies.
            "return {unpack({1,2,3}, 0, 2147483647)}",
            "return bit.tohex(65535, -2147483648)",
            // Debian's lua-cjson aborted the process on outputs its int sizes cannot hold.
            "local s = string.rep('\\1', 80000000) return #cjson.encode({s, s, s, s, s})",
        ]
        for script in escapes {
            _ = try c.call("EVAL", script, "0")
            XCTAssertEqual(try c.call("PING"), .simple("PONG"), script)
            XCTAssertEqual(try c.call("EVAL", "return {type(redis.call), type(string.len), type(rawset), type(redis)}", "0"),
                           .array([.bulk(Array("function".utf8)), .bulk(Array("function".utf8)), .bulk(Array("function".utf8)),
                                   .bulk(Array("table".utf8))]), "after \(script)")
        }
        guard case .array(let bytecode) = try c.call("EVAL", "return {loadstring(string.dump(function() return 1 end))}", "0") else {
            return XCTFail("array")
        }
        XCTAssertTrue(bytecode.isEmpty, "bytecode is refused: nil and a message, the array stops at the nil")
    }

    /// A script that needs more than lua-memory-limit fails with an error; the server and
    /// the interpreter live on.
    func testMemoryLimitStopsAScriptNotTheServer() throws {
        let cairn = try ServerProcess.cairn(["--lua-memory-limit", "20mb"])
        defer { cairn.stop() }
        let c = try cairn.client()
        for script in ["return #string.rep('x', 64 * 1024 * 1024)",
                       "local t = {} for i = 1, 1e8 do t[i] = i end return #t",
                       "local s = 'x' while true do s = s .. s end"] {
            guard case .error(let message) = try c.call("EVAL", script, "0") else { return XCTFail("\(script) did not fail") }
            XCTAssertTrue(message.contains("memory"), message)
            XCTAssertEqual(try c.call("EVAL", "return #string.rep('x', 1024)", "0"), .integer(1024))
        }
        // The functions' interpreter has the same bound.
        let library = "#!lua name=mem\nredis.register_function('grow', function() local t = {} for i = 1, 1e8 do t[i] = i end return #t end)\nredis.register_function('small', function() return #string.rep('x', 1024) end)"
        XCTAssertEqual(try c.call("FUNCTION", "LOAD", library).string, "mem")
        guard case .error(let message) = try c.call("FCALL", "grow", "0") else { return XCTFail("grow did not fail") }
        XCTAssertTrue(message.contains("memory"), message)
        XCTAssertEqual(try c.call("FCALL", "small", "0"), .integer(1024))
        XCTAssertEqual(try c.infoField("number_of_cached_scripts"), "4")
        XCTAssertGreaterThan(Int(try c.infoField("used_memory_lua")) ?? 0, 10_000)
        XCTAssertEqual(try c.call("CONFIG", "GET", "lua-memory-limit"), .array([.bulk(Array("lua-memory-limit".utf8)), .bulk(Array("20971520".utf8))]))
    }

    /// redis-py's Lock: acquire, refuse a second holder, extend, release (Lua scripts run
    /// by EVALSHA, loaded with SCRIPT LOAD).
    func testRedisPyLockWorks() throws {
        let cairn = try ServerProcess.cairn()
        defer { cairn.stop() }
        let program = """
        import redis, sys
        r = redis.Redis(port=\(cairn.port))
        lock = r.lock("resource", timeout=10)
        assert lock.acquire(blocking=False)
        other = r.lock("resource", timeout=10)
        assert not other.acquire(blocking=False)
        assert lock.extend(5)
        assert r.pttl("resource") > 10000
        lock.release()
        assert other.acquire(blocking=False)
        thief = r.lock("resource", timeout=10)
        thief.local.token = b"not-the-owner"
        try:
            thief.release()
            sys.exit("released a lock it did not hold")
        except redis.exceptions.LockNotOwnedError:
            pass
        other.release()
        assert r.exists("resource") == 0
        print("ok")
        """
        try runPython(program)
    }
}
