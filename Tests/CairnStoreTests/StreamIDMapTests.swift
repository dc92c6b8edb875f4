@testable import CairnStore
import XCTest

/// StreamIDMap (pending entries) against a plain sorted model, through random inserts and
/// removals that split and merge its chunks and its blocks of chunks.
final class StreamIDMapTests: XCTestCase {
    func testRandomOperationsMatchASortedModel() {
        var rng = SystemRandomNumberGenerator()
        var map = StreamIDMap<Int>()
        var model: [StreamID: Int] = [:]
        func id(_ n: UInt64) -> StreamID { StreamID(ms: n / 4, seq: n % 4) }
        // Enough keys for several blocks of chunks (64 chunks of up to 32 keys each).
        let keys: UInt64 = 30_000
        for step in 0..<60_000 {
            // Grow for a while, then mostly shrink: chunks split, then empty and merge.
            let n = UInt64.random(in: 0..<keys, using: &rng)
            if step < 30_000 || Int.random(in: 0..<4, using: &rng) == 0 {
                XCTAssertEqual(map.insert(id(n), step), model.updateValue(step, forKey: id(n)) == nil)
            } else {
                XCTAssertEqual(map.remove(id(n)), model.removeValue(forKey: id(n)))
            }
            XCTAssertEqual(map[id(n)], model[id(n)])
            XCTAssertEqual(map.count, model.count)
            if step % 2_000 == 0 { check(map, model, id) }
        }
        for n in 0..<keys { XCTAssertEqual(map.remove(id(n)), model.removeValue(forKey: id(n))) }
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
        XCTAssertEqual(map.blockFirstKeys, map.blocks.map { $0.firstKeys[0] })
        for block in map.blocks {
            XCTAssertTrue(!block.chunks.isEmpty && block.chunks.count <= StreamIDMap<Int>.blockMax)
            XCTAssertEqual(block.firstKeys, block.chunks.map { $0[0].id })
            XCTAssertTrue(block.chunks.allSatisfy { !$0.isEmpty && $0.count <= StreamIDMap<Int>.chunkMax })
        }
        if map.count > 4 * StreamIDMap<Int>.chunkMax * StreamIDMap<Int>.blockMax { XCTAssertGreaterThan(map.blocks.count, 1) }
        XCTAssertEqual(map.first?.0, sorted.first?.key)
        XCTAssertEqual(map.last?.0, sorted.last?.key)
        let (lo, hi) = (id(UInt64.random(in: 0..<30_000)), id(UInt64.random(in: 0..<30_000)))
        var ranged: [StreamID] = []
        map.forEach(from: lo, to: hi, reverse: true) { k, _ in
            ranged.append(k)
            return ranged.count < 50
        }
        XCTAssertEqual(ranged, Array(sorted.map(\.key).filter { $0 >= lo && $0 <= hi }.reversed().prefix(50)))
    }
}
