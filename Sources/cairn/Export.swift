import ArgumentParser
import CairnCommands
import CairnCore
import CairnLog
import CairnRDB
import CairnSnapshot
import CairnStore
#if canImport(Glibc)
import Glibc
#endif

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the keyspace a data directory restores to as a Redis 7.0 RDB file (version 10).",
        discussion: """
        Loads the data directory as `cairn dump` does, then writes FILE as redis-server 7.0 \
        writes dump.rdb: aux fields, the function libraries, every database with its keys \
        (in byte order) and their expiries in milliseconds, and the CRC-64. redis-server \
        loads it (put it in its dir as its dbfilename) and redis-check-rdb checks it. The \
        file is written beside its final name and renamed into place.
        """
    )

    @Argument(help: "The data directory (the server's `dir`).")
    var directory: String

    @Argument(help: "The RDB file to write.")
    var file: String

    @Option(help: "How many databases the server was configured with.")
    var databases = 16

    func run() throws {
        let ctx: CommandContext
        do {
            ctx = try LoadedDirectory.load(directory, databases: databases)
        } catch let corruption as LogCorruption {
            Output.error(corruption.description + "\n")
            throw ExitCode(2)
        } catch let damage as SnapshotDamage {
            Output.error(damage.description + "\n")
            throw ExitCode(2)
        }
        let keyspace = ctx.keyspace
        var tables: [(index: Int, entries: [RDBFile.Entry])] = []
        var keys = 0
        for index in 0..<keyspace.databaseCount {
            let db = keyspace[index]
            let entries = db.main.entries.sorted { $0.key < $1.key }
                .map { RDBFile.Entry(key: $0.key, value: $0.value, expireAtMs: db.expires[$0.key]) }
            keys += entries.count
            tables.append((index, entries))
        }
        let aux = [("redis-ver", "7.0.0"), ("redis-bits", "64"), ("ctime", String(time(nil))), ("used-mem", "0"), ("aof-base", "0")]
        let bytes = RDBFile.make(aux: aux, functionLibraries: ctx.functions.codes, databases: tables)
        try writeAtomically(bytes, to: file)
        Output.error("wrote \(file): \(keys) keys, \(ctx.functions.codes.count) function libraries, \(bytes.count) bytes\n")
    }

    private func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ValidationError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var offset = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
