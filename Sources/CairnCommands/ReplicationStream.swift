import CairnCore

/// How a committed unit of effects appears in the replication stream a replica receives
/// (Redis's propagation): a SELECT whenever the database differs from the stream's, and a
/// unit of several effects wrapped in MULTI ... EXEC, as Redis 7.0 wraps them. Each log
/// record's stream end offset counts these bytes (Docs/DATA_FILES.md).
public enum ReplicationStream {
    static let multi = Array("*1\r\n$5\r\nMULTI\r\n".utf8)
    static let exec = Array("*1\r\n$4\r\nEXEC\r\n".utf8)

    /// Bytes of `SELECT db` as RESP.
    static func selectBytes(_ db: Int) -> Int {
        let digits = decimalDigits(db)
        return 4 + 4 + 8 + 1 + decimalDigits(digits) + 2 + digits + 2
    }

    /// Bytes `effects` take in the stream, when their payload (EffectCodec) is
    /// `payloadBytes` long and the stream's database before them is `database`.
    public static func byteCount(_ effects: ArraySlice<Effect>, payloadBytes: Int, after database: Int?) -> Int {
        effects.withUnsafeBufferPointer { byteCount($0, payloadBytes: payloadBytes, after: database) }
    }

    /// `byteCount` of effects read in place.
    public static func byteCount(_ effects: UnsafeBufferPointer<Effect>, payloadBytes: Int, after database: Int?) -> Int {
        var n = payloadBytes - 2 * effects.count
        if effects.count > 1 { n += multi.count + exec.count }
        var current = database
        for e in effects where e.database != current {
            n += selectBytes(e.database)
            current = e.database
        }
        return n
    }

    public static func appendCommand(_ arguments: [Bytes], to out: inout [UInt8]) {
        out += Array("*\(arguments.count)\r\n".utf8)
        for a in arguments {
            out += Array("$\(a.count)\r\n".utf8)
            a.withUnsafeBytes { out.append(contentsOf: $0) }
            out += [13, 10]
        }
    }
}

extension ReplicationStream {
    /// Appends the stream bytes of a record's payload (EffectCodec's layout) without
    /// decoding it: each effect's RESP bytes are already there, after its database. A
    /// SELECT first when `selectsFirst`, another where an effect's database changes, and
    /// MULTI ... EXEC around a `batch`. What the primary sends its replicas.
    public static func append(payload: [UInt8], batch: Bool, selectsFirst: Bool, into out: inout [UInt8]) throws {
        try payload.withUnsafeBytes { raw in
            var p = 0
            var current: Int? = nil
            var first = true
            while p < raw.count {
                guard p + 2 <= raw.count else { throw EffectCodec.DecodeError(description: "truncated database at byte \(p)") }
                let db = Int(raw[p]) | Int(raw[p + 1]) << 8
                let start = p + 2
                let end = try multibulkEnd(raw, from: start)
                if (first && selectsFirst) || (!first && db != current) { appendSelect(db, to: &out) }
                if first && batch { out += multi }
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                current = db
                first = false
                p = end
            }
        }
        if batch { out += exec }
    }

    static func appendSelect(_ db: Int, to out: inout [UInt8]) {
        if db < selects.count {
            out += selects[db]
        } else {
            appendCommand([Bytes("SELECT"), Bytes(String(db))], to: &out)
        }
    }

    static let selects: [[UInt8]] = (0..<16).map { db in
        var out: [UInt8] = []
        appendCommand([Bytes("SELECT"), Bytes(String(db))], to: &out)
        return out
    }

    /// Where the RESP multibulk starting at `start` ends.
    static func multibulkEnd(_ raw: UnsafeRawBufferPointer, from start: Int) throws -> Int {
        var p = start
        func number(after prefix: UInt8) throws -> Int {
            guard p < raw.count, raw[p] == prefix else { throw EffectCodec.DecodeError(description: "bad effect at byte \(p)") }
            p += 1
            var v = 0
            while p < raw.count, raw[p] != 13 {
                v = v * 10 + Int(raw[p]) - 48
                p += 1
            }
            p += 2
            return v
        }
        let count = try number(after: UInt8(ascii: "*"))
        for _ in 0..<count {
            let len = try number(after: UInt8(ascii: "$"))
            p += len + 2
        }
        guard p <= raw.count else { throw EffectCodec.DecodeError(description: "truncated effect") }
        return p
    }
}
