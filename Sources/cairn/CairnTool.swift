import ArgumentParser
import CairnCommands
import CairnCore
import CairnLog
import CairnSnapshot
import CairnStore
#if canImport(Glibc)
import Glibc
#endif

/// The offline tool for Cairn data directories.
@main
struct Cairn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Inspect and repair Cairn data directories offline (with the server stopped).",
        version: "0.1.0",
        subcommands: [CheckLog.self, CheckSnapshot.self, Dump.self, Export.self, Import.self]
    )
}

struct CheckLog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-log",
        abstract: "Verify the manifest and every log record of a data directory.",
        discussion: """
        Reads the manifest and every live segment in order, checking framing, CRC-32C \
        checksums and LSN continuity. Exit status 0 when the log is whole, 1 when it has a \
        torn tail (cut it with --fix), 2 when it is damaged elsewhere.
        """
    )

    @Argument(help: "The data directory (the server's `dir`).")
    var directory: String

    @Flag(help: "Cut a torn tail off the last segment, after saying what will be dropped. Nothing else is ever changed.")
    var fix = false

    func run() throws {
        let fs = PosixFileSystem()
        do {
            let reader = try LogReader(directory: directory, fs: fs)
            guard let manifest = reader.manifest else {
                print("\(directory): no manifest and no log segments: an empty data directory")
                return
            }
            print("manifest: \(manifest.segments.count) segment(s), snapshot \(manifest.snapshot ?? "none")")
            var firstLSN: UInt64?
            var segmentRecords = 0
            var segment = reader.currentSegmentPath
            while let record = try reader.next() {
                if firstLSN == nil { firstLSN = record.lsn }
                if reader.currentSegmentPath != segment {
                    segment = reader.currentSegmentPath
                    segmentRecords = 0
                }
                segmentRecords += 1
            }
            print("records: \(reader.recordsRead), LSN \(firstLSN.map(String.init) ?? "-") to \(reader.lastLSN), \(reader.bytesRead) bytes read")
            if let stream = reader.stream {
                print("replication: id \(stream.id), offset \(stream.offset) after the last record")
            } else {
                print("replication: no offsets (a log written before format version 2; the server starts a new history)")
            }
            if reader.zeroFillBytes > 0 && reader.tornTail == nil {
                print("zero fill: \(reader.zeroFillBytes) byte(s) after the last record (space preallocated for the next records)")
            }
            if let tail = reader.tornTail {
                print("torn tail: \(tail.file) at offset \(tail.offset): \(tail.reason); \(tail.droppedBytes) byte(s) after the last whole record")
                if fix {
                    print("cutting \(tail.droppedBytes) byte(s) from \(tail.file) at offset \(tail.offset)")
                    try LogReader.cut(tail, fs: fs)
                    print("fixed")
                    return
                }
                print("run with --fix to cut it (those bytes were never acknowledged)")
                throw ExitCode(1)
            }
            print("log OK")
        } catch let corruption as LogCorruption {
            print(corruption.description)
            throw ExitCode(2)
        } catch let error as FileSystemError {
            print("error: \(error)")
            throw ExitCode(2)
        }
    }
}

struct CheckSnapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-snapshot",
        abstract: "Verify a snapshot file and summarise what it holds.",
        discussion: """
        Checks the header, every frame's CRC-32C, the trailer and the file checksum, then \
        decodes every record. Exit status 0 when the snapshot is whole, 2 when it is damaged.
        """
    )

    @Argument(help: "A snapshot file (<dir>/snapshots/<lsn>.snap).")
    var file: String

    func run() throws {
        let fs = PosixFileSystem()
        do {
            let mapped = try fs.mapFile(file)
            let reader = try SnapshotReader(path: file, bytes: mapped.bytes, owner: mapped)
            let h = reader.header
            print("snapshot: version \(h.version), LSN \(h.lsn), created \(h.createdMs) ms (Unix), codec \(h.codec.name), \(h.databases) databases")
            print("frames: \(reader.expectedFrames), raw bytes \(reader.expectedRawBytes), file bytes \(reader.fileBytes)")
            var perType: [String: Int] = [:]
            var perDatabase: [Int: Int] = [:]
            var expiring = 0
            var elements = 0
            while let entry = try reader.next(CollectionLimits()) {
                perType[entry.value.typeName, default: 0] += 1
                perDatabase[entry.database, default: 0] += 1
                if entry.expireAtMs != nil { expiring += 1 }
                switch entry.value {
                case .hash(let v): elements += v.count
                case .set(let v): elements += v.count
                case .list(let v): elements += v.count
                case .zset(let v): elements += v.count
                default: elements += 1
                }
            }
            print("keys: \(reader.keysRead) (\(expiring) with an expiry), \(elements) elements")
            if !reader.functionLibraries.isEmpty { print("function libraries: \(reader.functionLibraries.count)") }
            for (type, n) in perType.sorted(by: { $0.key < $1.key }) { print("  \(type): \(n)") }
            for (db, n) in perDatabase.sorted(by: { $0.key < $1.key }) { print("  db\(db): \(n) keys") }
            print("snapshot OK")
        } catch let damage as SnapshotDamage {
            print(damage.description)
            throw ExitCode(2)
        } catch let error as FileSystemError {
            print("error: \(error)")
            throw ExitCode(2)
        }
    }
}

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print, as RESP commands, the keyspace a data directory restores to.",
        discussion: """
        Loads the manifest's snapshot and replays the log after it, as the server does at \
        start-up, without changing anything (a torn tail is reported and left), then writes \
        FUNCTION LOAD for each function library, then SELECT, SET/RPUSH/HSET/SADD/ZADD and \
        PEXPIREAT commands to standard output, keys in byte order. Pipe it into \
        redis-cli --pipe to load it elsewhere.
        """
    )

    @Argument(help: "The data directory (the server's `dir`).")
    var directory: String

    @Option(help: "How many databases the server was configured with.")
    var databases = 16

    func run() throws {
        do {
            let ctx = try LoadedDirectory.load(directory, databases: databases)
            let keyspace = ctx.keyspace
            var out: [UInt8] = []
            for code in ctx.functions.codes { KeyspaceCommands.resp(["FUNCTION", "LOAD", "REPLACE", code], into: &out) }
            for command in KeyspaceCommands.commands(for: keyspace) {
                KeyspaceCommands.resp(command, into: &out)
                if out.count > 1 << 20 {
                    Output.standard(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
            Output.standard(out)
        } catch let corruption as LogCorruption {
            Output.error(corruption.description + "\n")
            throw ExitCode(2)
        } catch let damage as SnapshotDamage {
            Output.error(damage.description + "\n")
            throw ExitCode(2)
        }
    }
}

/// Writes to standard error and standard output without Foundation.
enum Output {
    static func error(_ text: String) {
        var t = text
        t.withUTF8 { p in _ = Glibc.write(2, p.baseAddress, p.count) }
    }

    static func standard(_ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(1, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
