import CairnCore
@testable import CairnStore
import XCTest

/// The big sorted set: skip list nodes indexed by member (`MemberIndex`).
final class SortedSetIndexTests: XCTestCase {
    private func makeBig() -> SortedSetValue {
        let z = SortedSetValue()
        z.set("seed", 0, maxPackedEntries: 0, maxPackedValueBytes: 0)
        XCTAssertEqual(z.encodingName, "skiplist")
        return z
    }

    /// Random adds, score changes (staying in place and moving) and removes; after each
    /// phase every member's score and rank, the order, and the node count agree with a model.
    func testRandomOperationsAgreeWithAModel() {
        let liveBefore = SkipList.liveNodes
        var rng = SystemRandomNumberGenerator()
        do {
            let z = makeBig()
            var model: [Bytes: Double] = ["seed": 0]
            for phase in 0..<6 {
                for _ in 0..<4000 {
                    // Members both inline and on the heap (over 22 bytes).
                    let n = Int.random(in: 0..<1500, using: &rng)
                    let member = Bytes(n % 2 == 0 ? "m\(n)" : "a-member-name-long-enough-for-the-heap-\(n)")
                    if Int.random(in: 0..<(phase % 2 == 0 ? 4 : 2), using: &rng) == 0 {
                        XCTAssertEqual(z.remove(member), model.removeValue(forKey: member) != nil)
                    } else {
                        let score = Double(Int.random(in: -30...30, using: &rng))
                        XCTAssertEqual(z.set(member, score, maxPackedEntries: 0, maxPackedValueBytes: 0), model[member] == nil)
                        model[member] = score
                    }
                }
                XCTAssertEqual(z.count, model.count)
                let sorted = model.sorted { SkipList.before($0.value, $0.key, $1.value, $1.key) }
                XCTAssertEqual(z.elements.map(\.member), sorted.map(\.key))
                for (rank, e) in sorted.enumerated() where rank % 7 == 0 {
                    XCTAssertEqual(z.score(e.key), e.value)
                    XCTAssertEqual(z.rank(e.key), rank)
                }
                XCTAssertNil(z.score("absent"))
                XCTAssertNil(z.rank("absent"))
            }
            XCTAssertEqual(SkipList.liveNodes - liveBefore, model.count + 1, "the members and the head")
            let c = z.copy()
            XCTAssertEqual(c.elements.map(\.member), z.elements.map(\.member))
            XCTAssertEqual(c.score(model.first!.key), model.first!.value)
        }
        XCTAssertEqual(SkipList.liveNodes, liveBefore, "nodes are freed with the sets")
    }

    /// ZSCAN's promise: every member present for the whole scan is returned once or more,
    /// while the index grows or shrinks between steps; each with its score.
    func testScanReturnsEveryStableMemberAcrossResizes() {
        for grow in [true, false] {
            let z = makeBig()
            let stable = (0..<400).map { Bytes("stable\($0)") }
            for (i, m) in stable.enumerated() { z.set(m, Double(i), maxPackedEntries: 0, maxPackedValueBytes: 0) }
            if !grow { for i in 0..<5000 { z.set(Bytes("x\(i)"), 1, maxPackedEntries: 0, maxPackedValueBytes: 0) } }
            var seen: [Bytes: Double] = [:]
            var cursor: UInt64 = 0
            var step = 0
            repeat {
                cursor = z.scan(cursor: cursor) { seen[$0] = $1 }
                step += 1
                if grow && step % 3 == 0 && step < 60 {
                    for i in 0..<200 { z.set(Bytes("x\(step * 1000 + i)"), 2, maxPackedEntries: 0, maxPackedValueBytes: 0) }
                }
                if !grow && step % 3 == 0 { for i in 0..<5000 where z.count > 600 { z.remove(Bytes("x\(i)")) } }
            } while cursor != 0
            for (i, m) in stable.enumerated() { XCTAssertEqual(seen[m], Double(i), "missed \(m) (grow: \(grow))") }
        }
    }
}
