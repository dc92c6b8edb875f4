/// Redis's CRC-64 (Jones polynomial, reflected, no final XOR): the checksum of DUMP
/// payloads and of RDB files. crc64("123456789") is 0xe9c6d914c4b8d9ca.
public enum CRC64 {
    static let table: [UInt64] = (0..<256).map { i -> UInt64 in
        var c = UInt64(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x95ac9329ac4bc9b5 : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer, start: UInt64 = 0) -> UInt64 {
        var crc = start
        for b in bytes { crc = table[Int((crc ^ UInt64(b)) & 0xff)] ^ (crc >> 8) }
        return crc
    }

    public static func checksum(_ bytes: [UInt8], start: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { checksum($0, start: start) }
    }
}
