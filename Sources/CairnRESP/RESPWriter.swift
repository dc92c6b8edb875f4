import CairnCore
import NIOCore

/// Encodes replies for one connection's protocol version (2 or 3) straight into a buffer.
/// Command handlers write through it, so no reply tree is built for ordinary commands.
public struct RESPWriter {
    public var buffer: ByteBuffer
    public var protocolVersion: Int

    public init(buffer: ByteBuffer, protocolVersion: Int = 2) {
        self.buffer = buffer
        self.protocolVersion = protocolVersion
    }

    public var isRESP3: Bool { protocolVersion >= 3 }

    // Every write goes through `writeWithUnsafeMutableBytes`: NIO's other writers
    // (writeInteger, writeString, writeStaticString, writeBytes) each make a dynamic
    // exclusivity check in NIO's build (swift_beginAccess and its thread-local access
    // set), which was a sixth of PING's instructions at -P 16.

    @inline(__always)
    private mutating func crlf() {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 2) { out in
            out.baseAddress!.storeBytes(of: UInt16(0x0A0D).littleEndian, as: UInt16.self)
            return 2
        }
    }

    /// `bytes` as they are.
    @inline(__always)
    private mutating func put(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0 else { return }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { out in
            out.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: n)
            return n
        }
    }

    @inline(__always)
    private mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { put(UnsafeRawBufferPointer($0)) }
    }

    /// `<prefix><bytes>\r\n` in one write.
    @inline(__always)
    private mutating func line(_ prefix: UInt8, _ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n + 3) { out in
            let p = out.baseAddress!
            p.storeBytes(of: prefix, as: UInt8.self)
            if n > 0 { (p + 1).copyMemory(from: bytes.baseAddress!, byteCount: n) }
            p.storeBytes(of: UInt16(0x0A0D).littleEndian, toByteOffset: n + 1, as: UInt16.self)
            return n + 3
        }
    }

    /// `<prefix><text>\r\n` in one write.
    @inline(__always)
    private mutating func line(_ prefix: UInt8, _ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { line(prefix, UnsafeRawBufferPointer($0)) }
        if done == nil {
            var text = text
            text.withUTF8 { line(prefix, UnsafeRawBufferPointer($0)) }
        }
    }

    /// The longest `<prefix><count>\r\n` of a non-negative count: 19 digits.
    static let headerBytesMax = 1 + 19 + 2

    /// `<prefix><decimal>\r\n` in one write into the buffer (see `bulk(raw:)`).
    @inline(__always)
    private mutating func header(_ prefix: UInt8, _ count: Int) {
        guard count >= 0 else {
            formatInt64(Int64(count)).withUnsafeBytes { line(prefix, $0) }
            return
        }
        // Room for the longest header, so that the digits are counted once (in the store).
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.headerBytesMax) { out in
            storeRESPHeader(prefix, count, at: out.baseAddress!)
        }
    }

    /// Whether the reply written from writer index `mark` on is an error.
    public func wroteError(since mark: Int) -> Bool {
        buffer.writerIndex > mark && buffer.getInteger(at: mark, as: UInt8.self) == UInt8(ascii: "-")
    }

    public mutating func ok() { put("+OK\r\n") }

    /// PING's reply, written as OK is: a status through `simple` measured 136 instructions.
    public mutating func pong() { put("+PONG\r\n") }

    /// `+<text>\r\n` in one write into the buffer (PING's PONG, every status reply).
    public mutating func simple(_ text: String) { line(UInt8(ascii: "+"), text) }

    /// An error reply; `text` starts with its code ("ERR ...", "WRONGTYPE ...").
    /// Newlines would break the protocol, so they become spaces as in Redis.
    public mutating func error(_ text: String) {
        let utf8 = text.utf8
        if utf8.contains(where: { $0 == 13 || $0 == 10 }) {
            utf8.map { ($0 == 13 || $0 == 10) ? 32 : $0 }.withUnsafeBytes { line(UInt8(ascii: "-"), $0) }
        } else {
            line(UInt8(ascii: "-"), text)
        }
    }

    public mutating func integer(_ value: Int64) {
        if value >= 0 {
            header(UInt8(ascii: ":"), Int(value))
            return
        }
        formatInt64(value).withUnsafeBytes { line(UInt8(ascii: ":"), $0) }
    }

    public mutating func integer(_ value: Int) { integer(Int64(value)) }

    public mutating func bulk(_ value: Bytes) {
        value.withUnsafeBytes { bulk(raw: $0) }
    }

    public mutating func bulk(_ value: String) {
        bulk(Bytes(value))
    }

    /// `$<length>\r\n<bytes>\r\n` in one write into the buffer: array replies (LRANGE,
    /// HGETALL, ...) write thousands of these, and five small ByteBuffer writes each,
    /// every one with its capacity, uniqueness and exclusivity checks, were a third of
    /// LRANGE's time.
    public mutating func bulk(raw: UnsafeRawBufferPointer) {
        let n = raw.count
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.headerBytesMax + n + 2) { out in
            let p = out.baseAddress!
            let header = storeRESPHeader(UInt8(ascii: "$"), n, at: p)
            if n > 0 { (p + header).copyMemory(from: raw.baseAddress!, byteCount: n) }
            p.storeBytes(of: UInt16(0x0A0D).littleEndian, toByteOffset: header + n, as: UInt16.self)
            return header + n + 2
        }
    }

    public mutating func bulkOrNull(_ value: Bytes?) {
        if let value { bulk(value) } else { null() }
    }

    /// The null bulk string of RESP2 (`$-1`), RESP3's null.
    public mutating func null() {
        if isRESP3 { put("_\r\n") } else { put("$-1\r\n") }
    }

    /// The null array of RESP2 (`*-1`), RESP3's null.
    public mutating func nullArray() {
        if isRESP3 { put("_\r\n") } else { put("*-1\r\n") }
    }

    public mutating func arrayHeader(_ count: Int) { header(UInt8(ascii: "*"), count) }

    /// A map of `count` pairs: RESP3 `%`, RESP2 a flat array of 2*count.
    public mutating func mapHeader(_ count: Int) {
        if isRESP3 { header(UInt8(ascii: "%"), count) } else { header(UInt8(ascii: "*"), count * 2) }
    }

    /// A set: RESP3 `~`, RESP2 an array.
    public mutating func setHeader(_ count: Int) {
        header(isRESP3 ? UInt8(ascii: "~") : UInt8(ascii: "*"), count)
    }

    /// A push message (pub/sub, monitor) in RESP3, an array in RESP2.
    public mutating func pushHeader(_ count: Int) {
        header(isRESP3 ? UInt8(ascii: ">") : UInt8(ascii: "*"), count)
    }

    /// A double as Redis 7.0 sends one: RESP2 a bulk string of %.17g, RESP3 `,`.
    public mutating func double(_ value: Double) {
        let text: Bytes
        if value.isInfinite { text = value > 0 ? "inf" : "-inf" } else { text = formatDoubleG17(value) }
        if isRESP3 {
            text.withUnsafeBytes { line(UInt8(ascii: ","), $0) }
        } else {
            bulk(text)
        }
    }

    public mutating func boolean(_ value: Bool) {
        if isRESP3 {
            put(value ? "#t\r\n" : "#f\r\n")
        } else {
            put(value ? ":1\r\n" : ":0\r\n")
        }
    }

    /// Verbatim text (INFO, CLIENT LIST, ...): RESP3 `=` with a `txt:` prefix, RESP2 a bulk string.
    public mutating func verbatim(_ text: String) {
        if isRESP3 {
            let bytes = Array(text.utf8)
            header(UInt8(ascii: "="), bytes.count + 4)
            put("txt:")
            bytes.withUnsafeBytes { put($0) }
            crlf()
        } else {
            bulk(text)
        }
    }

    /// A big number (a script's `{big_number=...}`): RESP3 `(`, RESP2 a bulk string.
    public mutating func bigNumber(_ digits: UnsafeRawBufferPointer) {
        if isRESP3 {
            line(UInt8(ascii: "("), digits)
        } else {
            bulk(raw: digits)
        }
    }

    /// Verbatim text with its format (a script's `{verbatim_string=...}`): RESP3 `=` with
    /// the format cut or padded with spaces to three bytes, RESP2 a bulk string.
    public mutating func verbatim(format: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer) {
        guard isRESP3 else {
            bulk(raw: text)
            return
        }
        header(UInt8(ascii: "="), text.count + 4)
        var tag: (UInt8, UInt8, UInt8, UInt8) = (32, 32, 32, UInt8(ascii: ":"))
        withUnsafeMutableBytes(of: &tag) { t in
            for i in 0..<min(3, format.count) { t[i] = format[i] }
        }
        withUnsafeBytes(of: &tag) { put($0) }
        put(text)
        crlf()
    }

    /// Bytes already encoded (a queued reply, a cached response).
    public mutating func raw(_ bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { put($0) }
    }
}
