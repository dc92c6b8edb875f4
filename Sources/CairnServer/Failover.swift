import CairnCommands
import CairnCore

/// FAILOVER (Redis 6.2 and 7.0): this primary hands its role to one of its replicas without
/// losing a write. Writes are paused while the replica catches up with the stream to the
/// byte (its acknowledgements say so); then this server follows the replica and asks, with
/// `PSYNC <its history> <offset> FAILOVER`, that the replica take over. The replica
/// promotes itself, continuing this server's history, and answers +CONTINUE; the paused
/// writes then run here and meet READONLY. If the replica refuses, this server is a primary
/// again. TIMEOUT gives up the wait (or, with FORCE, fails over anyway); ABORT gives up.
struct FailoverState {
    enum Phase: String {
        case waitingForSync = "waiting-for-sync"
        case inProgress = "failover-in-progress"
    }

    var phase = Phase.waitingForSync
    /// The replica named by TO, or the first one found caught up.
    var target: (host: String, port: Int)?
    var deadlineMs: Int64?
    var force = false

    var targetName: String { target.map { "\($0.host):\($0.port)" } ?? "any replica" }
}

enum FailoverCommand {
    static func spec(_ engine: Engine) -> CommandSpec {
        CommandSpec("failover", arity: -1, flags: [.admin, .noscript, .stale], acl: [], group: "server", since: "6.2.0",
                    summary: "Start a coordinated failover between this server and one of its replicas.") { ctx in
            run(ctx, engine)
        }
    }

    /// The arguments, the checks and their errors in Redis's order.
    static func run(_ ctx: CommandContext, _ engine: Engine) {
        let args = ctx.args
        if args.count == 2 && args[1].lowercased.string == "abort" {
            guard engine.failover != nil else { return ctx.out.error("ERR No failover in progress.") }
            engine.abortFailover("Failover manually aborted")
            return ctx.out.ok()
        }
        var state = FailoverState()
        var timeoutMs: Int64 = 0
        var i = 1
        while i < args.count {
            let word = args[i].lowercased.string
            if word == "timeout" && i + 1 < args.count && timeoutMs == 0 {
                guard let ms = Int64(args[i + 1].string) else { return ctx.out.error("ERR value is not an integer or out of range") }
                guard ms > 0 else { return ctx.out.error("ERR FAILOVER timeout must be greater than 0") }
                timeoutMs = ms
                i += 2
            } else if word == "to" && i + 2 < args.count && state.target == nil {
                guard let port = Int(args[i + 2].string) else { return ctx.out.error("ERR value is not an integer or out of range") }
                state.target = (args[i + 1].string, port)
                i += 3
            } else if word == "force" && !state.force {
                state.force = true
                i += 1
            } else {
                return ctx.out.error("ERR syntax error")
            }
        }
        guard engine.failover == nil else { return ctx.out.error("ERR FAILOVER already in progress.") }
        guard engine.primaryLink == nil else { return ctx.out.error("ERR FAILOVER is not valid when server is a replica.") }
        guard !engine.replication.peers.isEmpty else { return ctx.out.error("ERR FAILOVER requires connected replicas.") }
        if state.force && (timeoutMs == 0 || state.target == nil) {
            return ctx.out.error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
        }
        if let target = state.target {
            guard let peer = engine.replication.peer(host: target.host, port: target.port) else {
                return ctx.out.error("ERR FAILOVER target HOST and PORT is not a replica.")
            }
            guard peer.state == .online else { return ctx.out.error("ERR FAILOVER target replica is not online.") }
        }
        if timeoutMs > 0 { state.deadlineMs = ctx.nowMs + timeoutMs }
        engine.startFailover(state)
        ctx.out.ok()
    }
}

extension Engine {
    func startFailover(_ state: FailoverState) {
        logger.notice("FAILOVER requested to \(state.targetName).")
        // One GETACK before the stream stands still: a Cairn replica answers it with the
        // offset after it, so the hand-over need not wait for its once-a-second ACK.
        // (Redis sends none while paused; its replicas ACK within a second anyway.)
        replication.requestAcknowledgements()
        failover = state
        ctx.expiryPaused = true
    }

    /// Redis's updateFailoverStatus, from the cron and after every acknowledgement: the
    /// timeout, then whether the target (or any replica) has the whole stream.
    func updateFailover(nowMs: Int64) {
        guard var state = failover, state.phase == .waitingForSync else { return }
        if let deadline = state.deadlineMs, deadline <= nowMs {
            guard state.force, state.target != nil else {
                return abortFailover("Replica never caught up before timeout")
            }
            logger.notice("FAILOVER to \(state.targetName) time out exceeded, failing over.")
            return handOver(state)
        }
        let end = persistence.stream?.offset ?? 0
        let synced: ReplicaPeer?
        if let target = state.target {
            synced = replication.peer(host: target.host, port: target.port).flatMap { $0.ackOffset == end ? $0 : nil }
        } else {
            synced = replication.peers.first { $0.state == .online && $0.ackOffset == end }
        }
        guard let peer = synced else { return }
        state.target = (peer.ip, peer.listeningPort)
        logger.notice("Failover target \(state.targetName) is synced, failing over.")
        handOver(state)
    }

    /// This server becomes a replica of the state's target, which its PSYNC asks to take over.
    private func handOver(_ state: FailoverState) {
        guard let target = state.target else { return }
        var state = state
        state.phase = .inProgress
        failover = state
        follow(host: target.host, port: target.port, failover: true)
    }

    /// The target accepted the PSYNC: the failover is over, and the paused writes run (on
    /// a replica now: READONLY).
    func failoverAccepted() {
        guard failover != nil else { return }
        logger.notice("FAILOVER to \(failover!.targetName) succeeded: this server is a replica of it.")
        clearFailover()
    }

    /// Gives up: a primary again if this server had become a replica of the target.
    func abortFailover(_ why: String) {
        guard let state = failover else { return }
        logger.notice("FAILOVER to \(state.targetName) aborted: \(why)")
        if state.phase == .inProgress { promote() }
        clearFailover()
    }

    private func clearFailover() {
        failover = nil
        resumePostponed()
    }
}
