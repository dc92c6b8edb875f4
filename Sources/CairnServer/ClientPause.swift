import CairnCommands
import CairnCore
import NIOCore

/// CLIENT PAUSE: for a while, clients' commands (all of them, or those that write or may
/// replicate) wait instead of running, and keys past their time are not deleted, so that
/// the stream stands still (what a failover waits for). Replicas are not paused. A new
/// pause replaces the one in force, as in Redis.
struct ClientPause {
    let allCommands: Bool
    /// Ends the pause when its time is up.
    let timer: Scheduled<Void>
}

extension Engine {
    func pauseClients(allCommands: Bool, forMs requested: Int64) {
        clientPause?.timer.cancel()
        // Redis takes any length (up to the end of its clock); a thousand years is as good
        // and keeps the timer's nanoseconds from overflowing.
        let ms = min(requested, 1000 * 365 * 86_400_000)
        let timer = loop.scheduleTask(in: .milliseconds(ms)) { [self] in unpauseClients() }
        clientPause = ClientPause(allCommands: allCommands, timer: timer)
        ctx.expiryPaused = true
    }

    /// Ends the pause (CLIENT UNPAUSE, its time up, a shutdown given up): the held
    /// commands run, unless a FAILOVER still pauses writes.
    func unpauseClients() {
        guard let pause = clientPause else { return }
        pause.timer.cancel()
        clientPause = nil
        resumePostponed()
    }

    /// Writes wait: CLIENT PAUSE (or a shutdown's pause) or a FAILOVER is in force, as
    /// Redis keeps a pause per purpose and applies the strictest.
    var writesPaused: Bool { clientPause != nil || failover != nil }

    /// A pause ended: the held commands run, in the order they came, each client then
    /// going on with the requests behind its own; one that a pause still in force holds
    /// waits again.
    func resumePostponed() {
        ctx.expiryPaused = writesPaused
        let held = postponedClients
        postponedClients.removeAll()
        for conn in held where !conn.closed {
            guard var args = conn.postponed else { continue }
            conn.postponed = nil
            beginBatch(conn)
            execute(conn, &args)
            endBatch(conn)
            flush(conn)
            if !conn.isParked { loop.execute { conn.resume?() } }
        }
    }

    /// Whether the pause in force holds this command (Redis's is_may_replicate_command:
    /// writes, commands that may replicate, and EXEC of a block that holds them).
    func pauseHolds(_ spec: CommandSpec, _ conn: ClientConnection) -> Bool {
        guard writesPaused, !conn.isReplica else { return false }
        if clientPause?.allCommands == true || Self.writesOrMayReplicate(spec) { return true }
        guard spec.fullName == "exec", let queued = conn.session.transaction?.commands else { return false }
        return queued.contains { Self.writesOrMayReplicate($0.spec) }
    }

    /// Redis 7.0 marks these may-replicate without showing it in COMMAND INFO (a script
    /// or function may write, PUBLISH goes to replicas, PFCOUNT may rewrite its cache):
    /// kept here, as Cairn's COMMAND INFO shows what Redis's shows.
    static let mayReplicate: Set<String> = ["eval", "evalsha", "fcall", "publish", "spublish", "pfcount"]

    static func writesOrMayReplicate(_ spec: CommandSpec) -> Bool {
        spec.flags.contains(.write) || spec.flags.contains(.mayReplicate) || mayReplicate.contains(spec.fullName)
    }

    func postpone(_ conn: ClientConnection, _ args: [Bytes]) {
        conn.postponed = args
        postponedClients.append(conn)
    }
}
