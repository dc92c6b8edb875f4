import CairnCore
@testable import CairnRESP
import NIOCore
import XCTest

final class RESPRequestDecoderTests: XCTestCase {
    /// Feeds `input` in the given chunk sizes, decoding after each, as NIO's cumulation does.
    func decodeAll(_ input: [UInt8], chunks: [Int]? = nil, limits: RESPLimits = RESPLimits()) throws -> [[Bytes]] {
        var decoder = RESPRequestDecoder(limits: limits)
        var buffer = ByteBuffer()
        var out: [[Bytes]] = []
        var offset = 0
        let sizes = chunks ?? [input.count]
        var i = 0
        while offset < input.count {
            let n = min(sizes[i % sizes.count], input.count - offset)
            buffer.writeBytes(input[offset..<(offset + n)])
            offset += n
            i += 1
            while let request = try decoder.decode(buffer: &buffer) { out.append(request) }
        }
        return out
    }

    func b(_ words: String...) -> [Bytes] { words.map { Bytes($0) } }

    let pipeline = Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*0\r\n*1\r\n$4\r\nPING\r\n".utf8)

    /// A request's array handed back holds a later request in the same storage; one that
    /// something else still holds (a MULTI queue, a blocked client) is left as it was.
    func testRecycledArraysHoldLaterRequests() throws {
        var decoder = RESPRequestDecoder()
        var buffer = ByteBuffer(bytes: Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".utf8)
                                + Array("*1\r\n$4\r\nPING\r\n".utf8))
        var first = try XCTUnwrap(decoder.decode(buffer: &buffer))
        let storage = first.withUnsafeBufferPointer { $0.baseAddress }
        decoder.recycle(&first)
        XCTAssertEqual(first, [])
        var second = try XCTUnwrap(decoder.decode(buffer: &buffer))
        XCTAssertEqual(second, b("GET", "k"))
        XCTAssertEqual(second.withUnsafeBufferPointer { $0.baseAddress }, storage)
        let held = second
        decoder.recycle(&second)
        XCTAssertEqual(try XCTUnwrap(decoder.decode(buffer: &buffer)), b("PING"))
        XCTAssertEqual(held, b("GET", "k"))
    }

    func testWholeInput() throws {
        XCTAssertEqual(try decodeAll(pipeline), [b("SET", "k", "hello"), b("GET", "k"), b("PING"), b("PING")])
    }

    func testByteByByte() throws {
        XCTAssertEqual(try decodeAll(pipeline, chunks: [1]), [b("SET", "k", "hello"), b("GET", "k"), b("PING"), b("PING")])
    }

