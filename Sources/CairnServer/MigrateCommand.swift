import CairnCommands
import CairnCore
import CairnRDB
import CairnRESP
#if canImport(Glibc)
import Glibc
#endif

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
/// [AUTH2 username password] [KEYS key ...]: each key's DUMP payload goes to the other
/// server as a RESTORE (with the key's remaining TTL), and the keys it acknowledged are
/// deleted here unless COPY (logged as DELs, which is what replicas get). As in Redis the
/// I/O blocks the server for at most `timeout` ms a step, over a connection kept for the
/// next MIGRATE to the same place (MigrateConnections).
enum MigrateCommand {
    static func spec(_ engine: Engine) -> CommandSpec {
        CommandSpec("migrate", arity: -6, flags: [.write],
                    keys: [KeySpec([.rw, .access, .delete], .index(3), .range(last: 0, step: 1, limit: 0)),
                           KeySpec([.rw, .access, .delete, .incomplete], .keyword("KEYS", from: -2), .range(last: -1, step: 1, limit: 0))],
                    keyFinder: { keys($0) }, acl: [.keyspace, .dangerous], group: "generic", since: "2.6.0",
                    summary: "Atomically transfer a key from a Redis instance to another one.") { ctx in
            run(ctx, engine)
        }
    }

    /// Redis's migrateGetKeys: the key at 3, or those after KEYS (skipping AUTH's and
    /// AUTH2's values); none when KEYS comes with a key argument.
    static func keys(_ args: [Bytes]) -> [KeyReference] {
        var first = 3, count = 1
        var i = 6
        while i < args.count {
            let word = args[i].lowercased
            if word == Bytes("keys") {
                guard args[3].isEmpty else { return [] }
                first = i + 1
                count = args.count - first
                break
            }
            if word == Bytes("auth") { i += 1 } else if word == Bytes("auth2") { i += 2 }
            i += 1
        }
        guard count > 0 else { return [] }
        return (0..<count).map { KeyReference(position: first + $0, flags: [.rw, .access, .delete]) }
    }

    struct Options {
        var copy = false
        var replace = false
        var auth: [String] = []
        var firstKey = 3
        var keyCount = 1
    }

    static func options(_ ctx: CommandContext) -> Options? {
        var o = Options()
        let args = ctx.args
        var j = 6
        while j < args.count {
            let more = args.count - 1 - j
            if ctx.isOption(j, "copy") {
                o.copy = true
            } else if ctx.isOption(j, "replace") {
                o.replace = true
            } else if ctx.isOption(j, "auth") {
                guard more >= 1 else { ctx.syntaxError(); return nil }
                o.auth = [args[j + 1].string]
                j += 1
            } else if ctx.isOption(j, "auth2") {
                guard more >= 2 else { ctx.syntaxError(); return nil }
                o.auth = [args[j + 1].string, args[j + 2].string]
                j += 2
            } else if ctx.isOption(j, "keys") {
                guard args[3].isEmpty else {
                    ctx.out.error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
                    return nil
                }
                o.firstKey = j + 1
                o.keyCount = args.count - o.firstKey
                break
            } else {
                ctx.syntaxError()
                return nil
            }
            j += 1
        }
        return o
    }

    /// What goes: each key here, with its payload and remaining TTL (0: none); keys past
    /// their TTL are left out.
    static func batch(_ ctx: CommandContext, _ o: Options) -> [(key: Bytes, ttl: Int64, payload: [UInt8])] {
        var out: [(key: Bytes, ttl: Int64, payload: [UInt8])] = []
        for key in ctx.args[o.firstKey..<(o.firstKey + o.keyCount)] {
            guard let p = ctx.lookupRead(key) else { continue }
            var ttl: Int64 = 0
            if let at = ctx.db.expireTime(key) {
                ttl = at - ctx.nowMs
                if ttl < 0 { continue }
                ttl = max(ttl, 1)
            }
            out.append((key, ttl, DumpPayload.make(ctx.db.main.entries[p].value)))
        }
        return out
    }

