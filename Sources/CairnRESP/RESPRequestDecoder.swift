import CairnCore
import NIOCore

/// Decodes client requests, multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or inline
/// (`GET k\r\n`), into argument vectors, with Redis's limits and error texts.
///
/// It keeps its place across calls: arguments already read are consumed from the buffer,
/// so a large request arriving in many reads is parsed once, not re-scanned from its start.
public struct RESPRequestDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = [Bytes]

    public var limits: RESPLimits
    /// Arguments still to read of the current multibulk request; 0 when between requests.
    private var pendingArgumentCount = 0
    private var arguments: [Bytes] = []
    /// Emptied argument arrays handed back by `recycle`, to hold the next requests: a
    /// request then costs no allocation and no deallocation of its array.
    private var spareArguments: [[Bytes]] = []
    /// Memory held by `arguments` (payload plus one `Bytes` each), counted against the
    /// query buffer limit.
    private var parsedArgumentBytes = 0
    /// Whether the request being read is in the form the log writes (see
    /// `lastRequestIsCanonical`).
    private var canonical = false

    /// Whether the request `decode` returned last is a multibulk request read in one call
    /// and written exactly as the log encodes an argument vector: headers of plain digits
    /// (no sign, no leading zero) and every line ended by `\r\n`. Its bytes then run from
    /// `lastRequestStart` to the buffer's reader index, and can be logged as they are.
    public private(set) var lastRequestIsCanonical = false
    /// The reader index at which the last request returned began (see above).
    public private(set) var lastRequestStart = 0

    public init(limits: RESPLimits = RESPLimits()) {
        self.limits = limits
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> [Bytes]? {
        // What one client holds unexecuted: unparsed input plus the arguments already parsed
        // of a request still incomplete (a request of millions of empty arguments would
        // otherwise grow without bound while each read stays small).
        if buffer.readableBytes + parsedArgumentBytes > limits.queryBufferBytesMax {
            throw RESPProtocolError.queryBufferOverflow
        }
        lastRequestIsCanonical = false
        while true {
            if pendingArgumentCount == 0 {
                guard let first = buffer.readableBytesView.first else { return nil }
                if first != UInt8(ascii: "*") {
                    guard let line = try readInline(&buffer) else { return nil }
                    if line.isEmpty { continue }
                    return line
                }
                canonical = true
                lastRequestStart = buffer.readerIndex
            } else {
                canonical = false  // resumed: its first bytes were read in an earlier call
            }
            // Multibulk: parse as far as the input goes, straight from the buffer's bytes.
            var consumed = 0
            let complete = try buffer.withUnsafeReadableBytes { raw in
                try parseMultibulk(raw, consumed: &consumed)
            }
            buffer.moveReaderIndex(forwardBy: consumed)
            if complete {
                parsedArgumentBytes = 0
                if arguments.isEmpty { continue }  // `*0` and `*-1` are empty requests
                let done = arguments
                arguments = []
                lastRequestIsCanonical = canonical
                return done
            }
            return nil
        }
    }

    /// Takes back the array of a request that has run, to hold a later one. Emptied here:
    /// when nothing else holds it (the request was not queued by MULTI, blocked, or kept
    /// otherwise), its storage is kept rather than freed. Arrays of many arguments are
    /// not kept, nor more than a lookahead's worth: a connection holds little when idle.
    public mutating func recycle(_ request: inout [Bytes]) {
        guard request.capacity <= Self.spareArgumentsCapacityMax, spareArguments.count < Self.spareArraysMax else { return }
        request.clearKeepingCapacity()
        spareArguments.append(consume request)
        request = []
    }

    private static let spareArgumentsCapacityMax = 16
    private static let spareArraysMax = 32

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> [Bytes]? {
        try decode(buffer: &buffer)
    }

    /// The value of the `*N` or `$N` header line at `start`, and where the line ends, or nil
    /// when the line is not complete yet. Like Redis, the byte after `\r` is taken to be `\n`.
    @inline(__always)
    private func headerLine(_ raw: UnsafeRawBufferPointer, _ start: Int, tooBig: String) throws -> (Int64?, Int, canonical: Bool)? {
        let end = raw.count
        // The common header (1 to 9 digits, no sign, no leading zero) is read in the scan
        // for its `\r`; anything else goes through the full parser below.
        var cr = start + 1
        var value: Int64 = 0
        while cr < end && cr - start <= 9 {
            let digit = raw[cr] &- 48
            if digit > 9 { break }
            value = value &* 10 &+ Int64(digit)
            cr += 1
        }
        if cr > start + 1 && cr + 1 < end && raw[cr] == 13 && !(raw[start + 1] == 48 && cr > start + 2) {
            return (value, cr + 2, raw[cr + 1] == 10)
        }
        while cr < end && raw[cr] != 13 { cr += 1 }
        if cr >= end {
            if end - start > limits.inlineBytesMax { throw RESPProtocolError("Protocol error: \(tooBig)") }
            return nil
        }
        guard cr + 1 < end else { return nil }
        return (parseInt64(UnsafeRawBufferPointer(rebasing: raw[(start + 1)..<cr])), cr + 2, false)
    }

    /// Reads the multibulk request at the start of `raw`, resuming with the arguments
    /// already read. Sets `consumed` to the bytes it used; true when the request is whole.
    private mutating func parseMultibulk(_ raw: UnsafeRawBufferPointer, consumed: inout Int) throws -> Bool {
        var pos = 0
        if pendingArgumentCount == 0 {
            guard let (value, next, plain) = try headerLine(raw, 0, tooBig: "too big mbulk count string") else { return false }
            canonical = canonical && plain
            guard let count = value, count <= limits.multibulkCountMax else {
                throw RESPProtocolError("Protocol error: invalid multibulk length")
            }
            pos = next
            consumed = pos
            if count <= 0 {
                arguments = []
                return true
            }
            pendingArgumentCount = Int(count)
            arguments = spareArguments.popLast() ?? []
            if arguments.capacity < count { arguments.reserveCapacity(min(Int(count), 1024)) }
        }
        while pendingArgumentCount > 0 {
            guard let (argument, next) = try nextArgument(raw, at: pos) else { return false }
            arguments.append(argument)
            pos = next
            consumed = pos
        }
        return true
    }

    /// The bulk string argument at `pos` and where the next begins, or nil when it has not
    /// all arrived; counts it as read (`pendingArgumentCount`, the query buffer's memory).
    @inline(__always)
    private mutating func nextArgument(_ raw: UnsafeRawBufferPointer, at pos: Int) throws -> (Bytes, Int)? {
        guard pendingArgumentCount > 0, pos < raw.count else { return nil }
        guard let (value, next, plain) = try headerLine(raw, pos, tooBig: "too big bulk count string") else { return nil }
        let first = raw[pos]
        if first != UInt8(ascii: "$") {
            throw RESPProtocolError("Protocol error: expected '$', got '\(Character(Unicode.Scalar(first)))'")
        }
        guard let length = value, length >= 0, length <= limits.bulkBytesMax else {
            throw RESPProtocolError("Protocol error: invalid bulk length")
        }
        let n = Int(length)
        guard raw.count - next >= n + 2 else { return nil }
        // Like Redis, the two bytes after the payload are not checked; the log's form has `\r\n`.
        canonical = canonical && plain && raw[next + n] == 13 && raw[next + n + 1] == 10
        parsedArgumentBytes += n + MemoryLayout<Bytes>.stride
        if parsedArgumentBytes > limits.queryBufferBytesMax { throw RESPProtocolError.queryBufferOverflow }
        pendingArgumentCount -= 1
        return (Bytes(UnsafeRawBufferPointer(rebasing: raw[next..<(next + n)])), next + n + 2)
    }

    /// One inline request line split into arguments as Redis's sdssplitargs does.
    private mutating func readInline(_ buffer: inout ByteBuffer) throws -> [Bytes]? {
        let view = buffer.readableBytesView
        guard let nl = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > limits.inlineBytesMax { throw RESPProtocolError("Protocol error: too big inline request") }
            return nil
        }
        var end = nl
        if end > view.startIndex && view[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let length = end - view.startIndex
        let fast = buffer.withUnsafeReadableBytes { raw in splitPlainInline(UnsafeRawBufferPointer(rebasing: raw[0..<length])) }
        let args: [Bytes]
        if let fast {
            args = fast
        } else {
            guard let quoted = splitInlineArguments(Array(view[view.startIndex..<end])) else {
                throw RESPProtocolError("Protocol error: unbalanced quotes in request")
            }
            args = quoted
        }
        buffer.moveReaderIndex(forwardBy: nl + 1 - view.startIndex)
        return args
    }
}

