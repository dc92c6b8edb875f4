import CairnTestSupport
import Foundation
import XCTest

/// Keyspace notifications compared with redis-server: the family scripts of the
/// differential tests run on both servers while a subscriber listens to every keyspace and
/// keyevent channel; the events each command caused must be the same, in the same order.
final class KeyspaceNotificationTests: XCTestCase {
    /// The events of each line of `script`, as the subscriber saw them. After each command
    /// the writer publishes a marker on a channel the subscriber also listens to, so events
    /// are attributed to the command that caused them.
    static func events(_ server: ServerProcess, _ script: String, protocolVersion: Int) throws -> [(String, [String])] {
        let subscriber = try server.client(), writer = try server.client()
        if protocolVersion == 3 {
            _ = try subscriber.call("HELLO", "3")
            _ = try writer.call("HELLO", "3")
        }
        _ = try subscriber.call("PSUBSCRIBE", "__key*__:*")
        _ = try subscriber.call("SUBSCRIBE", "marker")
        var lines: [String] = []
        for text in script.split(separator: "\n") where !text.hasPrefix("#") {
            // "~ " marks replies the differential tests mask (times); events are compared whole.
            let args = DifferentialTests.parseLine(String(text.hasPrefix("~ ") ? text.dropFirst(2) : text))
            if args.isEmpty { continue }
            _ = try writer.callRaw(args)
            _ = try writer.call("PUBLISH", "marker", String(lines.count))
            lines.append(String(text))
        }
        // Markers queued in a MULTI block that never ran are lost: an "end" marker outside
        // any block closes the stream.
        _ = try writer.call("DISCARD")
        _ = try writer.call("PUBLISH", "marker", "end")
        var result: [(String, [String])] = []
        var current: [String] = []
        while true {
            let message = try subscriber.readReply()
            let text = message.description
            guard text.contains("\"marker\"") else {
                current.append(text)
                continue
            }
            if text.contains("\"end\"") { break }
            let index = Int(text.split(separator: "\"").dropLast().last.map(String.init) ?? "") ?? -1
            result.append((index >= 0 && index < lines.count ? lines[index] : "?", current))
            current = []
        }
        result.append(("(end)", current))
        return result
    }

    func compare(_ script: String, classes: String = "KEAnm", protocolVersion: Int = 2,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let arguments = ["--notify-keyspace-events", classes]
        let cairn = try ServerProcess.cairn(arguments)
        let redis = try ServerProcess.redis(arguments)
        defer { cairn.stop(); redis.stop() }
        let mine = try KeyspaceNotificationTests.events(cairn, script, protocolVersion: protocolVersion)
        let theirs = try KeyspaceNotificationTests.events(redis, script, protocolVersion: protocolVersion)
        var mismatches: [String] = []
        for (m, t) in zip(mine, theirs) where m.1 != t.1 {
            mismatches.append("\(m.0)\n  cairn: \(m.1)\n  redis: \(t.1)")
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) commands notify differently:\n" + mismatches.joined(separator: "\n"),
                  file: file, line: line)
    }

    func testStrings() throws { try compare(DifferentialScripts.strings) }
    func testKeys() throws { try compare(DifferentialScripts.keys) }
    func testHashes() throws { try compare(DifferentialScripts.hashes) }
    func testSets() throws { try compare(DifferentialScripts.sets) }
    func testLists() throws { try compare(DifferentialScripts.lists) }
    func testBitmaps() throws { try compare(DifferentialScripts.bitmaps) }
    func testBitfields() throws { try compare(DifferentialScripts.bitfields) }
    func testDumpRestore() throws { try compare(DifferentialScripts.dumpRestore) }
    func testHyperLogLog() throws { try compare(DifferentialScripts.hyperLogLog) }
    func testGeo() throws { try compare(DifferentialScripts.geo) }
    func testGeoSearch() throws { try compare(DifferentialScripts.geoSearch) }
    func testSort() throws { try compare(DifferentialScripts.sort) }
    func testSortedSets() throws { try compare(DifferentialScripts.sortedSets) }
    func testStreams() throws { try compare(DifferentialScripts.streams) }
    func testStreamGroups() throws { try compare(DifferentialScripts.streamGroups) }
    func testTransactions() throws { try compare(DifferentialScripts.transactions) }
    func testEdges() throws { try compare(DifferentialScripts.edges) }
    func testRESP3() throws { try compare(DifferentialScripts.lists, protocolVersion: 3) }

    /// Some classes only: the others send nothing.
    func testClassSelection() throws {
        let script = "SET a 1\nLPUSH l x\nDEL a\nEXPIRE l 100\nGET nokey\nSADD s m\nHSET h f v"
        try compare(script, classes: "Kl")
        try compare(script, classes: "E$g")
        try compare(script, classes: "Ksh")
        try compare(script, classes: "KEm")
        try compare(script, classes: "A")
    }
}
