import CairnCore
@testable import CairnStore
import XCTest

final class HashValueTests: XCTestCase {
    func testPackedPairsKeepInsertionOrderAndReplaceInPlace() {
        var p = PackedPairs()
        defer { p.free() }
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

final class SetValueTests: XCTestCase {
    func testIntSetWidensAndStaysSorted() {
        var s = IntSet.empty
        for v in [5, -3, 100, 7] as [Int64] { s = s.inserting(v)! }
        XCTAssertEqual(s.width, 2)
        XCTAssertEqual(s.values, [-3, 5, 7, 100])
        s = s.inserting(70_000)!
        XCTAssertEqual(s.width, 4)
        let before = s
        s = s.inserting(Int64.min)!
        XCTAssertEqual(s.width, 8)
        XCTAssertEqual(s.values, [Int64.min, -3, 5, 7, 100, 70_000])
        XCTAssertEqual(before.values, [-3, 5, 7, 100, 70_000], "a widening makes a new intset")
        let room = IntSet.of(sorted: [1])
        if room.capacity >= 4 { XCTAssertTrue(room.inserting(2) === room, "an insert that fits stays in place") }
        XCTAssertTrue(IntSet.empty.inserting(1) !== IntSet.empty, "the shared empty intset is never grown")
        XCTAssertEqual(IntSet.empty.count, 0)
        let copy = room.duplicate()
        _ = room.inserting(3)
        XCTAssertEqual(copy.values, [1, 2], "a duplicate is its own")
        XCTAssertNil(s.inserting(7))
        s = s.removing(5)!
        XCTAssertNil(s.removing(5))
        XCTAssertFalse(s.contains(5))
        XCTAssertTrue(s.contains(Int64.min))
        XCTAssertEqual(s.width, 8, "a remove keeps the width, as Redis's intset does")
        XCTAssertEqual(IntSet.empty.count, 0)
        XCTAssertEqual(IntSet.of(sorted: [-1, 40_000]).width, 4)
    }

    func testEncodingFollowsMembers() {
        var s = SetValue()
        for i in 0..<512 { s.add(Bytes(String(i)), maxIntSetEntries: 512) }
        XCTAssertEqual(s.encodingName, "intset")
        s.add("512", maxIntSetEntries: 512)
        XCTAssertEqual(s.encodingName, "hashtable", "past set-max-intset-entries")
        XCTAssertEqual(s.count, 513)
        var t = SetValue()
        t.add("1", maxIntSetEntries: 512)
        t.add("01", maxIntSetEntries: 512)
        XCTAssertEqual(t.encodingName, "hashtable", "01 is not a canonical integer")
        XCTAssertTrue(t.contains("1") && t.contains("01"))
    }
}
