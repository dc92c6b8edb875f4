import CairnCore

extension CommandContext {
    /// Applies one logged effect to the keyspace (recovery, DEBUG RELOAD, `cairn dump`;
    /// with origin `.replicated`, a command of a replica's stream) through the one call
    /// path; returns the error reply if the command failed, which means the log and the
    /// code disagree. Replies are discarded, and nothing is logged or woken.
    public func replay(_ effect: Effect, session: ClientSession, origin: CallOrigin = .replay, nowMs: Int64? = nil) -> String? {
        session.databaseIndex = effect.database
        guard effect.database < keyspace.databaseCount else { return "database \(effect.database) out of range" }
        guard var spec = table.lookup(effect.arguments[0]) else { return "unknown command \(effect.arguments[0])" }
        if !spec.subcommands.isEmpty && effect.arguments.count >= 2, let sub = spec.subcommands[effect.arguments[1].lowercased] {
            spec = sub
        }
        // The reply is written after what the output holds (DEBUG RELOAD runs inside a
        // client's batch, whose earlier replies must stay) and then taken back.
        let mark = out.buffer.writerIndex
        defer { out.buffer.moveWriterIndex(to: mark) }
        let effectsBefore = effects.count
        // At the clock's time (`nowMs`, read when the replica's stream arrived): the frame
        // around a replica's stream may be old, and XCLAIM takes a delivery time only up to now.
        call(spec, effect.arguments, session: session, nowMs: nowMs ?? Clock.unixMilliseconds(), origin: origin)
        effects.removeSubrange(effectsBefore...)
        readiedKeys.removeAll()
        readiedDatabases.removeAll()
        blockRequest = nil
        if out.wroteError(since: mark) {
            return out.buffer.getString(at: mark, length: out.buffer.writerIndex - mark)
        }
        return nil
    }
}
