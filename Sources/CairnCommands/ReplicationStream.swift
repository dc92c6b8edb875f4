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
        var n = payloadBytes - 2 * effects.count
        if effects.count > 1 { n += multi.count + exec.count }
        var current = database
        for e in effects where e.database != current {
            n += selectBytes(e.database)
            current = e.database
        }
        return n
    }

    /// Appends the stream bytes of `effects` to `out`; `database` is the stream's before
    /// them. Returns the stream's database after them.
    @discardableResult
    public static func encode(_ effects: ArraySlice<Effect>, after database: Int?, into out: inout [UInt8]) -> Int? {
        var current = database
        let wrapped = effects.count > 1
        for (i, e) in zip(effects.indices, effects) {
            if e.database != current {
                appendCommand([Bytes("SELECT"), Bytes(String(e.database))], to: &out)
                current = e.database
            }
            if wrapped && i == effects.startIndex { out += multi }
            appendCommand(e.arguments, to: &out)
        }
        if wrapped { out += exec }
        return current
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
