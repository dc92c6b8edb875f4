import CairnCore

/// Server-wide counters for INFO stats, clients and persistence.
struct ServerStats {
    var connectionsReceived = 0
    var rejectedConnections = 0
    var netInputBytes = 0
    var netOutputBytes = 0
    var netReplInputBytes = 0
    var netReplOutputBytes = 0
    /// Ring of (time ms, commands processed) samples for instantaneous_ops_per_sec.
    var opsSamples: [(Int64, Int)] = []

    mutating func sampleOps(nowMs: Int64, processed: Int) {
        opsSamples.append((nowMs, processed))
        if opsSamples.count > 16 { opsSamples.removeFirst() }
    }

    var instantaneousOpsPerSecond: Int {
        guard let first = opsSamples.first, let last = opsSamples.last, last.0 > first.0 else { return 0 }
        return Int(Double(last.1 - first.1) * 1000 / Double(last.0 - first.0))
    }

    /// How long replies waited at the durability gate for their record's fdatasync.
    var replyHolds = LatencyHistogram()
    /// Ring of (monotonic µs, µs the log writer spent in fdatasync so far) samples, taken
    /// with the ops samples, for the fsync duty cycle.
    var syncSamples: [(Int64, Int)] = []

    mutating func sampleSync(nowMicroseconds: Int64, syncMicroseconds: Int) {
        syncSamples.append((nowMicroseconds, syncMicroseconds))
        if syncSamples.count > 16 { syncSamples.removeFirst() }
    }

    /// The share of the last second or so the log writer spent in fdatasync.
    var fsyncDutyCycle: Double {
        guard let first = syncSamples.first, let last = syncSamples.last, last.0 > first.0 else { return 0 }
        return min(1, Double(max(0, last.1 - first.1)) / Double(last.0 - first.0))
    }
}
