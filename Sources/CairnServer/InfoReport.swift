import CairnCommands
import CairnCore
import CairnLog
import CCairnSystem
#if canImport(Glibc)
import Glibc
#endif

/// The text of INFO, with Redis's sections and field names.
enum InfoReport {
    static let defaultSections = ["server", "clients", "memory", "persistence", "stats", "replication",
                                  "cpu", "modules", "errorstats", "cluster", "keyspace"]
    static let allSections = defaultSections + ["commandstats", "latencystats"]

    static func render(_ engine: Engine, sections requested: [String]) -> String {
        var chosen: [String]
        if requested.isEmpty || requested.contains("default") {
            chosen = defaultSections
        } else if requested.contains("all") || requested.contains("everything") {
            chosen = allSections
        } else {
            chosen = []
        }
        for r in requested where allSections.contains(r) && !chosen.contains(r) { chosen.append(r) }
        chosen = allSections.filter { chosen.contains($0) }
        var out: [String] = []
        for s in chosen {
            guard let body = section(s, engine) else { continue }
            out.append(body)
        }
        return out.joined(separator: "\r\n")
    }

    static func section(_ name: String, _ e: Engine) -> String? {
        let now = Clock.unixMilliseconds()
        var lines: [String]
        switch name {
        case "server":
            var uts = utsname()
            uname(&uts)
            let sys = withUnsafeBytes(of: &uts.sysname) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            let rel = withUnsafeBytes(of: &uts.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            let mach = withUnsafeBytes(of: &uts.machine) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            let uptime = (now - e.startTimeMs) / 1000
            lines = ["# Server",
                     "redis_version:\(ConnectionCommands.redisVersion)",
                     "cairn_version:0.1.0",
                     "redis_git_sha1:00000000",
                     "redis_git_dirty:0",
                     "redis_build_id:0",
                     "redis_mode:standalone",
                     "os:\(sys) \(rel) \(mach)",
                     "arch_bits:64",
                     "monotonic_clock:POSIX clock_gettime",
                     "multiplexing_api:epoll",
                     "atomicvar_api:swift",
                     "gcc_version:0.0.0",
                     "process_id:\(getpid())",
                     "process_supervised:no",
                     "run_id:\(e.runId)",
                     "tcp_port:\(e.config.port)",
                     "server_time_usec:\(Clock.unixMicroseconds())",
                     "uptime_in_seconds:\(uptime)",
                     "uptime_in_days:\(uptime / 86400)",
                     "hz:\(e.config.hz)",
                     "configured_hz:\(e.config.hz)",
                     "lru_clock:\((now / 1000) & 0xFFFFFF)",
                     "executable:\(CommandLine.arguments.first ?? "")",
                     "config_file:\(e.config.configFile ?? "")",
                     "io_threads_active:0"]
        case "clients":
            lines = ["# Clients",
                     "connected_clients:\(e.clients.count)",
                     "cluster_connections:0",
                     "maxclients:\(e.config.maxclients)",
                     "client_recent_max_input_buffer:0",
                     "client_recent_max_output_buffer:0",
                     "blocked_clients:\(e.blockedClientCount)",
                     "tracking_clients:\(e.ctx.tracking.sessions.count)",
                     "clients_in_timeout_table:0"]
        case "memory":
            let m = MemoryFigures(e)
            let (used, rss, peak, allocator, overhead, dataset) = (m.used, m.rss, m.peak, m.allocator, m.overhead, m.dataset)
            let lua = e.ctx.scripting.interpreter.memoryUsed
            let functionsVM = e.ctx.functions.interpreter.memoryUsed
            let (scripts, functions) = (m.scripts, m.functions)
            let (normalClients, replicaClients) = (m.normalClients, m.replicaClients)
            let overStartup = max(1, used - Memory.startupBytes)
            let system = Memory.systemBytes()
            lines = ["# Memory",
                     "used_memory:\(used)",
                     "used_memory_human:\(Memory.human(used))",
                     "used_memory_rss:\(rss)",
                     "used_memory_rss_human:\(Memory.human(rss))",
                     "used_memory_peak:\(peak)",
                     "used_memory_peak_human:\(Memory.human(peak))",
                     "used_memory_peak_perc:\(format2(Double(used) * 100 / Double(max(1, peak))))%",
                     "used_memory_overhead:\(overhead)",
                     "used_memory_startup:\(Memory.startupBytes)",
                     "used_memory_dataset:\(dataset)",
                     "used_memory_dataset_perc:\(format2(min(100, Double(dataset) * 100 / Double(overStartup))))%",
                     "allocator_allocated:\(allocator.allocated)",
                     "allocator_active:\(allocator.active)",
                     "allocator_resident:\(allocator.resident)",
                     "total_system_memory:\(system)",
                     "total_system_memory_human:\(Memory.human(system))",
                     // The Lua interpreter (its allocator's count) and the cached scripts' bodies.
                     "used_memory_lua:\(lua)",
                     "used_memory_vm_eval:\(lua)",
                     "used_memory_lua_human:\(Memory.human(lua))",
                     "used_memory_scripts_eval:\(scripts)",
                     "number_of_cached_scripts:\(e.ctx.scripting.scripts.count)",
                     "number_of_functions:\(e.ctx.functions.functionCount)",
                     "number_of_libraries:\(e.ctx.functions.libraries.count)",
                     "used_memory_vm_functions:\(functionsVM)",
                     "used_memory_vm_total:\(lua + functionsVM)",
                     "used_memory_vm_total_human:\(Memory.human(lua + functionsVM))",
                     "used_memory_functions:\(functions)",
                     "used_memory_scripts:\(scripts + functions)",
                     "used_memory_scripts_human:\(Memory.human(scripts + functions))",
                     "maxmemory:\(e.config.eviction.maxmemory)",
                     "maxmemory_human:\(Memory.human(e.config.eviction.maxmemory))",
                     "maxmemory_policy:\(e.config.eviction.policy.rawValue)",
                     "allocator_frag_ratio:\(format2(ratio(allocator.active, allocator.allocated)))",
                     "allocator_frag_bytes:\(allocator.active - allocator.allocated)",
                     "allocator_rss_ratio:\(format2(ratio(allocator.resident, allocator.active)))",
                     "allocator_rss_bytes:\(allocator.resident - allocator.active)",
                     "rss_overhead_ratio:\(format2(ratio(rss, allocator.resident)))",
                     "rss_overhead_bytes:\(rss - allocator.resident)",
                     "mem_fragmentation_ratio:\(used > 0 ? String(format2(Double(rss) / Double(used))) : "0.00")",
                     "mem_fragmentation_bytes:\(rss - used)",
                     "mem_not_counted_for_evict:\(e.memoryNotCountedForEviction())",
                     // The replication backlog is the log on disk, not memory.
                     "mem_replication_backlog:0",
                     "mem_total_replication_buffers:\(replicaClients)",
                     "mem_clients_slaves:\(replicaClients)",
                     "mem_clients_normal:\(normalClients)",
                     "mem_cluster_links:0",
                     "mem_aof_buffer:\(e.persistence.writer?.bufferedBytes ?? 0)",
                     "mem_allocator:\(String(cString: cairn_malloc_name()))",
                     "active_defrag_running:0",
                     "lazyfree_pending_objects:0",
                     "lazyfreed_objects:0"]
        case "persistence":
            let p = e.persistence
            p.refreshProgress()
            let cp = e.checkpointer!
            let progress = cp.currentProgress
            let syncs = p.writer?.syncStatistics ?? (latency: LatencyHistogram(), records: 0)
            let percent = progress.total > 0 ? Double(progress.keys) * 100 / Double(progress.total) : 0
            lines = ["# Persistence",
                     "loading:\(e.loading ? 1 : 0)",
                     "async_loading:0",
                     "current_cow_peak:\(progress.peak)",
                     "current_cow_size:\(progress.copyOnWrite)",
                     "current_cow_size_age:0",
                     "current_fork_perc:\(InfoReport.fixed(percent, 2))",
                     "current_save_keys_processed:\(progress.keys)",
                     "current_save_keys_total:\(progress.total)",
                     "rdb_changes_since_last_save:\(e.ctx.dirty)",
                     "rdb_bgsave_in_progress:\(cp.inProgress ? 1 : 0)",
                     "rdb_last_save_time:\(e.lastSaveUnixSeconds)",
                     "rdb_last_bgsave_status:\(cp.lastStatusOK ? "ok" : "err")",
                     "rdb_last_bgsave_time_sec:\(cp.lastDurationSeconds)",
                     "rdb_current_bgsave_time_sec:\(cp.currentSeconds)",
                     "rdb_saves:\(cp.saves)",
                     "rdb_last_cow_size:\(cp.lastCopyOnWriteBytes)",
                     "rdb_last_load_keys_expired:0",
                     "rdb_last_load_keys_loaded:\(cp.keysLoaded)",
                     "snapshot_file:\(cp.currentSnapshot?.name ?? "")",
                     "snapshot_lsn:\(cp.currentSnapshot?.lsn ?? 0)",
                     "snapshot_compression:\(e.config.snapshotCompression)",
                     "aof_enabled:1",
                     "aof_rewrite_in_progress:0",
                     "aof_rewrite_scheduled:0",
                     "aof_last_rewrite_time_sec:-1",
                     "aof_current_rewrite_time_sec:-1",
                     "aof_last_bgrewrite_status:ok",
                     "aof_rewrites:\(cp.saves)",
                     "aof_rewrites_consecutive_failures:\(cp.lastStatusOK ? 0 : 1)",
                     "aof_last_write_status:\(p.failure == nil ? "ok" : "err")",
                     "aof_last_write_error:\(p.failure ?? "")",
                     "aof_last_cow_size:\(cp.lastCopyOnWriteBytes)",
                     "aof_current_size:\(p.writer?.liveBytes ?? 0)",
                     "aof_fsync_policy:\(e.config.appendfsync.rawValue)",
                     "aof_pending_bio_fsync:\(p.writtenLSN > p.durableLSN ? 1 : 0)",
                     "aof_delayed_fsync:0",
                     "log_last_lsn:\(p.lastAppliedLSN)",
                     "log_written_lsn:\(p.writtenLSN)",
                     "log_durable_lsn:\(p.durableLSN)",
                     "log_fsyncs:\(p.writer?.counts.syncs ?? 0)",
                     "log_fsyncs_on_loop:\(e.inlineSync.syncs)",
                     "log_write_groups:\(p.writer?.counts.writes ?? 0)",
                     "log_fsync_usec:\(p.writer?.counts.syncMicroseconds ?? 0)",
                     "log_fsync_duty_cycle:\(format2(e.stats.fsyncDutyCycle))",
                     "log_records_per_fsync:\(format2(syncs.latency.samples == 0 ? 0 : Double(syncs.records) / Double(syncs.latency.samples)))",
                     "log_fsync_p50_usec:\(syncs.latency.percentile(0.5))",
                     "log_fsync_p99_usec:\(syncs.latency.percentile(0.99))",
                     "log_reply_hold_p50_usec:\(e.stats.replyHolds.percentile(0.5))",
                     "log_reply_hold_p99_usec:\(e.stats.replyHolds.percentile(0.99))",
                     "log_segment:\(p.writer.map { String($0.currentSegmentPath.split(separator: "/").last ?? "") } ?? "")",
                     "module_fork_in_progress:0",
                     "module_fork_last_cow_size:0"]
        case "stats":
            let s = e.ctx.stats
            lines = ["# Stats",
                     "total_connections_received:\(e.stats.connectionsReceived)",
                     "total_commands_processed:\(s.commandsProcessed)",
                     "instantaneous_ops_per_sec:\(e.stats.instantaneousOpsPerSecond)",
                     "total_net_input_bytes:\(e.stats.netInputBytes)",
                     "total_net_output_bytes:\(e.stats.netOutputBytes)",
                     "total_net_repl_input_bytes:\(e.stats.netReplInputBytes)",
                     "total_net_repl_output_bytes:\(e.stats.netReplOutputBytes)",
                     "instantaneous_input_kbps:\(format2(e.stats.inputSamples.slope * 1000 / 1024))",
                     "instantaneous_output_kbps:\(format2(e.stats.outputSamples.slope * 1000 / 1024))",
                     "instantaneous_input_repl_kbps:\(format2(e.stats.replInputSamples.slope * 1000 / 1024))",
                     "instantaneous_output_repl_kbps:\(format2(e.stats.replOutputSamples.slope * 1000 / 1024))",
                     "rejected_connections:\(e.stats.rejectedConnections)",
                     "sync_full:\(e.replication.fullSyncs)",
                     "sync_partial_ok:\(e.replication.partialSyncsAccepted)",
                     "sync_partial_err:\(e.replication.partialSyncsRefused)",
                     "expired_keys:\(s.expiredKeys)",
                     "expired_stale_perc:0.00",
                     "expired_time_cap_reached_count:0",
                     "expire_cycle_cpu_milliseconds:\(s.expireCycleMicroseconds / 1000)",
                     "evicted_keys:\(s.evictedKeys)",
                     "evicted_clients:\(e.stats.evictedClients)",
                     "total_eviction_exceeded_time:\(e.evictionExceededMilliseconds.total)",
                     "current_eviction_exceeded_time:\(e.evictionExceededMilliseconds.current)",
                     "keyspace_hits:\(s.keyspaceHits)",
                     "keyspace_misses:\(s.keyspaceMisses)",
                     "pubsub_channels:\(e.ctx.pubsub.channels.count)",
                     "pubsub_patterns:\(e.ctx.pubsub.patterns.count)",
                     "pubsubshard_channels:\(e.ctx.pubsub.shardChannels.count)",
                     "latest_fork_usec:\(e.checkpointer.lastForkMicros)",
                     "total_forks:\(e.checkpointer.totalForks)",
                     "migrate_cached_sockets:\(e.migrateConnections.count)",
                     "slave_expires_tracked_keys:0",
                     "active_defrag_hits:0",
                     "active_defrag_misses:0",
                     "active_defrag_key_hits:0",
                     "active_defrag_key_misses:0",
                     "total_active_defrag_time:0",
                     "current_active_defrag_time:0",
                     "tracking_total_keys:\(e.ctx.tracking.keys.count)",
                     "tracking_total_items:\(e.ctx.tracking.totalItems)",
                     "tracking_total_prefixes:\(e.ctx.tracking.prefixCount)",
                     "total_error_replies:\(e.ctx.stats.errorReplies)",
                     "unexpected_error_replies:0",
                     "dump_payload_sanitizations:0",
                     "total_reads_processed:\(e.stats.readsProcessed)",
                     "total_writes_processed:\(e.stats.writesProcessed)",
                     "io_threaded_reads_processed:0",
                     "io_threaded_writes_processed:0",
                     "reply_buffer_shrinks:0",
                     "reply_buffer_expands:0"]
        case "replication":
            lines = replicationSection(e)
        case "cpu":
            var self_ = rusage()
            var children = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &self_)
            getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &children)
            var thread = rusage()
            getrusage(__rusage_who_t(1), &thread)  // RUSAGE_THREAD
            func secs(_ t: timeval) -> String { format6(Double(t.tv_sec) + Double(t.tv_usec) / 1e6) }
            lines = ["# CPU",
                     "used_cpu_sys:\(secs(self_.ru_stime))",
                     "used_cpu_user:\(secs(self_.ru_utime))",
                     "used_cpu_sys_children:\(secs(children.ru_stime))",
                     "used_cpu_user_children:\(secs(children.ru_utime))",
                     // INFO runs on the event loop, the thread that runs every command.
                     "used_cpu_sys_main_thread:\(secs(thread.ru_stime))",
                     "used_cpu_user_main_thread:\(secs(thread.ru_utime))"]
        case "modules":
            lines = ["# Modules"]
        case "errorstats":
            lines = ["# Errorstats"]
            for (code, count) in e.ctx.stats.errorCodes.sorted(by: { $0.key < $1.key }) {
                lines.append("errorstat_\(code):count=\(count)")
            }
        case "cluster":
            lines = ["# Cluster", "cluster_enabled:0"]
        case "keyspace":
            lines = ["# Keyspace"]
            for i in 0..<e.keyspace.databaseCount {
                let db = e.keyspace[i]
                if db.count == 0 { continue }
                var ttlSum: Int64 = 0
                for x in db.expires.entries.prefix(1000) { ttlSum += max(0, x.value - now) }
                let sampled = min(1000, db.expires.count)
                let avg = sampled > 0 ? ttlSum / Int64(sampled) : 0
                lines.append("db\(i):keys=\(db.count),expires=\(db.expires.count),avg_ttl=\(avg)")
            }
        case "commandstats":
            lines = ["# Commandstats"]
            for spec in e.table.allSpecs.sorted(by: { $0.fullName < $1.fullName }) where spec.stats.calls + spec.stats.rejectedCalls > 0 {
                let name = spec.fullName, s = spec.stats
                let per = s.calls > 0 ? Double(s.microseconds) / Double(s.calls) : 0
                lines.append("cmdstat_\(name):calls=\(s.calls),usec=\(s.microseconds),usec_per_call=\(format2(per)),rejected_calls=\(s.rejectedCalls),failed_calls=\(s.failedCalls)")
            }
        case "latencystats":
            lines = ["# Latencystats"]
            for spec in e.table.allSpecs.sorted(by: { $0.fullName < $1.fullName }) where spec.stats.latency.total > 0 {
                let values = e.config.latencyTrackingInfoPercentiles.map { p in
                    "p\(Directives.formatPercentile(p))=\(fixed(Double(spec.stats.latency.value(atPercentile: p)) / 1000, 3))"
                }
                lines.append("latency_percentiles_usec_\(spec.fullName):" + values.joined(separator: ","))
            }
        default:
            return nil
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func format2(_ v: Double) -> String { fixed(v, 2) }
    static func ratio(_ a: Int, _ b: Int) -> Double { b > 0 ? Double(a) / Double(b) : 0 }
    static func format6(_ v: Double) -> String { fixed(v, 6) }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int((v * scale).rounded())
        let whole = n / Int(scale)
        let frac = String(n % Int(scale))
        return "\(whole)." + String(repeating: "0", count: digits - frac.count) + frac
    }

