/// Lowercase hexadecimal text: digests (script SHA-1s, ACL password hashes), replication
/// ids and generated passwords are all shown this way, as Redis shows them.
public enum Hex {
    public static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Two digits per byte, high nibble first.
    public static func lowercase<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes { out += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value of one hex digit of either case; nil for any other byte.
    @inlinable
    public static func value(ofDigit c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c &- 48
        case 97...102: return c &- 87
        case 65...70: return c &- 55
        default: return nil
        }
    }

    /// `count` random digits from the system's secure generator.
    public static func randomDigits(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in digits[Int(generator.next() & 15)] }
    }
}
