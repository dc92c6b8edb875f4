import CairnCore
@testable import CairnStore
import XCTest

final class ListValueTests: XCTestCase {
    /// Random pushes and pops at both ends, checked against an array, across node
    /// boundaries (small nodes) and with elements whose length needs multi-byte varints.
    func testMatchesArrayModel() {
        for fill in [-1, 3, -2] {
            let list = ListValue(fill: fill)
            var model: [Bytes] = []
            var rng = SystemRandomNumberGenerator()
            for i in 0..<5000 {
                let big = Int.random(in: 0..<50, using: &rng) == 0
                let e = Bytes(big ? String(repeating: "x", count: 300 + i % 7) : "e\(i)")
                switch Int.random(in: 0..<6, using: &rng) {
                case 0, 1: list.pushHead(e); model.insert(e, at: 0)
                case 2, 3: list.pushTail(e); model.append(e)
                case 4: XCTAssertEqual(list.popHead(), model.isEmpty ? nil : model.removeFirst())
                default: XCTAssertEqual(list.popTail(), model.popLast())
                }
                XCTAssertEqual(list.count, model.count)
            }
            XCTAssertEqual(list.elements, model, "fill \(fill)")
            if !model.isEmpty {
                let mid = model.count / 2
                XCTAssertEqual(list.element(at: mid), model[mid])
                var range: [Bytes] = []
                list.forEach(from: 1, through: min(40, model.count - 1)) { _, e in range.append(e); return true }
                XCTAssertEqual(range, Array(model[1...min(40, model.count - 1)]))
            }
            if fill == 3 { XCTAssertLessThanOrEqual(list.nodes.map(\.count).max() ?? 0, 3) }
        }
    }

    func testLargeElementsLiveAlone() {
        let list = ListValue(fill: -1)
        let huge = Bytes(String(repeating: "h", count: 100_000))
        list.pushTail("a")
        list.pushTail(huge)
        list.pushTail("b")
        XCTAssertEqual(list.elements, ["a", huge, "b"])
        XCTAssertEqual(list.popTail(), "b")
        XCTAssertEqual(list.popTail(), huge)
        XCTAssertEqual(list.popTail(), "a")
        XCTAssertNil(list.popTail())
    }
}

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
}
