import CairnCore
@testable import CairnRESP
import NIOCore
import XCTest

final class RESPWriterTests: XCTestCase {
    func text(_ version: Int, _ body: (inout RESPWriter) -> Void) -> String {
        var w = RESPWriter(buffer: ByteBuffer(), protocolVersion: version)
        body(&w)
        return String(buffer: w.buffer)
    }

    func testRESP2AndRESP3Encodings() {
        XCTAssertEqual(text(2) { $0.null() }, "$-1\r\n")
        XCTAssertEqual(text(3) { $0.null() }, "_\r\n")
        XCTAssertEqual(text(2) { $0.nullArray() }, "*-1\r\n")
        XCTAssertEqual(text(2) { $0.mapHeader(2) }, "*4\r\n")
        XCTAssertEqual(text(3) { $0.mapHeader(2) }, "%2\r\n")
        XCTAssertEqual(text(3) { $0.setHeader(1) }, "~1\r\n")
        XCTAssertEqual(text(2) { $0.double(1.5) }, "$3\r\n1.5\r\n")
        XCTAssertEqual(text(3) { $0.double(1.5) }, ",1.5\r\n")
        XCTAssertEqual(text(3) { $0.double(-.infinity) }, ",-inf\r\n")
        XCTAssertEqual(text(2) { $0.double(0.1) }, "$19\r\n0.10000000000000001\r\n")
        XCTAssertEqual(text(3) { $0.boolean(true) }, "#t\r\n")
        XCTAssertEqual(text(2) { $0.boolean(true) }, ":1\r\n")
        XCTAssertEqual(text(3) { $0.verbatim("ab") }, "=6\r\ntxt:ab\r\n")
        XCTAssertEqual(text(2) { $0.integer(-42) }, ":-42\r\n")
        XCTAssertEqual(text(2) { $0.error("ERR a\r\nb") }, "-ERR a  b\r\n")
        XCTAssertEqual(text(2) { $0.bulk(Bytes("")) }, "$0\r\n\r\n")
        XCTAssertEqual(text(2) { $0.ok() }, "+OK\r\n")
        XCTAssertEqual(text(2) { $0.simple("PONG") }, "+PONG\r\n")
        XCTAssertEqual(text(2) { $0.simple("") }, "+\r\n")
        XCTAssertEqual(text(2) { $0.simple(String(repeating: "é", count: 40)) }, "+" + String(repeating: "é", count: 40) + "\r\n")
        XCTAssertEqual(text(2) { $0.error("ERR x") }, "-ERR x\r\n")
        XCTAssertEqual(text(2) { $0.integer(Int64.min) }, ":-9223372036854775808\r\n")
        XCTAssertEqual(text(2) { $0.arrayHeader(-1) }, "*-1\r\n")
        XCTAssertEqual(text(3) { $0.nullArray() }, "_\r\n")
        XCTAssertEqual(text(3) { $0.boolean(false) }, "#f\r\n")
        XCTAssertEqual(text(2) { $0.boolean(false) }, ":0\r\n")
        XCTAssertEqual(text(3) { w in "123".utf8.withContiguousStorageIfAvailable { w.bigNumber(UnsafeRawBufferPointer($0)) } }, "(123\r\n")
        XCTAssertEqual(text(3) { w in
            "mk".utf8.withContiguousStorageIfAvailable { f in
                "hi".utf8.withContiguousStorageIfAvailable { t in w.verbatim(format: UnsafeRawBufferPointer(f), text: UnsafeRawBufferPointer(t)) }
            }
        }, "=6\r\nmk :hi\r\n")
        XCTAssertEqual(text(2) { $0.raw(ByteBuffer(string: "+QUEUED\r\n")) }, "+QUEUED\r\n")
        // Many small writes past the buffer's first capacity.
        XCTAssertEqual(text(2) { w in for _ in 0..<1000 { w.ok() } }, String(repeating: "+OK\r\n", count: 1000))
    }

    func written(_ body: (inout RESPWriter) -> Void) -> String { text(2, body) }

    /// Integers and headers at every digit count's edges, against Swift's own formatting.
    func testIntegersAndHeadersAtEveryDigitCount() {
        var values: [Int64] = [0, 1, Int64.max, Int64.min, -1]
        var p: Int64 = 1
        for _ in 1...18 {
            p *= 10
            values += [p - 1, p, p + 1, -p, -(p - 1)]
        }
        for v in values {
            XCTAssertEqual(written { $0.integer(v) }, ":\(v)\r\n")
            XCTAssertEqual(formatInt64(v), Bytes("\(v)"))
            if v >= 0 {
                var appended: [UInt8] = [7]
                appendDecimal(Int(v), to: &appended)
                XCTAssertEqual(appended, [7] + Array("\(v)".utf8))
                XCTAssertEqual(decimalDigits(Int(v)), String(v).count, "\(v)")
                XCTAssertEqual(written { $0.arrayHeader(Int(v)) }, "*\(v)\r\n")
            }
        }
    }

    func testPong() {
        XCTAssertEqual(written { $0.pong() }, "+PONG\r\n")
    }
}
