import CairnTestSupport
import Foundation
import XCTest

/// Scripts past busy-reply-threshold, over sockets, side by side with redis-server: the
/// others get -BUSY, SCRIPT KILL and FUNCTION KILL stop what they may stop (pcall and
/// coroutines cannot hold a killed script), a script that wrote cannot be killed, and
/// SHUTDOWN needs NOSAVE. Then, on Cairn alone: a paused script's writes are still one
/// record, and its client's pipelined commands run after it.
final class BusyScriptTests: XCTestCase {
    func testBusyRepliesAndKillsAgreeWithRedis() throws {
        try ClientScript.compare("""
        A CONFIG SET busy-reply-threshold 50
        B> EVAL "local a = 1 while true do a = a + 1 end" 0
        A PING
        A GET x
        C MULTI
        C SET x 1
        C WATCH x
        C EXEC
        C MULTI
        C FUNCTION STATS
        A FUNCTION STATS
        A FUNCTION KILL
        A SCRIPT KILL
        B<
        C EXEC
        A PING
        A SCRIPT KILL
        ---
        A FUNCTION LOAD "#!lua name=t\\nredis.register_function('spin', function() local a = 1 while true do a = a + 1 end end)"
        B> FCALL spin 0
        A PING
        A SCRIPT KILL
        A FUNCTION KILL
        B<
        A FUNCTION KILL
        ---
        B> EVAL "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end" 0
        A PING
        A SCRIPT KILL
        B<
        ---
        B> EVAL "local co = coroutine.wrap(function() local a = 1 while true do a = a + 1 end end) co()" 0
        A PING
        A SCRIPT KILL
        B<
        ---
        B> EVAL "local ok = xpcall(function() while true do end end, function(e) return e end) return 1" 0
        A SCRIPT KILL
        B<
        ---
        B> EVAL "redis.call('set', 'k', 'v') while true do end" 0
        A SCRIPT KILL
        A SHUTDOWN
        A GET k
        A SHUTDOWN NOSAVE
        """)
    }

    /// What a paused script published waits for the script's end, like its writes: a
    /// subscriber that speaks meanwhile gets its -BUSY after the script, behind the message.
    func testAPausedScriptsMessagesWaitForItsEnd() throws {
        let server = try ServerProcess.cairn(["--busy-reply-threshold", "20"])
        defer { server.stop() }
        let subscriber = try server.client()
        _ = try subscriber.call("HELLO", "3")
        _ = try subscriber.call("SUBSCRIBE", "news")
        let writer = try server.client()
        let script = """
        redis.call('publish', 'news', 'hello')
        local t = redis.call('time')
        while true do
          local n = redis.call('time')
          if (n[1] - t[1]) * 1000000 + n[2] - t[2] > 400000 then break end
        end
        return 'done'
        """
        try writer.sendRaw(RESPClient.encode([Array("EVAL".utf8), Array(script.utf8), Array("0".utf8)]))
        usleep(150_000)
        let started = Date()
        try subscriber.sendRaw(RESPClient.encode([Array("PING".utf8)]))
        XCTAssertEqual(try subscriber.readReply(),
                       .push([.bulk(Array("message".utf8)), .bulk(Array("news".utf8)), .bulk(Array("hello".utf8))]))
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.15, "the message came only once the script ended")
        XCTAssertEqual(try subscriber.readReply(),
                       .error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."))
        XCTAssertEqual(try writer.readReply().string, "done")
    }

    /// A script running past the threshold: its writes are one record (all of them after
    /// kill -9), clients meanwhile get -BUSY, and the requests its own client pipelined
    /// behind it run after it, in order.
    func testAPausedScriptIsStillOneUnit() throws {
        // Writes, then spins for about half a second, then writes again.
        let script = """
        redis.call('set', 'before', '1')
        local t = redis.call('time')
        local start = t[1] * 1000000 + t[2]
        local n = 0
        while true do
          n = n + 1
          if n % 1000 == 0 then
            local now = redis.call('time')
            if now[1] * 1000000 + now[2] - start > 500000 then break end
          end
        end
        redis.call('set', 'after', '1')
        return n
        """
        let both: RESPValue = .array([.bulk(Array("1".utf8)), .bulk(Array("2".utf8))])
        try ServerProcess.acrossACrash(["--busy-reply-threshold", "20"], before: { writer in
            let other = try RESPClient(port: writer.port)
            try writer.sendRaw(RESPClient.encode([Array("EVAL".utf8), Array(script.utf8), Array("0".utf8)])
                               + RESPClient.encode([Array("INCR".utf8), Array("after".utf8)]))
            usleep(200_000)
            XCTAssertEqual(try other.call("GET", "before"),
                           .error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."))
            guard case .integer = try writer.readReply() else { return XCTFail("the script's count") }
            XCTAssertEqual(try writer.readReply(), .integer(2), "the pipelined INCR ran after the script")
            XCTAssertEqual(try other.call("MGET", "before", "after"), both)
        }, after: { c in
            XCTAssertEqual(try c.call("MGET", "before", "after"), both)
        })
    }
}
