import CairnCommands
import NIOCore

/// A script past busy-reply-threshold pauses every few milliseconds (its hook yields its
/// coroutine), and the event loop answers the other clients meanwhile: -BUSY to most,
/// while SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE and the other allow-busy commands run,
/// as Redis answers them from inside its script hook. The script's client waits as a
/// blocked client waits; its effects stay uncommitted until it ends (`commit` holds them),
/// so the script is still one record, and nothing else changes the keyspace meanwhile.
extension Engine {
    /// The script of `conn`'s call paused: park the client and go on shortly.
    func pauseForScript(_ conn: ClientConnection) {
        conn.runningScript = true
        scriptConnection = conn
        scheduleScriptContinuation()
    }

    /// Soon, not at once: a task queued for now would run before the loop polls the
    /// sockets, and the point of pausing is to read them.
    private func scheduleScriptContinuation() {
        loop.scheduleTask(in: .microseconds(100)) { [self] in continueScript() }
    }

    private func continueScript() {
        guard let conn = scriptConnection else { return }
        beginBatch(conn)
        ctx.out.protocolVersion = conn.session.protocolVersion
        guard ctx.continuePausedScript() else {
            endBatch(conn)
            scheduleScriptContinuation()
            return
        }
        scriptConnection = nil
        conn.runningScript = false
        commit()
        serveBlockedClients()
        flushPushes()
        endBatch(conn)
        flush(conn)
        primaryLink?.scriptEnded()
        // Its further requests, read while it ran, run now.
        conn.resume?()
    }
}