    static func run(_ ctx: CommandContext, _ engine: Engine) {
        guard let o = options(ctx) else { return }
        guard var timeout = ctx.int64Arg(5), let database = ctx.int64Arg(4) else { return }
        if timeout <= 0 { timeout = 1000 }
        let items = batch(ctx, o)
        guard !items.isEmpty else { return ctx.out.simple("NOKEY") }
        let host = ctx.args[1].string, port = ctx.args[2].string
        var mayRetry = true
        while true {
            switch attempt(ctx, engine, o, items, host: host, port: port, database: Int(database), timeoutMs: Int(timeout)) {
            case .done:
                return
            case .socketError(let writing, let timedOut, let retryable):
                engine.migrateConnections.close(host: host, port: port)
                if mayRetry && retryable && !timedOut {
                    mayRetry = false
                    continue
                }
                return ctx.out.error("IOERR error or timeout \(writing ? "writing" : "reading") to target instance")
            }
        }
    }

    enum Outcome {
        case done
        case socketError(writing: Bool, timedOut: Bool, retryable: Bool)
    }

    /// One try over the (cached) connection: the commands out, the replies in, the
    /// acknowledged keys deleted (unless COPY), the reply written unless a socket failed.
    static func attempt(_ ctx: CommandContext, _ engine: Engine, _ o: Options, _ items: [(key: Bytes, ttl: Int64, payload: [UInt8])],
                        host: String, port: String, database: Int, timeoutMs: Int) -> Outcome {
        let deadline = { Clock.monotonicMicroseconds() + Int64(timeoutMs) * 1000 }
        guard let connection = engine.migrateConnections.connection(host: host, port: port, timeoutMs: timeoutMs, nowMs: ctx.nowMs) else {
            ctx.out.error("IOERR error or timeout connecting to the client")
            return .done
        }
        let select = connection.lastDatabase != database
        var request: [UInt8] = []
        if !o.auth.isEmpty { request += encode(["AUTH"] + o.auth) }
        if select { request += encode(["SELECT", String(database)]) }
        for item in items {
            var command: [[UInt8]] = [Array("RESTORE".utf8), item.key.array, Array(String(item.ttl).utf8), item.payload]
            if o.replace { command.append(Array("REPLACE".utf8)) }
            request += encode(command)
        }
        guard MigrateConnections.write(connection.fd, request, deadline: deadline()) else {
            return .socketError(writing: true, timedOut: errno == ETIMEDOUT, retryable: true)
        }
        var authReply: String?, selectReply: String?
        if !o.auth.isEmpty {
            guard let line = MigrateConnections.readLine(connection.fd, deadline: deadline()) else {
                return .socketError(writing: false, timedOut: errno == ETIMEDOUT, retryable: true)
            }
            authReply = line
        }
        if select {
            guard let line = MigrateConnections.readLine(connection.fd, deadline: deadline()) else {
                return .socketError(writing: false, timedOut: errno == ETIMEDOUT, retryable: true)
            }
            selectReply = line
        }
        var targetError: String?
        var deleted: [Bytes] = []
        // Acknowledged keys leave as one DEL in the log and to replicas, as Redis
        // rewrites MIGRATE; the MIGRATE itself is never replayed.
        defer { deleted.isEmpty ? ctx.suppressEffect() : ctx.propagate([Bytes("DEL")] + deleted) }
        for (i, item) in items.enumerated() {
            guard let line = MigrateConnections.readLine(connection.fd, deadline: deadline()) else {
                if targetError == nil {
                    return .socketError(writing: false, timedOut: errno == ETIMEDOUT, retryable: i == 0)
                }
                engine.migrateConnections.close(host: host, port: port)
                break
            }
            let failed = [authReply, selectReply, line].compactMap { $0 }.first { $0.hasPrefix("-") }
            if let failed {
                if targetError == nil { targetError = failed }
            } else if !o.copy, ctx.db.delete(item.key) {
                ctx.notify(.generic, "del", item.key)
                ctx.dirty += 1
                deleted.append(item.key)
            }
        }
        if let targetError {
            connection.lastDatabase = -1
            ctx.out.error("ERR Target instance replied with error: \(targetError.dropFirst())")
        } else {
            connection.lastDatabase = database
            ctx.out.ok()
        }
        return .done
    }

    static func encode(_ parts: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(parts.count)\r\n".utf8)
        for p in parts { out += Array("$\(p.count)\r\n".utf8) + p + [13, 10] }
        return out
    }

    static func encode(_ parts: [String]) -> [UInt8] { encode(parts.map { Array($0.utf8) }) }
}
