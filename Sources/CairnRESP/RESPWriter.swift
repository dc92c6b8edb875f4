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

    @inline(__always)
    private mutating func crlf() {
        buffer.writeInteger(UInt16(0x0A0D), endianness: .little)
    }

    /// `<prefix><decimal>\r\n` in one write into the buffer (see `bulk(raw:)`).
    @inline(__always)
    private mutating func header(_ prefix: UInt8, _ count: Int) {
        guard count >= 0 else {
            buffer.writeInteger(prefix)
            formatInt64(Int64(count)).withUnsafeBytes { _ = buffer.writeBytes($0) }
            crlf()
            return
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: decimalDigits(count) + 3) { out in
            storeRESPHeader(prefix, count, at: out.baseAddress!)
        }
    }

    /// Whether the reply written from writer index `mark` on is an error.
    public func wroteError(since mark: Int) -> Bool {
        buffer.writerIndex > mark && buffer.getInteger(at: mark, as: UInt8.self) == UInt8(ascii: "-")
    }

    public mutating func ok() { buffer.writeStaticString("+OK\r\n") }

    public mutating func simple(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "+"))
        buffer.writeString(text)
        crlf()
    }

    /// An error reply; `text` starts with its code ("ERR ...", "WRONGTYPE ...").
    /// Newlines would break the protocol, so they become spaces as in Redis.
    public mutating func error(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "-"))
        let utf8 = text.utf8
        if utf8.contains(where: { $0 == 13 || $0 == 10 }) {
            buffer.writeBytes(utf8.map { ($0 == 13 || $0 == 10) ? 32 : $0 })
        } else {
            buffer.writeString(text)
        }
        crlf()
    }

    public mutating func integer(_ value: Int64) {
        if value >= 0 {
            header(UInt8(ascii: ":"), Int(value))
            return
        }
        buffer.writeInteger(UInt8(ascii: ":"))
        formatInt64(value).withUnsafeBytes { _ = buffer.writeBytes($0) }
        crlf()
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
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: decimalDigits(n) + 3 + n + 2) { out in
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
        if isRESP3 { buffer.writeStaticString("_\r\n") } else { buffer.writeStaticString("$-1\r\n") }
    }

    /// The null array of RESP2 (`*-1`), RESP3's null.
    public mutating func nullArray() {
        if isRESP3 { buffer.writeStaticString("_\r\n") } else { buffer.writeStaticString("*-1\r\n") }
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
            buffer.writeInteger(UInt8(ascii: ","))
            text.withUnsafeBytes { _ = buffer.writeBytes($0) }
            crlf()
        } else {
            bulk(text)
        }
    }

    public mutating func boolean(_ value: Bool) {
        if isRESP3 {
            buffer.writeStaticString(value ? "#t\r\n" : "#f\r\n")
        } else {
            buffer.writeStaticString(value ? ":1\r\n" : ":0\r\n")
        }
    }

    /// Verbatim text (INFO, CLIENT LIST, ...): RESP3 `=` with a `txt:` prefix, RESP2 a bulk string.
    public mutating func verbatim(_ text: String) {
        if isRESP3 {
            let bytes = Array(text.utf8)
            header(UInt8(ascii: "="), bytes.count + 4)
            buffer.writeStaticString("txt:")
            buffer.writeBytes(bytes)
            crlf()
        } else {
            bulk(text)
        }
    }

    /// A big number (a script's `{big_number=...}`): RESP3 `(`, RESP2 a bulk string.
    public mutating func bigNumber(_ digits: UnsafeRawBufferPointer) {
        if isRESP3 {
            buffer.writeInteger(UInt8(ascii: "("))
            buffer.writeBytes(digits)
            crlf()
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
        for i in 0..<3 { buffer.writeInteger(i < format.count ? format[i] : UInt8(ascii: " ")) }
        buffer.writeInteger(UInt8(ascii: ":"))
        buffer.writeBytes(text)
        crlf()
    }

    /// Bytes already encoded (a queued reply, a cached response).
    public mutating func raw(_ bytes: ByteBuffer) {
        var b = bytes
        buffer.writeBuffer(&b)
    }
}