/// The common inline line (no quotes, no NUL): words split on whitespace straight from the
/// buffer. nil when the line needs the full quote-aware splitter.
func splitPlainInline(_ line: UnsafeRawBufferPointer) -> [Bytes]? {
    var words: [Bytes] = []
    var start = -1
    for i in 0..<line.count {
        let c = line[i]
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == 0 { return nil }
        let space = c == 32 || (c >= 9 && c <= 13)
        if space {
            if start >= 0 {
                words.append(Bytes(UnsafeRawBufferPointer(rebasing: line[start..<i])))
                start = -1
            }
        } else if start < 0 {
            start = i
        }
    }
    if start >= 0 { words.append(Bytes(UnsafeRawBufferPointer(rebasing: line[start..<line.count]))) }
    return words
}

/// Redis's sdssplitargs: whitespace-separated words, "double quotes" with \n \r \t \b \a \xHH
/// escapes, 'single quotes' with \' only. nil on unbalanced quotes.
public func splitInlineArguments(_ line: [UInt8]) -> [Bytes]? {
    var result: [Bytes] = []
    var p = 0
    let n = line.count
    func at(_ i: Int) -> UInt8 { i < n ? line[i] : 0 }
    func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }
    while true {
        while p < n && isSpace(line[p]) { p += 1 }
        if at(p) == 0 { return result }
        var inDouble = false
        var inSingle = false
        var done = false
        var current: [UInt8] = []
        while !done {
            let c = at(p)
            if inDouble {
                if c == UInt8(ascii: "\\") && at(p + 1) == UInt8(ascii: "x"),
                   let h = Hex.value(ofDigit: at(p + 2)), let l = Hex.value(ofDigit: at(p + 3)) {
                    current.append(h << 4 | l)
                    p += 3
                } else if c == UInt8(ascii: "\\") && at(p + 1) != 0 {
                    p += 1
                    switch at(p) {
                    case UInt8(ascii: "n"): current.append(10)
                    case UInt8(ascii: "r"): current.append(13)
                    case UInt8(ascii: "t"): current.append(9)
                    case UInt8(ascii: "b"): current.append(8)
                    case UInt8(ascii: "a"): current.append(7)
                    default: current.append(at(p))
                    }
                } else if c == UInt8(ascii: "\"") {
                    if at(p + 1) != 0 && !isSpace(at(p + 1)) { return nil }
                    done = true
                } else if c == 0 {
                    return nil
                } else {
                    current.append(c)
                }
            } else if inSingle {
                if c == UInt8(ascii: "\\") && at(p + 1) == UInt8(ascii: "'") {
                    p += 1
                    current.append(UInt8(ascii: "'"))
                } else if c == UInt8(ascii: "'") {
                    if at(p + 1) != 0 && !isSpace(at(p + 1)) { return nil }
                    done = true
                } else if c == 0 {
                    return nil
                } else {
                    current.append(c)
                }
            } else {
                switch c {
                case 32, 10, 13, 9, 0: done = true
                case UInt8(ascii: "\""): inDouble = true
                case UInt8(ascii: "'"): inSingle = true
                default: current.append(c)
                }
            }
            if at(p) != 0 { p += 1 }
        }
        result.append(Bytes(current))
    }
}
