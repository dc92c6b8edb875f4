import ArgumentParser
import CairnLog
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
        subcommands: [CheckLog.self]
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
