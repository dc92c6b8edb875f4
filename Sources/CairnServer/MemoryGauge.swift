import CairnCore
import CCairnSystem

/// used_memory as the engine reads it before each command under maxmemory. jemalloc's
/// stats.allocated costs about 7.6 µs a reading (a merge of every arena's statistics),
/// too much for every command; the engine thread's own counters (allocated minus freed,
/// two loads) cost nothing. So the gauge takes stats.allocated now and then and adds
/// what the engine thread has allocated net since. What other threads do in between
/// (the log writer freeing the records the engine staged) shows at the next refresh.
struct MemoryGauge {
    private var base = 0
    private var threadBase: Int64 = 0
    private var refreshedAtMicros: Int64 = 0
    /// Without jemalloc there are no thread counters: every reading is a refresh.
    private let hasThreadCounters = cairn_thread_allocated_net() != 0

    /// Bytes in use, as of now.
    var current: Int {
        hasThreadCounters ? base + Int(cairn_thread_allocated_net() - threadBase) : Memory.usedBytes()
    }

    /// Reads stats.allocated again (at most once per `minimumAgeMicros`) and returns the
    /// bytes in use.
    mutating func refreshed(minimumAgeMicros: Int64 = 0) -> Int {
        let now = Clock.monotonicMicroseconds()
        if hasThreadCounters && now - refreshedAtMicros >= minimumAgeMicros {
            threadBase = cairn_thread_allocated_net()
            base = Memory.usedBytes()
            refreshedAtMicros = now
        }
        return current
    }
}
