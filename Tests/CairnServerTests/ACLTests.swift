import CairnTestSupport
import Foundation
import XCTest

/// ACL users against redis-server side by side: every ACL subcommand and its errors, the
/// refusals (NOPERM for commands, keys and channels, at top level, inside MULTI and from
/// scripts), AUTH and HELLO, requirepass, the ACL log, aclfiles both ways, and a
/// randomized comparison of permissions.
final class ACLTests: XCTestCase {
    /// Users, their descriptions, and the errors of every rule.
    static let users = """
    A ACL SETUSER alice on >pw ~foo* %R~bar* &ch* +get +set +@hash -hdel +client|list
    A ACL GETUSER alice
    A ACL LIST
    A ACL SETUSER bob
    A ACL GETUSER bob
    A ACL SETUSER carol on nopass ~* &* +@string -get (~q* +lpush +lrange) (%W~w* +set)
    A ACL GETUSER carol
    A ACL SETUSER carol clearselectors
    A ACL GETUSER carol
    A ACL SETUSER c1 +@all -get
    A ACL SETUSER c2 +@list +@hash -@write +set +hset
    A ACL SETUSER c3 +get +@string -get +@list -@list
    A ACL SETUSER c4 +config +config|get -config|set
    A ACL SETUSER c5 allcommands nocommands +zadd +get
    A ACL SETUSER c6 +select|0 +select|1 -@all +select|2 +debug|sleep
    A ACL SETUSER c7 %RW~a* %W~b* %R~c* %R~b* ~d* %r~e* %WR~f*
    A ACL SETUSER c8 ~x* resetkeys %R~y* &p resetchannels &q
    A ACL SETUSER c9 reset
    A ACL SETUSER c10 on >p1 >p2 <p1 #6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b !6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b >p3
    A ACL SETUSER c11 ON NOPASS SKIP-SANITIZE-PAYLOAD ALLKEYS ALLCHANNELS ALLCOMMANDS
    A ACL SETUSER c12 "(" "~x*" "+get" ")" "(~y* +set)"
    A ACL GETUSER c12
    A ACL SETUSER c13 +@pubsub +@transaction -exec +@stream -xadd
    A ACL LIST
    A ACL USERS
    A ACL GETUSER nosuch
    A ACL SETUSER bad +nocmd
    A ACL SETUSER bad +@nocat
    A ACL SETUSER bad -@nocat
    A ACL SETUSER bad "~a b"
    A ACL SETUSER bad "&a b"
    A ACL SETUSER bad (+get
    A ACL SETUSER bad on (+get ~x
    A ACL SETUSER bad allkeys ~x
    A ACL SETUSER bad allchannels &x
    A ACL SETUSER bad #abc
    A ACL SETUSER bad #6B86B273FF34FCE19D6B804EFF5A3F5747ADA4EAA22F1D49C01E52DDB7875B4B
    A ACL SETUSER bad <nopw
    A ACL SETUSER bad !6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b
    A ACL SETUSER bad +config|get|x
    A ACL SETUSER bad +config|
    A ACL SETUSER bad +config|nosuch
    A ACL SETUSER bad -select|0
    A ACL SETUSER bad %X~a
    A ACL SETUSER bad %
    A ACL SETUSER bad %R
    A ACL SETUSER bad %R~
    A ACL GETUSER bad
    A ACL DELUSER bad
    A ACL SETUSER bad %~x
    A ACL SETUSER bad %RR~x
    A ACL SETUSER bad ~
    A ACL SETUSER bad &
    A ACL SETUSER bad (~x +nocmd)
    A ACL SETUSER "bad user" on
    A ACL SETUSER bad on foo
    A ACL GETUSER bad
    A ACL USERS
    A ACL DELUSER default
    A ACL DELUSER c9 nosuch c9
    A ACL DELUSER default c10
    A ACL USERS
    A ACL CAT
    A ACL CAT nosuch
    A ACL CAT a b
    A ACL GENPASS 0
    A ACL GENPASS 4097
    A ACL GENPASS x
    A ACL GENPASS 1 2
    A ACL LOAD
    A ACL SAVE
    A ACL HELP
    A ACL NOPE
    A ACL GETUSER
    A ACL LIST x
    A ACL WHOAMI
    A ACL LOG x
    A ACL LOG 1 2
    A ACL DRYRUN alice get foo1
    A ACL DRYRUN alice get x
    A ACL DRYRUN alice set bar1 v
    A ACL DRYRUN alice get bar1
    A ACL DRYRUN alice hset foo1 f v
    A ACL DRYRUN alice hdel foo1 f
    A ACL DRYRUN alice publish ch1 m
    A ACL DRYRUN alice publish zz m
    A ACL DRYRUN alice client list
    A ACL DRYRUN alice client kill id 1
    A ACL DRYRUN alice client
    A ACL DRYRUN nosuch get x
    A ACL DRYRUN alice nocmd
    A ACL DRYRUN alice get
    A ACL DRYRUN alice client nosuch
    A ACL DRYRUN carol lpush q1 x
    A ACL DRYRUN carol lpush x1 x
    A ACL DRYRUN carol set w1 x
    A ACL DRYRUN carol get w1
    A ACL DRYRUN c6 select 1
    A ACL DRYRUN c6 select 3
    A ACL DRYRUN c7 copy a1 b1
    A ACL DRYRUN c7 copy b1 a1
    A ACL DRYRUN c7 copy c1 a1
    A ACL DRYRUN c7 copy f1 e1
    A ACL DRYRUN c7 set c1 1
    A ACL DRYRUN c12 get x1
    A ACL DRYRUN c12 get y1
    A ACL DRYRUN c12 set y1 v
    A ACL DRYRUN c12 set x1 v
    A ACL DRYRUN c13 subscribe a b
    A ACL DRYRUN c8 subscribe q
    A ACL DRYRUN c8 psubscribe q*
    A ACL DRYRUN c8 publish q m
    A ACL DRYRUN c13 unsubscribe a
    A ACL DRYRUN c13 exec
    A ACL DRYRUN c1 auth x
    """

