import CairnCore
@testable import CairnStore
import XCTest

final class SkipListTests: XCTestCase {
    func testOrderAndRanksMatchASortedModel() {
        let list = SkipList()
        var model: [(Double, Bytes)] = []
        func sorted() { model.sort { SkipList.before($0.0, $0.1, $1.0, $1.1) } }
        var rng = SystemRandomNumberGenerator()
        for i in 0..<3000 {
            if !model.isEmpty && Int.random(in: 0..<3, using: &rng) == 0 {
                let (s, m) = model.remove(at: Int.random(in: 0..<model.count, using: &rng))
                XCTAssertTrue(list.remove(s, m))
            } else {
                let e = (Double(Int.random(in: 0..<50, using: &rng)), Bytes("m\(i)"))
                list.insert(e.0, e.1)
                model.append(e)
                sorted()
            }
            XCTAssertEqual(list.count, model.count)
        }
        for (r, e) in model.enumerated() where r % 37 == 0 {
            XCTAssertEqual(list.rank(e.0, e.1), r)
            XCTAssertEqual(list.element(at: r)?.member, e.1)
        }
        var walked: [Bytes] = []
        list.walk(from: 0, reverse: true) { _, m in walked.append(m); return true }
        XCTAssertEqual(walked, model.reversed().map(\.1))
        XCTAssertFalse(list.remove(12345, "absent"))
    }

    /// Every node is freed: by remove, and when the list goes (without recursion: a large
    /// set would overflow the stack if freeing a node freed the next).
    func testNodesAreFreedByRemoveAndWithTheList() {
        let before = SkipList.liveNodes
        do {
            let list = SkipList()
            for i in 0..<300_000 { list.insert(Double(i), Bytes("member-with-a-long-name-\(i)")) }
            XCTAssertEqual(SkipList.liveNodes - before, 300_001, "the members and the head")
            for i in stride(from: 0, to: 300_000, by: 3) { XCTAssertTrue(list.remove(Double(i), Bytes("member-with-a-long-name-\(i)"))) }
            XCTAssertEqual(SkipList.liveNodes - before, 200_001)
            XCTAssertEqual(list.element(at: 0)?.member, "member-with-a-long-name-1")
        }
        XCTAssertEqual(SkipList.liveNodes, before, "nodes are freed with the list")
    }

    /// Random inserts, removes and score updates (in place and moving), then order, ranks,
    /// element by rank, walks in both directions and the tail must agree with the model.
    func testScoreUpdatesAgreeWithASortedModel() {
        let liveBefore = SkipList.liveNodes
        var rng = SystemRandomNumberGenerator()
        for round in 0..<4 {
            let list = SkipList()
            var scores: [Bytes: Double] = [:]
            for step in 0..<3000 {
                let member = Bytes("m\(Int.random(in: 0..<400, using: &rng))")
                // Few distinct scores, so that ties (ordered by member) are common.
                let score = Double(Int.random(in: -20...20, using: &rng)) / (round % 2 == 0 ? 1 : 4)
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<4:
                    if let old = scores[member] {
                        list.updateScore(member, from: old, to: score)
                    } else {
                        list.insert(score, member)
                    }
                    scores[member] = score
                case 4..<6:
                    if let old = scores[member] {
                        // Nudge: often keeps its place (the in-place path).
                        let nudged = old + (step % 2 == 0 ? 0.001 : -0.001)
                        list.updateScore(member, from: old, to: nudged)
                        scores[member] = nudged
                    }
                case 6..<8:
                    let old = scores.removeValue(forKey: member)
                    XCTAssertEqual(list.remove(old ?? score, member), old != nil)
                default:
                    if let old = scores[member] { XCTAssertNotNil(list.rank(old, member)) }
                }
            }
            let model = scores.map { ($0.value, $0.key) }.sorted { SkipList.before($0.0, $0.1, $1.0, $1.1) }
            XCTAssertEqual(list.count, model.count)
            var forward: [(Double, Bytes)] = []
            list.walk(from: 0, reverse: false) { forward.append(($0, $1)); return true }
            XCTAssertEqual(forward.map(\.0), model.map(\.0))
            XCTAssertEqual(forward.map(\.1), model.map(\.1))
            var backward: [Bytes] = []
            list.walk(from: 0, reverse: true) { backward.append($1); return true }
            XCTAssertEqual(backward, model.map(\.1).reversed(), "backward links and tail")
            for (i, e) in model.enumerated() {
                XCTAssertEqual(list.rank(e.0, e.1), i, "rank of \(e.1)")
                XCTAssertEqual(list.element(at: i)?.member, e.1, "element at \(i)")
            }
        }
#if DEBUG
        XCTAssertEqual(SkipList.liveNodes, liveBefore, "every node freed")
#endif
    }
}
