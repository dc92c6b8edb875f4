import CairnTestSupport
import Foundation
import XCTest

/// maxmemory: the refusals and replies against redis-server doing the same, and each
/// eviction policy under load (memory stays at the limit, the policy's keys go).
final class MaxMemoryTests: XCTestCase {
    func testRefusalsMatchRedis() throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let expected = try MaxMemoryTests.refusals(redis)
        XCTAssertEqual(try MaxMemoryTests.refusals(cairn), expected)
        XCTAssertTrue(expected.contains("-OOM command not allowed when used memory > 'maxmemory'."), "\(expected)")
    }

    /// Values are not small integers: Redis shares those between keys (one counter for all).
    static func refusals(_ server: ServerProcess) throws -> [String] {
        let c = try server.client(), other = try server.client()
        var out: [String] = []
        func say(_ args: String...) throws { out.append(try c.call(args).description) }
        for (name, value) in [("maxmemory-policy", "lru"), ("maxmemory-samples", "0"), ("maxmemory", "-1"),
                              ("maxmemory-eviction-tenacity", "101"), ("lfu-log-factor", "-1"), ("lfu-decay-time", "x")] {
            try say("CONFIG", "SET", name, value)
        }
        for name in ["maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity",
                     "lfu-log-factor", "lfu-decay-time", "replica-ignore-maxmemory"] {
            try say("CONFIG", "GET", name)
        }
        try say("SET", "a", "va")
        // OBJECT FREQ and IDLETIME answer under the policy that tracks them.
        try say("OBJECT", "FREQ", "a")
        try say("OBJECT", "IDLETIME", "a")
        try say("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        try say("CONFIG", "SET", "lfu-log-factor", "0")
        try say("SET", "f", "vf")
        try say("OBJECT", "FREQ", "f")
        for _ in 0..<10 { _ = try c.call("GET", "f") }
        try say("OBJECT", "FREQ", "f")
        try say("SET", "f", "vf2")
        try say("OBJECT", "FREQ", "f")
        try say("OBJECT", "IDLETIME", "f")
        guard case .bulk(let dump) = try c.call("DUMP", "f") else { throw XCTSkip("no DUMP") }
        out.append(try c.call([Array("RESTORE".utf8), Array("g".utf8), Array("0".utf8), dump, Array("FREQ".utf8), Array("42".utf8)]).description)
        try say("OBJECT", "FREQ", "g")
        try say("CONFIG", "SET", "maxmemory-policy", "noeviction")
        // Over the limit with nothing to evict: what grows memory is refused.
        try say("CONFIG", "SET", "maxmemory", "1")
        for args in [["SET", "x", "vx"], ["GET", "a"], ["APPEND", "a", "more"], ["DEL", "g"], ["LPUSH", "l", "e"],
                     ["SETBIT", "b", "1", "1"], ["INCR", "n"], ["EXPIRE", "a", "100"]] {
            out.append(try c.call(args).description)
        }
        try say("EVAL", "return redis.call('set','x','vx')", "0")
        try say("EVAL", "return redis.pcall('set','x','vx')", "0")
        try say("EVAL", "return redis.call('get','a')", "0")
        try say("EVAL", "redis.call('del','nothing'); return redis.call('set','x','vx')", "0")
        try say("EVAL", "#!lua\nreturn 1", "0")
        try say("EVAL", "#!lua flags=no-writes\nreturn 1", "0")
        try say("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','y','vy')", "0")
        try say("MULTI")
        try say("GET", "a")
        try say("EXEC")
        try say("MULTI")
        try say("DISCARD")
        // A block queued before the limit was passed: EXEC itself is refused.
        try say("CONFIG", "SET", "maxmemory", "0")
        try say("MULTI")
        try say("SET", "q", "vq")
        out.append(try other.call("CONFIG", "SET", "maxmemory", "1").description)
        try say("EXEC")
        try say("CONFIG", "SET", "maxmemory", "0")
        out.append(try MaxMemoryTests.fields(c, ["maxmemory", "maxmemory_policy"]))
        return out
    }

    static func fields(_ c: RESPClient, _ names: [String]) throws -> String {
        try names.map { "\($0)=\(try c.infoField($0))" }.joined(separator: " ")
    }

    // MARK: - Eviction under load

    /// Writes `count` keys `prefix:i` (values of `valueBytes`, with a TTL of `ttl` + i
    /// seconds when given), pipelined; returns how many were refused.
    @discardableResult
    static func fill(_ c: RESPClient, _ prefix: String, _ count: Int, valueBytes: Int = 100, ttl: Int? = nil) throws -> Int {
        let value = String(repeating: "v", count: valueBytes)
        var refused = 0
        for start in stride(from: 0, to: count, by: 500) {
            let end = min(count, start + 500)
            var raw: [UInt8] = []
            for i in start..<end {
                let args = ttl.map { ["SETEX", "\(prefix):\(i)", "\($0 + i)", value] } ?? ["SET", "\(prefix):\(i)", value]
                raw += RESPClient.encode(args.map { Array($0.utf8) })
            }
            try c.sendRaw(raw)
            for _ in start..<end { if case .error = try c.readReply() { refused += 1 } }
        }
        return refused
    }

    /// How many of `prefix:0..<count` exist.
    static func surviving(_ c: RESPClient, _ prefix: String, _ count: Int) throws -> Int {
        var n = 0
        for start in stride(from: 0, to: count, by: 500) {
            let keys = (start..<min(count, start + 500)).map { "\(prefix):\($0)" }
            guard case .integer(let found) = try c.call(["EXISTS"] + keys) else { continue }
            n += Int(found)
        }
        return n
    }

    /// GETs every `prefix:i`, pipelined (a read that counts as an access).
    static func read(_ c: RESPClient, _ prefix: String, _ count: Int) throws {
        var raw: [UInt8] = []
        for i in 0..<count { raw += RESPClient.encode([Array("GET".utf8), Array("\(prefix):\(i)".utf8)]) }
        try c.sendRaw(raw)
        for _ in 0..<count { _ = try c.readReply() }
    }

    /// Waits until evictions stop (passes go on between commands after CONFIG SET).
    static func settle(_ c: RESPClient) throws {
        var last = ""
        for _ in 0..<100 {
            let now = try c.infoField("evicted_keys")
            if now == last { return }
            last = now
            usleep(50_000)
        }
    }

    static func usedMemory(_ c: RESPClient) throws -> Int { Int(try c.infoField("used_memory")) ?? 0 }

    /// A limit `extra` bytes above what the server uses now.
    static func limit(_ c: RESPClient, extra: Int) throws -> Int {
        let limit = try usedMemory(c) + extra
        _ = try c.call("CONFIG", "SET", "maxmemory", "\(limit)")
        return limit
    }

    func testEveryPolicyKeepsMemoryAtTheLimit() throws {
        let server = try ServerProcess.cairn()
        defer { server.stop() }
        let c = try server.client()
        for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
                       "volatile-random", "volatile-ttl"] {
            _ = try c.call("CONFIG", "SET", "maxmemory", "0")
            _ = try c.call("FLUSHALL")
            _ = try c.call("CONFIG", "SET", "maxmemory-policy", policy)
            // Keys without a TTL: only the allkeys policies may take them.
            try MaxMemoryTests.fill(c, "keep", 500)
            let limit = try MaxMemoryTests.limit(c, extra: 2 << 20)
            let evictedBefore = Int(try c.infoField("evicted_keys")) ?? 0
            let refused = try MaxMemoryTests.fill(c, "k", 60_000, ttl: policy.hasPrefix("volatile") ? 1000 : nil)
            let used = try MaxMemoryTests.usedMemory(c)
            XCTAssertEqual(refused, 0, policy)
            XCTAssertLessThan(Double(used), Double(limit) * 1.05, "\(policy): used \(used), limit \(limit)")
            XCTAssertGreaterThan(Double(used), Double(limit) * 0.9, "\(policy): used \(used), limit \(limit)")
            XCTAssertGreaterThan((Int(try c.infoField("evicted_keys")) ?? 0) - evictedBefore, 10_000, policy)
            if policy.hasPrefix("volatile") {
                XCTAssertEqual(try MaxMemoryTests.surviving(c, "keep", 500), 500, "\(policy) evicted keys without a TTL")
            }
        }
    }

    func testNoevictionRefusesAndKeepsEverything() throws {
        let server = try ServerProcess.cairn()
        defer { server.stop() }
        let c = try server.client()
        _ = try MaxMemoryTests.limit(c, extra: 1 << 20)
        let refused = try MaxMemoryTests.fill(c, "k", 30_000)
        XCTAssertGreaterThan(refused, 10_000)
        XCTAssertEqual(try c.infoField("evicted_keys"), "0")
        XCTAssertEqual(try MaxMemoryTests.surviving(c, "k", 30_000), 30_000 - refused)
        XCTAssertEqual(try c.call("GET", "k:0").string, String(repeating: "v", count: 100))
    }

    /// Under allkeys-lru the keys idle longest go: keys written two seconds before the
    /// rest are the ones evicted when the limit is lowered.
    func testLRUEvictsTheIdleKeys() throws {
        let server = try ServerProcess.cairn(["--maxmemory-policy", "allkeys-lru", "--maxmemory-samples", "10"])
        defer { server.stop() }
        let c = try server.client()
        try MaxMemoryTests.fill(c, "old", 5000)
        sleep(2)
        try MaxMemoryTests.fill(c, "new", 5000)
        let used = try MaxMemoryTests.usedMemory(c)
        _ = try c.call("CONFIG", "SET", "maxmemory", "\(used - 400_000)")
        try MaxMemoryTests.settle(c)
        let old = try MaxMemoryTests.surviving(c, "old", 5000), new = try MaxMemoryTests.surviving(c, "new", 5000)
        XCTAssertLessThan(old, 5000 - 1000, "old keys were not evicted")
        XCTAssertGreaterThan(new, 4900, "new keys were evicted: old \(old), new \(new)")
    }

    /// Under allkeys-lfu the keys read least go (lfu-log-factor 0: every read counts).
    func testLFUEvictsTheRarelyReadKeys() throws {
        let server = try ServerProcess.cairn(["--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0"])
        defer { server.stop() }
        let c = try server.client()
        try MaxMemoryTests.fill(c, "cold", 5000)
        try MaxMemoryTests.fill(c, "hot", 5000)
        for _ in 0..<3 { try MaxMemoryTests.read(c, "hot", 5000) }
        XCTAssertEqual(try c.call("OBJECT", "FREQ", "hot:1").description, ":8")
        let used = try MaxMemoryTests.usedMemory(c)
        _ = try c.call("CONFIG", "SET", "maxmemory", "\(used - 400_000)")
        try MaxMemoryTests.settle(c)
        // Sampled, not exact: a pass whose samples are all hot takes a hot key.
        let hot = try MaxMemoryTests.surviving(c, "hot", 5000), cold = try MaxMemoryTests.surviving(c, "cold", 5000)
        XCTAssertLessThan(cold, 5000 - 1000)
        XCTAssertLessThan(5000 - hot, (5000 - cold) / 10, "hot keys evicted: \(5000 - hot), cold: \(5000 - cold)")
    }

    /// Under volatile-ttl the keys nearest their expiry go first.
    func testVolatileTTLEvictsTheNearestExpiries() throws {
        let server = try ServerProcess.cairn(["--maxmemory-policy", "volatile-ttl", "--maxmemory-samples", "10"])
        defer { server.stop() }
        let c = try server.client()
        try MaxMemoryTests.fill(c, "soon", 5000, ttl: 1000)
        try MaxMemoryTests.fill(c, "late", 5000, ttl: 100_000)
        let used = try MaxMemoryTests.usedMemory(c)
        _ = try c.call("CONFIG", "SET", "maxmemory", "\(used - 400_000)")
        try MaxMemoryTests.settle(c)
        // Sampled, as Redis's: once most near keys are gone, a sample of ten can hold none of
        // them and a far key goes (17 of 5,000 in one loaded run). Nearly all far keys stay.
        XCTAssertGreaterThanOrEqual(try MaxMemoryTests.surviving(c, "late", 5000), 4950)
        XCTAssertLessThan(try MaxMemoryTests.surviving(c, "soon", 5000), 5000 - 1000)
    }

    /// Evictions are DELs in the log (a restart has the same keys), `evicted` events, and
    /// changes to WATCHed keys.
    func testEvictionsAreLoggedNotifiedAndWatched() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-evict-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port, ["--maxmemory-policy", "allkeys-random",
                                                                          "--notify-keyspace-events", "Ke"])
        let c = try server.client(), watcher = try server.client(), subscriber = try server.client()
        _ = try subscriber.call("PSUBSCRIBE", "__keyspace@0__:*")
        try MaxMemoryTests.fill(c, "k", 2000)
        _ = try watcher.call(["WATCH"] + (0..<2000).map { "k:\($0)" })
        _ = try watcher.call("MULTI")
        _ = try watcher.call("SET", "other", "x")
        _ = try MaxMemoryTests.limit(c, extra: -100_000)
        try MaxMemoryTests.settle(c)
        let evicted = Int(try c.infoField("evicted_keys")) ?? 0
        XCTAssertGreaterThan(evicted, 100)
        XCTAssertEqual(try watcher.call("EXEC").description, "(nil)")
        guard case .array(let message) = try subscriber.readReply() else { return XCTFail("no event") }
        XCTAssertEqual(message.last?.string, "evicted")
        let keys = try c.call("DBSIZE").description
        XCTAssertEqual(keys, ":\(2000 - evicted)")
        server.crash()
        server = try ServerProcess.cairn(directory: dir, port: port)
        defer { server.stop() }
        XCTAssertEqual(try server.client().call("DBSIZE").description, keys)
    }
}

