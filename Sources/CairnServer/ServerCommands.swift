import CairnCommands
import CairnCore
import CairnLog
import CairnStore

/// INFO, CONFIG, TIME, SHUTDOWN, COMMAND.
enum ServerCommands {
    static func specs(_ engine: Engine) -> [CommandSpec] {
        [
            CommandSpec("info", arity: -1, flags: [.loading, .stale], acl: [.dangerous], group: "server",
                        summary: "Get information and statistics about the server") { ctx in
                ctx.out.verbatim(InfoReport.render(engine, sections: ctx.args.dropFirst().map { $0.string.lowercased() }))
            },
            CommandSpec("time", arity: 1, flags: [.loading, .stale, .fast], acl: [], group: "server", since: "2.6.0",
                        summary: "Return the current server time") { ctx in
                let us = Clock.unixMicroseconds()
                ctx.out.arrayHeader(2)
                ctx.out.bulk(String(us / 1_000_000))
                ctx.out.bulk(String(us % 1_000_000))
            },
            CommandSpec("shutdown", arity: -1, flags: [.admin, .noscript, .loading, .stale, .noMulti, .allowBusy],
                        acl: [], group: "server", summary: "Synchronously save the dataset to disk and then shut down the server") { ctx in
                shutdownCommand(ctx, engine)
            },
            configSpec(engine),
            CommandInfo.spec(engine),
            DebugCommand.spec(engine),
        ]
    }

    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT].
    static func shutdownCommand(_ ctx: CommandContext, _ engine: Engine) {
        var options = ShutdownOptions()
        var abort = false
        for j in 1..<ctx.args.count {
            if ctx.isOption(j, "nosave") {
                options.nosave = true
            } else if ctx.isOption(j, "save") {
                options.save = true
            } else if ctx.isOption(j, "force") {
                options.force = true
            } else if ctx.isOption(j, "now") {
                options.now = true
            } else if ctx.isOption(j, "abort") {
                abort = true
            } else {
                return ctx.syntaxError()
            }
        }
        if abort {
            guard ctx.args.count == 2 else { return ctx.syntaxError() }
            return engine.abortShutdown() ? ctx.out.ok() : ctx.out.error("ERR No shutdown in progress.")
        }
        if options.save && options.nosave { return ctx.syntaxError() }
        // A paused script's effects are not committed: only NOSAVE may drop them.
        if !options.nosave, let busy = ctx.busyReply { return ctx.out.error(busy) }
        engine.logger.warning("User requested shutdown...")
        let requester = ctx.session.connection as? ClientConnection
        if let error = engine.shutdown(options, requester: requester) { ctx.out.error(error) }
    }

    static func configSpec(_ engine: Engine) -> CommandSpec {
        let config = CommandSpec("config", arity: -2, flags: [], acl: [], group: "server", since: "2.0.0",
                                 summary: "A container for server configuration commands")
        config.addSubcommand(CommandSpec("get", arity: -3, flags: [.admin, .noscript, .loading, .stale], acl: [], group: "server",
                                         since: "2.0.0", summary: "Get the values of configuration parameters") { ctx in
            var pairs: [(String, String)] = []
            var seen = Set<String>()
            for pattern in ctx.args.dropFirst(2) {
                for d in Directives.all where !seen.contains(d.name)
                    && globMatch(pattern: pattern, string: Bytes(d.name), noCase: true) {
                    seen.insert(d.name)
                    pairs.append((d.name, d.get(engine.config)))
                }
            }
            ctx.out.mapHeader(pairs.count)
            for (k, v) in pairs {
                ctx.out.bulk(k)
                ctx.out.bulk(v)
            }
        })
        config.addSubcommand(CommandSpec("set", arity: -4, flags: [.admin, .noscript, .loading, .stale], acl: [], group: "server",
                                         since: "2.0.0", summary: "Set configuration parameters to the given values") { ctx in
            configSet(ctx, engine)
        })
        config.addSubcommand(CommandSpec("resetstat", arity: 2, flags: [.admin, .noscript, .loading, .stale], acl: [], group: "server",
                                         since: "2.0.0", summary: "Reset the stats returned by INFO") { ctx in
            engine.stats = ServerStats()
            engine.persistence.writer?.resetSyncStatistics()
            for spec in engine.table.allSpecs { spec.stats = CommandStats() }
            ctx.stats = ExecutionStats()
            ctx.out.ok()
        })
        config.addSubcommand(CommandSpec("rewrite", arity: 2, flags: [.admin, .noscript, .loading, .stale], acl: [], group: "server",
                                         since: "2.8.0", summary: "Overwrite the configuration file") { ctx in
            guard let path = engine.config.configFile else {
                ctx.out.error("ERR The server is running without a config file")
                return
            }
            do {
                let users = engine.config.aclfile.isEmpty ? engine.ctx.users.all.map { engine.ctx.users.describe($0) } : []
                try ConfigRewrite.rewrite(path: path, config: engine.config, users: users, fs: engine.persistence.fs)
                engine.logger.notice("CONFIG REWRITE executed with success.")
                ctx.out.ok()
            } catch {
                let reason = (error as? FileSystemError)?.reason ?? "\(error)"
                engine.logger.warning("CONFIG REWRITE failed: \(reason)")
                ctx.out.error("ERR Rewriting config file: \(reason)")
            }
        })
        config.addHelp(acl: [], since: "5.0.0", [
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ])
        return config
    }

    /// CONFIG SET name value [name value ...]: all or nothing, as in Redis 7.
    static func configSet(_ ctx: CommandContext, _ engine: Engine) {
        let args = ctx.args
        if (args.count - 2) % 2 != 0 {
            ctx.out.error(Reply.wrongArity("config|set"))
            return
        }
        var updated = engine.config
        var seen = Set<String>()
        // Passwords never reach the slow log (Redis's SENSITIVE_CONFIG), even when an
        // earlier pair is refused (Redis redacts only up to the refused one).
        for j in stride(from: 2, to: args.count, by: 2)
        where ["requirepass", "masterauth", "masteruser", "tls-key-file-pass", "tls-client-key-file-pass"].contains(args[j].string.lowercased()) {
            ctx.redactArgument(j + 1)
        }
        var j = 2
        while j < args.count {
            let name = args[j].string.lowercased()
            guard let d = Directives.byName[name] else {
                ctx.out.error("ERR Unknown option or number of arguments for CONFIG SET - '\(args[j].string)'")
                return
            }
            if seen.contains(name) {
                ctx.out.error("ERR CONFIG SET failed (possibly related to argument '\(name)') - duplicate parameter")
                return
            }
            seen.insert(name)
            if d.isProtected && !ProtectedActions.allowed(engine.config.enableProtectedConfigs, session: ctx.session) {
                ctx.out.error("ERR CONFIG SET failed (possibly related to argument '\(name)') - can't set protected config")
                return
            }
            if !d.mutable {
                ctx.out.error("ERR CONFIG SET failed (possibly related to argument '\(name)') - can't set immutable config")
                return
            }
            if name == "appendonly" && args[j + 1].string.lowercased() == "no" {
                ctx.out.error("ERR CONFIG SET failed (possibly related to argument 'appendonly') - Cairn's log is always on")
                return
            }
            do {
                try d.set(&updated, [args[j + 1].string])
            } catch let e as ConfigError {
                ctx.out.error("ERR CONFIG SET failed (possibly related to argument '\(name)') - \(e.message)")
                return
            } catch {
                ctx.out.error("ERR CONFIG SET failed (possibly related to argument '\(name)')")
                return
            }
            j += 2
        }
        if let reconfigure = engine.reconfigureListeners, let refusal = reconfigure(engine.config, updated) {
            ctx.out.error("ERR CONFIG SET failed (possibly related to argument '\(refusal.argument)') - \(refusal.reason)")
            return
        }
        engine.apply(updated)
        ctx.out.ok()
    }
}

