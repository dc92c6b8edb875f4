import CairnTestSupport
import Foundation
import XCTest

/// CLIENT TRACKING against redis-server: invalidations as RESP3 pushes, redirected to a
/// RESP2 subscriber of __redis__:invalidate, BCAST with prefixes, OPTIN, OPTOUT, NOLOOP,
/// flushes, and the tracking table's limit.
final class ClientTrackingTests: XCTestCase {
    func testDefaultModeRESP3() throws {
        try ClientScript.compare("""
        A! HELLO 3
        A CLIENT TRACKING on
        A GET k
        A MGET k2 k3
        B SET k 1
        A<
        B SET k 2
        B MSET k2 x k3 y
        A<
        A<
        A GET k
        A SET k mine
        A<
        A CLIENT GETREDIR
        A CLIENT TRACKINGINFO
        B CLIENT TRACKINGINFO
        B CLIENT GETREDIR
        A HGET h f
        B HSET h f v
        A<
        B HSET h f w
        A SMEMBERS s
        B SADD s x
        A<
        A GET n
        B INCR n
        A<
        A GET e
        B SET e 1 PX 50
        A<
        A GET e
        sleep 0.3
        B GET e
        A<
        A CLIENT TRACKING off
        A GET k
        B SET k again
        A PING
        """)
    }

    func testRedirectToRESP2Subscriber() throws {
        try ClientScript.compare("""
        R SUBSCRIBE __redis__:invalidate
        A CLIENT TRACKING on REDIRECT $ID:R
        A GET k
        A GET j
        B SET k 1
        R<
        B SET j 1
        R<
        A GET k
        B FLUSHALL
        R<
        A CLIENT TRACKING on REDIRECT $ID:R REDIRECT $ID:R
        A CLIENT TRACKING on REDIRECT 99999
        A CLIENT TRACKING on REDIRECT abc
        ---
        N! HELLO 3
        A CLIENT TRACKING on REDIRECT $ID:N
        A GET k
        B SET k 1
        N<
        """)
    }

    func testBroadcastOptInOptOutNoLoop() throws {
        try ClientScript.compare("""
        A! HELLO 3
        A CLIENT TRACKING on BCAST PREFIX user: PREFIX job:
        A CLIENT TRACKINGINFO
        B SET user:1 x
        A<
        B MSET user:2 a user:3 b other c
        A<
        B SET job:9 x
        A<
        A SET user:4 self
        A<
        A CLIENT TRACKING on BCAST PREFIX user:1
        A CLIENT TRACKING on BCAST PREFIX x PREFIX xy
        A CLIENT TRACKING on
        A CLIENT TRACKING off
        A CLIENT TRACKING on BCAST NOLOOP
        A SET mine 1
        B SET theirs 1
        A<
        A CLIENT TRACKING off
        A CLIENT TRACKING on OPTIN
        A GET a
        B SET a 1
        A CLIENT CACHING yes
        A GET a
        B SET a 2
        A<
        A CLIENT CACHING no
        A CLIENT TRACKING on OPTOUT
        A CLIENT TRACKING off
        A CLIENT TRACKING on OPTOUT NOLOOP
        A CLIENT CACHING no
        A GET b
        B SET b 1
        A GET c
        A SET c mine
        A GET c
        B SET c theirs
        A<
        A CLIENT TRACKINGINFO
        A CLIENT TRACKING on BCAST OPTIN
        A CLIENT TRACKING on OPTIN OPTOUT
        A CLIENT TRACKING on PREFIX a
        A CLIENT TRACKING maybe
        A CLIENT TRACKING on FOO
        A CLIENT CACHING maybe
        A RESET
        A CLIENT TRACKINGINFO
        A CLIENT CACHING yes
        """)
    }

    /// OPTIN's CLIENT CACHING yes covers a whole MULTI block; a RESP3 client's own writes
    /// are invalidated after its reply (EXEC's too).
    func testTransactions() throws {
        try ClientScript.compare("""
        A! HELLO 3
        A CLIENT TRACKING on OPTIN
        A CLIENT CACHING yes
        A MULTI
        A GET x
        A GET y
        A EXEC
        B SET x 1
        A<
        B SET y 1
        A<
        A CLIENT TRACKING off
        A CLIENT TRACKING on
        A GET z
        A MULTI
        A SET z 1
        A GET z
        A EXEC
        A<
        """)
    }

    /// Expiries are the server's changes: a BCAST NOLOOP client hears of a key it set
    /// itself once the key expires, lazily or actively; the invalidation of a key read by
    /// MGET comes after MGET's reply; a served BLMOVE's own invalidation after its reply.
    func testExpiryAndOrdering() throws {
        try ClientScript.compare("""
        A! HELLO 3
        A CLIENT TRACKING on BCAST NOLOOP
        A MULTI
        A SET mykey v PX 1
        A SET other v
        A DEBUG SLEEP 0.05
        A GET mykey
        A EXEC
        A<
        A SET active v PX 1
        sleep 1
        A<
        A CLIENT TRACKING off
        A DEBUG SET-ACTIVE-EXPIRE 0
        A CLIENT TRACKING on
        A MSET x 1 y 2
        A PEXPIRE y 50
        A GET y
        sleep 0.1
        A MGET x y
        A<
        A DEBUG SET-ACTIVE-EXPIRE 1
        B! HELLO 3
        B CLIENT TRACKING on
        A RPUSH list2 a
        B LRANGE list2 0 -1
        B> BLMOVE list1 list2 LEFT LEFT 0
        A RPUSH list1 foo
        B<
        B<
        """, arguments: ["--enable-debug-command", "yes"])
    }

    /// Past tracking-table-max-keys, keys are forgotten and their readers told.
    func testTableLimit() throws {
        let server = try ServerProcess.cairn(["--tracking-table-max-keys", "10"])
        defer { server.stop() }
        let a = try server.client(), b = try server.client()
        _ = try a.call("HELLO", "3")
        XCTAssertEqual(try a.call("CLIENT", "TRACKING", "on"), .simple("OK"))
        for i in 0..<10 { _ = try a.call("GET", "k\(i)") }
        XCTAssertEqual(try b.infoField("tracking_total_keys"), "10")
        XCTAssertEqual(try b.infoField("tracking_clients"), "1")
        _ = try a.call("GET", "k10")
        // One key was evicted from the table: its reader is told as if it had changed.
        guard case .push(let parts) = try a.readReply() else { return XCTFail("an invalidation") }
        XCTAssertEqual(parts.first, .bulk(Array("invalidate".utf8)))
        XCTAssertEqual(try b.infoField("tracking_total_keys"), "10")
        // Lowering the limit evicts at once.
        XCTAssertEqual(try b.call("CONFIG", "SET", "tracking-table-max-keys", "8"), .simple("OK"))
        for _ in 0..<2 {
            guard case .push(let more) = try a.readReply() else { return XCTFail("an invalidation") }
            XCTAssertEqual(more.first, .bulk(Array("invalidate".utf8)))
        }
        XCTAssertEqual(try b.infoField("tracking_total_keys"), "8")
        XCTAssertEqual(try b.call("CONFIG", "SET", "tracking-table-max-keys", "0"), .simple("OK"))
        for i in 11..<30 { _ = try a.call("GET", "k\(i)") }
        XCTAssertEqual(try b.infoField("tracking_total_keys"), "27")
        guard case .bulk(let bytes) = try b.call("CLIENT", "LIST") else { return XCTFail("CLIENT LIST") }
        let list = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(list.contains("flags=t"), list)
        XCTAssertTrue(list.contains("redir=0"), list)
    }
}
