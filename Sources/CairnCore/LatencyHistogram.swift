/// Counts of durations in microseconds, in log-linear buckets (exact below 16 µs, then
/// eight buckets per power of two: within 12.5%), for percentiles in INFO without keeping
/// every sample. Fixed size whatever the number of samples.
public struct LatencyHistogram: Sendable {
    private static let exactBelow: UInt64 = 16
    private static let subBuckets = 8
    /// Up to 2^40 µs (12 days); longer durations count in the last bucket.
    private static let bucketCount = Int(exactBelow) + (40 - 4) * subBuckets

    private var counts = [UInt64](repeating: 0, count: LatencyHistogram.bucketCount)
    public private(set) var samples: UInt64 = 0

    public init() {}

    public mutating func record(microseconds value: UInt64) {
        counts[Self.bucket(of: value)] += 1
        samples += 1
    }

    /// The duration at or below which `fraction` (0...1) of the samples fall: the upper
    /// bound of its bucket; 0 when there are none.
    public func percentile(_ fraction: Double) -> UInt64 {
        guard samples > 0 else { return 0 }
        let rank = max(1, UInt64((Double(samples) * fraction).rounded(.up)))
        var seen: UInt64 = 0
        for (i, n) in counts.enumerated() where n > 0 {
            seen += n
            if seen >= rank { return Self.upperBound(of: i) }
        }
        return Self.upperBound(of: counts.count - 1)
    }

    static func bucket(of value: UInt64) -> Int {
        if value < exactBelow { return Int(value) }
        let top = 63 - value.leadingZeroBitCount  // 4 or more
        let sub = Int(value >> UInt64(top - 3)) - subBuckets  // the 3 bits after the top one
        return min(bucketCount - 1, Int(exactBelow) + (top - 4) * subBuckets + sub)
    }

    static func upperBound(of bucket: Int) -> UInt64 {
        if bucket < Int(exactBelow) { return UInt64(bucket) }
        let top = (bucket - Int(exactBelow)) / subBuckets + 4
        let sub = UInt64((bucket - Int(exactBelow)) % subBuckets + subBuckets)
        return ((sub + 1) << UInt64(top - 3)) - 1
    }
}
