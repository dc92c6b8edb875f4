import CairnCommands
import CairnCore

/// Where memory passes maxmemory, as Redis decides it (performEvictions): before each
/// client command, keys are evicted by the policy until memory is back under the limit
/// or the pass's time (maxmemory-eviction-tenacity) runs out, in which case passes go
/// on between commands. When nothing more may go, commands that would grow memory are
/// refused with -OOM. Memory counted is used_memory less the log's and the replicas'
/// buffers (mem_not_counted_for_evict).
extension Engine {
    enum MemoryState {
        case withinLimit
        /// Over the limit, and passes go on between commands.
        case evicting
        /// Over the limit with nothing the policy may evict.
        case full
    }

    static let outOfMemoryReply = "OOM command not allowed when used memory > 'maxmemory'."

    /// Evicts before a client's command, and says whether it is refused for memory:
    /// a command flagged denyoom, anything inside MULTI but EXEC, DISCARD, QUIT and
    /// RESET, and an EXEC whose block holds a denyoom command (Redis's processCommand).
    func outOfMemoryRefusal(_ spec: CommandSpec, _ session: ClientSession) -> String? {
        outOfMemory = evictionPass() == .full
        guard outOfMemory else { return nil }
        if spec.flags.contains(.denyoom) { return Engine.outOfMemoryReply }
        if let tx = session.transaction {
            switch spec.fullName {
            case "exec": return tx.commands.contains { $0.spec.flags.contains(.denyoom) } ? Engine.outOfMemoryReply : nil
            case "discard", "quit", "reset": return nil
            default: return Engine.outOfMemoryReply
            }
        }
        return nil
    }

    /// Whether evictions may happen now: not while loading, on a replica that leaves
    /// them to its primary, during CLIENT PAUSE (the dataset stands still) or while a
    /// script is paused (it is still one unit).
    private var evictionsAllowed: Bool {
        !loading && !(primaryLink != nil && config.replicaIgnoreMaxmemory) && !writesPaused && ctx.pausedScript == nil
    }

    /// One eviction pass (Redis's performEvictions); its DELs committed each as a record.
    func evictionPass() -> MemoryState {
        let state = evictionPassState()
        noteEvictionState(state)
        return state
    }

    private func evictionPassState() -> MemoryState {
        let limit = config.eviction.maxmemory
        guard limit > 0, evictionsAllowed, memoryGauge.current > limit else { return .withinLimit }
        // Past the limit by the quick reading: read jemalloc's statistics (at most once a
        // millisecond) and take off what is not counted.
        let used = memoryGauge.counted(log: persistence.writer, minimumAgeMicros: 1000) - replicaOutputBytes()
        guard used > limit else { return .withinLimit }
        guard config.eviction.policy != .noeviction else { return .full }
        let outcome = eviction.evict(ctx, session: serverSession, bytes: used - limit,
                                     microseconds: config.eviction.passMicroseconds) { memoryGauge.current }
        ctx.applyKeyChanges(changed: true, by: nil)  // WATCHers of evicted keys
        commitEach()
        submitLog()
        flushPushes()
        switch outcome {
        case .freed: return .withinLimit
        case .outOfTime:
            continueEvicting()
            return .evicting
        case .nothingToEvict: return .full
        }
    }

    /// Passes go on between commands until memory is back under the limit or nothing
    /// more may go (Redis's evictionTimeProc); also after CONFIG SET maxmemory.
    func continueEvicting() {
        guard !evictionContinues else { return }
        evictionContinues = true
        loop.execute { [self] in
            evictionContinues = false
            if evictionPass() == .evicting { continueEvicting() }
        }
    }

    /// maxmemory-clients: while all clients' buffers together pass the limit, the client
    /// holding the most is closed (not a replica, not one under CLIENT NO-EVICT), as
    /// Redis's evictClients does. Run once per event-loop tick and by the cron, outside
    /// any client's batch.
    func evictClientsIfNeeded() {
        let limit = config.clientMemoryLimit
        guard limit > 0 else { return }
        let sizes = clients.values.filter { !$0.isReplica && !$0.closed }.map { ($0, $0.memory().total) }
        var total = sizes.reduce(0) { $0 + $1.1 }
        guard total > limit else { return }
        for (conn, bytes) in sizes.filter({ !$0.0.session.noEvict }).sorted(by: { $0.1 > $1.1 }) where total > limit {
            logger.notice("Evicting client: id=\(conn.session.id) addr=\(conn.address) tot-mem=\(bytes) (maxmemory-clients \(limit))")
            stats.evictedClients += 1
            total -= bytes
            conn.drop()
        }
    }

    /// The log's buffers and the replicas' pending output: Redis's
    /// freeMemoryGetNotCountedMemory (replica buffers and the AOF buffer).
    func memoryNotCountedForEviction() -> Int {
        replicaOutputBytes() + (persistence.writer?.bufferedBytes ?? 0)
    }

    /// The replicas' pending output (INFO mem_clients_slaves, MEMORY STATS clients.slaves).
    func replicaOutputBytes() -> Int {
        replication.peers.reduce(0) { $0 + $1.conn.heldOutputBytes }
    }

    /// total_eviction_exceeded_time and current_eviction_exceeded_time: how long memory
    /// has been over the limit.
    /// The clock is read only when that changes, not on every command.
    private func noteEvictionState(_ state: MemoryState) {
        if state == .withinLimit {
            if let since = overLimitSinceMicros {
                evictionExceededMicros += Clock.monotonicMicroseconds() - since
                overLimitSinceMicros = nil
            }
        } else if overLimitSinceMicros == nil {
            overLimitSinceMicros = Clock.monotonicMicroseconds()
        }
    }

    /// INFO's (total, current) eviction-exceeded times in milliseconds.
    var evictionExceededMilliseconds: (total: Int64, current: Int64) {
        let current = overLimitSinceMicros.map { Clock.monotonicMicroseconds() - $0 } ?? 0
        return ((evictionExceededMicros + current) / 1000, current / 1000)
    }

    /// A policy or limit changed (CONFIG SET): keys' stamps mean what the policy says,
    /// the pool's scores start over, and a lowered limit is enforced now.
    func applyEvictionSettings(old: EvictionSettings) {
        let new = config.eviction
        keyspace.keepsAccessOnOverwrite = new.policy.tracksFrequency
        if new.policy != old.policy { eviction.reset() }
        if new.maxmemory > 0 {
            let used = memoryGauge.counted(log: persistence.writer, minimumAgeMicros: 0) - replicaOutputBytes()
            if new.maxmemory < used && new.maxmemory != old.maxmemory {
                logger.warning("WARNING: the new maxmemory value set via CONFIG SET (\(new.maxmemory)) is smaller than the current memory usage (\(used)). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.")
            }
            continueEvicting()
        }
    }
}
