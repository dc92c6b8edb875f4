/// The latency monitor (Redis's latency.c): for each event class ("command",
/// "fast-command", "expire-cycle", ...), the worst latency of each second it went past
/// latency-monitor-threshold, the last 160 such seconds, and the worst ever.
public struct LatencyMonitor: Sendable {
    public struct Sample: Sendable {
        public var unixSeconds: Int64
        public var milliseconds: Int64
    }

    public struct Series: Sendable {
        /// Oldest first, at most `LatencyMonitor.samplesMax`.
        public fileprivate(set) var samples: [Sample] = []
        public fileprivate(set) var max: Int64 = 0
    }

    static let samplesMax = 160
    public private(set) var events: [String: Series] = [:]

    public init() {}

    /// Records `milliseconds` for `event`: a second already sampled keeps its worst.
    public mutating func add(_ event: String, milliseconds: Int64, unixSeconds: Int64) {
        var series = events[event] ?? Series()
        series.max = Swift.max(series.max, milliseconds)
        if let last = series.samples.last, last.unixSeconds == unixSeconds {
            series.samples[series.samples.count - 1].milliseconds = Swift.max(last.milliseconds, milliseconds)
        } else {
            series.samples.append(Sample(unixSeconds: unixSeconds, milliseconds: milliseconds))
            if series.samples.count > Self.samplesMax { series.samples.removeFirst() }
        }
        events[event] = series
    }

    /// Forgets the events named (all of them when none is); returns how many it forgot.
    public mutating func reset(_ names: [String]) -> Int {
        if names.isEmpty {
            defer { events.removeAll() }
            return events.count
        }
        var forgotten = 0
        for name in Set(names) where events.removeValue(forKey: name) != nil { forgotten += 1 }
        return forgotten
    }
}
