import CairnTestSupport
import Foundation
import XCTest

/// Replicas over Redis's protocol, with real servers and sockets: full sync, the stream,
/// partial resynchronization from the log on disk after either side was killed,
/// read-only replicas, WAIT, promotion with a second replica following, redis-cli.
final class ReplicationTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-repl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func start(_ name: String, port: Int, _ arguments: [String] = []) throws -> ServerProcess {
        let server = try ServerProcess.cairn(directory: scratch.appendingPathComponent(name), port: port,
                                             ["--enable-debug-command", "yes"] + arguments)
        watched.append(server)
        return server
    }

    /// The servers whose logs a failure shows.
    var watched: [ServerProcess] = []

    /// Polls until `condition` holds (20 s at most); fails the test otherwise, with the
    /// watched servers' logs.
    func eventually(_ what: String, file: StaticString = #filePath, line: UInt = #line, _ condition: () throws -> Bool) {
        eventually(what, showing: watched, file: file, line: line, condition)
    }

    func digest(_ c: RESPClient) throws -> String { try c.call("DEBUG", "DIGEST").string ?? "" }

    func inSync(_ primary: RESPClient, _ replica: RESPClient) throws -> Bool {
        try primary.infoField("master_repl_offset") == replica.infoField("slave_repl_offset") && digest(primary) == digest(replica)
    }

    func write(_ c: RESPClient, _ range: Range<Int>) throws {
        for i in range {
            try c.call("SELECT", String(i % 3))
            try c.call("SET", "k\(i)", "v\(i)")
            try c.call("RPUSH", "list", "e\(i)")
            if i % 10 == 0 {
                try c.call("MULTI")
                try c.call("INCR", "counter")
                try c.call("HSET", "h", "f\(i)", "x")
                try c.call("EXEC")
            }
        }
        try c.call("SELECT", "0")
    }

    func testFullSyncStreamAndPartialResyncAfterEitherSideIsKilled() throws {
        let primaryPort = freePort(), replicaPort = freePort()
        var primary = try start("primary", port: primaryPort)
        var p = try primary.client()
        try write(p, 0..<50)
        var replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)"])
        var r = try replica.client()
        eventually("the replica is in sync after its full sync") { try inSync(p, r) }
        XCTAssertEqual(try p.infoField("sync_full"), "1")
        try write(p, 50..<100)
        eventually("the stream reaches the replica") { try inSync(p, r) }
        try r.call("SELECT", "2")
        XCTAssertEqual(try r.call("GET", "k98").string, "v98", "records of every database, in their database")

        // The replica is killed; the primary goes on; the replica restarts from its own log.
        replica.stop()
        try write(p, 100..<150)
        replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)"])
        r = try replica.client()
        eventually("the restarted replica catches up") { try inSync(p, r) }
        XCTAssertEqual(try p.infoField("sync_full"), "1", "no second full sync")
        XCTAssertEqual(try p.infoField("sync_partial_ok"), "1")

        // The primary is killed and restarted: its history is on disk, so the replica
        // continues from it.
        primary.stop()
        eventually("the replica sees its link down") { try r.infoField("master_link_status") == "down" }
        primary = try start("primary", port: primaryPort)
        p = try primary.client()
        try write(p, 150..<200)
        eventually("the replica continues from the restarted primary") { try inSync(p, r) }
        XCTAssertEqual(try p.infoField("sync_full"), "0")
        XCTAssertEqual(try p.infoField("sync_partial_ok"), "1")
        replica.stop()
        primary.stop()
    }

    /// Records select their database in the stream only when it changes (as Redis sends
    /// them), so every replica must know the stream's database where it starts: after a
    /// restart from its log, after a restart from its own snapshot alone, in a full sync
    /// from another replica, and after the primary restarted. Writes go to database 5
    /// throughout, where database 0 is the wrong guess.
    func testTheStreamsDatabaseIsKnownWhereverAReplicaStarts() throws {
        let aPort = freePort(), bPort = freePort(), cPort = freePort()
        var a = try start("a", port: aPort)
        var pa = try a.client()
        try pa.call("SELECT", "5")
        try pa.call("SET", "k1", "1")
        var b = try start("b", port: bPort, ["--replicaof", "127.0.0.1", "\(aPort)"])
        var rb = try b.client()
        eventually("b in sync") { try inSync(pa, rb) }
        try pa.call("SET", "k2", "2")
        eventually("b in sync again") { try inSync(pa, rb) }

        /// b killed; a writes `key` meanwhile; b restarted continues with a partial resync.
        func crashAndResumeB(writing key: String, _ what: String, partialResyncs: String) throws {
            b.crash()
            try pa.call("SET", key, String(key.dropFirst()))
            b = try start("b", port: bPort, ["--replicaof", "127.0.0.1", "\(aPort)"])
            rb = try b.client()
            eventually(what) { try inSync(pa, rb) }
            XCTAssertEqual(try pa.infoField("sync_partial_ok"), partialResyncs)
        }

        // b checkpoints (its snapshot says the stream is in database 5), then is killed:
        // restarted from that snapshot alone, it continues with a partial resync.
        XCTAssertEqual(try rb.call("SAVE"), .simple("OK"))
        try crashAndResumeB(writing: "k3", "b caught up from its snapshot", partialResyncs: "1")

        // b killed again, its log holding records after the snapshot this time.
        try pa.call("SET", "k4", "4")
        eventually("b has k4") { try inSync(pa, rb) }
        try crashAndResumeB(writing: "k5", "b caught up from its log", partialResyncs: "2")

        // c syncs fully from b, a replica, which does not choose where the stream selects
        // (nor sends PINGs of its own: it relays a's, however short its own ping period).
        try rb.call("CONFIG", "SET", "repl-ping-replica-period", "1")
        let c = try start("c", port: cPort, ["--replicaof", "127.0.0.1", "\(bPort)"])
        let rc = try c.client()
        eventually("c in sync with b") { try inSync(rb, rc) }
        usleep(1_500_000)
        try pa.call("SET", "k6", "6")
        eventually("c has k6") { try inSync(pa, rc) }
        // b serves c from its own log, whose records it wrote from the bytes it received:
        // each must encode to exactly its offsets, or b would drop c (and sync it again).
        for i in 0..<20 { try pa.call("HSET", "h", "f\(i)", "\(i)") }
        try pa.call("MULTI")
        try pa.call("INCR", "n")
        try pa.call("SELECT", "2")
        try pa.call("INCR", "n")
        try pa.call("EXEC")
        try pa.call("SELECT", "5")
        eventually("c has the unit") { try inSync(pa, rc) }
        XCTAssertEqual(try rb.infoField("sync_full"), "1", "c synced fully once")
        XCTAssertFalse(b.log.contains("Dropping replica"), b.log)

        // a is killed and restarted; its next record continues in database 5.
        a.crash()
        a = try start("a", port: aPort)
        pa = try a.client()
        try pa.call("SELECT", "5")
        try pa.call("SET", "k7", "7")
        eventually("b and c continue from the restarted primary") { try inSync(pa, rb) && inSync(pa, rc) }
        for replica in [rb, rc] {
            try replica.call("SELECT", "5")
            for i in 1...7 { XCTAssertEqual(try replica.call("GET", "k\(i)").string, "\(i)") }
            try replica.call("SELECT", "0")
            XCTAssertEqual(try replica.call("DBSIZE"), .integer(0), "nothing went to database 0")
        }
        c.stop()
        b.stop()
        a.stop()
    }

    /// A replica away while the primary checkpoints resumes from the segments kept for
    /// it (repl-backlog-size); with none kept, it gets a full sync.
    func testRetainedLogLetsAReplicaResumeAfterCheckpoints() throws {
        for backlog in ["1mb", "0"] {
            let primaryPort = freePort(), replicaPort = freePort()
            let primary = try start("primary-\(backlog)", port: primaryPort,
                                    ["--log-segment-size", "4096", "--auto-checkpoint-log-size", "16384",
                                     "--auto-checkpoint-percentage", "0", "--repl-backlog-size", backlog])
            defer { primary.stop() }
            let p = try primary.client()
            try write(p, 0..<20)
            var replica = try start("replica-\(backlog)", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)"])
            var r = try replica.client()
            eventually("in sync") { try inSync(p, r) }
            replica.stop()
            let snapshotBefore = try p.infoField("snapshot_lsn")
            try write(p, 20..<400)
            eventually("the primary checkpointed meanwhile") { try p.infoField("snapshot_lsn") != snapshotBefore && p.infoField("rdb_bgsave_in_progress") == "0" }
            replica = try start("replica-\(backlog)", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)"])
            r = try replica.client()
            eventually("caught up") { try inSync(p, r) }
            if backlog == "0" {
                XCTAssertEqual(try p.infoField("sync_full"), "2", "nothing kept: a full sync")
            } else {
                XCTAssertEqual(try p.infoField("sync_full"), "1", "resumed from the kept segments")
                XCTAssertEqual(try p.infoField("sync_partial_ok"), "1")
            }
            replica.stop()
        }
    }

    /// PUBLISH reaches the replica's subscribers through the stream, counted in the offsets
    /// as a Redis replica counts it; without replicas it is not logged at all.
    func testPublishReachesTheReplicasSubscribers() throws {
        let primaryPort = freePort(), replicaPort = freePort()
        let primary = try start("primary", port: primaryPort)
        defer { primary.stop() }
        let p = try primary.client()
        let lsnBefore = try p.infoField("log_last_lsn")
        XCTAssertEqual(try p.call("PUBLISH", "news", "nobody-replicates-this"), .integer(0))
        XCTAssertEqual(try p.infoField("log_last_lsn"), lsnBefore, "no record while replication is not in use")
        let replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)"])
        defer { replica.stop() }
        let r = try replica.client()
        eventually("in sync") { try inSync(p, r) }
        let subscriber = try replica.client()
        _ = try subscriber.call("SUBSCRIBE", "news")
        XCTAssertEqual(try p.call("PUBLISH", "news", "hello"), .integer(0), "no subscriber on the primary")
        XCTAssertEqual(try p.call("SPUBLISH", "news", "shard"), .integer(0))
        XCTAssertEqual(try subscriber.readReply(), .array([.bulk(Array("message".utf8)), .bulk(Array("news".utf8)), .bulk(Array("hello".utf8))]))
        eventually("offsets agree") { try inSync(p, r) }
        XCTAssertEqual(try r.call("PUBLISH", "news", "local"), .integer(1), "a replica's own clients publish locally")
        XCTAssertEqual(try subscriber.readReply(), .array([.bulk(Array("message".utf8)), .bulk(Array("news".utf8)), .bulk(Array("local".utf8))]))
        try p.call("SET", "after", "1")
        eventually("still in sync") { try inSync(p, r) }
    }

    /// Libraries reach a replica in its full sync (the snapshot) and in the stream; their
    /// writes arrive as effects; a read-only replica runs read-only functions only.
    func testFunctionsReachReplicas() throws {
        let primaryPort = freePort(), replicaPort = freePort()
        let primary = try start("primary", port: primaryPort)
        defer { primary.stop() }
        let p = try primary.client()
        let setter = "#!lua name=setter\nredis.register_function('setx', function(keys, args) return redis.call('set', keys[1], args[1]) end)"
        XCTAssertEqual(try p.call("FUNCTION", "LOAD", setter).string, "setter")
        XCTAssertEqual(try p.call("BGSAVE").string?.isEmpty, false)
        let replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)"])
        defer { replica.stop() }
        let r = try replica.client()
        eventually("in sync") { try inSync(p, r) }
        XCTAssertEqual(try r.call("FUNCTION", "LIST"), try p.call("FUNCTION", "LIST"), "from the full sync")
        let reader = "#!lua name=reader\nredis.register_function{function_name='getx', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"
        XCTAssertEqual(try p.call("FUNCTION", "LOAD", reader).string, "reader")
        XCTAssertEqual(try p.call("FCALL", "setx", "1", "k", "v"), .simple("OK"))
        eventually("in sync again") { try inSync(p, r) }
        XCTAssertEqual(try r.call("FCALL", "getx", "1", "k").string, "v", "from the stream")
        XCTAssertEqual(try r.call("FCALL", "setx", "1", "k", "w"), .error("READONLY Can not run script with write flag on readonly replica"))
        XCTAssertEqual(try r.call("FUNCTION", "DELETE", "reader"), .error("READONLY You can't write against a read only replica."))
        XCTAssertEqual(try p.call("FUNCTION", "FLUSH"), .simple("OK"))
        eventually("the flush replicated") { try r.call("FUNCTION", "LIST") == .array([]) }
    }

    /// A primary's evictions reach its replica as DELs; the replica, with a maxmemory of its
    /// own far below its data, evicts nothing (replica-ignore-maxmemory) and stays a copy.
    func testEvictionsReachReplicasWhichDoNotEvict() throws {
        let primaryPort = freePort(), replicaPort = freePort()
        let primary = try start("primary", port: primaryPort, ["--maxmemory-policy", "allkeys-lru"])
        defer { primary.stop() }
        let replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)",
                                                               "--maxmemory", "1mb", "--maxmemory-policy", "allkeys-random"])
        defer { replica.stop() }
        let p = try primary.client(), r = try replica.client()
        eventually("linked") { try inSync(p, r) }
        _ = try MaxMemoryTests.limit(p, extra: 1 << 20)
        try MaxMemoryTests.fill(p, "k", 30_000)
        let evicted = Int(try p.infoField("evicted_keys")) ?? 0
        XCTAssertGreaterThan(evicted, 1000)
        eventually("in sync after evictions") { try inSync(p, r) }
        XCTAssertEqual(try r.call("DBSIZE"), try p.call("DBSIZE"))
        XCTAssertEqual(try r.infoField("evicted_keys"), "0")
    }

    /// A replica's stream waits while a script of the replica's own clients is paused past
    /// busy-reply-threshold: the script sees one state from start to end, and the
    /// replica catches up after it.
    func testAReplicasStreamWaitsForAPausedScript() throws {
        let primaryPort = freePort(), replicaPort = freePort()
        let primary = try start("primary", port: primaryPort)
        defer { primary.stop() }
        let p = try primary.client()
        try p.call("SET", "x", "1")
        let replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)", "--busy-reply-threshold", "20"])
        defer { replica.stop() }
        let r = try replica.client()
        eventually("in sync") { try inSync(p, r) }
        let spin = """
        local first = redis.call('get', 'x')
        local t = redis.call('time')
        while true do
          local n = redis.call('time')
          if (n[1] - t[1]) * 1000000 + n[2] - t[2] > 400000 then break end
        end
        return {first, redis.call('get', 'x')}
        """
        try r.sendRaw(RESPClient.encode([Array("EVAL_RO".utf8), Array(spin.utf8), Array("0".utf8)]))
        usleep(100_000)
        try p.call("SET", "x", "2")
        XCTAssertEqual(try r.readReply(), .array([.bulk(Array("1".utf8)), .bulk(Array("1".utf8))]))
        eventually("the replica caught up") { try r.call("GET", "x").string == "2" }
        eventually("in sync after") { try inSync(p, r) }
    }

    func testReadOnlyReplicaWaitAndRole() throws {
        let primaryPort = freePort(), replicaPort = freePort()
        let primary = try start("primary", port: primaryPort)
        defer { primary.stop() }
        let p = try primary.client()
        XCTAssertEqual(try p.call("WAIT", "0", "0"), .integer(0))
        try p.call("SET", "a", "1")
        let replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)"])
        defer { replica.stop() }
        let r = try replica.client()
        eventually("in sync") { try inSync(p, r) }
        XCTAssertEqual(try r.call("SET", "b", "2"), .error("READONLY You can't write against a read only replica."))
        XCTAssertEqual(try r.call("GET", "a").string, "1", "reads are served")
        guard case .error(let waitError) = try r.call("WAIT", "1", "0") else { return XCTFail("WAIT on a replica") }
        XCTAssertTrue(waitError.hasPrefix("ERR WAIT cannot be used with replica instances"), waitError)
        // A write from the primary touches the replica's WATCHed keys, as any write.
        let watcher = try replica.client()
        XCTAssertEqual(try watcher.call("WATCH", "b"), .simple("OK"))
        XCTAssertEqual(try watcher.call("MULTI"), .simple("OK"))
        XCTAssertEqual(try watcher.call("GET", "b"), .simple("QUEUED"))
        try p.call("SET", "b", "2")
        XCTAssertEqual(try p.call("WAIT", "1", "5000"), .integer(1), "acknowledged by the replica")
        eventually("the replica has b") { try r.call("GET", "b").string == "2" }
        XCTAssertEqual(try watcher.call("EXEC"), .null, "the transaction saw b change")
        XCTAssertTrue(try r.call("INFO", "commandstats").string!.contains("cmdstat_set:calls="), "replicated commands are counted")
        let started = Date()
        XCTAssertEqual(try p.call("WAIT", "2", "300"), .integer(1), "one replica when two were asked for, at the timeout")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.25)
        // WAITAOF (Redis 7.2): on this server's disk, and on the replica's.
        XCTAssertEqual(try p.call("WAITAOF", "1", "1", "5000"), .array([.integer(1), .integer(1)]))
        try p.call("SET", "d", "4")
        XCTAssertEqual(try p.call("WAITAOF", "1", "1", "5000"), .array([.integer(1), .integer(1)]), "the replica fsynced it")
        XCTAssertEqual(try p.call("WAITAOF", "0", "2", "200"), .array([.integer(1), .integer(1)]), "two replicas asked, one has it")
        guard case .error(let waitAOFError) = try r.call("WAITAOF", "0", "1", "0") else { return XCTFail("WAITAOF on a replica") }
        XCTAssertTrue(waitAOFError.hasPrefix("ERR WAITAOF cannot be used with replica instances"), waitAOFError)
        XCTAssertEqual(try p.call("CONFIG", "SET", "min-replicas-to-write", "2"), .simple("OK"))
        XCTAssertEqual(try p.call("SET", "c", "3"), .error("NOREPLICAS Not enough good replicas to write."))
        XCTAssertEqual(try p.call("GET", "b").string, "2", "reads go on")
        XCTAssertEqual(try p.call("CONFIG", "SET", "min-replicas-to-write", "1"), .simple("OK"))
        XCTAssertEqual(try p.call("SET", "c", "3"), .simple("OK"))
        guard case .array(let role) = try p.call("ROLE") else { return XCTFail("ROLE") }
        XCTAssertEqual(role.first?.string, "master")
        XCTAssertEqual(role.count, 3)
        guard case .array(let replicaRole) = try r.call("ROLE") else { return XCTFail("ROLE") }
        XCTAssertEqual(replicaRole.prefix(4).map(\.description), ["\"slave\"", "\"127.0.0.1\"", ":\(primaryPort)", "\"connected\""])
        let info = try p.call("INFO", "replication").string!
        XCTAssertTrue(info.contains("connected_slaves:1") && info.contains("slave0:ip=127.0.0.1,port=\(replicaPort),state=online"), info)
    }

    /// Three servers: A with replicas B and C. B is promoted; C follows B and continues
    /// from B's log without a full sync (B's log holds A's history up to the promotion).
    func testPromotionLetsTheOtherReplicaContinue() throws {
        let portA = freePort(), portB = freePort(), portC = freePort()
        let a = try start("a", port: portA)
        let b = try start("b", port: portB, ["--replicaof", "127.0.0.1", "\(portA)"])
        let c = try start("c", port: portC, ["--replicaof", "127.0.0.1", "\(portA)"])
        defer { a.stop(); b.stop(); c.stop() }
        let ca = try a.client(), cb = try b.client(), cc = try c.client()
        try write(ca, 0..<40)
        eventually("both replicas in sync") { try inSync(ca, cb) && inSync(ca, cc) }
        let oldID = try ca.infoField("master_replid"), oldOffset = Int(try ca.infoField("master_repl_offset"))!
        a.stop()
        // A replica told not to serve stale data refuses data commands while its link is down.
        XCTAssertEqual(try cc.call("CONFIG", "SET", "replica-serve-stale-data", "no"), .simple("OK"))
        eventually("C sees its link down") { try cc.infoField("master_link_status") == "down" }
        XCTAssertEqual(try cc.call("GET", "k1"), .error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."))
        XCTAssertEqual(try cc.infoField("role"), "slave", "INFO still answers")
        XCTAssertEqual(try cc.call("CONFIG", "SET", "replica-serve-stale-data", "yes"), .simple("OK"))
        XCTAssertEqual(try cb.call("REPLICAOF", "NO", "ONE"), .simple("OK"))
        XCTAssertEqual(try cb.infoField("role"), "master")
        XCTAssertEqual(try cb.infoField("master_replid2"), oldID, "the history B continues")
        XCTAssertEqual(try cb.infoField("second_repl_offset"), "\(oldOffset + 1)")
        XCTAssertEqual(try cc.call("REPLICAOF", "127.0.0.1", "\(portB)"), .simple("OK"))
        try write(cb, 40..<80)
        eventually("C follows B") { try inSync(cb, cc) }
        XCTAssertEqual(try cb.infoField("sync_full"), "0", "C continued from B's log")
        XCTAssertEqual(try cb.infoField("sync_partial_ok"), "1")
        XCTAssertEqual(try cc.infoField("master_replid"), try cb.infoField("master_replid"), "C took B's new history")
    }

    /// Tools/tcpproxy between replica and primary: a cut link and a stalled one (longer
    /// than repl-timeout) both end in a partial resync, never a full one.
    func testCutAndStalledLinksResumeWithPartialSyncs() throws {
        let primaryPort = freePort(), proxyPort = freePort(), replicaPort = freePort()
        let primary = try start("primary", port: primaryPort)
        defer { primary.stop() }
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proxy.arguments = ["python3", packageRoot.appendingPathComponent("Tools/tcpproxy").path, "\(proxyPort)", "\(primaryPort)"]
        let orders = Pipe(), answers = Pipe()
        proxy.standardInput = orders
        proxy.standardOutput = answers
        try proxy.run()
        defer { proxy.terminate() }
        func order(_ text: String) {
            orders.fileHandleForWriting.write(Data((text + "\n").utf8))
        }
        _ = answers.fileHandleForReading.availableData  // "ready"
        let p = try primary.client()
        try write(p, 0..<30)
        let replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(proxyPort)", "--repl-timeout", "2"])
        defer { replica.stop() }
        let r = try replica.client()
        eventually("in sync through the proxy") { try inSync(p, r) }

        order("cut")
        try write(p, 30..<60)
        eventually("in sync after the cut") { try inSync(p, r) }
        XCTAssertEqual(try p.infoField("sync_partial_ok"), "1")

        order("pause")
        try write(p, 60..<90)
        sleep(3)  // past the replica's repl-timeout of 2 s
        order("resume")
        eventually("in sync after the stall") { try inSync(p, r) }
        XCTAssertEqual(try p.infoField("sync_full"), "1", "never a second full sync")
        XCTAssertGreaterThanOrEqual(Int(try p.infoField("sync_partial_ok")) ?? 0, 2)
        order("quit")
    }

    /// A replica killed while its full sync is under way keeps nothing half-done: at its
    /// next start it syncs again and ends identical.
    func testReplicaKilledDuringItsFullSyncStartsOver() throws {
        let primaryPort = freePort(), replicaPort = freePort()
        // 500 µs a key in the snapshot child: the sync takes a second or more.
        let primary = try start("primary", port: primaryPort, ["--rdb-key-save-delay", "500"])
        defer { primary.stop() }
        let p = try primary.client()
        var batch: [UInt8] = []
        for i in 0..<3000 { batch += RESPClient.encode([Array("SET".utf8), Array("key\(i)".utf8), Array("value\(i)".utf8)]) }
        try p.sendRaw(batch)
        for _ in 0..<3000 { _ = try p.readRawReply() }
        var replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)"])
        eventually("the full sync is under way") { try p.call("INFO", "replication").string!.contains("state=wait_bgsave") }
        replica.stop()  // SIGKILL
        replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)"])
        defer { replica.stop() }
        let r = try replica.client()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try? inSync(p, r)) != true { usleep(50_000) }
        XCTAssertTrue(try inSync(p, r), "in sync after starting over")
        XCTAssertEqual(try r.call("DBSIZE"), .integer(3000))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("replica/snapshots").path)
            .filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [], "no temporary snapshot left")
    }

    /// The replies of a server without replicas, against redis-server's: errors of WAIT,
    /// REPLCONF and REPLICAOF, ROLE, WAIT with none.
    /// A replica logs in as its masteruser: a Cairn replica and a redis-server replica sync
    /// through a user that may only PSYNC, REPLCONF and PING; one whose user may not PSYNC
    /// never syncs, and the primary's ACL log says why.
    func testReplicasLogInAsTheirMasteruser() throws {
        let primaryPort = freePort()
        let primary = try start("primary", port: primaryPort, [
            "--user", "default", "on", ">admin", "~*", "&*", "+@all",
            "--user", "repl", "on", ">rp", "+psync", "+replconf", "+ping",
            "--user", "weak", "on", ">wp", "+replconf", "+ping",
        ])
        let p = try primary.client()
        _ = try p.call("AUTH", "admin")
        try write(p, 0..<50)
        let replica = try start("replica", port: freePort(), ["--replicaof", "127.0.0.1", "\(primaryPort)",
                                                              "--masteruser", "repl", "--masterauth", "rp"])
        let r = try replica.client()
        eventually("the replica syncs as repl") { try inSync(p, r) }
        let redis = try ServerProcess.redis(["--replicaof", "127.0.0.1", "\(primaryPort)", "--masteruser", "repl", "--masterauth", "rp"])
        defer { redis.stop() }
        watched.append(redis)
        eventually("the redis-server replica syncs as repl") { try redis.client().infoField("master_link_status") == "up" }
        let weak = try start("weak", port: freePort(), ["--replicaof", "127.0.0.1", "\(primaryPort)",
                                                        "--masteruser", "weak", "--masterauth", "wp"])
        eventually("the primary refuses weak's PSYNC") {
            guard case .array(let entries) = try p.call("ACL", "LOG") else { return false }
            return entries.contains { "\($0)".contains("weak") && "\($0)".contains("psync") }
        }
        XCTAssertEqual(try weak.client().infoField("master_link_status"), "down")
    }

    func testRepliesAgreeWithRedis() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        let lines = [["WAIT", "abc", "0"], ["WAIT", "1", "abc"], ["WAIT", "1", "-1"], ["WAIT", "-1", "0"], ["WAIT", "0", "0"],
                     ["WAIT", "1"], ["ROLE"], ["REPLCONF", "foo", "bar"], ["REPLCONF", "ack"], ["REPLCONF", "listening-port", "x"],
                     ["REPLCONF", "listening-port", "7000"], ["REPLICAOF", "localhost", "notaport"], ["REPLICAOF", "NO", "ONE"],
                     ["SLAVEOF", "no", "one"], ["PSYNC", "?"]]
        for line in lines {
            XCTAssertEqual(try c.call(line), try r.call(line), line.joined(separator: " "))
        }
    }

    /// A redis-server primary's full sync is an RDB file: loaded once, then the stream
    /// (RedisReplicaTests has the rest); one it cannot load (module data) is refused once,
    /// rather than costing that primary a BGSAVE every second.
    func testARedisPrimaryIsLoadedOnceNotHammered() throws {
        let redis = try ServerProcess.redis()
        defer { redis.stop() }
        let rc = try redis.client()
        try rc.call("SET", "k", "v")
        let replica = try start("replica", port: freePort(), ["--replicaof", "127.0.0.1", "\(redis.port)"])
        defer { replica.stop() }
        XCTAssertTrue(replica.waitForLog("The primary sends an RDB file"), replica.log)
        let r = try replica.client()
        eventually("the link is up") { try r.infoField("master_link_status") == "up" }
        sleep(2)
        XCTAssertEqual(try rc.infoField("sync_full"), "1", "one full sync")
        XCTAssertEqual(try r.call("GET", "k"), .bulk(Array("v".utf8)))
        XCTAssertEqual(try r.infoField("role"), "slave")
    }

    /// redis-cli --replica shows the stream a Cairn primary sends.
    func testRedisCliReplicaShowsTheStream() throws {
        let port = freePort()
        let primary = try start("primary", port: port)
        defer { primary.stop() }
        let p = try primary.client()
        try p.call("SET", "before", "1")
        let cli = Process()
        cli.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        cli.arguments = ["-p", "\(port)", "--replica"]
        let out = Pipe()
        cli.standardOutput = out
        cli.standardError = out
        try cli.run()
        defer { if cli.isRunning { cli.terminate() } }
        eventually("redis-cli attached") { try p.infoField("connected_slaves") == "1" }
        eventually("its full sync done") { try p.call("INFO", "replication").string!.contains("state=online") }
        try p.call("SET", "seen", "by-cli")
        try p.call("LPUSH", "queue", "job")
        usleep(500_000)
        cli.terminate()
        cli.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("SYNC done. Logging commands from master."), text)
        XCTAssertTrue(text.contains("\"set\",\"seen\",\"by-cli\"") || text.contains("\"SET\",\"seen\",\"by-cli\""), text)
        XCTAssertTrue(text.contains("\"queue\",\"job\""), text)
    }
}