    /// Refusals for a logged-in user: at top level, in MULTI (queued and at EXEC, after
    /// the rules changed), and from scripts; then the ACL log they left.
    static let refusals = """
    A ACL SETUSER alice on >pw ~foo* %R~bar* &ch* +get +set +@hash -hdel +client|list +client|kill
    A ACL SETUSER dave on >pw ~k* &ch* +get +set +multi +exec +eval +evalsha +publish +acl|whoami +lpush
    B AUTH alice wrong
    B AUTH nosuch pw
    B AUTH alice pw
    B ACL WHOAMI
    B GET foo1
    B GET x
    B SET foo1 v
    B SET bar1 v
    B GET bar1
    B HSET foo2 f v
    B HDEL foo2 f
    B PUBLISH ch1 m
    B PUBLISH other m
    B CLIENT KILL USER nosuch
    B EVAL "return 1" 0
    B MULTI
    B CONFIG GET port
    C AUTH dave pw
    C MULTI
    C GET k1
    C SET k2 v
    A ACL SETUSER dave -set
    C EXEC
    C MULTI
    C DEL k1
    C GET k1
    C EXEC
    C MULTI
    C GET k1
    C GET k2
    C PUBLISH ch1 m
    A ACL SETUSER dave resetkeys ~k2 resetchannels
    C EXEC
    A ACL SETUSER dave ~k* &ch*
    C EVAL "return redis.call('get','x')" 0
    C EVAL "return redis.call('del','k')" 0
    C EVAL "return redis.pcall('del','k')" 0
    C EVAL "local t = redis.pcall('get','x'); return t['err']" 0
    C EVAL "return redis.call('get','k1')" 0
    C EVAL "return redis.call('set','k1','v')" 0
    C EVAL "return redis.call('publish','zz','m')" 0
    C PUBLISH zz m
    C ACL WHOAMI
    A ACL LOG 3
    A ACL LOG
    A ACL LOG RESET
    A ACL LOG
    A CONFIG SET acllog-max-len 2
    C GET x
    C GET y
    C GET z
    A ACL LOG
    A CONFIG GET acllog-max-len
    """

