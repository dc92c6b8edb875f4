import CairnCore
@testable import CairnCommands
import XCTest

/// The payload of a log record: every effect survives encode then decode, the size
/// computed first is the size written, and its bytes are the RESP of the commands.
final class EffectCodecTests: XCTestCase {
    func testRoundTripAndExactSize() {
        let big = Bytes(String(repeating: "v", count: 12_345))
        let effects = [
            Effect(database: 0, arguments: ["SET", "k", "1"]),
            Effect(database: 15, arguments: ["RPUSH", "list", "", big]),
            Effect(database: 300, arguments: ["DEL"] + (0..<12).map { Bytes("key\($0)") }),
        ]
        // Written into a buffer one byte longer than the computed size, whose last byte must
        // stay untouched.
        let size = EffectCodec.encodedSize(effects[...])
        var out = [UInt8](repeating: 0xEE, count: size + 1)
        out.withUnsafeMutableBytes { EffectCodec.write(effects[...], to: $0.baseAddress!) }
        XCTAssertEqual(out.last, 0xEE, "nothing written past the computed size")
        XCTAssertEqual(try EffectCodec.decode(Array(out.dropLast())), effects)
        XCTAssertEqual(try EffectCodec.decode(EffectCodec.encode(effects[1...])), Array(effects[1...]))
    }

    func testBytesAreTheDatabaseThenRESP() {
        let payload = EffectCodec.encode([Effect(database: 258, arguments: ["INCR", "counter"])][...])
        XCTAssertEqual(payload, [2, 1] + Array("*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n".utf8))
    }
}
