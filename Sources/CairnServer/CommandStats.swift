/// Server-wide counters for INFO stats and clients.
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
}
