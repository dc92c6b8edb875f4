import CairnCommands
import CairnCore
import CairnLog

/// A log record as the bytes a replica receives for it: its effects as RESP commands (a
/// SELECT first when the record says so, MULTI/EXEC around several), or a `stream`
/// record's bytes as they are. Exactly `streamEnd` minus the previous record's.
enum ReplicationFeed {
    static let ping = Array("*1\r\n$4\r\nPING\r\n".utf8)
    static let getAck = Array("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n".utf8)

    struct Mismatch: Error, CustomStringConvertible {
        let lsn: UInt64
        let expected: UInt64
        let actual: Int
        var description: String { "record \(lsn) encodes to \(actual) stream bytes, its offsets say \(expected)" }
    }

    static func append(_ record: LogRecord, to out: inout [UInt8]) throws {
        guard record.kind.carriesEffects else {
            out += record.payload
            return
        }
        try ReplicationStream.append(payload: record.payload, batch: record.kind == .batch,
                                     selectsFirst: record.flags.contains(.selectsDatabase), into: &out)
    }
}