extension ServerConfig {
    /// What the data commands consult, from the directives (at start and on CONFIG SET).
    var commandSettings: CommandSettings {
        var s = CommandSettings()
        s.stringBytesMax = protoMaxBulkLen
        s.hashMaxPackedEntries = hashMaxListpackEntries
        s.hashMaxPackedValueBytes = hashMaxListpackValue
        s.setMaxIntSetEntries = setMaxIntsetEntries
        s.listMaxListpackSize = listMaxListpackSize
        s.listCompressDepth = listCompressDepth
        s.zsetMaxPackedEntries = zsetMaxListpackEntries
        s.zsetMaxPackedValueBytes = zsetMaxListpackValue
        s.hllSparseBytesMax = hllSparseMaxBytes
        s.streamNodeMaxBytes = streamNodeMaxBytes
        s.streamNodeMaxEntries = streamNodeMaxEntries
        s.slowLogSlowerThanMicros = Int64(slowlogLogSlowerThan)
        s.slowLogLengthMax = slowlogMaxLen
        s.latencyMonitorThresholdMs = Int64(latencyMonitorThreshold)
        s.latencyTracking = latencyTracking
        s.luaMemoryBytesMax = luaMemoryLimit
        s.busyReplyThresholdMs = busyReplyThreshold
        s.queryBufferBytesMax = clientQueryBufferLimit
        s.notifyKeyspaceEvents = notifyKeyspaceEvents
        s.trackingTableMaxKeys = trackingTableMaxKeys
        s.eviction = eviction
        return s
    }
}

extension Engine {
    /// Takes a changed configuration into use.
    func apply(_ updated: ServerConfig) {
        let oldEviction = config.eviction
        let passwordChanged = updated.requirepass != config.requirepass
        config = updated
        applyACLSettings()
        if passwordChanged { ctx.users.setDefaultPassword(updated.requirepass) }
        ctx.settings = updated.commandSettings
        applyEvictionSettings(old: oldEviction)
        ctx.tracking.evictKeys()  // tracking-table-max-keys may have shrunk
        persistence.setPolicy(updated.appendfsync)
        Memory.setBackgroundPurge(updated.jemallocBgThread)
    }
}
