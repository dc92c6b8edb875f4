import CairnTestSupport
import Foundation
import XCTest

/// Pub/sub against redis-server, several clients at once (ClientScript), RESP2 and RESP3;
/// and the limits a subscriber that does not read runs into.
final class PubSubTests: XCTestCase {
    static let channels = """
    # A reads every confirmation as it comes ("A<" for all but the first of a command), so
    # that A's calls return only once the server has run them and what B sees next is
    # decided.
    A SUBSCRIBE c1 c2
    A<
    A SUBSCRIBE c1
    B PUBLISH c1 hello
    A<
    B PUBLISH c3 nobody
    B SPUBLISH c1 shard-only
    A PSUBSCRIBE c*
    B PUBLISH c1 both
    A<
    A<
    B PUBLISH c9 pattern-only
    A<
    A PING
    A PING hi
    A GET x
    A SET x 1
    A MULTI
    A PUBSUB NUMPAT
    B PUBSUB NUMSUB c1 c2 c3
    B PUBSUB NUMSUB
    B PUBSUB NUMPAT
    B PUBSUB CHANNELS c1*
    B PUBSUB CHANNELS c1 c2
    B PUBSUB SHARDCHANNELS
    B PUBSUB SHARDNUMSUB c1
    B PUBSUB HELP
    B PUBSUB FOO
    B PUBSUB
    A UNSUBSCRIBE c1
    A PUNSUBSCRIBE c*
    A UNSUBSCRIBE c1
    A UNSUBSCRIBE
    A UNSUBSCRIBE
    A PUNSUBSCRIBE
    A GET x
    B PUBSUB NUMSUB c1 c2
    B PUBLISH c2 gone
    ---
    A PSUBSCRIBE news.* h?llo [ab]x
    # The other two confirmations: A's reads keep up with what it was sent, so that what B
    # sees next follows what A did.
    A<
    A<
    B PUBLISH news.tech one
    A<
    B PUBLISH hello two
    A<
    B PUBLISH bx three
    A<
    B PUBLISH cx none
    B PUBSUB NUMPAT
    A PUNSUBSCRIBE h?llo nothere
    # Its second confirmation, read here: otherwise RESET's call would take it for RESET's
    # reply, and the NUMPAT after RESET would race with RESET.
    A<
    B PUBLISH hello four
    B PUBSUB NUMPAT
    A RESET
    B PUBSUB NUMPAT
    B PUBLISH news.tech five
    ---
    A SSUBSCRIBE s1 s2
    A SSUBSCRIBE s1
    A SUBSCRIBE plain
    B SPUBLISH s1 hi
    A<
    B PUBLISH s1 not-for-shards
    B PUBSUB SHARDCHANNELS s1
    B PUBSUB SHARDNUMSUB s1 s2 s3
    A SUNSUBSCRIBE s1
    A SUNSUBSCRIBE s1
    A SUNSUBSCRIBE
    A SUNSUBSCRIBE
    A UNSUBSCRIBE plain
    A PING
    ---
    C UNSUBSCRIBE
    C PUNSUBSCRIBE
    C SUNSUBSCRIBE
    C PING
    C SUBSCRIBE
    C PUBLISH a
    ---
    A SUBSCRIBE q
    B MULTI
    B PUBLISH q in-multi
    B SET k v
    B EXEC
    A<
    C SUBSCRIBE q
    B PUBLISH q two-subscribers
    A<
    C<
    """

    func testChannelsPatternsAndShards() throws { try ClientScript.compare(PubSubTests.channels) }

    /// RESP3: pushes interleaved with replies; any command allowed while subscribed.
    func testRESP3() throws {
        try ClientScript.compare("""
        A! HELLO 3
        A SUBSCRIBE c1
        A SET k v
        A GET k
        A PING
        B PUBLISH c1 m1
        A<
        A PUBLISH c1 to-myself
        A<
        A PSUBSCRIBE *
        B PUBLISH c1 m2
        A<
        A<
        A UNSUBSCRIBE
        A PUNSUBSCRIBE
        A UNSUBSCRIBE
        A! HELLO 2
        A PING
        ---
        A! HELLO 3
        B SUBSCRIBE x
        A SUBSCRIBE x
        A PUBLISH x both
        A<
        B<
        A RESET
        A PING
        ---
        # Redis 7.0 writes a push to the publisher itself inside EXEC's array; so does Cairn.
        A! HELLO 3
        A SUBSCRIBE foo
        A MULTI
        A PUBLISH foo bar
        A PUBLISH foo vaz
        A EXEC
        A<
        A<
        A MULTI
        A PING
        A UNSUBSCRIBE
        A PING
        A EXEC
        """)
    }

    /// CLIENT REPLY OFF and SKIP silence replies, not confirmations or messages.
    func testReplyOffKeepsPushes() throws {
        try ClientScript.compare("""
        A> CLIENT REPLY OFF
        A SUBSCRIBE c2
        B PUBLISH c2 x
        A<
        A> PING
        A SUBSCRIBE c3
        ---
        A! HELLO 3
        A SUBSCRIBE me
        A> CLIENT REPLY OFF
        A PUBLISH me hi
        A> GET x
        A SSUBSCRIBE shard
        B SPUBLISH shard s
        A<
        A> CLIENT REPLY ON
        A PING
        A> CLIENT REPLY SKIP
        A PUBLISH me again
        A PING
        """)
    }

