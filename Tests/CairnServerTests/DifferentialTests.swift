import CairnTestSupport
import Foundation
import XCTest

/// Sends the same command scripts to cairn-server and redis-server and compares every
/// reply byte for byte, errors included.
final class DifferentialTests: XCTestCase {
    static func parseLine(_ line: String) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var current: [UInt8] = []
        var inQuotes = false
        var hasWord = false
        var chars = Array(line.utf8).makeIterator()
        while let c = chars.next() {
            if inQuotes {
                if c == UInt8(ascii: "\\"), let n = chars.next() {
                    switch n {
                    case UInt8(ascii: "n"): current.append(10)
                    case UInt8(ascii: "r"): current.append(13)
                    default: current.append(n)
                    }
                } else if c == UInt8(ascii: "\"") {
                    inQuotes = false
                } else {
                    current.append(c)
                }
            } else if c == UInt8(ascii: " ") {
                if hasWord { words.append(current); current = []; hasWord = false }
            } else if c == UInt8(ascii: "\"") {
                inQuotes = true
                hasWord = true
            } else {
                current.append(c)
                hasWord = true
            }
        }
        if hasWord { words.append(current) }
        return words
    }

    func compare(_ script: String, protocolVersion: Int = 2, file: StaticString = #filePath, line: UInt = #line) throws {
        let cairn = try ServerProcess.cairn()
        let redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let c = try cairn.client(), r = try redis.client()
        if protocolVersion == 3 {
            _ = try c.call("HELLO", "3")
            _ = try r.call("HELLO", "3")
        }
        var mismatches: [String] = []
        for text in script.split(separator: "\n") {
            let args = DifferentialTests.parseLine(String(text))
            if args.isEmpty { continue }
            let mine = try c.callRaw(args)
            let theirs = try r.callRaw(args)
            if mine != theirs {
                mismatches.append("\(text)\n  cairn: \(String(decoding: mine, as: UTF8.self).debugDescription)\n  redis: \(String(decoding: theirs, as: UTF8.self).debugDescription)")
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) replies differ (RESP\(protocolVersion)):\n" + mismatches.joined(separator: "\n"), file: file, line: line)
    }

    func testStringsRESP2() throws { try compare(DifferentialScripts.strings) }
    func testStringsRESP3() throws { try compare(DifferentialScripts.strings, protocolVersion: 3) }
    func testKeysRESP2() throws { try compare(DifferentialScripts.keys) }
    func testKeysRESP3() throws { try compare(DifferentialScripts.keys, protocolVersion: 3) }
    func testProtocolAndServerRESP2() throws { try compare(DifferentialScripts.protocolAndServer) }
    func testProtocolAndServerRESP3() throws { try compare(DifferentialScripts.protocolAndServer, protocolVersion: 3) }
}
