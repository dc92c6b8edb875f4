import CairnCore
import CairnLog
import CairnRDB
import CairnSnapshot
import CairnStore
import Dispatch
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A checkpoint's snapshot rewritten as a Redis RDB file, for a replica that is a real
/// Redis (it announced no `capa cairn-snapshot`): read key by key from the mapped
/// snapshot and written as it is made (RDBStreamWriter) into a file that is unlinked as
/// soon as it is open, so it goes with its descriptor whatever happens to the replica.
/// Runs off the event loop; memory stays at about one chunk and one value.
enum SnapshotAsRDB {
    struct Converted: Sendable {
        let fd: Int32
        let path: String
        let size: Int
    }

    /// Converts on a background queue and calls `done` on `loop` with the file, or the error.
    static func convert(_ snapshot: MappedFile, path: String, into directory: String, replicaID: Int64, fs: FileSystem,
                        loop: EventLoop, done: @escaping (Result<Converted, Error>) -> Void) {
        // Called on the loop, bound to it: the conversion's thread only hands it the result.
        let finish = NIOLoopBound(done, eventLoop: loop)
        DispatchQueue.global().async {
            let result = Result { try write(snapshot, path: path, into: directory, replicaID: replicaID, fs: fs) }
            loop.execute { finish.value(result) }
        }
    }

    private static func write(_ snapshot: MappedFile, path: String, into directory: String, replicaID: Int64,
                              fs: FileSystem) throws -> Converted {
        let reader = try SnapshotReader(path: path, bytes: snapshot.bytes, owner: snapshot)
        let rdbPath = directory + "/replica-\(replicaID)-\(getpid()).rdb"
        // Read and write: the replica's sender reads it back through the same descriptor.
        let fd = open(rdbPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystemError("open", rdbPath, errno) }
        // Unlinked at once: the descriptor is all that is needed, and nothing is left behind.
        try? fs.remove(rdbPath)
        do {
            var first: SnapshotEntry? = try reader.next(CollectionLimits())
            let aux = [("redis-ver", "7.0.0"), ("redis-bits", "64"), ("ctime", String(time(nil))), ("used-mem", "0"),
                       ("aof-base", "0")]
            // The function libraries come before the first key, so they are known once it is read.
            let writer = try RDBStreamWriter(aux: aux, functionLibraries: reader.functionLibraries) { chunk in
                try chunk.withUnsafeBytes { try fs.write(fd, $0, path: rdbPath) }
            }
            while let entry = try first ?? reader.next(CollectionLimits()) {
                first = nil
                try writer.add(database: entry.database, RDBFile.Entry(key: entry.key, value: entry.value, expireAtMs: entry.expireAtMs))
            }
            try writer.finish()
            return Converted(fd: fd, path: rdbPath, size: writer.bytesWritten)
        } catch {
            fs.close(fd)
            throw error
        }
    }
}
