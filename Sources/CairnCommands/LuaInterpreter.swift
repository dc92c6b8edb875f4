import CairnCore
import CCairnLua
import NIOCore

/// One Lua interpreter, as Redis keeps two (one for EVAL scripts, one for function
/// libraries): the sandboxed state, its bounded allocator, the run of one function for
/// the current call (its `redis.call`s through the one call path with frames of their
/// own, its result written as the reply) and the host side of the `redis` table.
public final class LuaInterpreter {
    private var state: OpaquePointer?
    private let memory: UnsafeMutablePointer<cairn_lua_memory>
    /// What the Lua state may allocate (lua-memory-limit; 0: no limit).
    public var memoryLimit = 0 {
        didSet { memory.pointee.limit = memoryLimit }
    }

    /// The run in progress: its context, whether it may write, its protocol for calls.
    private unowned(unsafe) var ctx: CommandContext?
    private var readOnly = false
    private var protocolVersion = 2
    /// The interpreter whose code runs, for the C callbacks (one engine thread). Not
    /// retained: it is set only while the interpreter runs, and whoever runs it holds it.
    nonisolated(unsafe) static var running: Unmanaged<LuaInterpreter>?

    /// redis.log's lines go here (the server sets it to its log); level 0 debug to 3 warning.
    public var log: ((Int, String) -> Void)?

    public init() {
        memory = .allocate(capacity: 1)
        memory.initialize(to: cairn_lua_memory(used: 0, limit: 0, host: 1))
    }

    deinit {
        if let state { lua_close(state) }
        memory.deallocate()
    }

    public var memoryUsed: Int { Int(memory.pointee.used) }

    /// The state, created at first use; nil when out of memory.
    func lua() -> OpaquePointer? {
        if state == nil {
            state = cairn_lua_open(memory, luaHostFunction, "7.0.15", 0x07000f)
        }
        return state
    }

    /// Closes the state: everything compiled in it goes; the next use starts a new one.
    func reset() {
        if let state { lua_close(state) }
        state = nil
    }

    /// Runs `body` with this interpreter's host functions answering (redis.log while a
    /// library loads).
    func hosting<T>(_ body: () -> T) -> T {
        let saved = LuaInterpreter.running
        LuaInterpreter.running = Unmanaged.passUnretained(self)
        defer { LuaInterpreter.running = saved }
        return body()
    }

    /// Runs, for the current call, the function `push` pushes with its arguments (it
    /// returns how many), and writes its result as the reply, or its error named after
    /// `name` as Redis names the script ("script: <name>, on <source>:<line>."). A
    /// client's own call past busy-reply-threshold may pause: then nothing is written,
    /// `ctx.pausedScript` is set, and `continueRun` goes on.
    func run(_ ctx: CommandContext, name: String, function: Bool, readOnly: Bool, refusesGrowth: Bool,
             push: (OpaquePointer) -> Int32) {
        guard let L = lua() else { ctx.out.error("ERR Lua interpreter could not be created (out of memory)"); return }
        // A client's call started at the command clock (no clock read of its own).
        let client = ctx.frame.origin == .client
        let started = client ? ctx.commandClock : Clock.monotonicMicroseconds()
        ctx.scriptRun = ScriptRun(name: name, command: ctx.args, startedMicroseconds: started, isFunction: function,
                                  dirtyAtStart: ctx.dirty, database: ctx.session.databaseIndex, refusesGrowth: refusesGrowth)
        let threshold = ctx.settings.busyReplyThresholdMs
        cairn_lua_prepare_run(client ? 1 : 0, threshold > 0 ? Double(started) / 1e6 + Double(threshold) / 1000 : 0)
        let saved = enter(ctx, readOnly: readOnly, protocolVersion: 2)
        let status = cairn_lua_start(L, push(L))
        finish(L, ctx, status, saved: saved)
    }

    /// Goes on with the paused run (the caller has put its frame back).
    func continueRun(_ ctx: CommandContext) {
        guard let L = state, let paused else { return }
        self.paused = nil
        let saved = enter(ctx, readOnly: paused.readOnly, protocolVersion: paused.protocolVersion)
        finish(L, ctx, cairn_lua_continue(L), saved: saved)
    }

