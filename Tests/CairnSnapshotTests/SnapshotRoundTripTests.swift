import CairnCore
@testable import CairnSnapshot
import CairnStore
import XCTest

final class SnapshotRoundTripTests: XCTestCase {
    /// A keyspace with every type in every encoding, expiries, several databases, empty
    /// strings and binary bytes.
    static func sampleKeyspace() -> Keyspace {
        let ks = Keyspace(databaseCount: 4, seed: 1)
        let db0 = ks[0], db3 = ks[3]
        db0.set("int", .string("12345"), clock: 0)
        db0.set("negative", .string("-9223372036854775808"), clock: 0)
        db0.set("short", .string("hello"), clock: 0)
        db0.set("empty", .string(""), clock: 0)
        db0.set("long", .string(Bytes(String(repeating: "x", count: 100))), clock: 0)
        db0.set("raw", .rawString("ab"), clock: 0)
        db0.set(Bytes([0, 255, 13, 10]), .string(Bytes([1, 2, 0, 3])), clock: 0)
        db0.set("float-text", .textString("10"), clock: 0)
        let small = HashValue()
        _ = small.set("f", "v", maxPackedEntries: 128, maxPackedValueBytes: 64)
        _ = small.set("g", "", maxPackedEntries: 128, maxPackedValueBytes: 64)
        db0.set("hash:small", .hash(small), clock: 0)
        let big = HashValue()
        for i in 0..<600 { _ = big.set(Bytes("field\(i)"), Bytes("value\(i)"), maxPackedEntries: 512, maxPackedValueBytes: 64) }
        db0.set("hash:big", .hash(big), clock: 0)
        var ints = SetValue()
        for i in [-70000, -5, 0, 3, 40000, Int(Int64.max)] { _ = ints.add(Bytes(Int64(i)), maxIntSetEntries: 512) }
        db0.set("set:ints", .set(ints), clock: 0)
        var words = SetValue()
        for i in 0..<300 { _ = words.add(Bytes("m\(i)"), maxIntSetEntries: 512) }
        db3.set("set:words", .set(words), clock: 0)
        let list = ListValue()
        for i in 0..<1000 { list.pushTail(Bytes("element-\(i)")) }
        db0.set("list", .list(list), clock: 0)
        let zsmall = SortedSetValue()
        for (m, s) in [("a", 1.5), ("b", -Double.infinity), ("c", Double.infinity), ("d", 0)] {
            _ = zsmall.set(Bytes(m), s, maxPackedEntries: 128, maxPackedValueBytes: 64)
        }
        db0.set("zset:small", .zset(zsmall), clock: 0)
        let zbig = SortedSetValue()
        for i in 0..<400 { _ = zbig.set(Bytes("member\(i)"), Double(i % 37) / 3, maxPackedEntries: 128, maxPackedValueBytes: 64) }
        db3.set("zset:big", .zset(zbig), clock: 0)
        db0.setExpire("short", atMs: 4_000_000_000_000)
        db3.setExpire("zset:big", atMs: 1)
        return ks
    }

    static func write(_ ks: Keyspace, codec: SnapshotCodec, lsn: UInt64 = 42) throws -> ([UInt8], SnapshotSummary) {
        var file: [UInt8] = []
        let w = try SnapshotWriter(codec: codec, lsn: lsn, createdMs: 1_700_000_000_000, databases: ks.databaseCount) {
            file.append(contentsOf: $0)
        }
        try w.write(ks)
        let summary = try w.finish()
        return (file, summary)
    }

    static func read(_ file: [UInt8], databases: Int = 4) throws -> Keyspace {
        let r = try SnapshotReader(path: "test.snap", bytes: file)
        let ks = Keyspace(databaseCount: databases, seed: 2)
        XCTAssertTrue(try r.load(into: ks, limits: CollectionLimits()))
        return ks
    }

