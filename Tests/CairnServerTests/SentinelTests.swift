import CairnTestSupport
import Foundation
import XCTest

/// Automatic failover with Debian's redis-sentinel: Tools/sentinelcheck starts a group
/// and three sentinels, kills the primary with -9 under redis-py Sentinel writers that
/// WAIT 1, and checks that a replica is promoted, that redis-py reaches it, that the
/// killed server rejoins as a replica, and that no acknowledged write is lost.
final class SentinelTests: XCTestCase {
    func runCheck(_ arguments: [String]) throws -> String {
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        run.arguments = [packageRoot.appendingPathComponent("Tools/sentinelcheck").path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CAIRN_BENCH_BINARY"] = cairnServerBinary()  // the binary under test, not a rebuild
        run.environment = environment
        let out = Pipe()
        run.standardOutput = out
        run.standardError = out
        try run.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.waitUntilExit()
        XCTAssertEqual(run.terminationStatus, 0, text)
        return text
    }

    func testSentinelFailsACairnGroupOverWithoutLosingAcknowledgedWrites() throws {
        let text = try runCheck(["--cycles", "2"])
        XCTAssertTrue(text.contains("2 failovers:") && text.contains("lost 0, unexpected 0\nPASS"), text)
        XCTAssertTrue(text.contains("a rejoined as a replica"), text)
    }

    func testSentinelFailsARedisPrimaryOverToACairnReplica() throws {
        let text = try runCheck(["--primary", "redis", "--cycles", "1"])
        XCTAssertTrue(text.contains("redis primary a killed") && text.contains("PASS"), text)
    }
}
