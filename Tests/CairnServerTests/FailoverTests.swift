import CairnTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// FAILOVER: a primary hands its role to a replica with no write lost, over real sockets:
/// between Cairn servers (with a third following the new primary from its log), from Cairn
/// to a real redis-server and back, with TIMEOUT, ABORT, FORCE and a target that refuses.
/// The errors are checked against redis-server's.
final class FailoverTests: XCTestCase {
    var scratch: URL!
    /// The servers whose logs a failure shows.
    var watched: [ServerProcess] = []

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-failover-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for server in watched { kill(server.process.processIdentifier, SIGCONT); server.stop() }
        try? FileManager.default.removeItem(at: scratch)
    }

    func start(_ name: String, replicaOf primary: Int? = nil) throws -> ServerProcess {
        let replicaof = primary.map { ["--replicaof", "127.0.0.1", "\($0)"] } ?? []
        let server = try ServerProcess.cairn(directory: scratch.appendingPathComponent(name), port: freePort(),
                                             ["--enable-debug-command", "yes"] + replicaof)
        watched.append(server)
        return server
    }

    func startRedis(replicaOf primary: Int? = nil) throws -> ServerProcess {
        let server = try ServerProcess.redis(primary.map { ["--replicaof", "127.0.0.1", "\($0)"] } ?? [])
        watched.append(server)
        return server
    }

    func eventually(_ what: String, file: StaticString = #filePath, line: UInt = #line, _ condition: () throws -> Bool) {
        eventually(what, showing: watched, file: file, line: line, condition)
    }

    func stopProcess(_ s: ServerProcess) { kill(s.process.processIdentifier, SIGSTOP) }
    func continueProcess(_ s: ServerProcess) { kill(s.process.processIdentifier, SIGCONT) }

    func state(_ c: RESPClient) throws -> String { try c.infoField("master_failover_state") }
    func digest(_ c: RESPClient) throws -> String { try c.call("DEBUG", "DIGEST").string ?? "" }

    func synced(_ primary: RESPClient, _ replicas: RESPClient...) throws -> Bool {
        let offset = try primary.infoField("master_repl_offset")
        return try replicas.allSatisfy { try $0.infoField("master_link_status") == "up" && $0.infoField("slave_repl_offset") == offset }
    }

    func write(_ c: RESPClient, _ range: Range<Int>) throws {
        for i in range {
            XCTAssertEqual(try c.call("SET", "k\(i)", "v\(i)"), .simple("OK"))
            XCTAssertEqual(try c.call("RPUSH", "list", "e\(i)"), .integer(Int64(i + 1)))
        }
    }

    /// A primary with 20 writes and a replica that has them.
    func primaryAndReplicaInSync() throws -> (ServerProcess, ServerProcess, RESPClient, RESPClient) {
        let a = try start("a"), b = try start("b", replicaOf: a.port)
        let ca = try a.client(), cb = try b.client()
        try write(ca, 0..<20)
        eventually("B in sync") { try synced(ca, cb) }
        return (a, b, ca, cb)
    }

    /// A command sent now whose reply is read later (it waits in the pause).
    func send(_ c: RESPClient, _ words: String...) throws {
        var text = "*\(words.count)\r\n"
        for w in words { text += "$\(w.utf8.count)\r\n\(w)\r\n" }
        try c.sendRaw(text)
    }

    func testErrorsMatchRedis() throws {
        let cairn = try start("a"), redis = try startRedis()
        let c = try cairn.client(), r = try redis.client()
        // Without replicas first.
        XCTAssertEqual(try c.call("FAILOVER"), .error("ERR FAILOVER requires connected replicas."))
        XCTAssertEqual(try c.call("FAILOVER"), try r.call("FAILOVER"))
        let cairnReplica = try start("b", replicaOf: cairn.port), redisReplica = try startRedis(replicaOf: redis.port)
        let cr = try cairnReplica.client(), rr = try redisReplica.client()
        eventually("both replicas attached") { try c.infoField("connected_slaves") == "1" && r.infoField("connected_slaves") == "1" }
        let cases: [(RESPClient, Int) -> [String]] = [
            { _, _ in ["FAILOVER", "ABORT"] },
            { _, _ in ["FAILOVER", "TIMEOUT", "0"] },
            { _, _ in ["FAILOVER", "TIMEOUT", "-5"] },
            { _, _ in ["FAILOVER", "TIMEOUT", "soon"] },
            { _, _ in ["FAILOVER", "TIMEOUT", "10", "TIMEOUT", "10"] },
            { _, _ in ["FAILOVER", "TO"] },
            { _, _ in ["FAILOVER", "TO", "127.0.0.1", "port"] },
            { _, _ in ["FAILOVER", "TO", "invalidhost", "6379"] },
            { _, p in ["FAILOVER", "TO", "127.0.0.1", "\(p)", "FORCE"] },
            { _, _ in ["FAILOVER", "FORCE", "TIMEOUT", "100"] },
            { _, _ in ["FAILOVER", "FORCE", "FORCE"] },
            { _, _ in ["FAILOVER", "BOGUS"] },
            { _, _ in ["PSYNC", "0123", "1", "FAILOVER"] },
        ]
        for make in cases {
            XCTAssertEqual(try c.call(make(c, cairnReplica.port)), try r.call(make(r, redisReplica.port)), make(c, 0).joined(separator: " "))
        }
        for words in [["FAILOVER"], ["PSYNC", "0123", "1", "FAILOVER"], ["FAILOVER", "ABORT"]] {
            XCTAssertEqual(try cr.call(words), try rr.call(words), "on a replica: " + words.joined(separator: " "))
        }
        XCTAssertEqual(try c.infoField("master_failover_state"), "no-failover")
    }

    /// A primary that becomes a replica (REPLICAOF, FAILOVER) ends its blocked clients'
    /// waits with Redis's error and closes them, as redis-server does.
    func testBlockedClientsAreToldOfTheNewRole() throws {
        var replies: [[RESPValue]] = []
        for server in [try start("a"), try startRedis()] {
            let c = try server.client()
            let pop = try server.client(), wait = try server.client()
            try send(pop, "BLPOP", "nothing", "0")
            try send(wait, "WAIT", "1", "0")
            usleep(100_000)
            XCTAssertEqual(try c.call("REPLICAOF", "127.0.0.1", "\(freePort())"), .simple("OK"))
            replies.append([try pop.readReply(), try wait.readReply()])
            XCTAssertTrue(pop.isClosedByServer(), "closed after the reply")
        }
        XCTAssertEqual(replies[0], replies[1])
        XCTAssertEqual(replies[0][0], .error("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"))
    }

    /// A's writes are paused while B catches up; then B is the primary, A and C its
    /// replicas, all from their logs (no full sync), and the write held in the pause is
    /// answered READONLY by A, a replica by then.
    func testFailoverToAReplicaHandsOverWithoutFullSyncs() throws {
        let a = try start("a"), b = try start("b", replicaOf: a.port), c = try start("c", replicaOf: a.port)
        let ca = try a.client(), cb = try b.client(), cc = try c.client()
        try write(ca, 0..<50)
        eventually("B and C in sync") { try synced(ca, cb, cc) }
        stopProcess(b)
        try write(ca, 50..<60)  // B does not have these yet
        XCTAssertEqual(try ca.call("FAILOVER", "TO", "127.0.0.1", "\(b.port)"), .simple("OK"))
        XCTAssertEqual(try state(ca), "waiting-for-sync")
        XCTAssertEqual(try ca.call("FAILOVER"), .error("ERR FAILOVER already in progress."))
        XCTAssertEqual(try ca.call("REPLICAOF", "NO", "ONE"), .error("ERR REPLICAOF not allowed while failing over."))
        XCTAssertEqual(try ca.call("GET", "k55"), .bulk(Array("v55".utf8)), "reads go on")
        let held = try RESPClient(port: a.port, timeoutSeconds: 1)
        try send(held, "SET", "held", "1")
        XCTAssertTrue(held.drainAvailable().isEmpty, "the write waits (a second)")
        continueProcess(b)
        eventually("the failover ends") { try state(ca) == "no-failover" }
        XCTAssertEqual(try held.readReply(), .error("READONLY You can't write against a read only replica."))
        XCTAssertEqual(try ca.infoField("role"), "slave")
        XCTAssertEqual(try ca.infoField("master_port"), "\(b.port)")
        XCTAssertEqual(try cb.infoField("role"), "master")
        XCTAssertEqual(try cb.call("GET", "k59"), .bulk(Array("v59".utf8)), "B had every write before taking over")
        XCTAssertEqual(try cc.call("REPLICAOF", "127.0.0.1", "\(b.port)"), .simple("OK"))
        try write(cb, 60..<80)
        eventually("A and C follow B") { try synced(cb, ca, cc) }
        XCTAssertEqual(try digest(ca), try digest(cb))
        XCTAssertEqual(try digest(cc), try digest(cb))
        XCTAssertEqual(try cb.infoField("sync_full"), "0")
        XCTAssertEqual(try cb.infoField("sync_partial_ok"), "2", "A and C continued from B's log")
        XCTAssertTrue(a.log.contains("is synced, failing over"), a.log)
        XCTAssertTrue(b.log.contains("Failover request received"), b.log)
    }

    /// FAILOVER with no target picks the replica that caught up; TIMEOUT without FORCE
    /// gives up when none does; ABORT gives up at once; either way the primary takes
    /// writes again.
    func testAnyReplicaTimeoutAndAbort() throws {
        let (a, b, ca, cb) = try primaryAndReplicaInSync()

        stopProcess(b)
        XCTAssertEqual(try ca.call("SET", "late", "1"), .simple("OK"))
        XCTAssertEqual(try ca.call("FAILOVER", "TO", "127.0.0.1", "\(b.port)", "TIMEOUT", "300"), .simple("OK"))
        eventually("the wait times out") { try state(ca) == "no-failover" }
        XCTAssertTrue(a.log.contains("aborted: Replica never caught up before timeout"), a.log)
        XCTAssertEqual(try ca.infoField("role"), "master")
        XCTAssertEqual(try ca.call("SET", "after-timeout", "1"), .simple("OK"))

        XCTAssertEqual(try ca.call("FAILOVER", "TIMEOUT", "60000"), .simple("OK"))
        XCTAssertEqual(try state(ca), "waiting-for-sync")
        let held = try a.client()
        try send(held, "INCR", "counter")
        usleep(100_000)
        XCTAssertEqual(try ca.call("FAILOVER", "ABORT"), .simple("OK"))
        XCTAssertEqual(try state(ca), "no-failover")
        XCTAssertEqual(try held.readReply(), .integer(1), "the held write ran once the failover was given up")
        XCTAssertEqual(try ca.call("FAILOVER", "ABORT"), .error("ERR No failover in progress."))
        continueProcess(b)
        eventually("B catches up") { try synced(ca, cb) }

        // No target named: the replica that has the whole stream.
        XCTAssertEqual(try ca.call("FAILOVER"), .simple("OK"))
        eventually("the failover ends") { try state(ca) == "no-failover" }
        XCTAssertEqual(try cb.infoField("role"), "master")
        XCTAssertEqual(try ca.infoField("master_port"), "\(b.port)")
        XCTAssertEqual(try cb.call("SET", "on-b", "1"), .simple("OK"))
        eventually("A follows B") { try synced(cb, ca) }
        XCTAssertEqual(try digest(ca), try digest(cb))
    }

    /// FORCE fails over when the timeout passes, the target stopped: the old primary is a
    /// replica meanwhile (never two primaries). A target that refuses the PSYNC (no
    /// permission here) leaves the old primary a primary.
    func testForcedFailoverAndARefusingTarget() throws {
        let (a, b, ca, cb) = try primaryAndReplicaInSync()
        stopProcess(b)
        XCTAssertEqual(try ca.call("SET", "unacknowledged", "1"), .simple("OK"))  // B never acknowledges it
        XCTAssertEqual(try ca.call("FAILOVER", "TO", "127.0.0.1", "\(b.port)", "TIMEOUT", "100", "FORCE"), .simple("OK"))
        eventually("the timeout passes and A fails over anyway") { try state(ca) == "failover-in-progress" }
        XCTAssertEqual(try ca.infoField("role"), "slave")
        XCTAssertTrue(a.log.contains("time out exceeded, failing over."), a.log)
        continueProcess(b)
        eventually("the failover ends") { try state(ca) == "no-failover" }
        XCTAssertEqual(try cb.infoField("role"), "master")
        eventually("A follows B") { try synced(cb, ca) }

        // A target without the psync permission refuses: B stays the primary.
        XCTAssertEqual(try ca.call("ACL", "SETUSER", "default", "-psync"), .simple("OK"))
        XCTAssertEqual(try cb.call("FAILOVER", "TO", "127.0.0.1", "\(a.port)"), .simple("OK"))
        eventually("the failover is given up") { try state(cb) == "no-failover" && cb.infoField("role") == "master" }
        XCTAssertTrue(b.log.contains("aborted: Failover target rejected psync request"), b.log)
        XCTAssertEqual(try ca.infoField("role"), "slave")
        XCTAssertEqual(try cb.call("SET", "after-refusal", "1"), .simple("OK"))
        XCTAssertEqual(try ca.call("ACL", "SETUSER", "default", "+psync"), .simple("OK"))
        eventually("A follows B again") { try synced(cb, ca) && ca.call("GET", "after-refusal") == .bulk(Array("1".utf8)) }
        XCTAssertEqual(try digest(ca), try digest(cb))
    }

    /// Between Cairn and a real redis-server, both ways: each hands over to the other with
    /// a partial resync.
    func testFailoverBetweenCairnAndRedis() throws {
        let cairn = try start("a")
        let redis = try startRedis(replicaOf: cairn.port)
        let c = try cairn.client(), r = try redis.client()
        try write(c, 0..<30)
        eventually("Redis in sync") { try synced(c, r) }
        XCTAssertEqual(try c.call("FAILOVER"), .simple("OK"))
        eventually("Cairn handed over to Redis") { try state(c) == "no-failover" && r.infoField("role") == "master" }
        XCTAssertEqual(try c.infoField("master_port"), "\(redis.port)")
        XCTAssertEqual(try r.call("SET", "on-redis", "1"), .simple("OK"))
        eventually("Cairn follows Redis") { try synced(r, c) && c.call("GET", "on-redis") == .bulk(Array("1".utf8)) }
        XCTAssertEqual(try r.infoField("sync_partial_ok"), "1")
        XCTAssertEqual(try r.infoField("sync_full"), "0")

        XCTAssertEqual(try r.call("FAILOVER", "TO", "127.0.0.1", "\(cairn.port)"), .simple("OK"))
        eventually("Redis handed back to Cairn") { try r.infoField("master_failover_state") == "no-failover" && c.infoField("role") == "master" }
        XCTAssertEqual(try c.call("SET", "on-cairn", "1"), .simple("OK"))
        eventually("Redis follows Cairn") { try synced(c, r) && r.call("GET", "on-cairn") == .bulk(Array("1".utf8)) }
        XCTAssertEqual(try c.infoField("sync_partial_ok"), "1")
        XCTAssertEqual(try c.infoField("sync_full"), "1", "only Redis's first sync")
        XCTAssertEqual(try c.call("LRANGE", "list", "0", "-1"), try r.call("LRANGE", "list", "0", "-1"))
    }
}
