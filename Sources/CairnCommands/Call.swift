import CairnCore
import CairnRESP
import NIOCore

/// The one call path: every command runs through `admit` (for requests from outside)
/// and `call`, whoever asks: a client, EXEC, a blocked client served, log replay (and
/// next a script, a replication stream). `call` alone does the after-work: the default
/// effect, per-command statistics, WATCH touches, the timeout answer of a blocking
/// command that may not block, MONITOR (through the observer). Committing the effects is
/// the caller's (the server's commit point), once per unit.
extension CommandContext {
    /// Runs `spec` with `args` in a frame of its own. `session` and `nowMs` default to
    /// the caller's (a nested call).
    /// `wire` is the client's request as it arrived, when the decoder found it canonical
    /// (Effect.wire): the default effect of a client's call takes it.
    public func call(_ spec: CommandSpec, _ args: [Bytes], session: ClientSession? = nil, nowMs: Int64? = nil,
                     origin: CallOrigin = .nested, shownArguments: [Bytes]? = nil, wire: UnsafeRawBufferPointer? = nil) {
        var args = args
        call(spec, moving: &args, session: session, nowMs: nowMs, origin: origin, shownArguments: shownArguments, wire: wire)
    }

    /// `call`, with the arguments moved into the call's frame and back out when it ends
    /// rather than copied: a client's request is not retained and released on its way
    /// through (two atomic operations per request), and is left to its owner afterwards,
    /// alone, to be recycled (RESPRequestDecoder.recycle).
    public func call(_ spec: CommandSpec, moving args: inout [Bytes], session: ClientSession? = nil, nowMs: Int64? = nil,
                     origin: CallOrigin = .nested, shownArguments: [Bytes]? = nil, wire: UnsafeRawBufferPointer? = nil) {
        // The caller's frame is swapped into the slot of this depth, and the frame the last
        // call at this depth used comes out of it to be reused (CallFrame.reuse): no frame
        // is made or destroyed, and no reference counted, per call.
        let depth = callDepth
        if depth == parkedFrames.count { parkedFrames.append(frame) }
        let callerNow = frame.nowMs
        swap(&frame, &parkedFrames[depth])
        if let session { frame.use(session) } else { frame.use(parkedFrames[depth].session) }
        frame.reuse(spec, nowMs: nowMs ?? callerNow, origin: origin, dirtyAtStart: dirty,
                    effectsAtStart: effects.count, shownArguments: shownArguments)
        // A parked frame's arguments are empty (below): swapped, not counted.
        swap(&frame.args, &args)
        callDepth = depth + 1
        defer {
            callDepth = depth
            swap(&frame.args, &args)
            let changes = frame.nestedDirty
            swap(&frame, &parkedFrames[depth])
            frame.nestedDirty += changes
        }
        let errorMark = out.buffer.writerIndex
        // A client's and a replica stream's calls chain their clock readings: each starts
        // when the one before ended (the batch set the first), one reading per call.
        let chained = origin == .client || origin == .replicated
        let started = chained ? commandClock : origin == .replay ? 0 : Clock.monotonicMicroseconds()
        // CLIENT LIST's cmd= is the command running (CLIENT LIST itself), then the last run.
        if origin == .client { frame.session.lastCommandSpec = spec }
        spec.handler(self)
        if !keyspace.touches.newKeys.isEmpty {
            if origin == .replay { keyspace.touches.newKeys.removeAll() } else { announceNewKeys() }
        }
        let changes = dirty - frame.dirtyAtStart
        if spec.isWrite && changes != frame.nestedDirty && !frame.effectRewritten {
            effects.append(Effect(database: frame.session.databaseIndex, arguments: frame.args, wire: origin == .client ? wire : nil))
        }
        stats.commandsProcessed += 1
        if origin != .replay { afterCall(spec, errorMark: errorMark, started: started) }
        frame.nestedDirty = changes  // handed to the caller by the deferred swap
    }