    /// What a paused run needs back (its name and the rest are in `ctx.scriptRun`).
    private var paused: (readOnly: Bool, protocolVersion: Int)?

    /// What a run replaces and gives back when it ends (a script's run inside another's
    /// call, as FUNCTION LOAD's redis.log, nests). Unretained, as the fields it saves.
    private struct Saved {
        unowned(unsafe) var ctx: CommandContext?
        var readOnly: Bool
        var protocolVersion: Int
        var running: Unmanaged<LuaInterpreter>?
    }

    private func enter(_ ctx: CommandContext, readOnly: Bool, protocolVersion: Int) -> Saved {
        let saved = Saved(ctx: self.ctx, readOnly: self.readOnly, protocolVersion: self.protocolVersion,
                          running: LuaInterpreter.running)
        (self.readOnly, self.protocolVersion) = (readOnly, protocolVersion)
        self.ctx = ctx
        LuaInterpreter.running = Unmanaged.passUnretained(self)
        return saved
    }

    private func finish(_ L: OpaquePointer, _ ctx: CommandContext, _ status: Int32, saved: Saved) {
        defer {
            (self.readOnly, self.protocolVersion) = (saved.readOnly, saved.protocolVersion)
            self.ctx = saved.ctx
            LuaInterpreter.running = saved.running
        }
        if status == Int32(CAIRN_LUA_PAUSED) {
            paused = (readOnly, protocolVersion)
            ctx.pausedScript = PausedScript(frame: ctx.frame, interpreter: self)
            return
        }
        // Fields read one by one: `if let run = ctx.scriptRun` copied the whole run out.
        let failed = status == Int32(CAIRN_LUA_FAILED)
        let name = failed ? ctx.scriptRun?.name ?? "" : ""
        if let database = ctx.scriptRun?.database { ctx.session.databaseIndex = database }
        ctx.scriptRun = nil
        if failed {
            ctx.out.error(errorText(L, name: name))
        } else {
            writeReply(L, ctx)
        }
        cairn_lua_pop(L, 1)
        // A step of the collector every 50 runs, of 50 units, as Redis paces it.
        runsSinceCollection += 1
        if runsSinceCollection == 50 {
            lua_gc(L, LUA_GCSTEP, 50)
            runsSinceCollection = 0
        }
    }

    private var runsSinceCollection = 0

    /// "<err> script: <name>, on <source>:<line>." from the error table on top.
    private func errorText(_ L: OpaquePointer, name: String) -> String {
        var message = field(L, "err").map { string(L, $0) } ?? "ERR unknown error"
        cairn_lua_pop(L, 1)
        if let source = field(L, "source").map({ string(L, $0) }) {
            cairn_lua_pop(L, 1)
            if let line = field(L, "line").map({ lua_tointeger(L, $0) }) {
                message += " script: \(name), on \(source):\(line)."
            }
        }
        cairn_lua_pop(L, 1)
        return message.replacingNewlines()
    }

    // MARK: - Lua values into replies

    /// Writes the Lua value on top of the stack as a reply (Redis's luaReplyToRedisReply).
    private func writeReply(_ L: OpaquePointer, _ ctx: CommandContext, depth: Int = 0) {
        guard depth < 1000, lua_checkstack(L, 4) != 0 else { ctx.out.error("ERR reached lua stack limit"); return }
        switch lua_type(L, -1) {
        case LUA_TSTRING:
            var len = 0
            let p = lua_tolstring(L, -1, &len)!
            ctx.out.bulk(raw: UnsafeRawBufferPointer(start: p, count: len))
        case LUA_TBOOLEAN:
            let value = lua_toboolean(L, -1) != 0
            if protocolVersion == 2 {
                if value { ctx.out.integer(1) } else { ctx.out.null() }
            } else {
                ctx.out.boolean(value)
            }
        case LUA_TNUMBER:
            ctx.out.integer(LuaInterpreter.truncated(lua_tonumber(L, -1)))
        case LUA_TTABLE:
            writeTable(L, ctx, depth: depth)
        default:
            ctx.out.null()
        }
    }