    func testEveryTypeAndEncodingRoundTripsWithEveryCodec() throws {
        let ks = Self.sampleKeyspace()
        let expected = KeyspaceCommands.commands(for: ks)
        for codec in SnapshotCodec.allCases {
            let (file, summary) = try Self.write(ks, codec: codec)
            XCTAssertEqual(summary.keys, ks.totalKeys)
            XCTAssertEqual(summary.fileBytes, file.count)
            let back = try Self.read(file)
            XCTAssertEqual(KeyspaceCommands.commands(for: back), expected, "codec \(codec.name)")
            for d in 0..<4 {
                for e in ks[d].main.entries {
                    XCTAssertEqual(back[d].main[e.key]?.encodingName, e.value.encodingName, "encoding of \(e.key.string)")
                }
            }
            let r = try SnapshotReader(path: "x", bytes: file)
            XCTAssertEqual(r.header.lsn, 42)
            XCTAssertEqual(r.header.codec, codec)
            XCTAssertEqual(r.header.createdMs, 1_700_000_000_000)
        }
    }

    func testCollectionsLargerThanAFrameContinueInTheNext() throws {
        let ks = Keyspace(databaseCount: 1, seed: 1)
        let list = ListValue()
        let element = Bytes(String(repeating: "e", count: 1000))
        for _ in 0..<3000 { list.pushTail(element) }
        ks[0].set("biglist", .list(list), clock: 0)
        let hash = HashValue()
        for i in 0..<30_000 { _ = hash.set(Bytes("field:\(i)"), Bytes(String(repeating: "v", count: 50)), maxPackedEntries: 128, maxPackedValueBytes: 64) }
        ks[0].set("bighash", .hash(hash), clock: 0)
        // An intset of 200,000 wide members spans frames; its value is rebuilt by each
        // continuation record, and the key must end up with all of it.
        var ints = SetValue()
        ints.add(integers: (0..<200_000).map { Int64($0) * 1_000_003 - 5_000_000_000 }, maxIntSetEntries: 1_000_000)
        ks[0].set("bigintset", .set(ints), clock: 0)
        ks[0].set("after", .string("last"), clock: 0)
        let (file, summary) = try Self.write(ks, codec: .lz4)
        XCTAssertGreaterThan(summary.frames, 3)
        var limits = CollectionLimits()
        limits.setMaxIntSetEntries = 1_000_000
        let back = Keyspace(databaseCount: 1, seed: 2)
        XCTAssertTrue(try SnapshotReader(path: "test.snap", bytes: file).load(into: back, limits: limits))
        XCTAssertEqual(back[0].main["biglist"]?.listValue?.count, 3000)
        XCTAssertEqual(back[0].main["bighash"]?.hashValue?.count, 30_000)
        XCTAssertEqual(back[0].main["bigintset"]?.setValue?.count, 200_000)
        XCTAssertEqual(back[0].main["bigintset"]?.encodingName, "intset")
        // Read with the default limit, the same members go into a hash table.
        let table = try Self.read(file, databases: 1)
        XCTAssertEqual(table[0].main["bigintset"]?.encodingName, "hashtable")
        XCTAssertEqual(table[0].main["bigintset"]?.setValue?.count, 200_000)
        XCTAssertEqual(KeyspaceCommands.commands(for: back), KeyspaceCommands.commands(for: ks))
    }

    /// Function libraries come back in order, before the keys, and count as no key.
    func testFunctionLibrariesRoundTrip() throws {
        let ks = Self.sampleKeyspace()
        let libraries: [Bytes] = ["#!lua name=a\nredis.register_function('f', function() return 1 end)",
                                  Bytes(String(repeating: "-- padding\n", count: 200_000))]
        var file: [UInt8] = []
        let w = try SnapshotWriter(codec: .lz4, lsn: 7, createdMs: 0, databases: ks.databaseCount) { file.append(contentsOf: $0) }
        try w.write(functionLibraries: libraries)
        try w.write(ks)
        let summary = try w.finish()
        XCTAssertEqual(summary.keys, ks.totalKeys)
        let r = try SnapshotReader(path: "test.snap", bytes: file)
        let loaded = Keyspace(databaseCount: 4, seed: 2)
        XCTAssertTrue(try r.load(into: loaded, limits: CollectionLimits()))
        XCTAssertEqual(r.functionLibraries, libraries)
        XCTAssertEqual(loaded.totalKeys, ks.totalKeys)
    }

