import CairnTestSupport
import Foundation
import XCTest

extension ReplicationTests {
    /// Streams and their groups reach a replica in its full sync (the snapshot) and in
    /// the stream of effects (XADD with its ID, XCLAIM for deliveries, XGROUP SETID), and
    /// the replica's pending entries and delivery counts are the primary's.
    func testStreamsAndGroupsReachReplicas() throws {
        let primaryPort = freePort(), replicaPort = freePort()
        let primary = try start("primary", port: primaryPort)
        defer { primary.stop() }
        let p = try primary.client()
        try StreamPersistenceTests.workload(p, round: 0)
        XCTAssertEqual(try p.call("BGSAVE").string?.isEmpty, false)
        let replica = try start("replica", port: replicaPort, ["--replicaof", "127.0.0.1", "\(primaryPort)"])
        defer { replica.stop() }
        let r = try replica.client()
        eventually("in sync") { try inSync(p, r) }
        try StreamPersistenceTests.workload(p, round: 1)
        eventually("in sync again") { try inSync(p, r) }
        for key in ["jobs", "empty", "gone"] {
            XCTAssertEqual(try StreamPersistenceTests.state(r, key), try StreamPersistenceTests.state(p, key), key)
        }
    }
}