    private func writeTable(_ L: OpaquePointer, _ ctx: CommandContext, depth: Int) {
        if let t = field(L, "err"), lua_type(L, t) == LUA_TSTRING {
            ctx.out.error(string(L, t).replacingNewlines())
            cairn_lua_pop(L, 1)
            return
        }
        cairn_lua_pop(L, 1)
        if let t = field(L, "ok"), lua_type(L, t) == LUA_TSTRING {
            ctx.out.simple(string(L, t).replacingNewlines())
            cairn_lua_pop(L, 1)
            return
        }
        cairn_lua_pop(L, 1)
        if let t = field(L, "double"), lua_type(L, t) == LUA_TNUMBER {
            ctx.out.double(lua_tonumber(L, t))
            cairn_lua_pop(L, 1)
            return
        }
        cairn_lua_pop(L, 1)
        if let t = field(L, "big_number"), lua_type(L, t) == LUA_TSTRING {
            ctx.out.bigNumber(bytes(L, t))
            cairn_lua_pop(L, 1)
            return
        }
        cairn_lua_pop(L, 1)
        if writeVerbatim(L, ctx) { return }
        if writeMapOrSet(L, ctx, depth: depth) { return }
        var count = 0
        while true {
            lua_rawgeti(L, -1, Int32(count + 1))
            let isNil = cairn_lua_isnil(L, -1) != 0
            cairn_lua_pop(L, 1)
            if isNil { break }
            count += 1
        }
        ctx.out.arrayHeader(count)
        for i in 0..<count {
            lua_rawgeti(L, -1, Int32(i + 1))
            writeReply(L, ctx, depth: depth + 1)
            cairn_lua_pop(L, 1)
        }
    }

    /// `{verbatim_string = {format = "txt", string = "..."}}`; false (nothing written,
    /// the stack as it was) for anything else.
    private func writeVerbatim(_ L: OpaquePointer, _ ctx: CommandContext) -> Bool {
        lua_pushstring(L, "verbatim_string")
        lua_rawget(L, -2)
        defer { cairn_lua_pop(L, 1) }
        guard lua_type(L, -1) == LUA_TTABLE else { return false }
        lua_pushstring(L, "format")
        lua_rawget(L, -2)
        lua_pushstring(L, "string")
        lua_rawget(L, -3)
        defer { cairn_lua_pop(L, 2) }
        guard lua_type(L, -2) == LUA_TSTRING, lua_type(L, -1) == LUA_TSTRING else { return false }
        ctx.out.verbatim(format: bytes(L, -2), text: bytes(L, -1))
        return true
    }

    /// The bytes of the string at `index` (valid while it stays on the stack).
    private func bytes(_ L: OpaquePointer, _ index: Int32) -> UnsafeRawBufferPointer {
        var len = 0
        let p = lua_tolstring(L, index, &len)
        return UnsafeRawBufferPointer(start: p, count: p == nil ? 0 : len)
    }

    /// `{map = {...}}` and `{set = {...}}` (RESP3 replies a script builds).
    private func writeMapOrSet(_ L: OpaquePointer, _ ctx: CommandContext, depth: Int) -> Bool {
        for (name, isMap) in [("map", true), ("set", false)] {
            guard let t = field(L, name), lua_type(L, t) == LUA_TTABLE else { cairn_lua_pop(L, 1); continue }
            var count = 0
            lua_pushnil(L)
            while lua_next(L, -2) != 0 { count += 1; cairn_lua_pop(L, 1) }
            if isMap { ctx.out.mapHeader(count) } else { ctx.out.setHeader(count) }
            lua_pushnil(L)
            while lua_next(L, -2) != 0 {
                lua_pushvalue(L, -2)
                writeReply(L, ctx, depth: depth + 1)  // the key
                cairn_lua_pop(L, 1)
                if isMap { writeReply(L, ctx, depth: depth + 1) }
                cairn_lua_pop(L, 1)
            }
            cairn_lua_pop(L, 1)
            return true
        }
        return false
    }

    /// Pushes t[name] (raw) for the table on top; returns its index (-1), or nil if it is
    /// nil. The value stays pushed either way.
    func field(_ L: OpaquePointer, _ name: String) -> Int32? {
        lua_pushstring(L, name)
        lua_rawget(L, -2)
        return cairn_lua_isnil(L, -1) != 0 ? nil : -1
    }