    /// requirepass is the default user's password; AUTH, HELLO AUTH, disabled users,
    /// deleted users and revoked channels.
    static let logins = """
    A CONFIG SET requirepass secret
    A ACL GETUSER default
    A ACL LIST
    B PING
    B ACL WHOAMI
    B AUTH secret
    B PING
    B AUTH default secret
    B HELLO 2 AUTH default wrong
    B! HELLO 2 AUTH default secret SETNAME x
    B CLIENT GETNAME
    A ACL SETUSER default off
    D PING
    D AUTH secret
    D HELLO 2 AUTH default secret
    A ACL SETUSER default on nopass
    D PING
    A CONFIG SET requirepass ""
    A ACL GETUSER default
    A AUTH x
    A AUTH default anything
    A ACL SETUSER eve on >pw +@all ~*
    E AUTH eve pw
    E ACL WHOAMI
    A CLIENT KILL USER eve
    E PING
    G AUTH eve pw
    A ACL DELUSER eve
    G PING
    A ACL LOG 4
    A ACL SETUSER sub on nopass +subscribe +ping resetchannels &news
    F AUTH sub x
    F SUBSCRIBE news
    A ACL SETUSER sub &more
    F PING
    A ACL SETUSER sub resetchannels &other
    F PING
    A CONFIG SET acl-pubsub-default allchannels
    A CONFIG GET acl-pubsub-default
    A ACL SETUSER f1 on nopass
    A ACL GETUSER f1
    A ACL SETUSER f1 reset
    A ACL LIST
    A CONFIG SET acl-pubsub-default resetchannels
    A ACL SETUSER f2 (~x +get)
    A ACL LIST
    A CONFIG SET acl-pubsub-default nope
    """

    func testACLCommandsMatchRedis() throws {
        try ClientScript.compare(ACLTests.users, normalize: ACLTests.normalize)
    }

    func testACLCommandsMatchRedisRESP3() throws {
        try ClientScript.compare("A! HELLO 3\n" + ACLTests.users, normalize: ACLTests.normalize)
    }

    func testRefusalsMatchRedis() throws {
        try ClientScript.compare(ACLTests.refusals, normalize: ACLTests.normalize)
    }

    func testLoginsMatchRedis() throws {
        try ClientScript.compare(ACLTests.logins, normalize: ACLTests.normalize)
    }

    /// What differs by design: the order of single commands in a description (Redis walks
    /// a hash table seeded at random), and the ACL log's age and client line.
    static func normalize(_ reply: [UInt8]) -> [UInt8] {
        var text = String(decoding: reply, as: UTF8.self)
        text = text.replacingOccurrences(of: "age-seconds\r\n(\\$[0-9]+\r\n)?[^\r]*\r\n", with: "age-seconds\r\n#\r\n",
                                         options: .regularExpression)
        text = text.replacingOccurrences(of: "client-info\r\n\\$[0-9]+\r\n[^\r]*\r\n", with: "client-info\r\n#\r\n",
                                         options: .regularExpression)
        let lines = text.components(separatedBy: "\r\n").map { line -> String in
            line.contains("@all") ? sortingSingleCommandRules(line) : line
        }
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// Sorts each run of "+cmd"/"-cmd" rules in place (a run's closing parenthesis stays
    /// at its end).
    static func sortingSingleCommandRules(_ line: String) -> String {
        var words = line.components(separatedBy: " ")
        var i = 0
        func isSingle(_ w: String) -> Bool {
            (w.hasPrefix("+") || w.hasPrefix("-")) && !w.dropFirst().hasPrefix("@") && w.count > 1
        }
        while i < words.count {
            guard isSingle(words[i]) else { i += 1; continue }
            var j = i
            var closes = false
            while j < words.count && isSingle(words[j]) {
                if words[j].hasSuffix(")") { closes = true; j += 1; break }
                j += 1
            }
            var run = words[i..<j].map { $0.hasSuffix(")") ? String($0.dropLast()) : $0 }
            run.sort()
            if closes { run[run.count - 1] += ")" }
            words.replaceSubrange(i..<j, with: run)
            i = j
        }
        return words.joined(separator: " ")
    }

    /// ACL CAT of every category lists the same commands, but for the commands one server
    /// has and the other has not.
    func testCategoriesListTheSameCommands() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        let notInBoth: Set<String> = ["failover", "lolwut", "script|debug", "client|no-touch", "waitaof"]
        let categories = try strings(r.call("ACL", "CAT"))
        XCTAssertEqual(try strings(c.call("ACL", "CAT")), categories)
        for category in categories {
            let mine = Set(try strings(c.call("ACL", "CAT", category))).subtracting(notInBoth)
            let theirs = Set(try strings(r.call("ACL", "CAT", category))).subtracting(notInBoth)
            XCTAssertEqual(mine, theirs, "ACL CAT \(category)")
        }
    }

    private func strings(_ value: RESPValue) throws -> [String] {
        guard case .array(let items) = value else { throw XCTSkip("not an array: \(value)") }
        return items.compactMap { if case .bulk(let b) = $0 { return String(decoding: b, as: UTF8.self) }; return nil }
    }
}

