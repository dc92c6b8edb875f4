import CairnCore
@testable import CairnStore
import Foundation
import XCTest

final class KeyTableTests: XCTestCase {
    func key(_ i: Int) -> Bytes { Bytes(i % 3 == 0 ? "a-much-longer-key-that-lives-on-the-heap-\(i)" : "k\(i)") }

    /// Random inserts, replacements and removals checked against Swift's Dictionary.
    func testMatchesDictionaryModel() {
        let table = KeyTable<Int>(seed: 42)
        var model: [Bytes: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        for step in 0..<50_000 {
            let k = key(Int.random(in: 0..<3000, using: &rng))
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                table.set(k, step)
                model[k] = step
            case 5..<8:
                XCTAssertEqual(table.remove(k), model.removeValue(forKey: k))
            default:
                XCTAssertEqual(table[k], model[k])
            }
        }
        XCTAssertEqual(table.count, model.count)
        for (k, v) in model { XCTAssertEqual(table[k], v) }
        for e in table.entries { XCTAssertEqual(model[e.key], e.value) }
    }

    /// Waves of growth and shrinking: slots carry hash bits above the position bits, and
    /// which bits those are changes with every resize.
    func testGrowAndShrinkInWaves() {
        let table = KeyTable<Int>(seed: 3)
        var model: [Bytes: Int] = [:]
        for wave in 0..<4 {
            for i in 0..<20_000 { table.set(key(i + wave), i); model[key(i + wave)] = i }
            XCTAssertEqual(table.count, model.count)
            for k in Array(model.keys) where model.count > 100 {
                XCTAssertEqual(table.remove(k), model.removeValue(forKey: k))
            }
            for (k, v) in model { XCTAssertEqual(table[k], v) }
            XCTAssertNil(table[key(999_999)])
        }
        XCTAssertLessThan(table.meanProbeLength, 2.0)
    }

    func testRemoveAtPositionKeepsIndexConsistent() {
        let table = KeyTable<Int>(seed: 7)
        for i in 0..<1000 { table.insert(key(i), i) }
        while table.count > 0 {
            let p = Int.random(in: 0..<table.count)
            let k = table.entries[p].key
            table.remove(at: p)
            XCTAssertNil(table[k])
        }
        XCTAssertEqual(table.slotCount, 8, "an emptied table shrinks back")
    }

    /// SCAN's promise: every key present for the whole scan is returned, even when the
    /// table grows or shrinks between calls.
    func testScanReturnsEveryStableKeyAcrossResizes() {
        for grow in [true, false] {
            let table = KeyTable<Int>(seed: 99)
            let stable = (0..<500).map { Bytes("stable\($0)") }
            for k in stable { table.insert(k, 0) }
            if !grow { for i in 0..<5000 { table.insert(key(i), 1) } }
            var seen = Set<Bytes>()
            var cursor: UInt64 = 0
            var step = 0
            repeat {
                cursor = table.scan(cursor: cursor) { seen.insert($0.key) }
                step += 1
                if grow && step % 3 == 0 && step < 60 { for i in 0..<200 { table.set(key(step * 1000 + i), 1) } }
                if !grow && step % 3 == 0 {
                    for i in 0..<5000 where table.count > 600 { table.remove(key(i)) }
                }
            } while cursor != 0
            for k in stable { XCTAssertTrue(seen.contains(k), "missed \(k) (grow: \(grow))") }
        }
    }

    func testEntryIsCompact() {
        XCTAssertEqual(MemoryLayout<Bytes>.size, 24)
        XCTAssertEqual(MemoryLayout<Value>.size, 16)
        XCTAssertLessThanOrEqual(MemoryLayout<KeyTableEntry<Value>>.stride, 48)
    }
}

