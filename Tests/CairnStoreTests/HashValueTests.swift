import CairnCore
@testable import CairnStore
import XCTest

final class HashValueTests: XCTestCase {
    func testPackedPairsKeepInsertionOrderAndReplaceInPlace() {
        var p = PackedPairs()
        XCTAssertTrue(p.set("a", "1"))
        XCTAssertTrue(p.set("b", "2"))
        XCTAssertTrue(p.set("c", String(repeating: "x", count: 300).bytesValue))
        XCTAssertFalse(p.set("a", "one"))
        XCTAssertEqual(p.pairs.map { $0.0.string }, ["a", "b", "c"])
        XCTAssertEqual(p.get("a"), "one")
        XCTAssertEqual(p.get("c")?.count, 300, "two-byte varint lengths")
        XCTAssertTrue(p.remove("b"))
        XCTAssertFalse(p.remove("b"))
        XCTAssertEqual(p.pairs.map { $0.0.string }, ["a", "c"])
        XCTAssertEqual(p.count, 2)
        XCTAssertTrue(p.set("", ""))
        XCTAssertEqual(p.get(""), "")
    }

    func testConversionAtThresholdsMatchesAModel() {
        let h = HashValue()
        var model: [Bytes: Bytes] = [:]
        var rng = SystemRandomNumberGenerator()
        for i in 0..<2000 {
            let f = Bytes("f\(Int.random(in: 0..<300, using: &rng))")
            if Int.random(in: 0..<3, using: &rng) == 0 {
                XCTAssertEqual(h.remove(f), model.removeValue(forKey: f) != nil)
            } else {
                let v = Bytes("v\(i)")
                XCTAssertEqual(h.set(f, v, maxPackedEntries: 128, maxPackedValueBytes: 64), model[f] == nil)
                model[f] = v
            }
            XCTAssertEqual(h.count, model.count)
        }
        XCTAssertEqual(h.encodingName, "hashtable", "grew past 128 fields")
        for (f, v) in model { XCTAssertEqual(h.get(f), v) }
        let small = HashValue()
        small.set("k", Bytes(String(repeating: "y", count: 65)), maxPackedEntries: 128, maxPackedValueBytes: 64)
        XCTAssertEqual(small.encodingName, "hashtable", "a value over 64 bytes")
        let copy = small.copy()
        copy.set("other", "1", maxPackedEntries: 128, maxPackedValueBytes: 64)
        XCTAssertEqual(small.count, 1, "COPY's copy shares nothing")
    }
}

private extension String {
    var bytesValue: Bytes { Bytes(self) }
}
