import CairnTestSupport
import Foundation
import XCTest

/// Known-good and deliberately damaged data directories and a configuration file, kept
/// in Fixtures/, read by the real binaries: the on-disk format and the config syntax
/// must keep working as they were written.
final class FixtureTests: XCTestCase {
    let fixtures = packageRoot.appendingPathComponent("Fixtures")
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-fixture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    /// A copy of Fixtures/logs/<name>, so that tests may change it.
    func copy(_ name: String) throws -> URL {
        let target = scratch.appendingPathComponent(name)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("logs/\(name)"), to: target)
        return target
    }

    func cairnTool(_ arguments: [String]) throws -> (Int32, String) {
        try runToExit(URL(fileURLWithPath: cairnServerBinary()).deletingLastPathComponent().appendingPathComponent("cairn").path,
                      arguments)
    }

    func testCheckLogOnWholeTornAndDamagedLogs() throws {
        let whole = try copy("whole")
        var (status, out) = try cairnTool(["check-log", whole.path])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("records: 7, LSN 1 to 7") && out.contains("log OK"), out)

        let torn = try copy("torn-tail")
        (status, out) = try cairnTool(["check-log", torn.path])
        XCTAssertEqual(status, 1, out)
        XCTAssertTrue(out.contains("torn tail") && out.contains("at offset 418"), out)
        (status, out) = try cairnTool(["check-log", torn.path, "--fix"])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("cutting 7 byte(s)"), out)
        (status, out) = try cairnTool(["check-log", torn.path])
        XCTAssertEqual(status, 0, out)

        let damaged = try copy("damaged")
        let before = try Data(contentsOf: damaged.appendingPathComponent("log/00000000000000000001.log"))
        (status, out) = try cairnTool(["check-log", damaged.path, "--fix"])
        XCTAssertEqual(status, 2, out)
        XCTAssertTrue(out.contains("at offset 24: checksum mismatch"), out)
        XCTAssertEqual(try Data(contentsOf: damaged.appendingPathComponent("log/00000000000000000001.log")), before,
                       "--fix never touches damage other than a torn tail")
    }

    func testServerRecoversTheFixtureLog() throws {
        let whole = try copy("whole")
        let port = freePort()
        let server = try ServerProcess.cairn(directory: whole, port: port)
        defer { server.stop() }
        let c = try server.client()
        for i in 1...5 { XCTAssertEqual(try c.call("GET", "key\(i)").string, "value\(i)") }
        XCTAssertEqual(try c.call("GET", "counter").string, "1")
        // The fixture logged `SET ttl v PXAT 1795256053870` (100 s after it was made).
        let expiry: Int64 = 1_795_256_053_870
        if Int64(Date().timeIntervalSince1970 * 1000) < expiry {
            XCTAssertEqual(try c.call("PEXPIRETIME", "ttl"), .integer(expiry))
        } else {
            XCTAssertEqual(try c.call("EXISTS", "ttl"), .integer(0), "its PXAT time has passed")
        }
    }

    func testConfigurationFileFixture() throws {
        let port = freePort()
        let server = try ServerProcess(executable: cairnServerBinary(),
                                       arguments: [fixtures.appendingPathComponent("config/cairn.conf").path,
                                                   "--port", "\(port)", "--dir", scratch.appendingPathComponent("data").path],
                                       port: port, directory: scratch)
        defer { server.stop() }
        let c = try server.client()
        let expected = ["databases": "8", "appendfsync": "everysec", "loglevel": "verbose", "maxclients": "500",
                        "tcp-keepalive": "60", "hz": "20", "proto-max-bulk-len": "67108864",
                        "client-query-buffer-limit": "268435456", "log-segment-size": "16777216", "bind": "127.0.0.1 -::1"]
        for (name, value) in expected {
            XCTAssertEqual(try c.call("CONFIG", "GET", name).array?.last?.string, value, name)
        }
    }
}
