import CairnCommands
import CairnCore
import CairnRESP
import NIOCore
import XCTest

/// A client's request logged as it arrived (Effect.wire) must be the very bytes the log
/// would have encoded from its arguments; the decoder offers it only when they are.
final class EffectWireTests: XCTestCase {
    /// Decodes `input` whole; for each request, its arguments and its bytes when the
    /// decoder calls it canonical.
    func decode(_ input: String) throws -> [([Bytes], [UInt8]?)] {
        var decoder = RESPRequestDecoder()
        var buffer = ByteBuffer(string: input)
        var out: [([Bytes], [UInt8]?)] = []
        while let request = try decoder.decode(buffer: &buffer) {
            let wire = decoder.lastRequestIsCanonical
                ? buffer.withVeryUnsafeBytes { Array($0[decoder.lastRequestStart..<buffer.readerIndex]) } : nil
            out.append((request, wire))
        }
        return out
    }

    func encoded(_ args: [Bytes], wire: [UInt8]? = nil) -> [UInt8] {
        func write(_ wire: UnsafeRawBufferPointer?) -> [UInt8] {
            let effects = [Effect(database: 3, arguments: args, wire: wire)][...]
            let size = EffectCodec.encodedSize(effects)
            return [UInt8](unsafeUninitializedCapacity: size) { p, n in
                EffectCodec.write(effects, to: UnsafeMutableRawPointer(p.baseAddress!))
                n = size
            }
        }
        guard let wire else { return write(nil) }
        return wire.withUnsafeBytes { write($0) }
    }

    func testCanonicalRequestsAreLoggedAsTheyCame() throws {
        let value = String(repeating: "v", count: 300)
        let input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$300\r\n\(value)\r\n*0\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n"
            + "*4\r\n$4\r\nHSET\r\n$22\r\nkey-of-twenty-two-byte\r\n$1\r\nf\r\n$10\r\n0123456789\r\n"
        let requests = try decode(input)
        XCTAssertEqual(requests.count, 3)
        for (args, wire) in requests {
            let wire = try XCTUnwrap(wire, "\(args) should be canonical")
            XCTAssertEqual(encoded(args, wire: wire), encoded(args))
        }
    }

    func testOtherFormsAreEncodedAgain() throws {
        let forms = [
            "SET k v\r\n",                           // inline
            "*2\r\n$3\r\nGET\r\n$1\r\nkXY",         // payload not followed by \r\n
            "*2\r\n$3\r\nGET\r\n$1\rXk\r\n",        // header's \r not followed by \n
            "*1\rX$4\r\nPING\r\n",                  // count line's \r not followed by \n
        ]
        for form in forms {
            let requests = try decode(form)
            XCTAssertEqual(requests.count, 1, form)
            XCTAssertNil(requests.first?.1, "\(form.debugDescription) must not be logged as it came")
        }
    }

    func testARequestSplitAcrossReadsIsEncodedAgain() throws {
        var decoder = RESPRequestDecoder()
        var buffer = ByteBuffer(string: "*2\r\n$3\r\nGET\r\n")
        XCTAssertNil(try decoder.decode(buffer: &buffer))
        buffer.writeString("$1\r\nk\r\n*1\r\n$4\r\nPING\r\n")
        XCTAssertEqual(try decoder.decode(buffer: &buffer), [Bytes("GET"), Bytes("k")])
        XCTAssertFalse(decoder.lastRequestIsCanonical)
        XCTAssertEqual(try decoder.decode(buffer: &buffer), [Bytes("PING")])
        XCTAssertTrue(decoder.lastRequestIsCanonical)
    }
}
