import CairnCore
import CairnStore

/// A whole RDB file as Redis 7.0 writes one (version 10): the "REDIS0010" magic, aux
/// fields, the function libraries, each database (SELECTDB, RESIZEDB, its keys with
/// their expiry in milliseconds, each value an RDB object as DUMP writes it), EOF and the
/// CRC-64 of everything before. `cairn export` writes one from a data directory.
public enum RDBFile {
    public static let version = 10

    enum Opcode: UInt8 {
        case function2 = 0xF5, aux = 0xFA, resizeDB = 0xFB, expireTimeMs = 0xFC, selectDB = 0xFE, eof = 0xFF
    }

    /// One key of a database.
    public struct Entry {
        public var key: Bytes
        public var value: Value
        public var expireAtMs: Int64?

        public init(key: Bytes, value: Value, expireAtMs: Int64?) {
            self.key = key
            self.value = value
            self.expireAtMs = expireAtMs
        }
    }

    /// The file's bytes. `aux` comes first, in order (Redis writes redis-ver, redis-bits,
    /// ctime, used-mem, aof-base); databases with no keys are left out, as Redis leaves them.
    public static func make(aux: [(String, String)], functionLibraries: [Bytes], databases: [(index: Int, entries: [Entry])]) -> [UInt8] {
        var w = RDBWriter()
        for b in "REDIS00\(version)".utf8 { w.byte(b) }
        for (name, value) in aux {
            w.byte(Opcode.aux.rawValue)
            w.string(Bytes(name))
            w.string(Bytes(value))
        }
        for code in functionLibraries {
            w.byte(Opcode.function2.rawValue)
            w.string(code)
        }
        for (index, entries) in databases where !entries.isEmpty {
            w.byte(Opcode.selectDB.rawValue)
            w.length(index)
            w.byte(Opcode.resizeDB.rawValue)
            w.length(entries.count)
            w.length(entries.filter { $0.expireAtMs != nil }.count)
            for entry in entries { write(entry, to: &w) }
        }
        w.byte(Opcode.eof.rawValue)
        var bytes = w.bytes
        let crc = CRC64.checksum(bytes)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt64(i)))) }
        return bytes
    }

    /// [expiry] type key value: the object as DUMP writes it, its key after the type byte.
    static func write(_ entry: Entry, to w: inout RDBWriter) {
        if let at = entry.expireAtMs {
            w.byte(Opcode.expireTimeMs.rawValue)
            w.milliseconds(at)
        }
        var object = RDBWriter()
        RDBValue.write(entry.value, to: &object)
        let bytes = object.bytes
        w.byte(bytes[0])
        w.string(entry.key)
        w.raw(bytes[1...])
    }
}
