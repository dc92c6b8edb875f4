@testable import CairnStore
import XCTest

/// StreamIDMap (pending entries) against a plain sorted model, through random inserts and
/// removals that split and merge its chunks.
final class StreamIDMapTests: XCTestCase {
    func testRandomOperationsMatchASortedModel() {
        var rng = SystemRandomNumberGenerator()
        var map = StreamIDMap<Int>()
        var model: [StreamID: Int] = [:]
        func id(_ n: UInt64) -> StreamID { StreamID(ms: n / 4, seq: n % 4) }
        for step in 0..<20_000 {
            // Grow for a while, then mostly shrink: chunks split, then empty and merge.
            let n = UInt64.random(in: 0..<3_000, using: &rng)
            if step < 8_000 || Int.random(in: 0..<4, using: &rng) == 0 {
                XCTAssertEqual(map.insert(id(n), step), model.updateValue(step, forKey: id(n)) == nil)
            } else {
                XCTAssertEqual(map.remove(id(n)), model.removeValue(forKey: id(n)))
            }
            XCTAssertEqual(map[id(n)], model[id(n)])
            XCTAssertEqual(map.count, model.count)
            if step % 500 == 0 { check(map, model, id) }
        }
        for n in 0..<UInt64(3_000) { XCTAssertEqual(map.remove(id(n)), model.removeValue(forKey: id(n))) }
        XCTAssertTrue(map.isEmpty)
        XCTAssertNil(map.first)
    }

    private func check(_ map: StreamIDMap<Int>, _ model: [StreamID: Int], _ id: (UInt64) -> StreamID) {
        let sorted = model.sorted { $0.key < $1.key }
        var forward: [StreamID] = []
        map.forEach { k, v in
            XCTAssertEqual(model[k], v)
            forward.append(k)
            return true
        }
        XCTAssertEqual(forward, sorted.map(\.key))
        XCTAssertEqual(map.firstKeys, map.chunks.map { $0[0].id })
        XCTAssertTrue(map.chunks.allSatisfy { !$0.isEmpty && $0.count <= StreamIDMap<Int>.chunkMax })
        XCTAssertEqual(map.first?.0, sorted.first?.key)
        XCTAssertEqual(map.last?.0, sorted.last?.key)
        let (lo, hi) = (id(UInt64.random(in: 0..<3_000)), id(UInt64.random(in: 0..<3_000)))
        var ranged: [StreamID] = []
        map.forEach(from: lo, to: hi, reverse: true) { k, _ in
            ranged.append(k)
            return ranged.count < 50
        }
        XCTAssertEqual(ranged, Array(sorted.map(\.key).filter { $0 >= lo && $0 <= hi }.reversed().prefix(50)))
    }
}
