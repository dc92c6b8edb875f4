/// A fast seeded 64-bit hash of byte strings (multiply-and-fold, in the spirit of wyhash).
/// Tables seed it at random per process so that crafted keys cannot force collisions.

@inlinable @inline(__always)
func mix64(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let r = a.multipliedFullWidth(by: b)
    return r.high ^ r.low
}

@usableFromInline let hashPrime0: UInt64 = 0xa076_1d64_78bd_642f
@usableFromInline let hashPrime1: UInt64 = 0xe703_7ed1_a0b4_28db
@usableFromInline let hashPrime2: UInt64 = 0x8ebc_6af0_9c88_c6e3

extension Bytes {
    @inlinable
    public func hash64(seed: UInt64) -> UInt64 {
        switch self {
        case .small(let a, let b, let c, let d, let n):
            let tail = UInt64(c) | (UInt64(d) << 32) | (UInt64(n) << 56)
            return mix64(mix64(a ^ hashPrime0 ^ seed, b ^ hashPrime1), tail ^ hashPrime2)
        case .large(let array):
            return array.withUnsafeBytes { raw -> UInt64 in
                var h = seed ^ hashPrime0 ^ UInt64(raw.count)
                var i = 0
                let n = raw.count
                while i + 16 <= n {
                    let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let y = raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
                    h = mix64(x ^ hashPrime1, y ^ h)
                    i += 16
                }
                var tail0: UInt64 = 0
                var tail1: UInt64 = 0
                var shift: UInt64 = 0
                while i < n {
                    if shift < 64 { tail0 |= UInt64(raw[i]) << shift } else { tail1 |= UInt64(raw[i]) << (shift - 64) }
                    shift += 8
                    i += 1
                }
                return mix64(mix64(tail0 ^ hashPrime1, tail1 ^ h), hashPrime2 ^ UInt64(n))
            }
        }
    }
}