    /// Runs `spec`'s handler inside the current call with `args` in place of its own, as
    /// Redis's GEOADD replaces its argument vector and calls ZADD's handler directly: the
    /// statistics, MONITOR and the slow log see the caller's command only, and the effect
    /// is `args` when the handler changed anything (unless it recorded its own).
    public func runInPlace(_ spec: CommandSpec, _ args: [Bytes]) {
        let dirtyBefore = dirty
        let callerArgs = frame.args
        frame.args = args
        spec.handler(self)
        frame.args = callerArgs
        if dirty != dirtyBefore && !frame.effectRewritten { propagate(args) }
    }

    private func afterCall(_ spec: CommandSpec, errorMark: Int, started: Int64) {
        let origin = frame.origin
        if !keyspace.touches.touched.isEmpty {
            applyKeyChanges(changed: dirty != frame.dirtyAtStart || effects.count != frame.effectsAtStart, by: frame.session)
        }
        if frame.session.tracking != nil { afterTrackedCall(spec) }
        if origin == .nested, let request = blockRequest {
            // A blocking command cannot wait inside a block: it answers as if its timeout
            // had passed at once.
            blockRequest = nil
            if request.answersNullBulk { out.null() } else { out.nullArray() }
        }
        let finished = Clock.monotonicMicroseconds()
        if origin == .client || origin == .replicated { commandClock = finished }
        if origin != .reprocess { spec.stats.calls += 1 }
        spec.stats.microseconds += Int(finished - started)
        if out.wroteError(since: errorMark) {
            spec.stats.failedCalls += 1
            countError(at: errorMark)
        }
        // A call that blocked is logged when it is served (with the arguments it was sent),
        // not when it times out, as in Redis.
        if blockRequest == nil {
            let elapsed = finished - started
            if settings.latencyTracking { spec.stats.latency.record(nanoseconds: UInt64(max(0, elapsed)) * 1000) }
            // Checked here as well as in sampleLatency: passing the event's name costs a
            // release per command even when the monitor is off.
            if settings.latencyMonitorThresholdMs > 0 {
                sampleLatency(spec.flags.contains(.fast) ? "fast-command" : "command", milliseconds: elapsed / 1000)
            }
            if !spec.flags.contains(.skipSlowlog) { logIfSlow(microseconds: elapsed) }
        }
        if origin != .reprocess, let observer { observer.called(frame) }
    }

    /// Client tracking's part of a call's after-work (only for a session that tracks).
    private func afterTrackedCall(_ spec: CommandSpec) {
        guard let state = frame.session.tracking else { return }
        if spec.flags.contains(.readonly) && !spec.flags.contains(.pubsub) {
            tracking.remember(keysOf: spec, frame.args, for: frame.session)
        }
        // CLIENT CACHING counts for the next command only (or the next MULTI block).
        if frame.origin == .client && state.cachingGiven && frame.session.transaction == nil
            && !spec.fullName.hasPrefix("client|") {
            state.cachingGiven = false
        }
    }

    /// The latency monitor: `event` took `milliseconds`, kept if past the threshold.
    public func sampleLatency(_ event: String, milliseconds: Int64) {
        guard settings.latencyMonitorThresholdMs > 0, milliseconds >= settings.latencyMonitorThresholdMs else { return }
        latencyMonitor.add(event, milliseconds: milliseconds, unixSeconds: Clock.unixMilliseconds() / 1000)
    }

    /// SLOWLOG: the call, if it ran long enough. A script's commands are logged as
    /// Redis logs its script client's: no address, no name.
    private func logIfSlow(microseconds: Int64) {
        guard settings.slowLogSlowerThanMicros >= 0, microseconds >= settings.slowLogSlowerThanMicros else { return }
        let fromScript = scriptRun != nil && frame.origin == .nested
        let session = frame.session
        slowLog.record(frame.shownArguments ?? frame.args, redacted: frame.redactedArguments, microseconds: microseconds,
                       client: fromScript ? "?:0" : session.connection?.address ?? "?:0",
                       clientName: fromScript ? "" : session.name ?? "", lengthMax: settings.slowLogLengthMax)
    }

