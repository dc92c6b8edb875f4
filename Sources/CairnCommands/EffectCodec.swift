import CairnCore

/// The payload of a log record: each effect as [u16 database, little-endian][RESP
/// multibulk of its arguments]. One effect makes a `command` record, several a `batch`
/// record that recovery applies whole.
public enum EffectCodec {
    public struct DecodeError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func encode(_ effects: ArraySlice<Effect>) -> [UInt8] {
        var out: [UInt8] = []
        encode(effects, into: &out)
        return out
    }

    /// Appends the payload of `effects` to `out`.
    public static func encode(_ effects: ArraySlice<Effect>, into out: inout [UInt8]) {
        for e in effects {
            let db = UInt16(e.database)
            out.append(UInt8(db & 0xff))
            out.append(UInt8(db >> 8))
            out.append(UInt8(ascii: "*"))
            appendDecimal(e.arguments.count, &out)
            out.append(13); out.append(10)
            for a in e.arguments {
                out.append(UInt8(ascii: "$"))
                appendDecimal(a.count, &out)
                out.append(13); out.append(10)
                a.withUnsafeBytes { out.append(contentsOf: $0) }
                out.append(13); out.append(10)
            }
        }
    }

    @inline(__always)
    static func appendDecimal(_ v: Int, _ out: inout [UInt8]) {
        CairnCore.appendDecimal(v, to: &out)
    }

    public static func decode(_ payload: [UInt8]) throws -> [Effect] {
        var effects: [Effect] = []
        var p = 0
        let n = payload.count
        func fail(_ why: String) -> DecodeError { DecodeError(description: "bad effect payload at byte \(p): \(why)") }
        func readNumber(after prefix: UInt8) throws -> Int {
            guard p < n, payload[p] == prefix else { throw fail("expected '\(Character(Unicode.Scalar(prefix)))'") }
            p += 1
            var v = 0
            var digits = 0
            while p < n, payload[p] >= 48, payload[p] <= 57 {
                v = v * 10 + Int(payload[p] - 48)
                p += 1
                digits += 1
                if digits > 18 { throw fail("number too long") }
            }
            guard digits > 0, p + 1 < n, payload[p] == 13, payload[p + 1] == 10 else { throw fail("bad number") }
            p += 2
            return v
        }
        while p < n {
            guard p + 2 <= n else { throw fail("truncated database") }
            let db = Int(payload[p]) | Int(payload[p + 1]) << 8
            p += 2
            let count = try readNumber(after: UInt8(ascii: "*"))
            guard count > 0 else { throw fail("empty command") }
            var args: [Bytes] = []
            args.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                let len = try readNumber(after: UInt8(ascii: "$"))
                guard p + len + 2 <= n else { throw fail("truncated argument") }
                args.append(payload.withUnsafeBytes { Bytes(UnsafeRawBufferPointer(rebasing: $0[p..<(p + len)])) })
                p += len + 2
            }
            effects.append(Effect(database: db, arguments: args))
        }
        return effects
    }
}
