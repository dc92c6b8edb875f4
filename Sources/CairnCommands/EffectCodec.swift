import CairnCore

/// The payload of a log record: each effect as [u16 database, little-endian][RESP
/// multibulk of its arguments]. One effect makes a `command` record, several a `batch`
/// record that recovery applies whole.
public enum EffectCodec {
    public struct DecodeError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func encode(_ effects: ArraySlice<Effect>) -> [UInt8] {
        let size = encodedSize(effects)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            write(effects, to: UnsafeMutableRawPointer(buffer.baseAddress!))
            count = size
        }
    }

    /// Bytes of the payload of `effects`: per effect, its database (2 bytes) and its
    /// arguments as a RESP array.
    public static func encodedSize(_ effects: ArraySlice<Effect>) -> Int {
        effects.withUnsafeBufferPointer { encodedSize($0) }
    }

    /// Writes the payload of `effects` at `p`, which has `encodedSize(effects)` bytes.
    public static func write(_ effects: ArraySlice<Effect>, to p: UnsafeMutableRawPointer) {
        effects.withUnsafeBufferPointer { write($0, to: p) }
    }

    /// `encodedSize` of effects read in place (the commit point's: no array retained).
    public static func encodedSize(_ effects: UnsafeBufferPointer<Effect>) -> Int {
        var size = 0
        for e in effects {
            if let wire = e.wire {
                size += 2 + wire.count
                continue
            }
            size += 2 + decimalDigits(e.arguments.count) + 3
            for a in e.arguments { size += decimalDigits(a.count) + 3 + a.count + 2 }
        }
        return size
    }

    /// `write` of effects read in place.
    public static func write(_ effects: UnsafeBufferPointer<Effect>, to p: UnsafeMutableRawPointer) {
        var n = 0
        for e in effects {
            p.storeBytes(of: UInt16(e.database).littleEndian, toByteOffset: n, as: UInt16.self)
            n += 2
            if let wire = e.wire {
                (p + n).copyMemory(from: wire.baseAddress!, byteCount: wire.count)
                n += wire.count
                continue
            }
            n += storeRESPHeader(UInt8(ascii: "*"), e.arguments.count, at: p + n)
            for a in e.arguments {
                n += storeRESPHeader(UInt8(ascii: "$"), a.count, at: p + n)
                a.withUnsafeBytes { bytes in
                    if bytes.count > 0 { (p + n).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
                    n += bytes.count
                }
                p.storeBytes(of: UInt16(0x0A0D).littleEndian, toByteOffset: n, as: UInt16.self)
                n += 2
            }
        }
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
                // Checked before the digit is added: a 19th would overflow (found by Tools/fuzz).
                if digits == 18 { throw fail("number too long") }
                v = v * 10 + Int(payload[p] - 48)
                p += 1
                digits += 1
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
