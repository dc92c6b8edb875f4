import CairnCore

/// Who asked for a call; it decides the after-work `call` does.
public enum CallOrigin {
    /// A client's request: statistics timed from the previous command's end, MONITOR, and
    /// the command may block.
    case client
    /// A call made from inside another (EXEC's block; next, a script's redis.call): timed
    /// on its own, shown to MONITOR, and may not block (it answers as a timeout would).
    case nested
    /// A blocked client's command run again now that a key it waits on holds data, as
    /// Redis 7.2 re-runs it: not counted again, not shown to MONITOR again.
    case reprocess
    /// A logged effect applied at recovery: no statistics, no expiry, nothing woken.
    case replay
    /// A command of this server's primary's stream, on a replica: keys do not expire (the
    /// primary's DEL comes in the stream), but statistics, WATCH touches and MONITOR are
    /// done, as Redis does for its master client.
    case replicated
}

/// One call's own state: which command, with which arguments, for which session, at
/// which time, and where its effects start. `CommandContext.call` gives each call a frame
/// of its own and the caller's back afterwards, so a callee cannot disturb its caller.
public struct CallFrame {
    public internal(set) var spec: CommandSpec?
    /// The call's arguments while it runs; empty in a parked frame that is not a caller's.
    public internal(set) var args: [Bytes]
    public internal(set) var session: ClientSession
    public var nowMs: Int64
    public internal(set) var origin: CallOrigin
    /// The dirty count and the number of effects when the call started.
    var dirtyAtStart: Int
    var effectsAtStart: Int
    /// Set by a handler that recorded its own effects instead of its arguments.
    var effectRewritten = false
    /// Changes made by the calls this one made (they record their own effects).
    var nestedDirty = 0
    /// Arguments the slow log shows as "(redacted)" (passwords).
    var redactedArguments: [Int] = []
    /// The arguments the client sent, when the call runs others (a blocked command run
    /// again with XREAD's `$` resolved): what the slow log shows.
    var shownArguments: [Bytes]?

    /// Makes this frame, last used by an earlier call at the same depth, the frame of a new
    /// call. A spec or session that is already the frame's is left in place: a pipeline
    /// repeats them, and replacing them cost a retain and a release of each per call.
    /// The arguments are the caller's to move in (CommandContext.call).
    mutating func reuse(_ spec: CommandSpec, nowMs: Int64, origin: CallOrigin,
                        dirtyAtStart: Int, effectsAtStart: Int, shownArguments: [Bytes]?) {
        if self.spec !== spec { self.spec = spec }
        self.nowMs = nowMs
        self.origin = origin
        self.dirtyAtStart = dirtyAtStart
        self.effectsAtStart = effectsAtStart
        effectRewritten = false
        nestedDirty = 0
        if !redactedArguments.isEmpty { redactedArguments.removeAll() }
        if self.shownArguments != nil || shownArguments != nil { self.shownArguments = shownArguments }
    }

    /// Makes `session` the frame's, leaving it in place when it already is.
    mutating func use(_ session: ClientSession) {
        if self.session !== session { self.session = session }
    }
}
