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

    /// Head pushes write into the gap a node keeps in front of its entries, head pops add
    /// to it, and a full node gives it back; the content stays the model's throughout.
    func testHeadGapIsReusedAndGivenBack() {
        let list = ListValue(fill: -2)
        var model: [Bytes] = []
        for i in 0..<3000 {
            let e = Bytes("element-\(i)")
            list.pushHead(e)
            model.insert(e, at: 0)
            if i % 7 == 0 {
                XCTAssertEqual(list.popHead(), model.removeFirst())
            }
        }
        XCTAssertGreaterThan(list.nodes.count, 2)
        XCTAssertGreaterThan(list.nodes[0].gap, 0, "the head node keeps room in front")
        for node in list.nodes.dropFirst() {
            XCTAssertEqual(node.gap, 0, "a full node gives its gap back")
            XCTAssertLessThanOrEqual(node.block.capacity, node.length + 16)
        }
        XCTAssertEqual(list.elements, model)
        XCTAssertEqual(list.element(at: 0), model[0])
        while let e = list.popTail() { XCTAssertEqual(e, model.removeLast()) }
        XCTAssertTrue(model.isEmpty)
    }
}