    /// INFO replication, as Redis 7.0 lays it out for a primary and for a replica. The
    /// log is the backlog: its id and offset survive restarts.
    static func replicationSection(_ e: Engine) -> [String] {
        let stream = e.persistence.stream
        let offset = stream?.offset ?? 0
        var lines = ["# Replication"]
        if let link = e.primaryLink {
            let now = Clock.unixMilliseconds()
            lines += ["role:slave",
                      "master_host:\(link.host)",
                      "master_port:\(link.port)",
                      "master_link_status:\(link.isUp ? "up" : "down")",
                      "master_last_io_seconds_ago:\(link.isUp ? Int((now - link.lastIOMs) / 1000) : -1)",
                      "master_sync_in_progress:\(link.state == .sync ? 1 : 0)",
                      "slave_read_repl_offset:\(link.readOffset)",
                      "slave_repl_offset:\(link.appliedOffset)"]
            if !link.isUp { lines.append("master_link_down_since_seconds:\(Int((now - link.linkDownSinceMs) / 1000))") }
            lines += ["slave_priority:\(e.config.replicaPriority)",
                      "slave_read_only:\(e.config.replicaReadOnly ? 1 : 0)",
                      "replica_announced:\(e.config.replicaAnnounced ? 1 : 0)"]
        } else {
            lines.append("role:master")
        }
        let peers = e.replication.peers
        lines.append("connected_slaves:\(peers.count)")
        let now = Clock.unixMilliseconds()
        for (i, peer) in peers.enumerated() {
            lines.append("slave\(i):ip=\(peer.ip),port=\(peer.listeningPort),state=\(peer.state.rawValue),offset=\(peer.ackOffset),lag=\((now - peer.lastAckMs) / 1000)")
        }
        // The backlog is the log on disk: from the first retained segment's start.
        let first = (try? LogCursor.firstPosition(directory: e.config.dir, fs: e.persistence.fs)) ?? nil
        let firstOffset = first.map { $0.id == stream?.id ? $0.offset : 0 } ?? offset
        let retained = UInt64(e.persistence.writer?.liveBytes ?? 0)
        // The history this one continues (after a promotion), found in the segment headers.
        let previous = e.previousHistory
            ?? stream.flatMap { try? LogCursor.previousHistory(directory: e.config.dir, fs: e.persistence.fs, current: $0.id) }
        lines += ["master_failover_state:\(e.failover?.phase.rawValue ?? "no-failover")",
                  "master_replid:\(stream?.id ?? e.runId)",
                  "master_replid2:\(previous?.id ?? "0000000000000000000000000000000000000000")",
                  "master_repl_offset:\(offset)",
                  "second_repl_offset:\(previous.map { String($0.offset + 1) } ?? "-1")",
                  "repl_backlog_active:1",
                  "repl_backlog_size:\(retained)",
                  "repl_backlog_first_byte_offset:\(firstOffset + 1)",
                  "repl_backlog_histlen:\(offset - min(offset, firstOffset))"]
        return lines
    }
}