/// client-output-buffer-limit normal: a client that stops reading is cut at its limit, on
/// Cairn as on redis-server; one that reads is not.
final class OutputBufferLimitTests: XCTestCase {
    func testAClientThatStopsReadingIsCut() throws {
        for server in [try ServerProcess.cairn(), try ServerProcess.redis()] {
            defer { server.stop() }
            let c = try server.client()
            XCTAssertEqual(try c.call("CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 0 0"), .simple("OK"))
            XCTAssertEqual(try c.call("SET", "big", String(repeating: "x", count: 100_000)), .simple("OK"))
            // 400 GETs (40 MB of replies) never read.
            let idle = try server.client()
            guard case .integer(let id) = try idle.call("CLIENT", "ID") else { return XCTFail("no id") }
            var raw: [UInt8] = []
            for _ in 0..<400 { raw += RESPClient.encode([Array("GET".utf8), Array("big".utf8)]) }
            try idle.sendRaw(raw)
            var cut = false
            for _ in 0..<100 where !cut {
                usleep(50_000)
                cut = !(try c.call("CLIENT", "LIST").string ?? "").contains("id=\(id) ")
            }
            let listed = try c.call("CLIENT", "LIST")
            XCTAssertTrue(cut, "\(server.directory.lastPathComponent): the idle client was not cut \(server.log) \(listed)")
            // A client that reads everything stays.
            let five = Array(raw[0..<(raw.count / 80)])
            for _ in 0..<20 {
                try c.sendRaw(five)
                for _ in 0..<5 { XCTAssertEqual(try c.readReply().string?.count, 100_000) }
            }
            XCTAssertEqual(try c.call("PING"), .simple("PONG"))
        }
    }

