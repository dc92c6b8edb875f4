import CairnTestSupport
import Foundation
import XCTest

/// Whether a write is logged rests on each handler saying it changed something: this
/// sweeps every write command of the table with random arguments over a data set of every
/// type, then kills the server and restarts it from its log alone. Any change of the
/// keyspace that was not logged shows as a different DEBUG DIGEST.
final class LoggedWritesTests: XCTestCase {
    func testEveryWriteCommandsChangesAreLogged() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-sweep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let arguments = ["--enable-debug-command", "yes"]
        var server = try ServerProcess.cairn(directory: dir, port: port, arguments)
        var c = try server.client()
        // Every write command the server has, but the blocking ones (a pop that waits is
        // checked by BlockingTests) and FLUSHALL/FLUSHDB (which would empty the sweep).
        guard case .array(let infos) = try c.call("COMMAND") else { return XCTFail("COMMAND") }
        var writes: [String] = []
        for case .array(let f) in infos {
            guard case .bulk(let name) = f[0], case .array(let flags) = f[2] else { continue }
            let n = String(decoding: name, as: UTF8.self)
            if flags.contains(.simple("write")) && !flags.contains(.simple("blocking")) && !n.hasPrefix("flush") { writes.append(n) }
        }
        XCTAssertGreaterThan(writes.count, 60)
        var rng = RandomizedDifferentialTests.SeededRandom(state: 6_2026)
        var digests: [String] = []
        for round in 0..<3 {
            try ArgumentFuzzTests.fixture(c)
            _ = try c.call("SELECT", "0")
            for name in writes {
                for _ in 0..<10 {
                    var line = [name]
                    for _ in 0..<Int.random(in: 1...6, using: &rng) {
                        line.append(Bool.random(using: &rng) ? ArgumentFuzzTests.keys.randomElement(using: &rng)!
                                                              : ArgumentFuzzTests.tokens.randomElement(using: &rng)!)
                    }
                    _ = try c.call(line)
                }
            }
            _ = try c.call("SELECT", "0")
            // Short TTLs could pass between the digest and the restart: those keys lose
            // their TTL (PERSIST is logged like any write); longer ones stay compared.
            for db in 0..<16 {
                _ = try c.call("SELECT", "\(db)")
                guard case .array(let keys) = try c.call("KEYS", "*") else { continue }
                for case .bulk(let key) in keys {
                    if case .integer(let ms) = try c.call(["PTTL", String(decoding: key, as: UTF8.self)]), ms >= 0, ms < 600_000 {
                        _ = try c.call(["PERSIST", String(decoding: key, as: UTF8.self)])
                    }
                }
            }
            guard let digest = try c.call("DEBUG", "DIGEST").string else { return XCTFail("digest") }
            digests.append(digest)
            server.crash()
            server = try ServerProcess.cairn(directory: dir, port: port, arguments)
            c = try server.client()
            XCTAssertEqual(try c.call("DEBUG", "DIGEST").string, digest, "round \(round): a change was not logged")
        }
        XCTAssertEqual(Set(digests).count, 3, "each round changed the data")
        server.stop()
    }
}
