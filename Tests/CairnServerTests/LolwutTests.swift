import CairnTestSupport
import XCTest

/// LOLWUT's drawings are random below their first rows, so they are compared with
/// Redis's by shape: the same lines, each as wide, the same closing text. (The
/// deterministic cases are byte-compared in DifferentialScripts.protocolAndServer.)
final class LolwutTests: XCTestCase {
    func testDrawingsHaveRedisShape() throws {
        let cairn = try ServerProcess.cairn(), redis = try ServerProcess.redis()
        defer { cairn.stop(); redis.stop() }
        let (c, r) = (try cairn.client(), try redis.client())
        for call in [["LOLWUT", "VERSION", "5"], ["LOLWUT", "VERSION", "5", "30", "4", "9"], ["LOLWUT", "VERSION", "6"],
                     ["LOLWUT", "VERSION", "6", "25", "7"], ["LOLWUT", "VERSION", "6", "2000", "0"]] {
            let mine = try c.call(call).string ?? "", theirs = try r.call(call).string ?? ""
            let (a, b) = (mine.components(separatedBy: "\n"), theirs.components(separatedBy: "\n"))
            // A line's width: Braille characters (version 5), or coloured cells (version 6).
            func width(_ line: String) -> Int {
                call[2] == "6" ? line.components(separatedBy: "\u{1b}[0m").count - 1 : line.unicodeScalars.count
            }
            XCTAssertEqual(a.map(width), b.map(width), "\(call)")
            XCTAssertEqual(a.suffix(3), b.suffix(3), "\(call)")
            XCTAssertEqual(Set(mine.unicodeScalars.filter { $0.value >= 0x2800 && $0.value < 0x2900 }).isEmpty,
                           Set(theirs.unicodeScalars.filter { $0.value >= 0x2800 && $0.value < 0x2900 }).isEmpty)
        }
        // Version 5 tumbles its lower rows at random: two drawings differ.
        let twice = try (0..<2).map { _ in try c.call("LOLWUT", "VERSION", "5").string ?? "" }
        XCTAssertNotEqual(twice[0], twice[1])
    }
}