    func string(_ L: OpaquePointer, _ index: Int32) -> String {
        var len = 0
        guard let p = lua_tolstring(L, index, &len) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    /// Pushes `args[range]` in order, each read where it lies (a copy of each out of the
    /// array would retain and release it).
    func push(_ L: OpaquePointer, _ args: [Bytes], _ range: Range<Int>) {
        args.withUnsafeBufferPointer { all in
            for i in range {
                all[i].withUnsafeBytes { lua_pushlstring(L, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
            }
        }
    }

    /// C's (long long) of a Lua number: out of range (and NaN) gives LLONG_MIN, as on x86.
    static func truncated(_ d: Double) -> Int64 {
        guard d.isFinite, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else { return Int64.min }
        return Int64(d)
    }

    // MARK: - The host functions (redis.call and the rest)

    fileprivate func host(_ L: OpaquePointer, _ which: Int32) -> Int32 {
        switch Int(which) {
        case Int(CAIRN_LUA_CALL): return call(L, raise: true)
        case Int(CAIRN_LUA_PCALL): return call(L, raise: false)
        case Int(CAIRN_LUA_SETRESP):
            guard lua_gettop(L) == 1 else { return fail(L, "redis.setresp() requires one argument.") }
            let v = lua_tointeger(L, 1)
            guard lua_type(L, 1) == LUA_TNUMBER, v == 2 || v == 3 else { return fail(L, "RESP version must be 2 or 3.") }
            protocolVersion = Int(v)
            return 0
        case Int(CAIRN_LUA_LOG): return logLine(L)
        case Int(CAIRN_LUA_SET_REPL):
            guard lua_gettop(L) == 1 else { return fail(L, "redis.set_repl() requires one argument.") }
            let flags = lua_tointeger(L, 1)
            guard lua_type(L, 1) == LUA_TNUMBER, (0...3).contains(flags) else {
                return fail(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
            }
            return 0
        case Int(CAIRN_LUA_REPLICATE_COMMANDS):
            lua_pushboolean(L, 1)
            return 1
        case Int(CAIRN_LUA_SHA1HEX):
            guard lua_gettop(L) == 1 else { return fail(L, "wrong number of arguments") }
            var len = 0
            let p = lua_tolstring(L, 1, &len)
            let hex = SHA1.hex(UnsafeRawBufferPointer(start: p, count: p == nil ? 0 : len))
            lua_pushstring(L, hex)
            return 1
        default:
            lua_pushboolean(L, 0)
            return 1
        }
    }

    /// An error table {err = "ERR <message>"} to raise.
    private func fail(_ L: OpaquePointer, _ message: String) -> Int32 {
        let text = "ERR " + message
        cairn_lua_push_error_table(L, text, text.utf8.count)
        return -1
    }

    private func logLine(_ L: OpaquePointer) -> Int32 {
        let n = lua_gettop(L)
        guard n >= 2 else { return fail(L, "redis.log() requires two arguments or more.") }
        guard lua_type(L, 1) == LUA_TNUMBER else { return fail(L, "First argument must be a number (log level).") }
        let level = lua_tointeger(L, 1)
        guard (0...3).contains(level) else { return fail(L, "Invalid debug level.") }
        var parts: [String] = []
        for i in 2...n where lua_type(L, i) == LUA_TSTRING || lua_type(L, i) == LUA_TNUMBER { parts.append(string(L, i)) }
        log?(Int(level), parts.joined(separator: " "))
        return 0
    }

    /// redis.call and redis.pcall: the arguments as a command, checked as Redis checks a
    /// script's call, run through `call` with its reply taken back as a Lua value.
    private func call(_ L: OpaquePointer, raise: Bool) -> Int32 {
        guard let ctx else { return fail(L, "redis.call() outside of a script") }
        let n = lua_gettop(L)
        guard n > 0 else { return callError(L, "ERR Please specify at least one argument for this redis lib call", raise: raise) }
        var args: [Bytes] = []
        args.reserveCapacity(Int(n))
        for i in 1...n {
            switch lua_type(L, i) {
            case LUA_TSTRING:
                var len = 0
                let p = lua_tolstring(L, i, &len)!
                args.append(Bytes(UnsafeRawBufferPointer(start: p, count: len)))
            case LUA_TNUMBER:
                args.append(formatDoubleG17(lua_tonumber(L, i)))
            default:
                return callError(L, "ERR Lua redis lib command arguments must be strings or integers", raise: raise)
            }
        }
        var refusal = ""
        guard let spec = scriptSpec(ctx, args, refusal: &refusal) else { return callError(L, refusal, raise: raise) }
        let mark = ctx.out.buffer.writerIndex
        let clientProtocol = ctx.out.protocolVersion
        ctx.out.protocolVersion = protocolVersion
        ctx.call(spec, moving: &args)
        ctx.out.protocolVersion = clientProtocol
        var isError: Int32 = 0
        let pushed = ctx.out.buffer.withUnsafeReadableBytes { raw -> Int32 in
            let reply = UnsafeRawBufferPointer(rebasing: raw[(mark - ctx.out.buffer.readerIndex)...])
            return cairn_lua_push_reply(L, reply.baseAddress?.assumingMemoryBound(to: CChar.self), reply.count, &isError)
        }
        ctx.out.buffer.moveWriterIndex(to: mark)
        if pushed == 0 { return callError(L, "ERR reply of the command could not be read", raise: raise) }
        return isError != 0 && raise ? -1 : 1
    }

    /// The command a script may call, or nil with the refusal in `refusal` (Redis's
    /// scriptCall checks and texts).
    private func scriptSpec(_ ctx: CommandContext, _ args: [Bytes], refusal: inout String) -> CommandSpec? {
        guard var spec = ctx.table.lookup(args[0]) else {
            refusal = "ERR Unknown Redis command called from script"
            return nil
        }
        if !spec.subcommands.isEmpty && args.count >= 2, let sub = spec.subcommands[args[1].lowercased] { spec = sub }
        guard spec.arityAccepts(args.count) else {
            refusal = "ERR Wrong number of args calling Redis command from script"
            return nil
        }
        if spec.flags.contains(.noscript) {
            refusal = "ERR This Redis command is not allowed from script"
            return nil
        }
        if let user = ctx.session.user, !user.unrestricted, let (denial, position) = user.refusal(spec, args) {
            ctx.logACLDenial(denial, .lua, spec: spec, args: args, position: position, session: ctx.session)
            refusal = "ERR The user executing the script " + denial.scriptMessage
            return nil
        }
        if readOnly && spec.isWrite {
            refusal = "ERR Write commands are not allowed from read-only scripts."
            return nil
        }
        if let reason = ctx.admissionRefusal(spec, args, ctx.session) {
            refusal = reason
            return nil
        }
        // Read only for the commands it bears on: reading it copies the run out.
        if spec.isWrite || spec.flags.contains(.denyoom), ctx.scriptRun?.refusesGrowth == true {
            if spec.flags.contains(.denyoom) {
                refusal = "OOM command not allowed when used memory > 'maxmemory'."
                return nil
            }
            ctx.scriptRun?.refusesGrowth = false
        }
        return spec
    }

    private func callError(_ L: OpaquePointer, _ text: String, raise: Bool) -> Int32 {
        cairn_lua_push_error_table(L, text, text.utf8.count)
        return raise ? -1 : 1
    }
}


/// The C side's entry into the host functions.
private let luaHostFunction: cairn_lua_host_function = { L, which in
    guard let L, let interpreter = LuaInterpreter.running else { return 0 }
    return interpreter._withUnsafeGuaranteedRef { $0.host(L, which) }
}

extension CommandContext {
    /// Goes on with the paused script, in its call's frame; true once it finished (its
    /// reply written), false when it paused again.
    public func continuePausedScript() -> Bool {
        guard var paused = pausedScript else { return true }
        pausedScript = nil
        swap(&frame, &paused.frame)
        paused.interpreter.continueRun(self)
        swap(&frame, &paused.frame)
        return pausedScript == nil
    }

    /// The -BUSY answer while a script is paused (which KILL stops it).
    public var busyReply: String? {
        guard pausedScript != nil, let run = scriptRun else { return nil }
        return run.isFunction ? ScriptCommands.busyFunction : ScriptCommands.busyScript
    }
}
