import CairnCore
import CairnLog
import CairnRDB
import CairnSnapshot
import CairnStore

/// A Redis primary's full sync (an RDB file) made into a Cairn snapshot, which the
/// replica then installs as it installs a Cairn primary's. The snapshot covers `lsn`;
/// the replica's log restarts after it with the primary's history, as after any full sync.
enum RDBAsSnapshot {
    /// Reads the RDB file at `rdbPath` (CRC-64 checked; module data refused) and writes
    /// the snapshot at `snapshotPath`; returns its descriptor, open for installSnapshot.
    static func convert(rdbPath: String, snapshotPath: String, lsn: UInt64, databases: Int, limits: CollectionLimits,
                        fs: FileSystem) throws -> Int32 {
        let bytes = try fs.readFile(rdbPath)
        var entries: [(database: Int, entry: RDBFile.Entry)] = []
        let header: RDBFile.Header
        do {
            header = try RDBFile.read(bytes, limits: limits) { database, entry in
                guard database < databases else { throw RDBError("a key in database \(database), past this server's \(databases)") }
                entries.append((database, entry))
            }
        } catch let error as RDBError {
            throw ReplicationLinkError("the primary's RDB file: \(error.description)")
        }
        try? fs.remove(snapshotPath)
        let fd = try fs.openForWriting(snapshotPath, create: true)
        do {
            let writer = try SnapshotWriter(codec: .lz4, lsn: lsn, createdMs: Clock.unixMilliseconds(), databases: databases) { chunk in
                try fs.write(fd, chunk, path: snapshotPath)
            }
            try writer.write(functionLibraries: header.functionLibraries)
            for (database, entry) in entries {
                try writer.write(database: database, key: entry.key, value: entry.value, expireAtMs: entry.expireAtMs)
            }
            _ = try writer.finish()
            try? fs.remove(rdbPath)
            return fd
        } catch {
            fs.close(fd)
            throw error
        }
    }
}
