/// One command's call times, as Redis's latency tracking keeps them (an HdrHistogram of
/// nanoseconds with two significant digits): a value falls in a bucket of 128 values per
/// power of two above 256, so a bucket's top is within 1% of any value in it. Grown only
/// as far as the slowest call needs (a few KB for calls under a millisecond).
public struct CommandLatencyHistogram: Sendable {
    private var counts: [Int64] = []
    public private(set) var total: Int64 = 0

    public init() {}

    static func index(_ ns: UInt64) -> Int {
        let magnitude = max(0, (64 - ns.leadingZeroBitCount) - 8)
        let sub = Int(ns >> UInt64(magnitude))
        return magnitude == 0 ? sub : magnitude * 128 + sub
    }

    /// The lowest and highest nanoseconds bucket `i` stands for.
    static func range(_ i: Int) -> (low: UInt64, high: UInt64) {
        if i < 256 { return (UInt64(i), UInt64(i)) }
        let magnitude = i / 128 - 1, sub = UInt64(i - magnitude * 128)
        return (sub << UInt64(magnitude), ((sub + 1) << UInt64(magnitude)) - 1)
    }

    public mutating func record(nanoseconds ns: UInt64) {
        let i = Self.index(ns)
        if i >= counts.count { counts += Array(repeating: 0, count: i + 1 - counts.count) }
        counts[i] += 1
        total += 1
    }

    /// The value under which `percentile` percent of the calls fall (hdr_value_at_percentile:
    /// the top of the bucket that holds that call), in nanoseconds.
    public func value(atPercentile percentile: Double) -> UInt64 {
        let wanted = max(1, Int64((min(percentile, 100) / 100 * Double(total)).rounded()))
        var seen: Int64 = 0
        for (i, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= wanted { return Self.range(i).high }
        }
        return 0
    }

    /// LATENCY HISTOGRAM's cumulative counts by powers of two from 1024 ns (the top of
    /// each step in microseconds), only the steps where the count grows, as Redis's
    /// logarithmic iteration reports them.
    public var cumulativeMicroseconds: [(micros: Int64, count: Int64)] {
        var steps: [(Int64, Int64)] = []
        var cumulative: Int64 = 0
        var step: UInt64 = 1024
        for (i, c) in counts.enumerated() where c > 0 {
            let low = Self.range(i).low
            while low >= step { step *= 2 }
            cumulative += c
            let micros = Int64((step - 1) / 1000)
            if let last = steps.last, last.0 == micros {
                steps[steps.count - 1].1 = cumulative
            } else {
                steps.append((micros, cumulative))
            }
        }
        return steps
    }
}