    /// CLIENT LIST's buffer fields count what they name, on Cairn as on redis-server: a
    /// client that does not read has its replies in omem and tot-mem, a MULTI block its
    /// queued arguments in multi-mem, a partial request its bytes in qbuf.
    func testClientListCountsBuffers() throws {
        for server in [try ServerProcess.cairn(), try ServerProcess.redis()] {
            defer { server.stop() }
            let c = try server.client(), idle = try server.client(), multi = try server.client(), partial = try server.client()
            XCTAssertEqual(try c.call("SET", "big", String(repeating: "x", count: 100_000)), .simple("OK"))
            guard case .integer(let idleID) = try idle.call("CLIENT", "ID") else { return XCTFail("no id") }
            var raw: [UInt8] = []
            for _ in 0..<100 { raw += RESPClient.encode([Array("GET".utf8), Array("big".utf8)]) }
            try idle.sendRaw(raw)
            guard case .integer(let multiID) = try multi.call("CLIENT", "ID") else { return XCTFail("no id") }
            _ = try multi.call("MULTI")
            _ = try multi.call("SET", "k", String(repeating: "v", count: 5000))
            try partial.sendRaw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n" + String(repeating: "z", count: 30_000))
            usleep(300_000)
            let ids = [idleID, multiID]
            guard let list = try c.call("CLIENT", "LIST").string else { return XCTFail("no list") }
            func field(_ id: Int64, _ name: String) -> Int {
                let line = list.split(separator: "\n").first { $0.hasPrefix("id=\(id) ") } ?? ""
                let part = line.split(separator: " ").first { $0.hasPrefix(name + "=") } ?? ""
                return Int(part.dropFirst(name.count + 1)) ?? -1
            }
            let name = server.directory.lastPathComponent
            XCTAssertGreaterThan(field(ids[0], "omem"), 1_000_000, "\(name): omem of a client that does not read")
            XCTAssertGreaterThanOrEqual(field(ids[0], "tot-mem"), field(ids[0], "omem"), name)
            XCTAssertGreaterThanOrEqual(field(ids[1], "multi-mem"), 5000, "\(name): multi-mem")
            let partialLine = list.split(separator: "\n").first { $0.contains("qbuf=") && (Int($0.split(separator: " ").first { $0.hasPrefix("qbuf=") }?.dropFirst(5) ?? "") ?? 0) >= 30_000 }
            XCTAssertNotNil(partialLine, "\(name): no client shows the partial request in qbuf: \(list)")
            if let line = partialLine {
                let free = line.split(separator: " ").first { $0.hasPrefix("qbuf-free=") }.flatMap { Int($0.dropFirst(10)) } ?? -1
                XCTAssertGreaterThanOrEqual(free, 0, name)
            }
        }
    }