final class BytesTests: XCTestCase {
    func testInlineAndHeapForms() {
        let short = Bytes("twenty-two bytes long!")
        let long = Bytes("twenty-three bytes long")
        if case .small = short {} else { XCTFail("22 bytes should be inline") }
        if case .large = long {} else { XCTFail("23 bytes should be on the heap") }
        XCTAssertEqual(short.string, "twenty-two bytes long!")
        XCTAssertEqual(Bytes([0, 1, 2]).array, [0, 1, 2])
        XCTAssertNotEqual(Bytes([0]), Bytes([]))
        XCTAssertEqual(Bytes("GeT").lowercased, Bytes("get"))
    }

    /// Command names and options compared with lowercase literals, ASCII letters folded only.
    func testLowercasedComparisons() {
        XCTAssertTrue(Bytes("EvalSHA").hasLowercasedPrefix("eval"))
        XCTAssertTrue(Bytes("FCALL_RO").hasLowercasedPrefix("fcall"))
        XCTAssertFalse(Bytes("EVA").hasLowercasedPrefix("eval"))
        XCTAssertFalse(Bytes("SET").hasLowercasedPrefix("sa"))
        XCTAssertTrue(Bytes("x").hasLowercasedPrefix(""))
        XCTAssertTrue(Bytes("NX").equalsLowercased("nx"))
        XCTAssertFalse(Bytes("NXX").equalsLowercased("nx"))
        XCTAssertFalse(Bytes("\u{7f}").equalsLowercased("_"), "only A-Z are folded")
    }

    func testStrictIntegers() {
        XCTAssertEqual(Bytes("123").int64, 123)
        XCTAssertEqual(Bytes("-9223372036854775808").int64, Int64.min)
        XCTAssertEqual(Bytes("9223372036854775807").int64, Int64.max)
        for bad in ["9223372036854775808", "01", "-0", "+1", " 1", "1 ", "", "-", "1.0", "abc"] {
            XCTAssertNil(Bytes(bad).int64, bad)
        }
        XCTAssertEqual(formatInt64(Int64.min).string, "-9223372036854775808")
    }

    func testDoubles() {
        XCTAssertEqual(Bytes("1.5").double, 1.5)
        XCTAssertNil(Bytes(" 1.5").double)
        XCTAssertNil(Bytes("nan").double)
        XCTAssertEqual(Bytes("inf").double, .infinity)
        XCTAssertEqual(formatLongDoubleHuman(Bytes("10.6").longDouble!)?.string, "10.6")
        XCTAssertEqual(formatDoubleD2String(3.0).string, "3")
        XCTAssertEqual(formatDoubleG17(0.1).string, "0.10000000000000001")
    }

    func testGlob() {
        XCTAssertTrue(globMatch(pattern: "h?llo", string: "hello"))
        XCTAssertTrue(globMatch(pattern: "h*llo", string: "heeeello"))
        XCTAssertTrue(globMatch(pattern: "h[ae]llo", string: "hallo"))
        XCTAssertFalse(globMatch(pattern: "h[^e]llo", string: "hello"))
        XCTAssertTrue(globMatch(pattern: "h[a-b]llo", string: "hbllo"))
        XCTAssertTrue(globMatch(pattern: "h\\*llo", string: "h*llo"))
        XCTAssertFalse(globMatch(pattern: "h\\*llo", string: "hello"))
        XCTAssertTrue(globMatch(pattern: "MAX*", string: "maxclients", noCase: true))
        XCTAssertFalse(globMatch(pattern: String(repeating: "a*", count: 50) + "b", string: String(repeating: "a", count: 60)))
    }
}

final class HashSpreadTests: XCTestCase {
    /// Sequential keys of the shapes benchmarks and applications use must spread well:
    /// linear probing degrades fast with clustered hashes.
    func testProbeLengthStaysShort() {
        for shape in ["key:%012d", "k%d", "user:%d:profile-settings"] {
            let table = KeyTable<Int>(seed: UInt64.random(in: 0...UInt64.max))
            for i in 0..<100_000 {
                table.insert(Bytes(shape.replacingOccurrences(of: "%012d", with: String(format: "%012d", i))
                    .replacingOccurrences(of: "%d", with: String(i))), i)
            }
            XCTAssertLessThan(table.meanProbeLength, 1.6, "\(shape): \(table.meanProbeLength)")
        }
    }
}
