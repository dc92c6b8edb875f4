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

    /// `count` random digits from the system's secure generator.
    public static func randomDigits(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in digits[Int(generator.next() & 15)] }
    }
}