    func testRandomSplits() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let sizes = (0..<8).map { _ in Int.random(in: 1...12, using: &rng) }
            XCTAssertEqual(try decodeAll(pipeline, chunks: sizes), [b("SET", "k", "hello"), b("GET", "k"), b("PING"), b("PING")], "splits \(sizes)")
        }
    }

    func testBinarySafeAndLargeBulk() throws {
        let value = (0..<100_000).map { UInt8($0 % 256) }
        var input = Array("*2\r\n$4\r\nECHO\r\n$\(value.count)\r\n".utf8)
        input += value + [13, 10]
        let out = try decodeAll(input, chunks: [4096, 1, 777])
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0][1].array, value)
    }

    func testInlineCommands() throws {
        XCTAssertEqual(try decodeAll(Array("SET k \"a b\\n\"\r\nGET 'x y'\n\r\n   \r\nPING\r\n".utf8), chunks: [3]),
                       [b("SET", "k", "a b\n"), b("GET", "x y"), b("PING")])
        XCTAssertEqual(try decodeAll(Array("ECHO \"\\x41\\x4a\"\r\n".utf8)), [b("ECHO", "AJ")])
    }

    func expectError(_ input: String, _ message: String?, limits: RESPLimits = RESPLimits(), file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decodeAll(Array(input.utf8), limits: limits), file: file, line: line) { error in
            XCTAssertEqual(error as? RESPProtocolError, RESPProtocolError(message), file: file, line: line)
        }
    }

    func testProtocolErrors() {
        expectError("*2\r\n$3\r\nGET\r\n+k\r\n", "Protocol error: expected '$', got '+'")
        expectError("*abc\r\n", "Protocol error: invalid multibulk length")
        expectError("*3000000000\r\n", "Protocol error: invalid multibulk length")
        expectError("*1\r\n$-5\r\n", "Protocol error: invalid bulk length")
        expectError("*1\r\n$abc\r\n", "Protocol error: invalid bulk length")
        expectError("SET k \"unterminated\r\n", "Protocol error: unbalanced quotes in request")
        expectError("SET k \"a\"b\r\n", "Protocol error: unbalanced quotes in request")
    }

    func testLimits() {
        var limits = RESPLimits()
        limits.bulkBytesMax = 10
        expectError("*1\r\n$11\r\n", "Protocol error: invalid bulk length", limits: limits)
        limits = RESPLimits()
        limits.inlineBytesMax = 16
        expectError(String(repeating: "x", count: 17), "Protocol error: too big inline request", limits: limits)
        expectError("*" + String(repeating: "1", count: 17), "Protocol error: too big mbulk count string", limits: limits)
        expectError("*1\r\n$" + String(repeating: "1", count: 17), "Protocol error: too big bulk count string", limits: limits)
        limits = RESPLimits()
        limits.queryBufferBytesMax = 100
        expectError("*1\r\n$200\r\n" + String(repeating: "x", count: 150), nil, limits: limits)
    }

    /// Millions of tiny arguments of one unfinished request count against the query
    /// buffer limit even though each read is small and consumed.
    func testParsedArgumentsCountAgainstTheQueryLimit() {
        var limits = RESPLimits()
        limits.queryBufferBytesMax = 10_000
        var decoder = RESPRequestDecoder(limits: limits)
        var buffer = ByteBuffer(string: "*1000000\r\n")
        XCTAssertThrowsError(try {
            for _ in 0..<100 {
                buffer.writeString(String(repeating: "$0\r\n\r\n", count: 100))
                _ = try decoder.decode(buffer: &buffer)
            }
        }()) { error in
            XCTAssertEqual(error as? RESPProtocolError, .queryBufferOverflow)
        }
    }

    /// Header lines read in the scan for their `\r` (up to nine plain digits) and the
    /// rest through the full parser decode alike, whole or split anywhere.
    func testHeaderLinesFastAndFull() throws {
        let big = String(repeating: "v", count: 900)
        let input = "*2\r\n$3\r\nGET\r\n$\(big.utf8.count)\r\n\(big)\r\n*1\r\n$0\r\n\r\n*2\r\n$1\r\na\r\n$10\r\n0123456789\r\n"
        let expected = [b("GET", big), b(""), b("a", "0123456789")]
        for chunk in [input.utf8.count, 1, 2, 3, 7] {
            XCTAssertEqual(try decodeAll(Array(input.utf8), chunks: [chunk]), expected)
        }
        expectError("*01\r\n$1\r\na\r\n", "Protocol error: invalid multibulk length")
        expectError("*0000000002\r\n", "Protocol error: invalid multibulk length")
        expectError("*1\r\n$01\r\na\r\n", "Protocol error: invalid bulk length")
        expectError("*1\r\n$1x\r\na\r\n", "Protocol error: invalid bulk length")
        expectError("*1\r\n$\r\na\r\n", "Protocol error: invalid bulk length")
        expectError("*1\r\n$-0\r\na\r\n", "Protocol error: invalid bulk length")
        expectError("*1\r\n$1234567890\r\n", "Protocol error: invalid bulk length")
    }

    func testIncompleteInputWaits() throws {
        XCTAssertEqual(try decodeAll(Array("*2\r\n$3\r\nGET\r\n$1\r\n".utf8)), [])
        XCTAssertEqual(try decodeAll(Array("GET k".utf8)), [])
    }
}
