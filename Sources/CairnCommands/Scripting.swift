import CairnCore
import CCairnLua

/// The EVAL side of scripting: the script cache (SHA-1 to body and shebang flags) and
/// the interpreter scripts run in (one per server, created at the first script, as
/// Redis's). A script's effects are the effects of its calls: the caller's unit commits
/// them as one record.
public final class Scripting {
    /// Bodies by SHA-1 (lowercase hex).
    public private(set) var scripts: [String: Bytes] = [:]
    /// The flags of each cached script's shebang.
    public private(set) var scriptFlags: [String: ScriptFlags] = [:]
    public let interpreter = LuaInterpreter()

    public init() {}

    /// SCRIPT FLUSH: the cache and the interpreter go; the next script starts a new one.
    public func flush() {
        scripts.removeAll()
        scriptFlags.removeAll()
        interpreter.reset()
    }

    /// Compiles and caches a script; its SHA-1, or the compile error's text.
    public func load(_ body: Bytes) -> Result<String, ScriptError> {
        let sha = body.withUnsafeBytes { SHA1.hex($0) }
        if scripts[sha] != nil { return .success(sha) }
        let flags: ScriptFlags
        switch ScriptFlags.parse(shebangOf: body) {
        case .success(let parsed): flags = parsed
        case .failure(let error): return .failure(error)
        }
        guard let L = interpreter.lua() else { return .failure(ScriptError("ERR Lua interpreter could not be created (out of memory)")) }
        // A shebang line is made a comment, so that the lines keep their numbers.
        let source = flags.hasShebang ? Bytes("--") + body : body
        let failed = source.withUnsafeBytes { raw in
            cairn_lua_compile(L, "f_" + sha, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
        if failed != 0 {
            let message = interpreter.string(L, -1)
            cairn_lua_pop(L, 1)
            return .failure(ScriptError("ERR Error compiling script (new function): \(message)"))
        }
        scripts[sha] = body
        scriptFlags[sha] = flags
        return .success(sha)
    }

    /// Runs the cached script `sha` for the current call and writes its reply.
    func run(_ ctx: CommandContext, sha: String, keys: ArraySlice<Bytes>, arguments: ArraySlice<Bytes>, readOnly: Bool) {
        let readOnly = readOnly || scriptFlags[sha]?.contains(.noWrites) == true
        interpreter.run(ctx, name: sha, function: false, readOnly: readOnly) { L in
            lua_checkstack(L, Int32(keys.count + arguments.count + 8))
            for a in keys { interpreter.push(L, a) }
            for a in arguments { interpreter.push(L, a) }
            cairn_lua_set_arguments(L, Int32(keys.count), Int32(arguments.count))
            lua_getfield(L, LUA_REGISTRYINDEX, "f_" + sha)
            return 0
        }
    }
}

/// The flags of a script's shebang line (`#!lua flags=no-writes,allow-oom`), as Redis 7.0
/// reads them (evalExtractShebangFlags). Only no-writes changes anything yet: there is no
/// maxmemory, no cluster, and a replica's stale data is served by its own setting.
public struct ScriptFlags: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let noWrites = ScriptFlags(rawValue: 1)
    public static let allowOOM = ScriptFlags(rawValue: 2)
    public static let allowStale = ScriptFlags(rawValue: 4)
    public static let noCluster = ScriptFlags(rawValue: 8)
    public static let allowCrossSlotKeys = ScriptFlags(rawValue: 16)
    /// Not a flag: the script has a shebang line (Redis's compatibility mode is off).
    public static let shebang = ScriptFlags(rawValue: 1 << 8)

    static let names: [(String, ScriptFlags)] = [
        ("no-writes", .noWrites), ("allow-oom", .allowOOM), ("allow-stale", .allowStale),
        ("no-cluster", .noCluster), ("allow-cross-slot-keys", .allowCrossSlotKeys),
    ]

    public var hasShebang: Bool { contains(.shebang) }

    /// The flags of `body`'s shebang (none without one), or Redis's error.
    static func parse(shebangOf body: Bytes) -> Result<ScriptFlags, ScriptError> {
        guard body.count >= 2, body[0] == UInt8(ascii: "#"), body[1] == UInt8(ascii: "!") else { return .success([]) }
        let text = body.array
        guard let newline = text.firstIndex(of: 10) else { return .failure(ScriptError("ERR Invalid script shebang")) }
        let parts = String(decoding: text[..<newline], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        guard let engine = parts.first else { return .failure(ScriptError("ERR Invalid engine in script shebang")) }
        guard engine == "#!lua" else { return .failure(ScriptError("ERR Unexpected engine in script shebang: \(engine)")) }
        var flags: ScriptFlags = .shebang
        for part in parts.dropFirst() {
            guard part.hasPrefix("flags=") else { return .failure(ScriptError("ERR Unknown lua shebang option: \(part)")) }
            for name in part.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false) where !(part.count == 6) {
                guard let flag = names.first(where: { $0.0 == name })?.1 else {
                    return .failure(ScriptError("ERR Unexpected flag in script shebang: \(name)"))
                }
                flags.insert(flag)
            }
        }
        return .success(flags)
    }
}

/// A script's compile or run failure, as its error reply's text.
public struct ScriptError: Error {
    public let text: String
    public init(_ text: String) { self.text = text }
}

extension String {
    /// Redis maps CR and LF in error and status texts to spaces.
    func replacingNewlines() -> String {
        String(unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : Character($0) })
    }
}
