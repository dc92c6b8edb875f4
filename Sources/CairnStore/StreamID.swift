import CairnCore
#if canImport(Glibc)
import Glibc
#endif

/// A stream entry's ID: milliseconds and a sequence number, ordered as a pair.
public struct StreamID: Comparable, Hashable, Sendable {
    public var ms: UInt64
    public var seq: UInt64

    public init(ms: UInt64, seq: UInt64) {
        self.ms = ms
        self.seq = seq
    }

    public static let zero = StreamID(ms: 0, seq: 0)
    public static let max = StreamID(ms: .max, seq: .max)

    public static func < (a: StreamID, b: StreamID) -> Bool {
        a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq
    }

    public var isZero: Bool { ms == 0 && seq == 0 }

    /// The next ID (Redis's streamIncrID); nil past the last possible one.
    public var successor: StreamID? {
        if seq < .max { return StreamID(ms: ms, seq: seq + 1) }
        if ms < .max { return StreamID(ms: ms + 1, seq: 0) }
        return nil
    }

    /// The ID before (Redis's streamDecrID); nil before 0-0.
    public var predecessor: StreamID? {
        if seq > 0 { return StreamID(ms: ms, seq: seq - 1) }
        if ms > 0 { return StreamID(ms: ms - 1, seq: .max) }
        return nil
    }

    /// "ms-seq", as replies write it.
    public var bytes: Bytes {
        withUnsafeTemporaryAllocation(byteCount: 41, alignment: 1) { buffer in
            Bytes(UnsafeRawBufferPointer(rebasing: buffer[0..<write(into: buffer)]))
        }
    }

    /// Writes "ms-seq" into `buffer` (41 bytes at least); returns its length.
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        func digits(_ v: UInt64) {
            let count = decimalDigits(v)
            storeDecimal(v, digits: count, at: buffer.baseAddress! + n)
            n += count
        }
        digits(ms)
        buffer[n] = UInt8(ascii: "-")
        n += 1
        digits(seq)
        return n
    }

    /// An ID argument as Redis parses it (streamGenericParseIDOrReply): `-` and `+` unless
    /// `strict`, `ms` alone (the sequence is then `missingSeq`), `ms-seq`, and `ms-*` when
    /// `allowAutoSeq` (the sequence is then to be generated: `seqGiven` false).
    public static func parse(_ arg: Bytes, missingSeq: UInt64, strict: Bool = false,
                             allowAutoSeq: Bool = false) -> (id: StreamID, seqGiven: Bool)? {
        guard arg.count <= 127 else { return nil }
        if let plain = arg.withUnsafeBytes({ parsePlain($0, missingSeq: missingSeq) }) { return (plain, true) }
        if arg == "-" || arg == "+" {
            if strict { return nil }
            return (arg == "-" ? .zero : .max, true)
        }
        let text = Array(arg.withUnsafeBytes { Array($0) })
        let dash = text.firstIndex(of: UInt8(ascii: "-"))
        guard let ms = parseUnsigned(dash.map { Array(text[..<$0]) } ?? text) else { return nil }
        guard let dash else { return (StreamID(ms: ms, seq: missingSeq), true) }
        let rest = Array(text[(dash + 1)...])
        if allowAutoSeq && rest == [UInt8(ascii: "*")] { return (StreamID(ms: ms, seq: 0), false) }
        guard let seq = parseUnsigned(rest) else { return nil }
        return (StreamID(ms: ms, seq: seq), true)
    }

    /// The common forms, read without allocating: `ms` or `ms-seq` in plain digits (no
    /// sign; leading zeros, which strtoull reads too; at most 19 significant digits, so
    /// no overflow). Nil for anything else, which the general parse then reads.
    static func parsePlain(_ raw: UnsafeRawBufferPointer, missingSeq: UInt64) -> StreamID? {
        var i = 0
        func number() -> UInt64? {
            let start = i
            while i < raw.count, raw[i] == 0x30 { i += 1 }
            let significant = i
            var v: UInt64 = 0
            while i < raw.count, raw[i] >= 0x30, raw[i] <= 0x39 {
                v = v &* 10 &+ UInt64(raw[i] - 0x30)
                i += 1
            }
            guard i > start, i - significant <= 19 else { return nil }
            return v
        }
        guard let ms = number() else { return nil }
        if i == raw.count { return StreamID(ms: ms, seq: missingSeq) }
        guard raw[i] == UInt8(ascii: "-") else { return nil }
        i += 1
        guard let seq = number(), i == raw.count else { return nil }
        return StreamID(ms: ms, seq: seq)
    }

    /// Redis's string2ull: a canonical integer that is not negative, or what strtoull
    /// accepts whole (leading blanks, a sign, leading zeros, up to 2^64-1).
    static func parseUnsigned(_ text: [UInt8]) -> UInt64? {
        if let v = Bytes(text).int64 { return v >= 0 ? UInt64(v) : nil }
        guard !text.isEmpty, !text.contains(0) else { return nil }
        return (text + [0]).withUnsafeBufferPointer { buffer -> UInt64? in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { s in
                var end: UnsafeMutablePointer<CChar>?
                errno = 0
                let v = strtoull(s, &end, 10)
                guard errno == 0, let end, end.pointee == 0 else { return nil }
                return UInt64(v)
            }
        }
    }
}
