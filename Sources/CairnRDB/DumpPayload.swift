import CairnStore

/// DUMP's serialization, as Redis 7.0's: the RDB object, the RDB version (2 bytes,
/// little-endian) and a CRC-64 of all that (8 bytes, little-endian).
public enum DumpPayload {
    public static let rdbVersion = 10

    public static func make(_ value: Value) -> [UInt8] {
        var w = RDBWriter()
        RDBValue.write(value, to: &w)
        return sealed(w.bytes)
    }

    /// `body` with the footer: the RDB version and the CRC-64 (FUNCTION DUMP's too).
    public static func sealed(_ body: [UInt8]) -> [UInt8] {
        var bytes = body
        bytes += [UInt8(rdbVersion & 0xff), UInt8(rdbVersion >> 8)]
        let crc = CRC64.checksum(bytes)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt64(i)))) }
        return bytes
    }

    /// Whether the footer holds a version this server reads and the right checksum.
    public static func verify(_ payload: [UInt8]) -> Bool {
        guard payload.count >= 10 else { return false }
        let footer = payload.count - 10
        let version = Int(payload[footer]) | Int(payload[footer + 1]) << 8
        guard version <= rdbVersion else { return false }
        var stored: UInt64 = 0
        for i in 0..<8 { stored |= UInt64(payload[footer + 2 + i]) << (8 * UInt64(i)) }
        return payload.withUnsafeBytes { CRC64.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(payload.count - 8)])) } == stored
    }

    /// The value of a verified payload; throws when its object is malformed.
    public static func value(of payload: [UInt8], limits: CollectionLimits) throws -> Value {
        var r = RDBReader(payload, end: payload.count - 10)
        let type = try r.byte()
        return try RDBValue.read(type: type, from: &r, limits: limits)
    }
}
