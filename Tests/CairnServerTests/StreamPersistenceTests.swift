import CairnTestSupport
import CairnRDB
import Foundation
import XCTest

/// Streams and their groups through the log, snapshots, kill -9, and DUMP/RESTORE with
/// redis-server: pending entries, delivery counts and acknowledgements come back exactly.
final class StreamPersistenceTests: XCTestCase {
    /// Entries with generated IDs, approximate trims, deletions, and a group whose
    /// consumers read, acknowledge, read their history again and claim.
    static func workload(_ c: RESPClient, round: Int) throws {
        _ = try c.call("CONFIG", "SET", "stream-node-max-entries", "10")
        for i in 0..<120 {
            _ = try c.call("XADD", "jobs", "MAXLEN", "~", "80", "*", "n", "\(round)-\(i)", "payload", String(repeating: "x", count: i % 7))
        }
        _ = try? c.call("XGROUP", "CREATE", "jobs", "workers", "0")
        _ = try c.call("XREADGROUP", "GROUP", "workers", "alice", "COUNT", "30", "STREAMS", "jobs", ">")
        _ = try c.call("XREADGROUP", "GROUP", "workers", "bob", "COUNT", "20", "STREAMS", "jobs", ">")
        _ = try c.call("XREADGROUP", "GROUP", "workers", "carol", "NOACK", "COUNT", "5", "STREAMS", "jobs", ">")
        // Alice reads her history twice: her delivery counts go to 3.
        _ = try c.call("XREADGROUP", "GROUP", "workers", "alice", "STREAMS", "jobs", "0")
        _ = try c.call("XREADGROUP", "GROUP", "workers", "alice", "COUNT", "10", "STREAMS", "jobs", "0")
        guard case .array(let bobs) = try c.call("XPENDING", "jobs", "workers", "-", "+", "100", "bob") else {
            return XCTFail("XPENDING")
        }
        for (i, row) in bobs.enumerated() {
            guard case .array(let fields) = row, let id = fields[0].string else { continue }
            if i % 3 == 0 { _ = try c.call("XACK", "jobs", "workers", id) }
            if i % 3 == 1 { _ = try c.call("XCLAIM", "jobs", "workers", "dave", "0", id) }
            if i % 5 == 2 { _ = try c.call("XDEL", "jobs", id) }
        }
        _ = try c.call("XAUTOCLAIM", "jobs", "workers", "erin", "0", "0", "COUNT", "7")
        _ = try c.call("XADD", "jobs", "MINID", "~", "0-1", "*", "last", "\(round)")
        _ = try c.call("XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM")
        _ = try c.call("XADD", "gone", "5-5", "a", "1")
        _ = try c.call("XDEL", "gone", "5-5")
        _ = try c.call("XSETID", "gone", "9-9", "ENTRIESADDED", "12", "MAXDELETEDID", "5-5")
    }

    /// XINFO STREAM FULL without the consumers' seen times (a replay sets them anew) and
    /// the node counts: a replay trims exactly what an approximate trim left (as Redis's
    /// AOF does), and a load packs the live entries anew.
    static func state(_ c: RESPClient, _ key: String) throws -> String {
        var text = try c.call("XINFO", "STREAM", key, "FULL", "COUNT", "0").description
        for field in ["seen-time", "radix-tree-keys", "radix-tree-nodes"] {
            text = text.replacingOccurrences(of: "\(field)\"?, :?[0-9]+", with: field, options: .regularExpression)
        }
        return text
    }