    func testEmptyKeyspace() throws {
        let (file, summary) = try Self.write(Keyspace(databaseCount: 16, seed: 1), codec: .zstd)
        XCTAssertEqual(summary.keys, 0)
        XCTAssertEqual(try Self.read(file, databases: 16).totalKeys, 0)
    }

    func testDamageAnywhereIsDetectedBeforeAnythingLoads() throws {
        let (file, _) = try Self.write(Self.sampleKeyspace(), codec: .zstd)
        func expectDamage(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try SnapshotReader(path: "s", bytes: bytes), file: file, line: line) { error in
                guard let d = error as? SnapshotDamage else { return XCTFail("\(error)", file: file, line: line) }
                XCTAssertTrue(d.reason.contains(fragment), "\(d.reason) lacks '\(fragment)'", file: file, line: line)
                XCTAssertTrue(d.description.contains("cairn check-snapshot"), file: file, line: line)
            }
        }
        var header = file
        header[20] ^= 1
        expectDamage(header, "header checksum")
        var frame = file
        frame[SnapshotFormat.headerBytes + SnapshotFormat.frameHeaderBytes + 5] ^= 0x40
        expectDamage(frame, "frame 0 checksum")
        var trailer = file
        trailer[file.count - 10] ^= 1
        expectDamage(trailer, "file checksum")
        expectDamage(Array(file.dropLast(3)), "trailer cut short")
        expectDamage(Array(file.prefix(file.count / 2)), "truncated")
        expectDamage(file + [0], "unexpected bytes")
        var magic = file
        magic[0] = UInt8(ascii: "X")
        expectDamage(magic, "bad magic")
        expectDamage([], "too short")
    }

    func testSnapshotIsSmallerThanItsRawRecords() throws {
        let ks = Keyspace(databaseCount: 1, seed: 1)
        for i in 0..<20_000 { ks[0].set(Bytes("key:\(i)"), .string(Bytes("value-\(i % 100)-xxxxxxxx")), clock: 0) }
        let (zstd, s1) = try Self.write(ks, codec: .zstd)
        let (lz4, _) = try Self.write(ks, codec: .lz4)
        let (none, _) = try Self.write(ks, codec: .none)
        XCTAssertLessThan(zstd.count, none.count / 3, "raw \(s1.rawBytes)")
        XCTAssertLessThan(lz4.count, none.count)
        XCTAssertEqual(KeyspaceCommands.commands(for: try Self.read(lz4, databases: 1)), KeyspaceCommands.commands(for: ks))
    }

    func testTooFewDatabasesForItsKeysIsRefusedWithAMessage() throws {
        let (file, _) = try Self.write(Self.sampleKeyspace(), codec: .zstd)
        let r = try SnapshotReader(path: "s", bytes: file)
        XCTAssertThrowsError(try r.load(into: Keyspace(databaseCount: 2, seed: 1), limits: CollectionLimits())) {
            XCTAssertTrue("\($0)".contains("set 'databases' to at least 4"), "\($0)")
        }
        // Fewer databases than the writer had, but enough for every key: fine.
        let ks = Keyspace(databaseCount: 1, seed: 1)
        ks[0].set("k", .string("v"), clock: 0)
        var small: [UInt8] = []
        let w = try SnapshotWriter(codec: .lz4, lsn: 1, createdMs: 0, databases: 16) { small.append(contentsOf: $0) }
        try w.write(ks)
        _ = try w.finish()
        XCTAssertTrue(try SnapshotReader(path: "s", bytes: small).load(into: Keyspace(databaseCount: 1, seed: 2), limits: CollectionLimits()))
    }
}