    /// maxmemory-clients: a client whose query buffer takes the clients past the limit is
    /// closed and counted in evicted_clients, on Cairn as on redis-server; the others stay.
    func testClientsPastMaxmemoryClientsAreEvicted() throws {
        for server in [try ServerProcess.cairn(), try ServerProcess.redis()] {
            defer { server.stop() }
            let c = try server.client(), greedy = try server.client()
            let name = server.directory.lastPathComponent
            XCTAssertEqual(try c.call("CONFIG", "SET", "maxmemory-clients", "2mb"), .simple("OK"), name)
            guard case .integer(let id) = try greedy.call("CLIENT", "ID") else { return XCTFail("no id") }
            // The server may close the connection before all of it is sent: a failed write
            // is the eviction seen early.
            try? greedy.sendRaw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000000\r\n" + String(repeating: "z", count: 3_000_000))
            var gone = false
            for _ in 0..<100 where !gone {
                usleep(20_000)
                gone = !(try c.call("CLIENT", "LIST").string ?? "").contains("id=\(id) ")
            }
            XCTAssertTrue(gone, "\(name): the greedy client was not evicted")
            XCTAssertEqual(try c.infoField("evicted_clients"), "1", name)
            XCTAssertEqual(try c.call("PING"), .simple("PONG"), name)
            XCTAssertEqual(try c.call("CONFIG", "SET", "maxmemory-clients", "0"), .simple("OK"))
        }
    }

    /// maxmemory-clients takes bytes or a percentage of maxmemory, as Redis checks them.
    func testMaxmemoryClientsValuesMatchRedis() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let transcript = { (server: ServerProcess) throws -> [String] in
            let c = try server.client()
            return try [["SET", "maxmemory-clients", "101%"], ["SET", "maxmemory-clients", "-1"], ["SET", "maxmemory-clients", "x%"],
                        ["SET", "maxmemory-clients", "10%"], ["GET", "maxmemory-clients"], ["SET", "maxmemory-clients", "1mb"],
                        ["GET", "maxmemory-clients"], ["SET", "maxmemory-clients", "0"]].map { try c.call(["CONFIG"] + $0).description }
        }
        XCTAssertEqual(try transcript(cairn), try transcript(redis))
    }
}