    // MARK: - Admission

    /// The command `args` names, once it is known, its arity fits and the server admits
    /// it for `session`; nil after the refusal was written (which also dooms the session's
    /// MULTI block, as Redis flags it).
    public func admit(_ args: [Bytes], session: ClientSession) -> Unmanaged<CommandSpec>? {
        guard let found = table.lookupUnretained(args[0]) else {
            var detail = ""
            for a in args.dropFirst() where detail.utf8.count < 128 {
                detail += "'\(String(a.string.prefix(128 - detail.utf8.count)))' "
            }
            refuse(nil, session, "ERR unknown command '\(String(args[0].string.prefix(128)))', with args beginning with: \(detail)")
            return nil
        }
        return found._withUnsafeGuaranteedRef { spec in
            if !spec.arityAccepts(args.count) {
                refuse(spec, session, Reply.wrongArity(spec.fullName))
                return nil
            }
            guard !spec.subcommands.isEmpty && args.count >= 2 else {
                return admits(spec, args, session) ? found : nil
            }
            // Held by its container, as long as the table holds that.
            guard let sub = spec.subcommands[args[1].lowercased] else {
                refuse(spec, session, Reply.unknownSubcommand(args[1].string, spec.name))
                return nil
            }
            if !sub.arityAccepts(args.count) {
                refuse(sub, session, Reply.wrongArity(sub.fullName))
                return nil
            }
            return admits(sub, args, session) ? Unmanaged.passUnretained(sub) : nil
        }
    }

    /// Whether the server admits `spec`, found and of the right arity, for `session`;
    /// refused (the refusal written) otherwise.
    private func admits(_ spec: CommandSpec, _ args: [Bytes], _ session: ClientSession) -> Bool {
        if let reason = admissionRefusal(spec, args, session) {
            refuse(spec, session, reason)
            return false
        }
        return true
    }

    /// Answers a refused command with `message`; inside MULTI this also dooms the block
    /// (EXECABORT).
    func refuse(_ spec: CommandSpec?, _ session: ClientSession, _ message: String) {
        session.transaction?.refused = true
        let mark = out.buffer.writerIndex
        if spec?.fullName == "exec" {
            // A refused EXEC discards the block, saying why (Redis's execCommandAbort).
            session.transaction = nil
            watches.unwatchAll(session)
            out.error("EXECABORT Transaction discarded because of: " + (message.hasPrefix("ERR ") ? String(message.dropFirst(4)) : message))
        } else {
            out.error(message)
        }
        spec?.stats.rejectedCalls += 1
        countError(at: mark)
    }

    /// Counts the error reply written at `index` of the output: in total and by its code.
    func countError(at index: Int) {
        let buffer = out.buffer
        let end = min(buffer.writerIndex, index + 1 + 64)
        guard index + 1 < end, let view = buffer.viewBytes(at: index + 1, length: end - index - 1) else {
            stats.errorReplies += 1
            return
        }
        countError(code: String(decoding: view.prefix { $0 != 32 && $0 != 13 }, as: UTF8.self))
    }

    /// Counts an error reply whose first word is `code`, in total and by its code.
    func countError(code: String) {
        stats.errorReplies += 1
        if stats.errorCodes[code] != nil || stats.errorCodes.count < ExecutionStats.errorCodesMax {
            stats.errorCodes[code, default: 0] += 1
        }
    }

    /// An error that ends a blocked call (its key deleted, CLIENT UNBLOCK ... ERROR):
    /// Redis counts it as the failure of that call, as if the call had written it.
    public func countBlockedCallFailure(_ spec: CommandSpec, message: String) {
        spec.stats.failedCalls += 1
        countError(code: String(message.prefix { $0 != " " }))
    }
}
