import ArgumentParser
import CairnCore
import CairnLog
import CairnRDB
import CairnSnapshot
import CairnStore
#if canImport(Glibc)
import Glibc
#endif

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Build a new data directory from a Redis RDB file (version 1 to 10).",
        discussion: """
        Reads FILE whole (checking its CRC-64), then writes DIR as a checkpoint would: a \
        zstd snapshot of every key, with its expiry, and the function libraries, and a \
        manifest naming it; cairn-server started on DIR loads it. DIR must not exist or \
        must be empty: an existing data directory is never overwritten. A file with module \
        data is refused.
        """
    )

    @Argument(help: "The RDB file (redis-server's dump.rdb).")
    var file: String

    @Argument(help: "The data directory to create.")
    var directory: String

    @Option(help: "How many databases the server will be configured with.")
    var databases = 16

    func run() throws {
        let fs = PosixFileSystem()
        if fs.exists(directory), !(try fs.listDirectory(directory)).isEmpty {
            throw ValidationError("\(directory) is not empty: import builds a new data directory")
        }
        let bytes: [UInt8]
        do { bytes = try fs.readFile(file) } catch { throw ValidationError("cannot read \(file): \(error)") }
        var entries: [(database: Int, entry: RDBFile.Entry)] = []
        let header: RDBFile.Header
        do {
            header = try RDBFile.read(bytes, limits: CollectionLimits()) { database, entry in
                guard database < databases else {
                    throw RDBError("a key in database \(database), past --databases \(databases)")
                }
                entries.append((database, entry))
            }
        } catch let error as RDBError {
            Output.error("\(file): \(error.description)\n")
            throw ExitCode(2)
        }
        let summary = try writeDirectory(header: header, entries: entries, fs: fs)
        Output.error("imported \(file) (RDB version \(header.version)) into \(directory): \(summary.keys) keys, \(header.functionLibraries.count) function libraries, snapshot \(summary.fileBytes) bytes\n")
    }

    /// The snapshot (LSN 1, as if one write had been checkpointed) and the manifest naming
    /// it, each fsynced before the next step, the manifest last.
    private func writeDirectory(header: RDBFile.Header, entries: [(database: Int, entry: RDBFile.Entry)], fs: FileSystem) throws -> SnapshotSummary {
        let snapshots = directory + "/" + DataDirectory.snapshotsDirectory
        for path in [directory, snapshots] where !fs.exists(path) { try fs.makeDirectory(path) }
        let lsn: UInt64 = 1
        let path = snapshots + "/" + SnapshotFormat.fileName(lsn: lsn)
        let fd = try fs.openForWriting(path, create: true)
        defer { fs.close(fd) }
        let writer = try SnapshotWriter(codec: .zstd, lsn: lsn, createdMs: Int64(time(nil)) * 1000, databases: databases) { chunk in
            try fs.write(fd, chunk, path: path)
        }
        try writer.write(functionLibraries: header.functionLibraries)
        for (database, entry) in entries.sorted(by: { $0.database < $1.database }) {
            try writer.write(database: database, key: entry.key, value: entry.value, expireAtMs: entry.expireAtMs)
        }
        let summary = try writer.finish()
        try fs.sync(fd, path: path)
        try fs.syncDirectory(snapshots)
        try Manifest(snapshot: SnapshotFormat.fileName(lsn: lsn), segments: []).write(to: directory, fs: fs)
        return summary
    }
}
