import CairnCore
import CairnLog
import CCairnSystem

/// used_memory as the engine reads it before each command under maxmemory. jemalloc's
/// stats.allocated costs about 7.6 µs a reading (a merge of every arena's statistics),
/// too much for every command; the engine thread's own counters (allocated minus freed,
/// two loads) cost nothing. So the gauge takes stats.allocated now and then and adds
/// what the engine thread has allocated net since. The log's records are allocated on
/// the engine's thread and freed on the writer's: the gauge counts them as gone once
/// handed over, which is what maxmemory wants (the log's buffers are not counted). What
/// other threads do otherwise shows at the next refresh.
struct MemoryGauge {
    private var base = 0
    private var threadBase: Int64 = 0
    private var refreshedAtMicros: Int64 = 0
    /// At the last refresh: the log's records queued for the writer (in `base`, not
    /// counted) and the bytes handed over so far.
    private var queuedAtRefresh = 0
    private var handedOverAtRefresh = 0
    /// Without jemalloc there are no thread counters: every reading is a refresh.
    private let hasThreadCounters = cairn_thread_allocated_net() != 0

    /// Bytes in use, as of now (the log's records handed over since the last refresh
    /// still counted: what INFO's used_memory would say).
    var current: Int {
        hasThreadCounters ? base + Int(cairn_thread_allocated_net() - threadBase) : Memory.usedBytes()
    }

    /// Bytes in use less the log's buffers (staged, queued or being written), reading
    /// stats.allocated again if the last reading is `minimumAgeMicros` old.
    mutating func counted(log: LogWriter?, minimumAgeMicros: Int64) -> Int {
        refresh(log: log, minimumAgeMicros: minimumAgeMicros)
        guard let log else { return current }
        let handedOver = hasThreadCounters ? log.handedOverBytes - handedOverAtRefresh : 0
        return current - handedOver - queuedAtRefresh - log.stagedBytes
    }

    /// Reads stats.allocated again (at most once per `minimumAgeMicros`) and returns the
    /// bytes in use.
    @discardableResult
    mutating func refresh(log: LogWriter?, minimumAgeMicros: Int64 = 0) -> Int {
        let now = Clock.monotonicMicroseconds()
        if hasThreadCounters && now - refreshedAtMicros >= minimumAgeMicros {
            queuedAtRefresh = log?.queuedBytes ?? 0
            handedOverAtRefresh = log?.handedOverBytes ?? 0
            threadBase = cairn_thread_allocated_net()
            base = Memory.usedBytes()
            refreshedAtMicros = now
        }
        return current
    }
}
