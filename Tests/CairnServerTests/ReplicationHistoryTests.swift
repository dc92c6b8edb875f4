import CairnTestSupport
import Foundation
import XCTest

/// The log is the replication history replicas will read: INFO replication's
/// master_replid and master_repl_offset count the bytes a replica would receive for each
/// write, and survive a clean stop and a SIGKILL.
final class ReplicationHistoryTests: XCTestCase {
    func replication(_ c: RESPClient) throws -> (id: String, offset: Int) {
        var fields: [String: String] = [:]
        for line in try c.call("INFO", "replication").string!.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return (fields["master_replid"]!, Int(fields["master_repl_offset"]!)!)
    }

    func testOffsetsCountTheStreamAndSurviveRestarts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-history-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        var server = try ServerProcess.cairn(directory: dir, port: port)
        var c = try server.client()
        let start = try replication(c)
        XCTAssertEqual(start.offset, 0)
        XCTAssertEqual(start.id.count, 40)
        let select0 = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n".utf8.count
        let setKV = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".utf8.count
        let multiExec = "*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nEXEC\r\n".utf8.count
        try c.call("SET", "k", "v")
        XCTAssertEqual(try replication(c).offset, select0 + setKV, "the first record selects its database")
        try c.call("SET", "k", "v")
        try c.call("GET", "k")
        try c.call("DEL", "missing")
        XCTAssertEqual(try replication(c).offset, select0 + 2 * setKV,
                       "the next in the same database does not, as Redis; reads and writes that change nothing add nothing")
        try c.call("MULTI")
        try c.call("SET", "k", "v")
        try c.call("SET", "k", "v")
        try c.call("EXEC")
        let beforeStop = try replication(c)
        XCTAssertEqual(beforeStop.offset, select0 + 4 * setKV + multiExec)
        XCTAssertEqual(server.terminate(), 0)

        server = try ServerProcess.cairn(directory: dir, port: port)
        c = try server.client()
        XCTAssertEqual(try replication(c).id, start.id, "the history goes on after a clean stop")
        XCTAssertEqual(try replication(c).offset, beforeStop.offset)
        try c.call("SET", "k", "v")
        let beforeKill = try replication(c)
        XCTAssertEqual(beforeKill.offset, beforeStop.offset + setKV, "the stream's database is known from the log")
        server.crash()

        server = try ServerProcess.cairn(directory: dir, port: port)
        c = try server.client()
        XCTAssertEqual(try replication(c).id, start.id, "and after a SIGKILL")
        XCTAssertEqual(try replication(c).offset, beforeKill.offset)
        try c.call("SELECT", "1")
        try c.call("SET", "k", "v")
        try c.call("SELECT", "0")
        try c.call("SET", "k", "v")
        let beforeSave = try replication(c)
        let select1 = "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n".utf8.count
        XCTAssertEqual(beforeSave.offset, beforeKill.offset + select1 + setKV + select0 + setKV, "a change of database selects")
        // A checkpoint drops old segments; the history is in the segment that follows it,
        // and the first record after it selects (a replica may start there).
        XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
        try c.call("SET", "k", "v")
        let afterSave = try replication(c)
        XCTAssertEqual(afterSave.offset, beforeSave.offset + select0 + setKV, "the first record after a checkpoint selects")
        XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
        XCTAssertEqual(server.terminate(), 0)
        server = try ServerProcess.cairn(directory: dir, port: port)
        c = try server.client()
        XCTAssertEqual(try replication(c).id, start.id, "and after a checkpoint")
        XCTAssertEqual(try replication(c).offset, afterSave.offset)
        try c.call("SET", "k", "v")
        XCTAssertEqual(try replication(c).offset, afterSave.offset + select0 + setKV,
                       "restarted from a primary's snapshot alone: its next record selects")
        XCTAssertEqual(server.terminate(), 0)
    }
}
