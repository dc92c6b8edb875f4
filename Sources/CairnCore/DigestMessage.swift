/// The message layout SHA-1 and SHA-256 share (FIPS 180-4, 5.1.1 and 5.2.1): the bytes,
/// a 0x80 byte, zeros up to 56 mod 64, then the length in bits as a big-endian UInt64;
/// each 64-byte block is read as sixteen big-endian words, and the state is written out
/// big-endian.
enum DigestMessage {
    static func padded(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var message = Array(data)
        let bitLength = UInt64(message.count) * 8
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for i in (0..<8).reversed() { message.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        return message
    }

    /// Words 0..<16 of `schedule` from the block starting at `start`.
    static func loadBlock(_ message: [UInt8], at start: Int, into schedule: inout [UInt32]) {
        for i in 0..<16 {
            let b = start + i * 4
            schedule[i] = UInt32(message[b]) << 24 | UInt32(message[b + 1]) << 16 | UInt32(message[b + 2]) << 8 | UInt32(message[b + 3])
        }
    }

    static func bigEndianBytes(_ state: [UInt32]) -> [UInt8] {
        state.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - UInt32($0) * 8)) } }
    }
}
