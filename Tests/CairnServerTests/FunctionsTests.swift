import CairnTestSupport
import Foundation
import XCTest

/// Function libraries over real sockets: they are data (they survive restarts, from the
/// log and from a snapshot, and a crash), an FCALL's writes are one record, FUNCTION DUMP
/// payloads move between Cairn and redis-server, and redis-py's function API works.
final class FunctionsTests: XCTestCase {
    static let counterLibrary = """
    #!lua name=counters
    redis.register_function('bump', function(keys, args)
      for i = 1, 50 do redis.call('rpush', keys[1], i) redis.call('incr', keys[2]) end
      return redis.call('llen', keys[1])
    end)
    """

    static func library(_ name: String, returning value: String) -> String {
        "#!lua name=\(name)\nredis.register_function('\(name)_f', function() return '\(value)' end)"
    }

    func testLibrariesSurviveRestartsFromTheLogAndFromASnapshot() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-fn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port)
        var c = try server.client()
        XCTAssertEqual(try c.call("FUNCTION", "LOAD", Self.library("a", returning: "one")).string, "a")
        XCTAssertEqual(try c.call("FUNCTION", "LOAD", Self.library("gone", returning: "x")).string, "gone")
        server.stop()

        // From the log alone.
        server = try ServerProcess.cairn(directory: dir, port: port)
        c = try server.client()
        XCTAssertEqual(try c.call("FCALL", "a_f", "0").string, "one")
        XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
        // After the snapshot: a replacement, a deletion, a new library, then a crash.
        XCTAssertEqual(try c.call("FUNCTION", "LOAD", "REPLACE", Self.library("a", returning: "two")).string, "a")
        XCTAssertEqual(try c.call("FUNCTION", "DELETE", "gone"), .simple("OK"))
        XCTAssertEqual(try c.call("FUNCTION", "LOAD", Self.library("b", returning: "bee")).string, "b")
        server.crash()

        server = try ServerProcess.cairn(directory: dir, port: port)
        c = try server.client()
        XCTAssertEqual(try c.call("FCALL", "a_f", "0").string, "two")
        XCTAssertEqual(try c.call("FCALL", "b_f", "0").string, "bee")
        XCTAssertEqual(try c.call("FCALL", "gone_f", "0"), .error("ERR Function not found"))
        // FLUSHALL leaves functions; FUNCTION FLUSH is logged like the rest.
        XCTAssertEqual(try c.call("FLUSHALL"), .simple("OK"))
        XCTAssertEqual(try c.call("FCALL", "b_f", "0").string, "bee")
        XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
        XCTAssertEqual(try c.call("FUNCTION", "FLUSH"), .simple("OK"))
        server.crash()

        server = try ServerProcess.cairn(directory: dir, port: port)
        defer { server.stop() }
        c = try server.client()
        XCTAssertEqual(try c.call("FUNCTION", "LIST"), .array([]))
    }

    func testFunctionWritesSurviveACrashTogether() throws {
        try ServerProcess.acrossACrash(before: { c in
            XCTAssertEqual(try c.call("FUNCTION", "LOAD", Self.counterLibrary).string, "counters")
            for i in 1...20 { XCTAssertEqual(try c.call("FCALL", "bump", "2", "list", "counter"), .integer(Int64(i * 50))) }
        }, after: { c in
            XCTAssertEqual(try c.call("LLEN", "list"), .integer(1000))
            XCTAssertEqual(try c.call("GET", "counter").string, "1000")
        })
    }

    /// FUNCTION DUMP from either server restores in the other, with RESTORE's policies.
    func testDumpPayloadsMoveBetweenRedisAndCairn() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        let long = "#!lua name=long\n" + (1...40).map { "redis.register_function('long\($0)', function() return \($0) end)" }
            .joined(separator: "\n")
        for client in [c, r] {
            _ = try client.call("FUNCTION", "LOAD", long)
            _ = try client.call("FUNCTION", "LOAD", Self.library("short", returning: "s"))
        }
        guard case .bulk(let fromRedis) = try r.call("FUNCTION", "DUMP"),
              case .bulk(let fromCairn) = try c.call("FUNCTION", "DUMP") else { return XCTFail("FUNCTION DUMP") }
        for (client, payload) in [(c, fromRedis), (r, fromCairn)] {
            // Which library collides first depends on each server's table order.
            let collision = String(decoding: try client.callRaw([Array("FUNCTION".utf8), Array("RESTORE".utf8), payload]), as: UTF8.self)
            XCTAssertTrue(collision.hasPrefix("-ERR Library ") && collision.hasSuffix(" already exists\r\n"), collision)
            XCTAssertEqual(try client.callRaw([Array("FUNCTION".utf8), Array("RESTORE".utf8), payload, Array("REPLACE".utf8)]),
                           Array("+OK\r\n".utf8))
            _ = try client.call("FUNCTION", "FLUSH")
            XCTAssertEqual(try client.callRaw([Array("FUNCTION".utf8), Array("RESTORE".utf8), payload]), Array("+OK\r\n".utf8))
            XCTAssertEqual(try client.call("FCALL", "long33", "0"), .integer(33))
            XCTAssertEqual(try client.call("FCALL", "short_f", "0").string, "s")
        }
        XCTAssertEqual(try c.call("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "short"),
                       try r.call("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "short"))
        // Damage is refused, and nothing changes.
        var damaged = fromRedis
        damaged[5] ^= 0xff
        XCTAssertEqual(try c.callRaw([Array("FUNCTION".utf8), Array("RESTORE".utf8), damaged, Array("FLUSH".utf8)]),
                       try r.callRaw([Array("FUNCTION".utf8), Array("RESTORE".utf8), damaged, Array("FLUSH".utf8)]))
        XCTAssertEqual(try c.call("FCALL", "short_f", "0").string, "s")
    }

    /// `cairn check-snapshot` counts the libraries; `cairn dump` loads them first, and
    /// redis-server takes its output.
    func testCairnToolsSeeLibraries() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-fn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try ServerProcess.cairn(directory: dir, port: freePort())
        let c = try server.client()
        XCTAssertEqual(try c.call("FUNCTION", "LOAD", Self.library("tool", returning: "t")).string, "tool")
        try c.call("SET", "k", "v")
        XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
        server.stop()
        let snapshots = dir.appendingPathComponent("snapshots")
        let name = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: snapshots.path).first { $0.hasSuffix(".snap") })
        var (status, out) = try cairnTool(["check-snapshot", snapshots.appendingPathComponent(name).path])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("function libraries: 1"), out)
        (status, out) = try cairnTool(["dump", dir.path])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.hasPrefix("*4\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$7\r\nREPLACE\r\n"), String(out.prefix(80)))
        let redis = try ServerProcess.redis()
        defer { redis.stop() }
        let r = try redis.client()
        try r.sendRaw(Array(out.utf8))
        for _ in 0..<out.components(separatedBy: "\r\n").filter({ $0.hasPrefix("*") }).count {
            if case .error(let e) = try r.readReply() { XCTFail(e) }
        }
        XCTAssertEqual(try r.call("FCALL", "tool_f", "0").string, "t")
        XCTAssertEqual(try r.call("GET", "k").string, "v")
    }

    /// redis-py's function API: function_load, fcall, fcall_ro, function_list.
    func testRedisPyFunctions() throws {
        let cairn = try ServerProcess.cairn()
        defer { cairn.stop() }
        let program = """
        import redis
        r = redis.Redis(port=\(cairn.port), decode_responses=True)
        code = "#!lua name=pylib\\nredis.register_function('hset_get', function(keys, args) redis.call('hset', keys[1], args[1], args[2]) return redis.call('hget', keys[1], args[1]) end)\\nredis.register_function{function_name='peek', callback=function(keys) return redis.call('hget', keys[1], 'f') end, flags={'no-writes'}}"
        assert r.function_load(code) == "pylib"
        assert r.fcall("hset_get", 1, "h", "f", "v") == "v"
        assert r.fcall_ro("peek", 1, "h") == "v"
        pairs = lambda flat: dict(zip(flat[::2], flat[1::2]))
        library = pairs(r.function_list()[0])
        assert library["library_name"] == "pylib", library
        assert sorted(pairs(f)["name"] for f in library["functions"]) == ["hset_get", "peek"]
        try:
            r.fcall_ro("hset_get", 1, "h", "f", "w")
            raise SystemExit("fcall_ro ran a function that may write")
        except redis.exceptions.ResponseError as e:
            assert "write flag" in str(e), e
        r.function_flush()
        assert r.function_list() == []
        print("ok")
        """
        try runPython(program)
    }
}

/// Runs a Python program with redis-py; skips when redis-py is missing, fails unless it
/// prints "ok".
func runPython(_ program: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let python = "/usr/bin/python3"
    let (importStatus, _) = try runToExit(python, ["-c", "import redis"])
    try XCTSkipIf(importStatus != 0, "redis-py (python3-redis) is not installed; Tools/setup installs it")
    let (status, text) = try runToExit(python, ["-c", program])
    XCTAssertEqual(status, 0, text, file: file, line: line)
    XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), "ok", file: file, line: line)
}
