import CairnCore
import CairnRDB
import CCairnLua

/// A function a library registered with `redis.register_function`.
public struct LuaFunction {
    public let name: String
    public let description: String?
    public let flags: ScriptFlags
    public let library: String
    /// The callback, in the interpreter's registry.
    let reference: Int32
}

/// A library FUNCTION LOAD made: its name, whole code (shebang included) and functions in
/// the order it registered them.
public struct FunctionLibrary {
    public let name: String
    public let code: Bytes
    public let functions: [LuaFunction]
}

/// Redis 7.0's functions: libraries loaded into an interpreter of their own (separate
/// from EVAL's, as Redis keeps them), their functions found by name whatever its case,
/// FCALL, and the payloads of FUNCTION DUMP and RESTORE. Libraries are data: FUNCTION
/// LOAD, DELETE, FLUSH and RESTORE are logged writes, and snapshots hold every library's
/// code.
public final class FunctionLibraries {
    public private(set) var interpreter = LuaInterpreter()
    public private(set) var libraries: [String: FunctionLibrary] = [:]
    /// Every function by lowercased name.
    private var functions: [String: LuaFunction] = [:]

    public init() {}

    public var functionCount: Int { functions.count }

    /// Every library's code, by library name (what a snapshot keeps).
    public var codes: [Bytes] { libraries.keys.sorted().map { libraries[$0]!.code } }

    public func function(named name: Bytes) -> LuaFunction? { functions[name.lowercased.string] }

    static let libraryNameError = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

    // MARK: - Loading

    /// FUNCTION LOAD: the library's name, or Redis's error.
    public func load(_ code: Bytes, replace: Bool) -> Result<String, ScriptError> {
        let metadata: LibraryMetadata
        switch LibraryMetadata.parse(code.array) {
        case .success(let parsed): metadata = parsed
        case .failure(let error): return .failure(error)
        }
        guard LibraryMetadata.isValidName(metadata.name) else { return .failure(ScriptError(Self.libraryNameError)) }
        guard metadata.engine.lowercased() == "lua" else { return .failure(ScriptError("ERR Engine '\(metadata.engine)' not found")) }
        let old = libraries[metadata.name]
        if old != nil && !replace { return .failure(ScriptError("ERR Library '\(metadata.name)' already exists")) }
        let registered: [LuaFunction]
        switch compile(metadata, code: code.array) {
        case .success(let made): registered = made
        case .failure(let error): return .failure(error)
        }
        for f in registered {
            if let existing = functions[f.name.lowercased()], existing.library != metadata.name {
                release(registered)
                return .failure(ScriptError("ERR Function \(f.name) already exists"))
            }
        }
        if let old { remove(old) }
        libraries[metadata.name] = FunctionLibrary(name: metadata.name, code: code, functions: registered)
        for f in registered { functions[f.name.lowercased()] = f }
        return .success(metadata.name)
    }

