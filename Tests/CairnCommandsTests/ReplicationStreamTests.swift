import CairnCommands
import CairnCore
import XCTest

/// The stream bytes a unit of effects takes (what each log record's stream offset
/// counts) are exactly the bytes its encoding for a replica has.
final class ReplicationStreamTests: XCTestCase {
    func effect(_ db: Int, _ words: String...) -> Effect {
        Effect(database: db, arguments: words.map { Bytes($0) })
    }

    /// The reference: the stream bytes of decoded effects, command by command (a SELECT
    /// where the database changes, MULTI/EXEC around several); returns the database after.
    @discardableResult
    func encode(_ effects: ArraySlice<Effect>, after database: Int?, into out: inout [UInt8]) -> Int? {
        var current = database
        let wrapped = effects.count > 1
        for (i, e) in zip(effects.indices, effects) {
            if e.database != current {
                ReplicationStream.appendCommand([Bytes("SELECT"), Bytes(String(e.database))], to: &out)
                current = e.database
            }
            if wrapped && i == effects.startIndex { out += Array("*1\r\n$5\r\nMULTI\r\n".utf8) }
            ReplicationStream.appendCommand(e.arguments, to: &out)
        }
        if wrapped { out += Array("*1\r\n$4\r\nEXEC\r\n".utf8) }
        return current
    }

    func testByteCountIsTheEncodedLength() {
        let units: [[Effect]] = [
            [effect(0, "SET", "k", "v")],
            [effect(3, "DEL", "a", "b")],
            [effect(0, "DEL", "gone"), effect(0, "SET", "k", String(repeating: "x", count: 300))],
            [effect(1, "LPUSH", "l", "a"), effect(12, "SADD", "s", ""), effect(1, "INCRBY", "n", "5")],
        ]
        for unit in units {
            for before in [nil, 0, 1, 3, 12] as [Int?] {
                var out: [UInt8] = []
                let after = encode(unit[...], after: before, into: &out)
                let count = ReplicationStream.byteCount(unit[...], payloadBytes: EffectCodec.encodedSize(unit[...]), after: before)
                XCTAssertEqual(count, out.count, "\(unit) after \(String(describing: before))")
                XCTAssertEqual(after, unit.last!.database)
                // From the log record's payload, without decoding: the same bytes.
                var fromPayload: [UInt8] = []
                XCTAssertNoThrow(try ReplicationStream.append(payload: EffectCodec.encode(unit[...]), batch: unit.count > 1,
                                                              selectsFirst: before != unit[0].database, into: &fromPayload))
                XCTAssertEqual(fromPayload, out, "\(unit) after \(String(describing: before))")
            }
        }
    }

    func testSelectsAndTransactionWrapping() {
        var out: [UInt8] = []
        var fromPayload: [UInt8] = []
        let wrapped = [effect(0, "DEL", "gone"), effect(2, "SET", "k", "v")]
        encode(wrapped[...], after: 5, into: &out)
        XCTAssertNoThrow(try ReplicationStream.append(payload: EffectCodec.encode(wrapped[...]), batch: true, selectsFirst: true,
                                                      into: &fromPayload))
        XCTAssertEqual(fromPayload, out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$4\r\ngone\r\n" +
                       "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nEXEC\r\n")
        out = []
        encode([effect(0, "SET", "k", "v")][...], after: 0, into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "same database: no SELECT")
    }
}