    func testGroupsSurviveKillAndRestartFromLogAndSnapshot() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-streams-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let arguments = ["--enable-debug-command", "yes"]
        var server = try ServerProcess.cairn(directory: dir, port: port, arguments)
        var c = try server.client()
        for round in 0..<3 {
            try StreamPersistenceTests.workload(c, round: round)
            let digest = try c.call("DEBUG", "DIGEST").string
            let states = try ["jobs", "empty", "gone"].map { try StreamPersistenceTests.state(c, $0) }
            XCTAssertTrue(states[0].contains("pel-count"), states[0])
            if round == 1 {
                // The next restart loads this snapshot, then the log after it.
                XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
                try StreamPersistenceTests.workload(c, round: 10)
            }
            let digestBefore = try c.call("DEBUG", "DIGEST").string
            let statesBefore = try ["jobs", "empty", "gone"].map { try StreamPersistenceTests.state(c, $0) }
            server.crash()
            server = try ServerProcess.cairn(directory: dir, port: port, arguments)
            c = try server.client()
            XCTAssertEqual(try c.call("DEBUG", "DIGEST").string, digestBefore, "round \(round)")
            XCTAssertEqual(try ["jobs", "empty", "gone"].map { try StreamPersistenceTests.state(c, $0) }, statesBefore, "round \(round)")
            _ = (digest, states)
        }
        // DEBUG RELOAD: a snapshot round trip in place.
        let before = try StreamPersistenceTests.state(c, "jobs")
        XCTAssertEqual(try c.call("DEBUG", "RELOAD"), .simple("OK"))
        XCTAssertEqual(try StreamPersistenceTests.state(c, "jobs"), before)
        server.stop()
    }

    /// An entry acknowledged never comes back as pending after a crash, and a pending
    /// one keeps its delivery count.
    func testAcknowledgedEntriesStayAcknowledgedAfterKill() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-streams-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port)
        var c = try server.client()
        _ = try c.call("XGROUP", "CREATE", "q", "g", "$", "MKSTREAM")
        for i in 0..<50 { _ = try c.call("XADD", "q", "*", "job", "\(i)") }
        guard case .array(let read) = try c.call("XREADGROUP", "GROUP", "g", "w", "STREAMS", "q", ">"),
              case .array(let pair) = read[0], case .array(let entries) = pair[1] else { return XCTFail("read") }
        var acked: [String] = []
        for (i, e) in entries.enumerated() where i % 2 == 0 {
            guard case .array(let fields) = e, let id = fields[0].string else { continue }
            XCTAssertEqual(try c.call("XACK", "q", "g", id), .integer(1))
            acked.append(id)
        }
        _ = try c.call("XREADGROUP", "GROUP", "g", "w", "STREAMS", "q", "0")
        server.crash()
        server = try ServerProcess.cairn(directory: dir, port: port)
        c = try server.client()
        guard case .array(let pending) = try c.call("XPENDING", "q", "g", "-", "+", "100") else { return XCTFail("pending") }
        XCTAssertEqual(pending.count, 25)
        for row in pending {
            guard case .array(let fields) = row, let id = fields[0].string else { continue }
            XCTAssertFalse(acked.contains(id), "\(id) was acknowledged")
            XCTAssertEqual(fields[3], .integer(2), "delivered twice")
        }
        server.stop()
    }

    func testDumpPayloadsMoveStreamsBetweenCairnAndRedis() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        for client in [c, r] {
            _ = try client.call("CONFIG", "SET", "stream-node-max-entries", "10")
            for i in 0..<40 { _ = try client.call("XADD", "s", "\(i + 1)-1", "f", "\(i)", "g", "v") }
            _ = try client.call("XADD", "s", "41-1", "other", "fields")
            _ = try client.call("XDEL", "s", "3-1", "17-1")
            _ = try client.call("XGROUP", "CREATE", "s", "g1", "0")
            _ = try client.call("XGROUP", "CREATE", "s", "g2", "$")
            _ = try client.call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "s", ">")
            _ = try client.call("XCLAIM", "s", "g1", "bob", "0", "2-1", "4-1", "TIME", "1000", "RETRYCOUNT", "4")
            _ = try client.call("XGROUP", "CREATECONSUMER", "s", "g2", "idle")
            _ = try client.call("XADD", "e", "1-1", "a", "1")
            _ = try client.call("XDEL", "e", "1-1")
        }
        for key in ["s", "e"] {
            guard case .bulk(let fromRedis) = try r.call("DUMP", key), case .bulk(let fromCairn) = try c.call("DUMP", key) else {
                return XCTFail("DUMP \(key)")
            }
            let expected = try StreamPersistenceTests.state(r, key)
            XCTAssertEqual(try c.call(["RESTORE", "\(key)-r", "0"].map { Array($0.utf8) } + [fromRedis]), .simple("OK"))
            XCTAssertEqual(try r.call(["RESTORE", "\(key)-c", "0"].map { Array($0.utf8) } + [fromCairn]), .simple("OK"))
            XCTAssertEqual(try StreamPersistenceTests.state(c, "\(key)-r"), expected, key)
            XCTAssertEqual(try StreamPersistenceTests.state(r, "\(key)-c"), try StreamPersistenceTests.state(c, key), key)
        }
    }
    /// Redis 7.0 still loads streams in the layout before it (RDB type 15: no first and
    /// max-deleted IDs, no entries-added, no entries-read), deriving what is missing; Cairn
    /// must derive the same. The payload is Redis's own DUMP rewritten into that layout.
    func testStreamPayloadsOfRedisBefore7Load() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        for (i, id) in ["1-0", "2-0", "3-0", "4-0", "5-0", "6-0"].enumerated() {
            _ = try r.call("XADD", "x", id, "data", String(UnicodeScalar(UInt8(97 + i))))
        }
        _ = try r.call("XDEL", "x", "3-0")
        _ = try r.call("XGROUP", "CREATE", "x", "g1", "0")
        _ = try r.call("XGROUP", "CREATE", "x", "g2", "0")
        _ = try r.call("XGROUP", "CREATE", "x", "g3", "$")
        _ = try r.call("XREADGROUP", "GROUP", "g1", "c11", "COUNT", "4", "STREAMS", "x", ">")
        _ = try r.call("XTRIM", "x", "MAXLEN", "=", "2")
        guard case .bulk(let dump) = try r.call("DUMP", "x") else { return XCTFail("DUMP") }
        let legacy = try StreamPersistenceTests.beforeRedis7(dump)
        for client in [c, r] {
            XCTAssertEqual(try client.call(["RESTORE", "old", "0"].map { Array($0.utf8) } + [legacy]), .simple("OK"))
        }
        let expected = try StreamPersistenceTests.state(r, "old")
        XCTAssertTrue(expected.contains("entries-read"), expected)
        XCTAssertEqual(try StreamPersistenceTests.state(c, "old"), expected)
    }

    /// A 7.0 stream payload (type 19) rewritten as type 15.
    static func beforeRedis7(_ payload: [UInt8]) throws -> [UInt8] {
        var r = RDBReader(payload, end: payload.count - 10)
        var w = RDBWriter()
        XCTAssertEqual(try r.byte(), 19)
        w.byte(15)
        func id() throws { w.length64(try r.length64()); w.length64(try r.length64()) }
        func skipID() throws { _ = try r.length64(); _ = try r.length64() }
        let nodes = try r.length()
        w.length(nodes)
        for _ in 0..<(2 * nodes) { w.string(try r.string()) }
        w.length64(try r.length64())
        try id()
        try skipID()
        try skipID()
        _ = try r.length64()
        let groups = try r.length()
        w.length(groups)
        for _ in 0..<groups {
            w.string(try r.string())
            try id()
            _ = try r.length64()
            let pending = try r.length()
            w.length(pending)
            for _ in 0..<pending {
                for _ in 0..<16 { w.byte(try r.byte()) }
                w.milliseconds(try r.milliseconds())
                w.length64(try r.length64())
            }
            let consumers = try r.length()
            w.length(consumers)
            for _ in 0..<consumers {
                w.string(try r.string())
                w.milliseconds(try r.milliseconds())
                let owned = try r.length()
                w.length(owned)
                for _ in 0..<(16 * owned) { w.byte(try r.byte()) }
            }
        }
        XCTAssertTrue(r.atEnd)
        return DumpPayload.sealed(w.bytes)
    }
}
