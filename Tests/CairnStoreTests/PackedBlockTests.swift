import CairnCore
@testable import CairnStore
import XCTest

final class PackedBlockTests: XCTestCase {
    /// Random replacements (growing, shrinking, in the middle, at the ends) against an
    /// array doing the same; the count in the header rides along untouched.
    func testReplaceMatchesAnArrayModel() {
        var block = PackedBlock()
        defer { block.free() }
        var model: [UInt8] = []
        var rng = SystemRandomNumberGenerator()
        for step in 0..<3000 {
            let lower = Int.random(in: 0...model.count, using: &rng)
            let upper = Int.random(in: lower...min(model.count, lower + 40), using: &rng)
            let newLength = Int.random(in: 0..<(model.count > 600 ? 20 : 60), using: &rng)
            let fill = UInt8(truncatingIfNeeded: step)
            let p = block.replace(lower..<upper, withLength: newLength)
            for i in 0..<newLength { p.storeBytes(of: fill, toByteOffset: i, as: UInt8.self) }
            model.replaceSubrange(lower..<upper, with: repeatElement(fill, count: newLength))
            block.setCount(step)
            XCTAssertEqual(block.length, model.count)
            XCTAssertEqual(block.count, step)
            if !model.isEmpty { XCTAssertEqual(block.bytes(0..<model.count).array, model, "step \(step)") }
        }
    }

    func testDuplicateSharesNothing() {
        var block = PackedBlock()
        block.replace(0..<0, withLength: 3).copyMemory(from: [1, 2, 3] as [UInt8], byteCount: 3)
        block.setCount(3)
        var copy = block.duplicate()
        block.free()
        XCTAssertEqual(copy.count, 3)
        XCTAssertEqual(copy.bytes(0..<3).array, [1, 2, 3])
        _ = copy.replace(0..<1, withLength: 0)
        XCTAssertEqual(copy.bytes(0..<2).array, [2, 3])
        copy.free()
        XCTAssertEqual(PackedBlock().duplicate().length, 0, "an empty block copies without allocating")
    }

    /// The collections keep their packed block through conversion and copy: a copy is
    /// independent, and the first insert into an empty intset takes the value's width.
    func testCollectionsCopyAndConvert() {
        var s = SetValue()
        s.add("-9000000000", maxIntSetEntries: 512)
        XCTAssertEqual(s.encodingName, "intset")
        if case .ints(let ints) = s.storage { XCTAssertEqual(ints.width, 8) }
        let c = s.copy()
        s.add("1", maxIntSetEntries: 512)
        XCTAssertEqual(c.members, ["-9000000000"])
        XCTAssertEqual(s.members, ["-9000000000", "1"])
        XCTAssertFalse(s.isStored(as: c), "an insert makes a new intset")
        var t = SetValue()
        t.add("x", maxIntSetEntries: 512)
        let tc = t.copy()
        t.add("y", maxIntSetEntries: 512)
        XCTAssertEqual(tc.members, ["x"])
        XCTAssertFalse(tc.isStored(as: t), "a table set copies its table")
        let z = SortedSetValue()
        for i in 0..<5 { z.set(Bytes("m\(i)"), Double(5 - i), maxPackedEntries: 128, maxPackedValueBytes: 64) }
        let zc = z.copy()
        for i in 5..<200 { z.set(Bytes("m\(i)"), Double(i), maxPackedEntries: 128, maxPackedValueBytes: 64) }
        XCTAssertEqual(z.encodingName, "skiplist")
        XCTAssertEqual(zc.encodingName, "listpack")
        XCTAssertEqual(zc.elements.map(\.member), ["m4", "m3", "m2", "m1", "m0"])
        XCTAssertEqual(z.count, 200)
        XCTAssertEqual(z.score("m3"), 2)
    }
}
