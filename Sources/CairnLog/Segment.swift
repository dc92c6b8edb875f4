/// A log segment file: a 24-byte header, then records.
///
///     [8 bytes "CAIRNLOG"][u32 version = 1][u32 reserved = 0][u64 first lsn]
///
/// Segments are named by their first LSN, zero-padded to 20 digits: `00000000000000000001.log`.
public enum Segment {
    public static let magic: [UInt8] = Array("CAIRNLOG".utf8)
    public static let version: UInt32 = 1
    public static let headerBytes = 24

    public static func fileName(firstLSN: UInt64) -> String {
        let digits = String(firstLSN)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// The first LSN a segment name announces, or nil when the name is not a segment's.
    public static func firstLSN(fileName: String) -> UInt64? {
        guard fileName.hasSuffix(".log"), fileName.count == 24 else { return nil }
        return UInt64(fileName.dropLast(4))
    }

    public static func header(firstLSN: UInt64) -> [UInt8] {
        var out = magic
        appendLE(version, &out)
        appendLE(UInt32(0), &out)
        appendLE(firstLSN, &out)
        return out
    }

    /// Checks a segment's header; returns its first LSN or a reason.
    public static func parseHeader(_ bytes: UnsafeRawBufferPointer) -> Result<UInt64, LogDamage> {
        guard bytes.count >= headerBytes else {
            return .failure(LogDamage(offset: 0, reason: "file shorter than the \(headerBytes)-byte segment header"))
        }
        guard Array(bytes[0..<8]) == magic else { return .failure(LogDamage(offset: 0, reason: "not a Cairn log segment (bad magic)")) }
        let v = readLE(bytes, 8, as: UInt32.self)
        guard v == version else { return .failure(LogDamage(offset: 8, reason: "unsupported segment version \(v)")) }
        return .success(readLE(bytes, 16, as: UInt64.self))
    }
}

/// Where and why a file is damaged.
public struct LogDamage: Error, Equatable, Sendable {
    public var offset: Int
    public var reason: String
}
