import CairnCore

/// Server-wide counters for INFO stats, clients and persistence.
struct ServerStats {
    var connectionsReceived = 0
    var rejectedConnections = 0
    /// Clients closed for maxmemory-clients (INFO evicted_clients).
    var evictedClients = 0
    var netInputBytes = 0
    var netOutputBytes = 0
    var netReplInputBytes = 0
    var netReplOutputBytes = 0
    /// (time ms, commands processed), for instantaneous_ops_per_sec.
    var opsSamples = SampleWindow()
    /// (monotonic µs, µs the log writer spent in fdatasync so far), taken with the ops
    /// samples, for the fsync duty cycle.
    var syncSamples = SampleWindow()
    /// How long replies waited at the durability gate for their record's fdatasync.
    var replyHolds = LatencyHistogram()
    /// Socket reads handed to the engine and reply writes (total_reads_processed,
    /// total_writes_processed), and byte samples for the instantaneous kbps fields.
    var readsProcessed = 0
    var writesProcessed = 0
    var inputSamples = SampleWindow()
    var outputSamples = SampleWindow()
    var replInputSamples = SampleWindow()
    var replOutputSamples = SampleWindow()

    var instantaneousOpsPerSecond: Int { Int(opsSamples.slope * 1000) }

    /// The share of the last second or so the log writer spent in fdatasync.
    var fsyncDutyCycle: Double { min(1, max(0, syncSamples.slope)) }
}

/// The last 16 samples of a counter with their times (one per cron tick: 1.6 s at the
/// default hz), for a rate over the recent past.
struct SampleWindow {
    private var samples: [(time: Int64, value: Int)] = []

    mutating func add(time: Int64, value: Int) {
        samples.append((time, value))
        if samples.count > 16 { samples.removeFirst() }
    }

    /// How much the counter grew per unit of time across the window; 0 before two samples.
    var slope: Double {
        guard let first = samples.first, let last = samples.last, last.time > first.time else { return 0 }
        return Double(last.value - first.value) / Double(last.time - first.time)
    }
}