/// Process memory figures for INFO memory and the memory benchmark.
enum Memory {
    nonisolated(unsafe) static var peakBytes = 0
    /// used_memory when the engine was made (used_memory_startup).
    nonisolated(unsafe) static var startupBytes = 0

    /// jemalloc's allocated, active and resident bytes (used and RSS without jemalloc).
    static func allocatorStats(used: Int, rss: Int) -> (allocated: Int, active: Int, resident: Int) {
        var allocated = 0, active = 0, resident = 0
        guard cairn_malloc_stats(&allocated, &active, &resident) == 0 else { return (used, used, rss) }
        return (allocated, active, resident)
    }

    /// MemTotal of /proc/meminfo, in bytes.
    static func systemBytes() -> Int {
        guard let text = try? readWholeFile("/proc/meminfo"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
              let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return kb * 1024
    }

    /// Bytes handed out by malloc (jemalloc's stats.allocated).
    static func usedBytes() -> Int {
        Int(cairn_malloc_used_bytes())
    }

    /// jemalloc-bg-thread. Without the background thread, jemalloc returns the pages of
    /// freed memory only from inside later allocations: after a bulk load, an idle server
    /// kept the load's freed buffers resident (RSS 1.3-1.6x Redis's for small sets, where
    /// used memory was under Redis's). Redis turns it on by default too.
    static func setBackgroundPurge(_ enabled: Bool) {
        _ = cairn_malloc_background_thread(enabled ? 1 : 0)
    }

    static func peak(_ used: Int) -> Int {
        if used > peakBytes { peakBytes = used }
        return peakBytes
    }

    /// Resident set size from /proc/self/statm.
    static func residentBytes() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &buf, 128)
        guard n > 0 else { return 0 }
        let fields = String(decoding: buf[0..<n], as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func human(_ bytes: Int) -> String {
        let d = Double(bytes)
        if d < 1024 { return "\(bytes)B" }
        if d < 1024 * 1024 { return InfoReport.format2(d / 1024) + "K" }
        if d < 1024 * 1024 * 1024 { return InfoReport.format2(d / 1024 / 1024) + "M" }
        return InfoReport.format2(d / 1024 / 1024 / 1024) + "G"
    }
}
