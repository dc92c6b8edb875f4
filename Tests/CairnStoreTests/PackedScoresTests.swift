import CairnCore
@testable import CairnStore
import XCTest

final class PackedScoresTests: XCTestCase {
    func testEveryKindOfScoreRoundTripsInOrder() {
        let scores: [Double] = [0, 1, -1, 63, 64, -64, 8191, 8192, 1.5, -0.25, 1e300, -1e300, .infinity, -.infinity,
                                9_007_199_254_740_991, -9_007_199_254_740_991, 9_007_199_254_740_992, 1_700_000_000_000,
                                Double.leastNonzeroMagnitude, 123_456_789.000_001]
        var p = PackedScores()
        defer { p.free() }
        for (i, s) in scores.enumerated() { p.insert(Bytes("m\(i)"), s) }
        XCTAssertEqual(p.count, scores.count)
        let expected = scores.enumerated().map { ($0.element, Bytes("m\($0.offset)")) }
            .sorted { SkipList.before($0.0, $0.1, $1.0, $1.1) }
        XCTAssertEqual(p.pairs.map(\.score), expected.map(\.0))
        XCTAssertEqual(p.pairs.map(\.member), expected.map(\.1))
        for (i, s) in scores.enumerated() { XCTAssertEqual(p.score(Bytes("m\(i)")), s, "m\(i)") }
        XCTAssertTrue(p.remove("m3"))
        XCTAssertNil(p.score("m3"))
        XCTAssertEqual(p.count, scores.count - 1)
    }

    func testIntegralScoresTakeFewBytes() {
        var p = PackedScores()
        defer { p.free() }
        p.insert("a", 5)
        XCTAssertEqual(p.block.length, 1 + 1 + 1, "length, member, one-byte score")
        p.insert("b", 2.5)
        XCTAssertEqual(p.block.length, 3 + 1 + 1 + 1 + 8)
        var negativeZero = PackedScores()
        defer { negativeZero.free() }
        negativeZero.insert("z", -0.0)
        XCTAssertEqual(negativeZero.pairs[0].score.sign, .minus, "-0 keeps its sign (stored as a double)")
    }
}
