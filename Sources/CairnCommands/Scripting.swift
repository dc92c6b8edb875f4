import CairnCore
import CCairnLua

/// A script of the cache: its body, its shebang's flags, its compiled function. A class,
/// so that a lookup hands over one reference rather than copying its fields.
public final class CachedScript {
    public let sha: String
    public let body: Bytes
    public let flags: ScriptFlags
    /// The compiled function, in the interpreter's registry.
    let reference: Int32

    init(sha: String, body: Bytes, flags: ScriptFlags, reference: Int32) {
        (self.sha, self.body, self.flags, self.reference) = (sha, body, flags, reference)
    }
}

/// A SHA-1 as the script cache's key, read from its 40 hex digits in either case (EVALSHA
/// looks one up per call: no lowercased copy, no string hashed).
public struct ScriptDigest: Hashable {
    let high: UInt64, middle: UInt64, low: UInt32

    /// nil unless `hex` is 40 hex digits (such a SHA names no script).
    init?(hex: UnsafeRawBufferPointer) {
        guard hex.count == 40 else { return nil }
        func digits(_ from: Int, _ count: Int) -> UInt64? {
            var value: UInt64 = 0
            for i in from..<(from + count) {
                guard let digit = Hex.value(ofDigit: hex[i]) else { return nil }
                value = value << 4 | UInt64(digit)
            }
            return value
        }
        guard let high = digits(0, 16), let middle = digits(16, 16), let low = digits(32, 8) else { return nil }
        (self.high, self.middle, self.low) = (high, middle, UInt32(low))
    }

    init?(_ sha: Bytes) {
        guard let digest = sha.withUnsafeBytes({ ScriptDigest(hex: $0) }) else { return nil }
        self = digest
    }

    /// The digest's bits are already uniform: one word of them is hash enough.
    public func hash(into hasher: inout Hasher) { hasher.combine(high) }
}

/// The EVAL side of scripting: the script cache (by SHA-1) and the interpreter scripts
/// run in (one per server, created at the first script, as Redis's). A script's effects
/// are the effects of its calls: the caller's unit commits them as one record.
public final class Scripting {
    /// Cached scripts by SHA-1.
    public private(set) var scripts: [ScriptDigest: CachedScript] = [:]
    public let interpreter = LuaInterpreter()

    public init() {}

    /// SCRIPT FLUSH: the cache and the interpreter go; the next script starts a new one.
    public func flush() {
        scripts.removeAll()
        (lastFoundSHA, lastFound) = (.empty, nil)
        interpreter.reset()
    }

    /// The cached script whose SHA-1 is `sha` (any case).
    func script(sha: Bytes) -> CachedScript? {
        if let last = lastFound, lastFoundSHA == sha { return last }
        guard let digest = ScriptDigest(sha), let script = scripts[digest] else { return nil }
        (lastFoundSHA, lastFound) = (sha, script)
        return script
    }

    /// The script EVALSHA found last, by the SHA it was named with: a client calling one
    /// script over and over finds it without parsing its SHA again.
    /// Two fields rather than an optional pair: reading the pair copied it out.
    private var lastFound: CachedScript?
    private var lastFoundSHA = Bytes.empty

    /// Compiles and caches a script; the cached script, or the compile error's text.
    public func load(_ body: Bytes) -> Result<CachedScript, ScriptError> {
        let sha = body.withUnsafeBytes { SHA1.hex($0) }
        let digest = ScriptDigest(Bytes(sha))!
        if let cached = scripts[digest] { return .success(cached) }
        let flags: ScriptFlags
        switch ScriptFlags.parse(shebangOf: body) {
        case .success(let parsed): flags = parsed
        case .failure(let error): return .failure(error)
        }
        guard let L = interpreter.lua() else { return .failure(ScriptError("ERR Lua interpreter could not be created (out of memory)")) }
        // A shebang line is made a comment, so that the lines keep their numbers.
        let source = flags.hasShebang ? Bytes("--") + body : body
        var reference: Int32 = 0
        let failed = source.withUnsafeBytes { raw in
            cairn_lua_compile(L, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, &reference)
        }
        if failed != 0 {
            let message = interpreter.string(L, -1)
            cairn_lua_pop(L, 1)
            return .failure(ScriptError("ERR Error compiling script (new function): \(message)"))
        }
        let cached = CachedScript(sha: sha, body: body, flags: flags, reference: reference)
        scripts[digest] = cached
        return .success(cached)
    }

    /// Runs `script` for the current call and writes its reply; its keys and arguments are
    /// the call's arguments in those ranges.
    func run(_ ctx: CommandContext, _ script: CachedScript, keys: Range<Int>, arguments: Range<Int>, readOnly: Bool,
             refusesGrowth: Bool) {
        let readOnly = readOnly || script.flags.contains(.noWrites)
        interpreter.run(ctx, name: script.sha, function: false, readOnly: readOnly, refusesGrowth: refusesGrowth) { L in
            lua_checkstack(L, Int32(keys.count + arguments.count + 8))
            interpreter.push(L, ctx.args, keys)
            interpreter.push(L, ctx.args, arguments)
            cairn_lua_set_arguments(L, Int32(keys.count), Int32(arguments.count))
            lua_rawgeti(L, LUA_REGISTRYINDEX, script.reference)
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