/// Users from the config file (`user` lines, CONFIG REWRITE) and from an aclfile that
/// redis-server and cairn-server read and write in turn.
final class ACLFileTests: XCTestCase {
    func testUserDirectivesMatchRedis() throws {
        let users = ["--user", "bob", "on", ">x", "~k*", "+get", "(~q*", "+lpush)",
                     "--user", "default", "on", ">secret", "~*", "&*", "+@all",
                     "--user", "carol", "off", "nopass", "+@hash", "-hdel", "%R~r*"]
        let cairn = try ServerProcess.cairn(users), redis = try ServerProcess.redis(users)
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        for client in [c, r] { _ = try client.call("AUTH", "secret") }
        XCTAssertEqual(ACLTests.normalize(try c.callRaw([Array("ACL".utf8), Array("LIST".utf8)])),
                       ACLTests.normalize(try r.callRaw([Array("ACL".utf8), Array("LIST".utf8)])))
        let bob = try cairn.client()
        XCTAssertEqual(try bob.call("AUTH", "bob", "x"), .simple("OK"))
        XCTAssertEqual(try bob.call("GET", "k1"), .null)
        XCTAssertEqual(try bob.call("LPUSH", "q1", "a"), .integer(1))
        guard case .error(let refused) = try bob.call("LPUSH", "k1", "a") else { return XCTFail("LPUSH k1 was allowed") }
        XCTAssertTrue(refused.hasPrefix("NOPERM"), refused)
    }

    func testBadUserDirectiveStopsTheServer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-baduser-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try ServerProcess.cairn(directory: dir, port: freePort(), ["--user", "bob", "on", "~a b"], waitForPort: false)
        defer { server.stop() }
        XCTAssertNotEqual(server.waitForExit(), 0)
        XCTAssertTrue(server.log.contains("Error in user declaration '~a b': Syntax error"), server.log)
    }

    /// One aclfile, both servers pointed at it: what one saves the other loads.
    func testAclfileRoundTripsBetweenRedisAndCairn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-aclfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("users.acl")
        try "user default on nopass ~* &* +@all\n".write(to: file, atomically: true, encoding: .utf8)
        let cairn = try ServerProcess.cairn(["--aclfile", file.path]), redis = try ServerProcess.redis(["--aclfile", file.path])
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        func list(_ client: RESPClient) throws -> [UInt8] {
            ACLTests.normalize(try client.callRaw([Array("ACL".utf8), Array("LIST".utf8)]))
        }
        // Redis writes, Cairn reads.
        for rule in [["alice", "on", ">pw", "~foo*", "%R~bar*", "&ch*", "+@hash", "-hdel", "+get", "(~q*", "+lpush)"],
                     ["bob", "off", "+@all", "-@string", "+get"], ["carol", "on", "nopass", "+select|0", "+client|list"]] {
            XCTAssertEqual(try r.call(["ACL", "SETUSER"] + rule), .simple("OK"))
        }
        XCTAssertEqual(try r.call("ACL", "SAVE"), .simple("OK"))
        XCTAssertEqual(try c.call("ACL", "LOAD"), .simple("OK"))
        XCTAssertEqual(try list(c), try list(r))
        // Cairn writes, Redis reads.
        XCTAssertEqual(try c.call("ACL", "SETUSER", "dave", "on", "#" + String(repeating: "a", count: 64), "~*", "+@list"), .simple("OK"))
        XCTAssertEqual(try c.call("ACL", "DELUSER", "bob"), .integer(1))
        XCTAssertEqual(try c.call("ACL", "SAVE"), .simple("OK"))
        XCTAssertEqual(try r.call("ACL", "LOAD"), .simple("OK"))
        XCTAssertEqual(try list(c), try list(r))
        // A file with errors changes nothing, and both say so alike.
        try "user default on nopass ~* &* +@all\nuser x on +nocmd\nbad line\nuser y (+get\nuser x off\n"
            .write(to: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try c.callRaw([Array("ACL".utf8), Array("LOAD".utf8)]), try r.callRaw([Array("ACL".utf8), Array("LOAD".utf8)]))
        XCTAssertEqual(try list(c), try list(r))
        // A client of a user the file no longer has is closed by ACL LOAD.
        let alice = try cairn.client()
        XCTAssertEqual(try alice.call("AUTH", "alice", "pw"), .simple("OK"))
        try "user default on nopass ~* &* +@all\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try c.call("ACL", "LOAD"), .simple("OK"))
        XCTAssertThrowsError(try alice.call("PING"))
    }

    /// CONFIG REWRITE writes the users in force in place of the file's user lines, as
    /// Redis does (every user, the default one too).
    func testConfigRewriteWritesUsers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-rewrite-users-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let conf = dir.appendingPathComponent("cairn.conf")
        try "port \(port)\nbind 127.0.0.1\nuser bob on >x ~* +get\ndir \"\(dir.path)/data\"\n".write(to: conf, atomically: true, encoding: .utf8)
        var server = try ServerProcess(executable: cairnServerBinary(), arguments: [conf.path], port: port, directory: dir)
        let c = try server.client()
        XCTAssertEqual(try c.call("ACL", "SETUSER", "zed", "on", "nopass", "+@all"), .simple("OK"))
        XCTAssertEqual(try c.call("CONFIG", "REWRITE"), .simple("OK"))
        let text = try String(contentsOf: conf, encoding: .utf8)
        XCTAssertTrue(text.contains("bind 127.0.0.1\nuser bob on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~* resetchannels -@all +get\n"), text)
        XCTAssertTrue(text.contains("user default on nopass ~* &* +@all\nuser zed on nopass resetchannels +@all\n"), text)
        server.stop()
        server = try ServerProcess(executable: cairnServerBinary(), arguments: [conf.path], port: port, directory: dir)
        defer { server.stop() }
        let zed = try server.client()
        XCTAssertEqual(try zed.call("AUTH", "zed", "any"), .simple("OK"))
        XCTAssertEqual(try zed.call("ACL", "WHOAMI"), .bulk(Array("zed".utf8)))
    }
}

