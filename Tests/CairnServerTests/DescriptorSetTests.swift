@testable import CairnServer
import XCTest

/// The bitset of client descriptors that finding a new client's descriptor walks the gaps of.
final class DescriptorSetTests: XCTestCase {
    func testNextAbsentWalksTheGapsAcrossWords() {
        var set = DescriptorSet()
        XCTAssertEqual(set.nextAbsent(from: 0), 0)
        XCTAssertEqual(set.nextAbsent(from: 200), 200, "past the words: everything is absent")
        for fd in Int32(0)..<130 where fd != 5 && fd != 64 { set.insert(fd) }
        XCTAssertEqual(set.nextAbsent(from: 0), 5)
        XCTAssertEqual(set.nextAbsent(from: 6), 64, "the gap at the start of the second word")
        XCTAssertEqual(set.nextAbsent(from: 65), 130, "just past the last descriptor in the set")
        set.remove(100)
        XCTAssertEqual(set.nextAbsent(from: 65), 100)
        set.insert(5)
        set.insert(64)
        set.insert(100)
        XCTAssertEqual(set.nextAbsent(from: 0), 130)
        set.remove(0)
        set.remove(1_000)
        XCTAssertEqual(set.nextAbsent(from: 0), 0)
    }

    /// Against a plain set of random descriptors, from random starting points.
    func testNextAbsentMatchesASet() {
        var rng = SystemRandomNumberGenerator()
        var set = DescriptorSet()
        var plain = Set<Int32>()
        for _ in 0..<2_000 {
            let fd = Int32.random(in: 0..<400, using: &rng)
            if Bool.random(using: &rng) { set.insert(fd); plain.insert(fd) } else { set.remove(fd); plain.remove(fd) }
            let from = Int32.random(in: 0..<450, using: &rng)
            var expected = from
            while plain.contains(expected) { expected += 1 }
            XCTAssertEqual(set.nextAbsent(from: from), expected)
        }
    }
}
