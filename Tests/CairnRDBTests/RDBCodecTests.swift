import CairnCore
@testable import CairnRDB
import CairnStore
import XCTest

final class RDBCodecTests: XCTestCase {
    func testCRC64CheckValue() {
        XCTAssertEqual(CRC64.checksum(Array("123456789".utf8)), 0xe9c6d914c4b8d9ca)
    }

    func testLengthsAndStringsRoundTrip() throws {
        var w = RDBWriter()
        let lengths = [0, 63, 64, 16383, 16384, Int(UInt32.max), Int(UInt32.max) + 1]
        for n in lengths { w.length(n) }
        let strings: [Bytes] = ["", "abc", "12", "-128", "127", "-32768", "65535", "2147483647", "2147483648", "007", "-0",
                                "99999999999999999999", Bytes(String(repeating: "x", count: 300))]
        for s in strings { w.string(s) }
        for v: Int64 in [0, -1, 200, -40000, Int64(Int32.max) + 1, Int64.min] { w.integer(v) }
        var r = RDBReader(w.bytes)
        for n in lengths { XCTAssertEqual(try r.lengthOrEncoding().value, UInt64(n)) }
        for s in strings { XCTAssertEqual(Bytes(try r.string()), s) }
        for v: Int64 in [0, -1, 200, -40000, Int64(Int32.max) + 1, Int64.min] { XCTAssertEqual(Bytes(try r.string()), formatInt64(v)) }
        XCTAssertTrue(r.atEnd)
        // "12" is written as an 8-bit integer, as Redis writes it.
        var small = RDBWriter()
        small.string("12")
        XCTAssertEqual(small.bytes, [0xc0, 12])
    }

    func testLZF() throws {
        // A literal "abc", then a back reference of 6 bytes at distance 3: "abcabcabc".
        XCTAssertEqual(try LZF.decompress([2, 97, 98, 99, 0x80, 2][...], length: 9), Array("abcabcabc".utf8))
        XCTAssertThrowsError(try LZF.decompress([2, 97, 98, 99, 0x80, 9][...], length: 9))
        XCTAssertThrowsError(try LZF.decompress([2, 97, 98, 99][...], length: 4))
        XCTAssertThrowsError(try LZF.decompress([5, 97][...], length: 6))
    }

    func testLZFCompressionRoundTrips() throws {
        var rng = SystemRandomNumberGenerator()
        let inputs: [[UInt8]] = [
            Array(String(repeating: "abc", count: 100).utf8),
            Array(repeating: 0, count: 70_000),
            (0..<5000).map { _ in UInt8.random(in: 0...3, using: &rng) },
            (0..<300).map { UInt8($0 % 251) } + (0..<300).map { UInt8($0 % 251) },
        ]
        for input in inputs {
            let compressed = try XCTUnwrap(input.withUnsafeBytes { LZF.compress($0) })
            XCTAssertLessThan(compressed.count, input.count - 4)
            XCTAssertEqual(try LZF.decompress(compressed[...], length: input.count), input)
        }
        // Random bytes do not shrink: stored as they are.
        let noise = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        XCTAssertNil(noise.withUnsafeBytes { LZF.compress($0) })
    }

    func testListpackRoundTripsEveryEncoding() throws {
        var elements: [Bytes] = ["", "a", Bytes(String(repeating: "b", count: 63)), Bytes(String(repeating: "c", count: 64)),
                                 Bytes(String(repeating: "d", count: 4095)), Bytes(String(repeating: "e", count: 4096)), "01", "-0"]
        for v: Int64 in [0, 127, 128, -1, -4096, 4095, 4096, -32768, 32767, -8_388_608, 8_388_607, Int64(Int32.min), Int64(Int32.max),
                         Int64.min, Int64.max] {
            elements.append(formatInt64(v))
        }
        let lp = Listpack.encode(elements)
        XCTAssertEqual(try Listpack.decode(lp), elements)
        // Integers are stored as integers: 127 in one byte, then its back length.
        XCTAssertEqual(Listpack.encode(["127"]), [9, 0, 0, 0, 1, 0, 127, 1, 0xff])
        var damaged = lp
        damaged[7] ^= 0x40
        XCTAssertThrowsError(try Listpack.decode(damaged))
        XCTAssertThrowsError(try Listpack.decode(Array(lp.dropLast())))
    }

    func testIntSetBlob() throws {
        for values: [Int64] in [[1, 2, 3], [-40000, 5], [Int64.min, 0, Int64.max]] {
            XCTAssertEqual(try IntSetBlob.decode(IntSetBlob.encode(values)), values)
        }
        XCTAssertEqual(IntSetBlob.encode([1, 2]).count, 8 + 4)
        XCTAssertThrowsError(try IntSetBlob.decode(IntSetBlob.encode([3, 2])))
        XCTAssertThrowsError(try IntSetBlob.decode(IntSetBlob.encode([2, 2])))
        XCTAssertThrowsError(try IntSetBlob.decode(Array(IntSetBlob.encode([1, 2]).dropLast())))
    }

    func testZiplist() throws {
        // "ab", 12 (immediate), -2 (int8), 300 (int16).
        let body: [UInt8] = [0, 0x02, 97, 98, 4, 0xfd, 3, 0xfe, 0xfe, 2, 0xc0, 0x2c, 0x01]
        var zl: [UInt8] = []
        let total = 10 + body.count + 1
        zl += [UInt8(total), 0, 0, 0, 0, 0, 0, 0, 4, 0]
        zl += body + [0xff]
        XCTAssertEqual(try Ziplist.decode(zl), ["ab", "12", "-2", "300"])
    }

    func testEveryValueRoundTripsThroughAPayload() throws {
        let limits = CollectionLimits()
        let h = HashValue()
        for i in 0..<3 { h.set(Bytes("f\(i)"), Bytes("v\(i)"), maxPackedEntries: 128, maxPackedValueBytes: 64) }
        let z = SortedSetValue()
        for i in 0..<200 { z.set(Bytes("m\(i)"), Double(i) / 3, maxPackedEntries: 128, maxPackedValueBytes: 64) }
        let l = ListValue()
        for i in 0..<1000 { l.pushTail(Bytes("element-\(i)")) }
        var s = SetValue()
        for i in 0..<5 { s.add(Bytes(String(i)), maxIntSetEntries: 512) }
        for value in [Value.string("hello"), .int(-77), Value.string(Bytes(String(repeating: "z", count: 100))), .hash(h), .zset(z), .list(l), .set(s)] {
            let payload = DumpPayload.make(value)
            XCTAssertTrue(DumpPayload.verify(payload))
            let back = try DumpPayload.value(of: payload, limits: limits)
            XCTAssertEqual(DumpPayload.make(back), payload, value.typeName)
            var damaged = payload
            damaged[0] ^= 1
            XCTAssertFalse(DumpPayload.verify(damaged))
        }
    }
}
