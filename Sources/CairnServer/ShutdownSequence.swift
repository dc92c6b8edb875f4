import CairnCore
import NIOCore

/// How a shutdown goes, from SHUTDOWN's arguments or `shutdown-on-sigterm` /
/// `shutdown-on-sigint`: SAVE or NOSAVE a final snapshot (neither: only if `save` rules
/// are set), NOW (do not wait for replicas), FORCE (go on although the snapshot failed).
struct ShutdownOptions: Equatable {
    var save = false
    var nosave = false
    var now = false
    var force = false

    /// A directive's words ("default", or any of save, nosave, now, force), as Redis checks them.
    init(directive words: [String]) throws {
        let choices = "argument(s) must be one of the following: default, save, nosave, now, force"
        guard words.contains(where: { !$0.split(separator: " ").isEmpty }) else { throw ConfigError(choices) }
        for word in words.flatMap({ $0.split(separator: " ") }).map({ $0.lowercased() }) {
            switch word {
            case "default": break
            case "save": save = true
            case "nosave": nosave = true
            case "now": now = true
            case "force": force = true
            default: throw ConfigError(choices)
            }
        }
        if save && nosave { throw ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously") }
    }

    init() {}

    /// As CONFIG GET shows it.
    var directiveText: String {
        let words = [(save, "save"), (nosave, "nosave"), (now, "now"), (force, "force")].filter(\.0).map(\.1)
        return words.isEmpty ? "default" : words.joined(separator: " ")
    }
}

/// A shutdown waiting for its replicas to take the stream up to `offset` (Redis 7's
/// shutdown-timeout): writes are paused meanwhile; the client that asked (none for a
/// signal) gets no reply until the server stops or the shutdown fails or is aborted.
struct PendingShutdown {
    let options: ShutdownOptions
    let requester: Int64?
    let offset: UInt64
    let deadline: Scheduled<Void>
}

extension Engine {
    /// Starts a shutdown: at once when there is no replica to wait for (or NOW, or
    /// shutdown-timeout 0), else after the replicas caught up or the timeout. Returns the
    /// error for the client when it fails at once; nil when it went on (or waits).
    func shutdown(_ options: ShutdownOptions, requester: ClientConnection?) -> String? {
        let offset = persistence.stream?.offset ?? 0
        let lagging = replication.peers.contains { $0.ackOffset < offset }
        guard !options.now, config.shutdownTimeout > 0, lagging else { return finishShutdown(options) }
        logger.notice("Waiting for replicas before shutting down.")
        pauseClients(allCommands: false, forMs: Int64.max)
        let deadline = loop.scheduleTask(in: .seconds(Int64(config.shutdownTimeout))) { [unowned self] in
            logger.warning("Lagging replica(s) did not catch up in time; shutting down anyway.")
            endShutdownWait()
        }
        requester?.awaitingShutdown = true
        pendingShutdown = PendingShutdown(options: options, requester: requester?.session.id, offset: offset, deadline: deadline)
        replication.requestAcknowledgements()
        return nil
    }

    /// After an acknowledgement or on the cron: ends the wait once every replica has the
    /// stream up to where the shutdown began (asking again on the cron).
    func checkPendingShutdown(askAgain: Bool = false) {
        guard let pending = pendingShutdown else { return }
        if replication.peers.allSatisfy({ $0.ackOffset >= pending.offset }) {
            logger.notice("Replicas are in sync: shutting down.")
            endShutdownWait()
        } else if askAgain {
            replication.requestAcknowledgements()
        }
    }

    /// SHUTDOWN ABORT: the waiting shutdown is called off, writes resume. False when none waits.
    func abortShutdown() -> Bool {
        guard let pending = pendingShutdown else { return false }
        logger.warning("Shutdown manually aborted.")
        failPendingShutdown(pending)
        return true
    }

    private func endShutdownWait() {
        guard let pending = pendingShutdown else { return }
        pending.deadline.cancel()
        pendingShutdown = nil
        if finishShutdown(pending.options) != nil { failPendingShutdown(pending) }
    }

    private func failPendingShutdown(_ pending: PendingShutdown) {
        pending.deadline.cancel()
        pendingShutdown = nil
        unpauseClients()
        if let id = pending.requester, let conn = clients[id] {
            conn.awaitingShutdown = false
            finishBlocked(conn) { $0.error("ERR Errors trying to SHUTDOWN. Check logs.") }
        }
    }

    /// The last steps: the final snapshot when asked for (SAVE, or `save` rules without
    /// NOSAVE; the log already holds every write), then the server stops. Returns the
    /// error when the snapshot failed without FORCE (the server goes on).
    func finishShutdown(_ options: ShutdownOptions) -> String? {
        checkpointer.killChild()
        if options.save || (!options.nosave && !config.saveRules.isEmpty) {
            logger.notice("Saving the final snapshot before exiting.")
            do {
                try checkpointer.saveInForeground()
            } catch {
                logger.warning("Error trying to save the DB, can't exit: \(error)")
                if !options.force { return "ERR Errors trying to SHUTDOWN. Check logs." }
            }
        }
        onShutdown?()
        return nil
    }

    /// SIGTERM or SIGINT, on the loop: shutdown-on-sigterm / shutdown-on-sigint say how.
    /// A second signal while replicas are awaited stops at once.
    func shutdownOnSignal(_ name: String, _ options: ShutdownOptions) {
        if let pending = pendingShutdown {
            logger.warning("Received \(name) again: shutting down now.")
            _ = pending
            endShutdownWait()
            return
        }
        logger.warning("Received \(name) scheduling shutdown...")
        if shutdown(options, requester: nil) != nil {
            logger.warning("\(name) received but errors trying to shut down the server, check the logs for more information")
        }
    }
}