/// Random users with random rules, random calls checked with ACL DRYRUN and made as the
/// user, on both servers: every reply compared (the seed is printed to replay a failure:
/// ACL_SEED=n).
final class ACLRandomizedTests: XCTestCase {
    static let rules = [
        "+get", "+set", "-get", "-set", "+@string", "-@string", "+@hash", "-@hash", "+@list", "+@set", "-@write",
        "+@read", "+@all", "-@all", "+@keyspace", "-del", "+del", "+copy", "+rename", "+publish", "+subscribe",
        "+psubscribe", "+sort", "+select|1", "+select", "+eval", "+multi", "+exec", "~k*", "~*", "%R~r*", "%W~w*", "%RW~x*",
        "%R~k*", "%W~*", "%R~*", "resetkeys", "allkeys", "&c*", "&*", "resetchannels", "allchannels", "(~s* +sadd +smembers)",
        "(%R~k* +get +sort)", "(%W~w* +set +del)", "(&d* +publish)", "(~* +@read)", "clearselectors", "+client|list",
        "-client", "+config|get",
    ]
    static let keys = ["k1", "k2", "r1", "w1", "x1", "s1", "foo"]
    static let channels = ["c1", "d1", "e1", "c*", "d*"]
    /// Calls made for real; `$k` is a random key, `$c` a random channel.
    static let calls = [
        "GET $k", "SET $k v", "DEL $k $k", "HSET $k f v", "HGET $k f", "LPUSH $k a", "LRANGE $k 0 -1", "SADD $k a",
        "SMEMBERS $k", "COPY $k $k", "RENAME $k $k", "MSET $k a $k b", "EXISTS $k $k", "PUBLISH $c m", "SELECT 1",
        "SELECT 0", "SORT $k", "SORT $k BY $k", "SORT $k BY w* GET r* STORE $k", "SORT k1 BY w*", "SORT k1 GET r* GET #", "APPEND $k x", "INCR $k", "TYPE $k",
        "OBJECT ENCODING $k", "EVAL \"return redis.call('get', KEYS[1])\" 1 $k", "EVAL \"return redis.call('set', KEYS[1], 'v')\" 1 $k",
        "CONFIG GET maxclients", "ACL WHOAMI",
    ]
    /// Calls only checked (they would change the connection's mode or differ by design).
    static let dryRuns = ["SUBSCRIBE $c $c", "PSUBSCRIBE $c", "CLIENT LIST", "CLIENT KILL ID 1", "MULTI", "EXEC"]

