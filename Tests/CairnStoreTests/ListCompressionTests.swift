import CairnCore
@testable import CairnStore
import XCTest

/// list-compress-depth: inner nodes compressed, the ends plain, the contents unchanged
/// through pushes and pops at both ends, edits in the middle and copies.
final class ListCompressionTests: XCTestCase {
    func testContentsSurviveRandomOperations() {
        for depth in [1, 2, 3] {
            var rng = SystemRandomNumberGenerator()
            let list = ListValue(fill: 16, compressDepth: depth)
            var model: [Bytes] = []
            var sawCompressed = false
            for step in 0..<8_000 {
                let element = Bytes("element-\(step % 97)-" + String(repeating: "x", count: Int(rng.next() % 40)))
                switch rng.next() % 10 {
                case 0...2: list.pushHead(element); model.insert(element, at: 0)
                case 3...5: list.pushTail(element); model.append(element)
                case 6: XCTAssertEqual(list.popHead(), model.isEmpty ? nil : model.removeFirst())
                case 7: XCTAssertEqual(list.popTail(), model.popLast())
                case 8 where model.count > 2 && step % 20 == 0:
                    // An edit in the middle rebuilds the nodes, as LSET and LREM do.
                    model[model.count / 2] = element
                    list.replaceAll(model)
                default:
                    let i = model.isEmpty ? 0 : Int(rng.next() % UInt64(model.count))
                    XCTAssertEqual(list.element(at: i), model.isEmpty ? nil : model[i])
                }
                sawCompressed = sawCompressed || list.compressedNodeCount > 0
                if step % 1000 == 0 {
                    XCTAssertEqual(list.elements, model, "depth \(depth), step \(step)")
                    XCTAssertEqual(list.copy().elements, model)
                    checkShape(list, depth: depth)
                }
            }
            XCTAssertEqual(list.elements, model)
            XCTAssertTrue(sawCompressed, "depth \(depth): nothing was compressed")
        }
    }

    /// The `depth` nodes at each end are plain; inner nodes worth compressing are not.
    private func checkShape(_ list: ListValue, depth: Int) {
        let n = list.nodes.count
        for (i, node) in list.nodes.enumerated() {
            let inner = i >= depth && i < n - depth
            if !inner { XCTAssertNil(node.compressed, "node \(i) of \(n) at an end is compressed") }
            if inner && node.compressed == nil {
                XCTAssertNil(CompressedEntries.compress(node), "inner node \(i) of \(n) left plain")
            }
        }
    }

    func testCompressionSavesMemoryOnRepetitiveData() {
        let plain = ListValue(fill: -2), packed = ListValue(fill: -2, compressDepth: 1)
        for i in 0..<50_000 {
            plain.pushTail(Bytes("user:event:\(i % 10):clicked-the-button"))
            packed.pushTail(Bytes("user:event:\(i % 10):clicked-the-button"))
        }
        let plainBytes = plain.nodes.reduce(0) { $0 + $1.length }
        let packedBytes = packed.nodes.reduce(0) { $0 + ($1.compressed?.bytes.count ?? $1.length) }
        XCTAssertLessThan(packedBytes * 4, plainBytes, "plain \(plainBytes), compressed \(packedBytes)")
        XCTAssertEqual(packed.elements, plain.elements)
    }
}