    /// Keyspace notifications seen by several clients: RESP2 and RESP3 subscribers,
    /// a keyspace channel and a keyevent pattern, and the `expired` event of the active
    /// expiry cycle.
    func testNotificationsToSeveralClients() throws {
        try ClientScript.compare("""
        A CONFIG SET notify-keyspace-events KEA
        B SUBSCRIBE __keyspace@0__:k
        C! HELLO 3
        C PSUBSCRIBE __keyevent@*__:*
        A SET k 1
        B<
        C<
        A SELECT 1
        A LPUSH l x
        C<
        A SET v 1 PX 100
        C<
        C<
        sleep 0.5
        C<
        A CONFIG SET notify-keyspace-events ""
        A SET k 2
        A PUBLISH __keyspace@0__:k by-hand
        B<
        """)
    }

    func testNotifyKeyspaceEventsConfig() throws {
        try ClientScript.compare("""
        A CONFIG GET notify-keyspace-events
        A CONFIG SET notify-keyspace-events KEA
        A CONFIG GET notify-keyspace-events
        A CONFIG SET notify-keyspace-events Kgmn
        A CONFIG GET notify-keyspace-events
        A CONFIG SET notify-keyspace-events AKEmn
        A CONFIG GET notify-keyspace-events
        A CONFIG SET notify-keyspace-events Elsh$zxetd
        A CONFIG GET notify-keyspace-events
        A CONFIG SET notify-keyspace-events Kq
        A CONFIG GET notify-keyspace-events
        A CONFIG SET notify-keyspace-events ""
        A CONFIG GET notify-keyspace-events
        """)
    }

    /// CLIENT LIST shows the subscription counts and the P flag.
    func testClientListCounts() throws {
        let server = try ServerProcess.cairn()
        defer { server.stop() }
        let a = try server.client(), b = try server.client()
        _ = try a.call("SUBSCRIBE", "x", "y")
        _ = try a.readReply()
        _ = try a.call("PSUBSCRIBE", "z*")
        _ = try a.call("SSUBSCRIBE", "s")
        guard case .bulk(let bytes) = try b.call("CLIENT", "LIST") else { return XCTFail("CLIENT LIST") }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        let subscriber = lines.first { $0.contains("cmd=ssubscribe") }
        XCTAssertNotNil(subscriber)
        XCTAssertTrue(subscriber?.contains("flags=P") == true, String(subscriber ?? ""))
        XCTAssertTrue(subscriber?.contains("sub=2 psub=1 ssub=1") == true, String(subscriber ?? ""))
        XCTAssertEqual(try b.call("PUBSUB", "NUMSUB", "x"), .array([.bulk(Array("x".utf8)), .integer(1)]))
        a.disconnect()
        // Disconnecting unsubscribes.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, try b.call("PUBSUB", "NUMPAT") != .integer(0) { usleep(10_000) }
        XCTAssertEqual(try b.call("PUBSUB", "NUMPAT"), .integer(0))
        XCTAssertEqual(try b.call("PUBSUB", "NUMSUB", "x"), .array([.bulk(Array("x".utf8)), .integer(0)]))
    }

    /// A subscriber that never reads under a fast publisher is disconnected at its
    /// `client-output-buffer-limit pubsub` hard limit, and the server's memory stays bounded.
    func testSlowSubscriberIsDisconnectedAtTheHardLimit() throws {
        let server = try ServerProcess.cairn(["--client-output-buffer-limit", "pubsub 1mb 512kb 60"])
        defer { server.stop() }
        let subscriber = try server.client()
        _ = try subscriber.call("SUBSCRIBE", "firehose")
        let publisher = try server.client()
        let payload = String(repeating: "x", count: 1000)
        let rssBefore = Int(try publisher.infoField("used_memory_rss")) ?? 0
        var delivered = 0
        for round in 0..<400 {
            // 100 messages a round, pipelined: 40 MB in all, against a 1 MB limit.
            var batch: [UInt8] = []
            for _ in 0..<100 { batch += RESPClient.encode([Array("PUBLISH".utf8), Array("firehose".utf8), Array(payload.utf8)]) }
            try publisher.sendRaw(batch)
            for _ in 0..<100 {
                if case .integer(let n) = try publisher.readReply() { delivered += Int(n) }
            }
            if round > 50 && delivered < (round + 1) * 100 { break }
        }
        XCTAssertLessThan(delivered, 40_000, "the subscriber was dropped before all messages were delivered")
        XCTAssertEqual(try publisher.call("PUBSUB", "NUMSUB", "firehose"), .array([.bulk(Array("firehose".utf8)), .integer(0)]))
        let rssAfter = Int(try publisher.infoField("used_memory_rss")) ?? 0
        XCTAssertLessThan(rssAfter - rssBefore, 20 << 20, "memory stays bounded: \(rssBefore) -> \(rssAfter)")
        XCTAssertTrue(server.waitForLog("scheduled to be closed ASAP for overcoming of output buffer limits"))
    }

    /// The soft limit: past it for longer than its seconds.
    func testSlowSubscriberIsDisconnectedAfterTheSoftLimitSeconds() throws {
        let server = try ServerProcess.cairn(["--client-output-buffer-limit", "pubsub 0 256kb 1"])
        defer { server.stop() }
        let subscriber = try server.client()
        _ = try subscriber.call("SUBSCRIBE", "trickle")
        let publisher = try server.client()
        let payload = String(repeating: "y", count: 10_000)
        let started = Date()
        var dropped = false
        while Date().timeIntervalSince(started) < 10 {
            if case .integer(let n) = try publisher.call("PUBLISH", "trickle", payload), n == 0 {
                dropped = true
                break
            }
            usleep(2_000)
        }
        XCTAssertTrue(dropped, "dropped once past the soft limit for a second")
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 1.0)
    }
}
