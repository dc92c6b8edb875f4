import CairnCore
import CairnStore

/// A whole RDB file as Redis 7.0 writes one (version 10): the "REDIS0010" magic, aux
/// fields, the function libraries, each database (SELECTDB, RESIZEDB, its keys with
/// their expiry in milliseconds, each value an RDB object as DUMP writes it), EOF and the
/// CRC-64 of everything before. `cairn export` writes one from a data directory.
public enum RDBFile {
    public static let version = 10

    enum Opcode: UInt8 {
        case moduleAux = 0xF7, idle = 0xF8, freq = 0xF9, functionPreGA = 0xF6
        case function2 = 0xF5, aux = 0xFA, resizeDB = 0xFB, expireTimeMs = 0xFC, expireTime = 0xFD, selectDB = 0xFE, eof = 0xFF
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
        var bytes: [UInt8] = []
        // The sink only appends: nothing here throws.
        let writer = try! RDBStreamWriter(aux: aux, functionLibraries: functionLibraries) { bytes += $0 }
        for (index, entries) in databases where !entries.isEmpty {
            let sizes = (entries.count, entries.filter { $0.expireAtMs != nil }.count)
            for (i, entry) in entries.enumerated() { try! writer.add(database: index, entry, sizes: i == 0 ? sizes : nil) }
        }
        try! writer.finish()
        return bytes
    }

    /// [expiry] type key value: the object as DUMP writes it, its key after the type byte.
    static func writeEntry(_ entry: Entry, to w: inout RDBWriter) {
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

/// An RDB file written as it is made, in chunks handed to `sink` (a file, a replica's
/// connection), with its CRC-64 kept as it goes: memory stays at about one chunk.
public final class RDBStreamWriter {
    private var w = RDBWriter()
    private var crc: UInt64 = 0
    private var database: Int?
    private let sink: ([UInt8]) throws -> Void
    public private(set) var bytesWritten = 0
    static let chunkBytes = 1 << 20

    public init(aux: [(String, String)], functionLibraries: [Bytes], sink: @escaping ([UInt8]) throws -> Void) throws {
        self.sink = sink
        for b in "REDIS00\(RDBFile.version)".utf8 { w.byte(b) }
        for (name, value) in aux {
            w.byte(RDBFile.Opcode.aux.rawValue)
            w.string(Bytes(name))
            w.string(Bytes(value))
        }
        for code in functionLibraries {
            w.byte(RDBFile.Opcode.function2.rawValue)
            w.string(code)
        }
        try flush(force: false)
    }

    /// One key; SELECTDB when its database is not the last one's (with RESIZEDB when the
    /// caller knows the database's sizes).
    public func add(database index: Int, _ entry: RDBFile.Entry, sizes: (keys: Int, expires: Int)? = nil) throws {
        if database != index {
            database = index
            w.byte(RDBFile.Opcode.selectDB.rawValue)
            w.length(index)
            if let sizes {
                w.byte(RDBFile.Opcode.resizeDB.rawValue)
                w.length(sizes.keys)
                w.length(sizes.expires)
            }
        }
        RDBFile.writeEntry(entry, to: &w)
        try flush(force: false)
    }

    /// EOF and the CRC-64 of every byte before it.
    public func finish() throws {
        w.byte(RDBFile.Opcode.eof.rawValue)
        try flush(force: true)
        var tail: [UInt8] = []
        for i in 0..<8 { tail.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt64(i)))) }
        try sink(tail)
        bytesWritten += 8
    }

    private func flush(force: Bool) throws {
        guard force || w.bytes.count >= Self.chunkBytes else { return }
        let chunk = w.bytes
        crc = CRC64.checksum(chunk, start: crc)
        bytesWritten += chunk.count
        w = RDBWriter()
        try sink(chunk)
    }
}

extension RDBFile {
    /// What a file holds besides its keys.
    public struct Header {
        public var version = 0
        public var aux: [(String, String)] = []
        public var functionLibraries: [Bytes] = []
    }

    /// Reads a whole RDB file of version 1 to 10 (Redis 7.0 and every version before):
    /// the keys go to `entry` as they come, with their database; the aux fields and
    /// function libraries are returned. Checks the CRC-64 (unless the file says it was
    /// written without one: 0) and refuses module data, which Cairn cannot hold. Throws
    /// RDBError with the offset of what is wrong.
    public static func read(_ bytes: [UInt8], limits: CollectionLimits,
                            entry: (_ database: Int, _ entry: Entry) throws -> Void) throws -> Header {
        var header = Header()
        guard bytes.count >= 9, Array(bytes[0..<5]) == Array("REDIS".utf8),
              let version = Int(String(decoding: bytes[5..<9], as: UTF8.self)) else {
            throw RDBError("not an RDB file (no REDIS magic and version)")
        }
        guard (1...RDBFile.version).contains(version) else {
            throw RDBError("RDB version \(version) is not one Redis 7.0 reads (1 to \(RDBFile.version))")
        }
        header.version = version
        var r = RDBReader(bytes, start: 9)
        var database = 0
        var expireAtMs: Int64?
        while true {
            let at = r.position
            func fail(_ why: String) -> RDBError { RDBError("at byte \(at): \(why)") }
            let type: UInt8
            do { type = try r.byte() } catch { throw fail("the file ends before its EOF marker (truncated)") }
            do {
                switch Opcode(rawValue: type) {
                case .eof:
                    try checkChecksum(bytes, end: r.position, version: version)
                    return header
                case .aux:
                    let name = String(decoding: try r.string(), as: UTF8.self)
                    header.aux.append((name, String(decoding: try r.string(), as: UTF8.self)))
                case .function2:
                    header.functionLibraries.append(Bytes(try r.string()))
                case .functionPreGA:
                    throw fail("function libraries in the format of Redis 7.0's release candidates")
                case .moduleAux:
                    throw fail("module data (Cairn has no modules)")
                case .selectDB:
                    database = try r.length()
                case .resizeDB:
                    _ = try r.length64()
                    _ = try r.length64()
                case .expireTimeMs:
                    expireAtMs = try r.milliseconds()
                case .expireTime:
                    expireAtMs = Int64(try r.littleEndian(4)) * 1000
                case .idle:
                    _ = try r.length64()
                case .freq:
                    _ = try r.byte()
                case .none:
                    let key = Bytes(try r.string())
                    let value = try RDBValue.read(type: type, from: &r, limits: limits)
                    try entry(database, Entry(key: key, value: value, expireAtMs: expireAtMs))
                    expireAtMs = nil
                }
            } catch let error as RDBError where !error.description.hasPrefix("at byte") {
                throw fail(error.description)
            }
        }
    }

    /// The CRC-64 after EOF (version 5 on), over every byte before it; 0 means none.
    static func checkChecksum(_ bytes: [UInt8], end: Int, version: Int) throws {
        guard version >= 5 else { return }
        guard bytes.count - end >= 8 else { throw RDBError("at byte \(end): the checksum is cut short (truncated)") }
        var stored: UInt64 = 0
        for i in 0..<8 { stored |= UInt64(bytes[end + i]) << (8 * UInt64(i)) }
        guard stored != 0 else { return }
        let computed = bytes.withUnsafeBytes { CRC64.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
        guard computed == stored else { throw RDBError("at byte \(end): checksum mismatch (the file is damaged)") }
    }
}
