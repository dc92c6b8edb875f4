import ArgumentParser
import CairnCommands
import CairnCore
import CairnLog
import CairnSnapshot
import CairnStore
#if canImport(Glibc)
import Glibc
#endif

/// A data directory loaded as the server loads it at start-up (the manifest's snapshot,
/// then the log after it), without changing anything: a torn tail is reported and left.
enum LoadedDirectory {
    /// The context holding the keyspace and the function libraries; throws LogCorruption
    /// or SnapshotDamage.
    static func load(_ directory: String, databases: Int) throws -> CommandContext {
        guard access(directory, F_OK) == 0 else { throw ValidationError("no data directory at \(directory)") }
        let fs = PosixFileSystem()
        let reader = try LogReader(directory: directory, fs: fs)
        let keyspace = Keyspace(databaseCount: databases)
        let now = Int64(time(nil)) * 1000
        let ctx = CommandContext(keyspace: keyspace, session: ClientSession(id: 0, nowMs: now))
        if let name = reader.manifest?.snapshot {
            let path = directory + "/" + DataDirectory.snapshotsDirectory + "/" + name
            let mapped = try fs.mapFile(path)
            let snapshot = try SnapshotReader(path: path, bytes: mapped.bytes, owner: mapped)
            _ = try snapshot.load(into: keyspace, limits: CollectionLimits())
            if let error = ctx.functions.replaceAll(with: snapshot.functionLibraries) {
                throw SnapshotDamage(file: path, offset: 0, reason: "its function libraries do not load: \(error.text)")
            }
        }
        let session = ClientSession(id: 0, nowMs: now)
        var failures = 0
        while let record = try reader.next() {
            guard record.kind.carriesEffects else { continue }
            for effect in try EffectCodec.decode(record.payload) where ctx.replay(effect, session: session) != nil {
                failures += 1
            }
        }
        if let tail = reader.tornTail {
            Output.error("torn tail left in place: \(tail.file) at offset \(tail.offset) (\(tail.droppedBytes) bytes)\n")
        }
        if failures > 0 { Output.error("\(failures) logged command(s) failed to replay\n") }
        return ctx
    }
}