    func testRandomUsersAndCallsMatchRedis() throws {
        let seed = ProcessInfo.processInfo.environment["ACL_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(UInt32.max))
        var rng = RandomizedDifferentialTests.SeededRandom(state: seed)
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let admin = (try cairn.client(), try redis.client())
        var mismatches: [String] = []
        func compare(_ label: String, _ a: [UInt8], _ b: [UInt8]) {
            let (x, y) = (ACLTests.normalize(a), ACLTests.normalize(b))
            if x != y { mismatches.append(DifferentialTests.mismatch(label, x, y)) }
        }
        func words(_ text: String) -> [[UInt8]] {
            DifferentialTests.parseLine(text.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
                switch word {
                case "$k": return ACLRandomizedTests.keys.randomElement(using: &rng)!
                case "$c": return ACLRandomizedTests.channels.randomElement(using: &rng)!
                default: return String(word)
                }
            }.joined(separator: " "))
        }
        var sessions: [(RESPClient, RESPClient)] = []
        for u in 0..<8 {
            let picked = (0..<Int.random(in: 1...7, using: &rng)).map { _ in ACLRandomizedTests.rules.randomElement(using: &rng)! }
            let setUser = ["ACL", "SETUSER", "u\(u)", "on", "nopass"] + picked
            let args = setUser.map { Array($0.utf8) }
            compare(setUser.joined(separator: " "), try admin.0.callRaw(args), try admin.1.callRaw(args))
            let pair = (try cairn.client(), try redis.client())
            _ = try pair.0.call("AUTH", "u\(u)", "x")
            _ = try pair.1.call("AUTH", "u\(u)", "x")
            sessions.append(pair)
        }
        for _ in 0..<2000 {
            let u = Int.random(in: 0..<sessions.count, using: &rng)
            let real = Bool.random(using: &rng)
            let call = words(real ? ACLRandomizedTests.calls.randomElement(using: &rng)! : ACLRandomizedTests.dryRuns.randomElement(using: &rng)!)
            let dry = [Array("ACL".utf8), Array("DRYRUN".utf8), Array("u\(u)".utf8)] + call
            let label = "u\(u): " + call.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            compare("DRYRUN " + label, try admin.0.callRaw(dry), try admin.1.callRaw(dry))
            if real { compare(label, try sessions[u].0.callRaw(call), try sessions[u].1.callRaw(call)) }
        }
        let list = [Array("ACL".utf8), Array("LIST".utf8)]
        compare("ACL LIST", try admin.0.callRaw(list), try admin.1.callRaw(list))
        XCTAssert(mismatches.isEmpty, "seed \(seed): \(mismatches.count) replies differ:\n" + mismatches.prefix(20).joined(separator: "\n"))
    }
}


/// ACL through real clients: redis-py logging in as a user, its NoPermissionError, and a
/// user made for redis-py's Lock (which runs Lua scripts as that user).
final class ACLClientTests: XCTestCase {
    func testRedisPyUsers() throws {
        let server = try ServerProcess.cairn(["--requirepass", "admin"])
        defer { server.stop() }
        try runPython("""
        import redis
        admin = redis.Redis(port=\(server.port), password="admin", decode_responses=True)
        admin.acl_setuser("worker", enabled=True, passwords=["+wpw"], keys=["job:*", "lock:*"],
                          commands=["+@string", "+eval", "+evalsha", "+script|load", "+del", "-flushall", "+acl|whoami"])
        assert admin.acl_whoami() == "default"
        worker = redis.Redis(port=\(server.port), username="worker", password="wpw", decode_responses=True)
        assert worker.acl_whoami() == "worker"
        worker.set("job:1", "x")
        try:
            worker.set("other", "x")
            raise SystemExit("a key outside the patterns was written")
        except redis.exceptions.NoPermissionError as e:
            assert "keys" in str(e), e
        try:
            worker.hset("job:2", "f", "v")
            raise SystemExit("a command outside the rules ran")
        except redis.exceptions.NoPermissionError:
            pass
        lock = worker.lock("lock:a", timeout=5)
        assert lock.acquire(blocking=False)
        assert lock.locked()
        lock.release()
        entry = admin.acl_log(count=1)[0]
        assert entry["username"] == "worker" and entry["reason"] == "command", entry
        try:
            redis.Redis(port=\(server.port), username="worker", password="bad").ping()
            raise SystemExit("a wrong password was accepted")
        except (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError) as e:
            assert "WRONGPASS" in str(e), e
        print("ok")
        """)
    }
}