    /// Runs the library's code (after its shebang line) and takes the functions it
    /// registered into the registry.
    private func compile(_ metadata: LibraryMetadata, code: [UInt8]) -> Result<[LuaFunction], ScriptError> {
        guard let L = interpreter.lua() else { return .failure(ScriptError("ERR Lua interpreter could not be created (out of memory)")) }
        let body = code[metadata.bodyStart...]
        let status = interpreter.hosting {
            body.withUnsafeBytes { cairn_lua_load_library(L, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
        }
        if status != 0 {
            let message = interpreter.string(L, -1)
            cairn_lua_pop(L, 1)
            return .failure(ScriptError(status == 1 ? "ERR Error compiling function: \(message)"
                                                    : "ERR Error registering functions: \(message)"))
        }
        let count = Int32(lua_objlen(L, -1))
        guard count > 0 else {
            cairn_lua_pop(L, 1)
            return .failure(ScriptError("ERR No functions registered"))
        }
        var made: [LuaFunction] = []
        for i in 1...count {
            lua_rawgeti(L, -1, i)
            let name = interpreter.field(L, "name").map { interpreter.string(L, $0) } ?? ""
            cairn_lua_pop(L, 1)
            let description = interpreter.field(L, "description").map { interpreter.string(L, $0) }
            cairn_lua_pop(L, 1)
            let flags = interpreter.field(L, "flags").map { lua_tointeger(L, $0) } ?? 0
            cairn_lua_pop(L, 1)
            lua_getfield(L, -1, "callback")
            let reference = luaL_ref(L, LUA_REGISTRYINDEX)
            cairn_lua_pop(L, 1)
            made.append(LuaFunction(name: name, description: description, flags: ScriptFlags(rawValue: flags).union(.shebang),
                                    library: metadata.name, reference: reference))
        }
        cairn_lua_pop(L, 1)
        return .success(made)
    }

    private func release(_ made: [LuaFunction]) {
        guard let L = interpreter.lua() else { return }
        for f in made { luaL_unref(L, LUA_REGISTRYINDEX, f.reference) }
    }

    private func remove(_ library: FunctionLibrary) {
        for f in library.functions where functions[f.name.lowercased()]?.library == library.name {
            functions[f.name.lowercased()] = nil
        }
        release(library.functions)
        libraries[library.name] = nil
    }

    /// FUNCTION DELETE: false when there is no such library.
    public func delete(_ name: String) -> Bool {
        guard let library = libraries[name] else { return false }
        remove(library)
        return true
    }

    /// FUNCTION FLUSH: every library, and the interpreter with them.
    public func flush() {
        libraries.removeAll()
        functions.removeAll()
        interpreter.reset()
    }

    /// Libraries loaded from `codes` aside, in an interpreter with this one's settings
    /// (nothing here changes), or the first error.
    private func loadedAside(_ codes: [Bytes]) -> Result<FunctionLibraries, ScriptError> {
        let aside = FunctionLibraries()
        aside.interpreter.memoryLimit = interpreter.memoryLimit
        aside.interpreter.log = interpreter.log
        for code in codes {
            if case .failure(let error) = aside.load(code, replace: false) { return .failure(error) }
        }
        return .success(aside)
    }

    /// Takes `other`'s libraries and interpreter in place of these.
    private func adopt(_ other: FunctionLibraries) {
        (libraries, functions, interpreter) = (other.libraries, other.functions, other.interpreter)
    }

    /// Loads `codes` in place of every library (a snapshot's); the first error, and
    /// nothing changed, if one fails.
    public func replaceAll(with codes: [Bytes]) -> ScriptError? {
        if codes.isEmpty && libraries.isEmpty { return nil }
        switch loadedAside(codes) {
        case .success(let loaded):
            adopt(loaded)
            return nil
        case .failure(let error):
            return error
        }
    }

    // MARK: - DUMP and RESTORE

    static let functionOpcode: UInt8 = 0xF5
    static let preGAFunctionOpcode: UInt8 = 0xF6

    /// FUNCTION DUMP: each library's code after RDB's function opcode, then the footer.
    public func dump() -> [UInt8] {
        var w = RDBWriter()
        for code in codes {
            w.byte(Self.functionOpcode)
            w.string(code.array)
        }
        return DumpPayload.sealed(w.bytes)
    }

    public enum RestorePolicy { case flush, append, replace }

    /// FUNCTION RESTORE: nil, or Redis's error with nothing changed.
    public func restore(_ payload: [UInt8], policy: RestorePolicy) -> ScriptError? {
        guard DumpPayload.verify(payload) else { return ScriptError("ERR DUMP payload version or checksum are wrong") }
        var reader = RDBReader(payload, end: payload.count - 10)
        var incoming: [Bytes] = []
        while !reader.atEnd {
            guard let type = try? reader.byte() else { return ScriptError("ERR can not read data type") }
            if type == Self.preGAFunctionOpcode { return ScriptError("ERR Pre-GA function format not supported") }
            guard type == Self.functionOpcode else { return ScriptError("ERR given type is not a function") }
            guard let code = try? reader.string() else { return ScriptError("ERR failed loading the given functions payload") }
            incoming.append(Bytes(code))
        }
        // As Redis: the payload's libraries load first (their errors first), then join
        // these (a name taken is an error unless replaced; function names must not meet).
        let restored: FunctionLibraries
        switch loadedAside(incoming) {
        case .success(let loaded): restored = loaded
        case .failure(let error): return error
        }
        if policy != .flush {
            let kept = libraries.keys.sorted().filter { restored.libraries[$0] == nil }
            if policy == .append, let taken = libraries.keys.sorted().first(where: { restored.libraries[$0] != nil }) {
                return ScriptError("ERR Library \(taken) already exists")
            }
            for name in kept {
                if case .failure(let error) = restored.load(libraries[name]!.code, replace: false) { return error }
            }
        }
        adopt(restored)
        return nil
    }

    // MARK: - FCALL

    /// Runs `function` for the current call (FCALL's arguments checked): its keys and
    /// arguments as the callback's two tables.
    func run(_ ctx: CommandContext, _ function: LuaFunction, keys: Range<Int>, arguments: Range<Int>, refusesGrowth: Bool) {
        interpreter.run(ctx, name: function.name, function: true, readOnly: function.flags.contains(.noWrites),
                        refusesGrowth: refusesGrowth) { L in
            lua_checkstack(L, Int32(max(keys.count, arguments.count) + 8))
            lua_rawgeti(L, LUA_REGISTRYINDEX, function.reference)
            interpreter.push(L, ctx.args, keys)
            cairn_lua_push_array(L, Int32(keys.count))
            interpreter.push(L, ctx.args, arguments)
            cairn_lua_push_array(L, Int32(arguments.count))
            return 2
        }
    }
}

/// A library's shebang line (`#!lua name=mylib`), read as Redis's
/// functionExtractLibMetaData reads it.
struct LibraryMetadata {
    var engine: String
    var name: String
    /// Where the code after the shebang line starts (its newline, so lines keep their numbers).
    var bodyStart: Int

    static func parse(_ code: [UInt8]) -> Result<LibraryMetadata, ScriptError> {
        guard code.count >= 2, code[0] == UInt8(ascii: "#"), code[1] == UInt8(ascii: "!") else {
            return .failure(ScriptError("ERR Missing library metadata"))
        }
        guard let newline = code.firstIndex(of: 10), let parts = splitArguments(code[..<newline]), let first = parts.first else {
            return .failure(ScriptError("ERR Invalid library metadata"))
        }
        var name: String?
        for part in parts.dropFirst() {
            guard part.lowercased().hasPrefix("name=") else {
                return .failure(ScriptError("ERR Invalid metadata value given: \(part)"))
            }
            guard name == nil else {
                return .failure(ScriptError("ERR Invalid metadata value, name argument was given multiple times"))
            }
            name = String(part.dropFirst(5))
        }
        guard let name else { return .failure(ScriptError("ERR Library name was not given")) }
        return .success(LibraryMetadata(engine: String(first.dropFirst(2)), name: name, bodyStart: newline))
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
        }
    }

    /// Words separated by blanks, with double-quoted (escapes) and single-quoted words,
    /// as sdssplitargs splits them; nil for unbalanced quotes.
    static func splitArguments(_ line: ArraySlice<UInt8>) -> [String]? {
        var words: [String] = []
        var i = line.startIndex
        func isBlank(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 11 || c == 12 }
        while true {
            while i < line.endIndex && isBlank(line[i]) { i += 1 }
            guard i < line.endIndex else { return words }
            var word: [UInt8] = []
            var quote: UInt8? = nil
            while i < line.endIndex {
                let c = line[i]
                if let q = quote {
                    if q == 34 && c == 92 && i + 1 < line.endIndex {
                        i += 1
                        let e = line[i]
                        word.append(e == UInt8(ascii: "n") ? 10 : e == UInt8(ascii: "r") ? 13 : e == UInt8(ascii: "t") ? 9 : e)
                    } else if c == q {
                        // A closing quote must be followed by a blank or the end.
                        if i + 1 < line.endIndex && !isBlank(line[i + 1]) { return nil }
                        quote = nil
                        i += 1
                        break
                    } else {
                        word.append(c)
                    }
                } else if c == 34 || c == 39 {
                    quote = c
                } else if isBlank(c) {
                    break
                } else {
                    word.append(c)
                }
                i += 1
            }
            if quote != nil { return nil }
            words.append(String(decoding: word, as: UTF8.self))
        }
    }
}
