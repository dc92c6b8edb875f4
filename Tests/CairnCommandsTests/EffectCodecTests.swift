import CairnCore
@testable import CairnCommands
import XCTest

/// The payload of a log record: every effect survives encode then decode, the encoding is
/// appended after what the buffer held, and its bytes are the RESP of the commands.
final class EffectCodecTests: XCTestCase {
    func testRoundTripAfterExistingBytes() {
        let big = Bytes(String(repeating: "v", count: 12_345))
        let effects = [
            Effect(database: 0, arguments: ["SET", "k", "1"]),
            Effect(database: 15, arguments: ["RPUSH", "list", "", big]),
            Effect(database: 300, arguments: ["DEL"] + (0..<12).map { Bytes("key\($0)") }),
        ]
        var out: [UInt8] = [7, 7, 7]
        EffectCodec.encode(effects[...], into: &out)
        XCTAssertEqual(Array(out.prefix(3)), [7, 7, 7], "appended, not overwritten")
        XCTAssertEqual(try EffectCodec.decode(Array(out.dropFirst(3))), effects)
        XCTAssertEqual(try EffectCodec.decode(EffectCodec.encode(effects[1...])), Array(effects[1...]))
    }

    func testBytesAreTheDatabaseThenRESP() {
        let payload = EffectCodec.encode([Effect(database: 258, arguments: ["INCR", "counter"])][...])
        XCTAssertEqual(payload, [2, 1] + Array("*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n".utf8))
    }
}
