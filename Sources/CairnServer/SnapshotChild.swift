import CairnCore
import CairnSnapshot
import CairnStore
import CCairnSystem
#if canImport(Glibc)
import Glibc
#endif

/// The code that runs in the forked snapshot child, and its report to the parent.
///
/// The child is a copy of a multi-threaded process in which only the forking thread
/// lives on: it must not take a lock another thread might have held (no NIO, no
/// Dispatch, no logging, no Foundation). It uses the snapshot writer (warmed up in the
/// parent by `warmUp`), malloc (glibc makes it safe across fork), the C compression
/// libraries and raw syscalls, and leaves with `_exit`.
enum SnapshotChild {
    /// What the child tells the parent through its pipe: fixed-size, native byte order.
    struct Report {
        /// 0 on success, else the errno (or -1) of what failed.
        var errorCode: Int64 = 0
        /// Which step failed: 1 write, 2 fdatasync, 3 rename, 4 fsync of the directory.
        var failedStep: Int64 = 0
        var keys: Int64 = 0
        var fileBytes: Int64 = 0
        /// Private_Dirty of the child at its end: what copy-on-write cost.
        var copyOnWriteBytes: Int64 = 0

        static let size = MemoryLayout<Report>.size
    }

    /// A page shared between the parent and the child (MAP_SHARED before the fork): the
    /// child's progress, read by INFO while it runs. One writer, aligned 8-byte words.
    final class Progress: @unchecked Sendable {
        let words: UnsafeMutablePointer<UInt64>
        static let keys = 0, copyOnWrite = 1, copyOnWritePeak = 2

        init?() {
            guard let page = mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
                  page != MAP_FAILED else { return nil }
            words = page.bindMemory(to: UInt64.self, capacity: 3)
            words.initialize(repeating: 0, count: 3)
        }

        deinit { munmap(UnsafeMutableRawPointer(words), 4096) }

        subscript(i: Int) -> UInt64 {
            get { words[i] }
            set { words[i] = newValue }
        }
    }

    struct WriteFailed: Error {
        let code: Int32
    }

    /// Writes the snapshot of `keyspace` at `lsn` to `fd` and fdatasyncs it.
    static func write(keyspace: Keyspace, functionLibraries: [Bytes], codec: SnapshotCodec, lsn: UInt64,
                      streamDatabase: (database: Int?, known: Bool) = (nil, true), createdMs: Int64,
                      fd: Int32, keySaveDelay: Int, progress: Progress? = nil) -> Report {
        var report = Report()
        do {
            let writer = try SnapshotWriter(codec: codec, lsn: lsn, createdMs: createdMs, databases: keyspace.databaseCount,
                                            streamDatabase: streamDatabase.database, streamDatabaseKnown: streamDatabase.known) { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw WriteFailed(code: errno)
                    }
                    offset += n
                }
            }
            writer.keySaveDelayMicroseconds = keySaveDelay
            if let progress {
                // Keys as they go; copy-on-write now and then (reading smaps costs about a
                // millisecond), as Redis's child reports current_cow_size.
                writer.onProgress = { keys in
                    progress[Progress.keys] = UInt64(keys)
                    if keys % (16 * 4096) == 0 || (keySaveDelay > 0 && keys % 64 == 0) {
                        let cow = UInt64(cairn_private_dirty_bytes())
                        progress[Progress.copyOnWrite] = cow
                        if cow > progress[Progress.copyOnWritePeak] { progress[Progress.copyOnWritePeak] = cow }
                    }
                }
                writer.progressInterval = keySaveDelay > 0 ? 1 : 4096
            }
            try writer.write(functionLibraries: functionLibraries)
            try writer.write(keyspace)
            let summary = try writer.finish()
            report.keys = Int64(summary.keys)
            report.fileBytes = Int64(summary.fileBytes)
            if fdatasync(fd) != 0 {
                report.errorCode = Int64(errno)
                report.failedStep = 2
            }
        } catch let e as WriteFailed {
            report.errorCode = Int64(e.code)
            report.failedStep = 1
        } catch {
            report.errorCode = -1
            report.failedStep = 1
        }
        report.copyOnWriteBytes = Int64(cairn_private_dirty_bytes())
        return report
    }

    /// Paths as C strings, made by the parent before the fork.
    struct Paths {
        let temp: ContiguousArray<CChar>
        let final: ContiguousArray<CChar>
        let directory: ContiguousArray<CChar>

        init(temp: String, final: String, directory: String) {
            self.temp = ContiguousArray(temp.utf8CString)
            self.final = ContiguousArray(final.utf8CString)
            self.directory = ContiguousArray(directory.utf8CString)
        }
    }

    /// Moves the written file into place and makes the rename durable, in the child (as
    /// Redis's child does), so that the directory fsync never pauses the event loop.
    static func place(_ paths: Paths, into report: inout Report) {
        guard report.errorCode == 0 else { return }
        let renamed = paths.temp.withUnsafeBufferPointer { t in
            paths.final.withUnsafeBufferPointer { f in rename(t.baseAddress, f.baseAddress) }
        }
        if renamed != 0 {
            report.errorCode = Int64(errno)
            report.failedStep = 3
            return
        }
        let dirFD = paths.directory.withUnsafeBufferPointer { open($0.baseAddress!, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if dirFD < 0 || fsync(dirFD) != 0 {
            report.errorCode = Int64(errno)
            report.failedStep = 4
        }
        if dirFD >= 0 { close(dirFD) }
    }

    /// The child's whole life after fork: write, fdatasync, rename, fsync the directory,
    /// report, `_exit`.
    static func run(keyspace: Keyspace, functionLibraries: [Bytes], codec: SnapshotCodec, lsn: UInt64,
                    streamDatabase: (database: Int?, known: Bool), createdMs: Int64,
                    fd: Int32, reportFD: Int32, paths: Paths, parent: pid_t, keySaveDelay: Int, progress: Progress?) -> Never {
        _ = cairn_die_with_parent(parent)
        cairn_close_fds_except(fd, reportFD)
        var report = write(keyspace: keyspace, functionLibraries: functionLibraries, codec: codec, lsn: lsn,
                           streamDatabase: streamDatabase, createdMs: createdMs, fd: fd, keySaveDelay: keySaveDelay, progress: progress)
        place(paths, into: &report)
        _ = withUnsafeBytes(of: &report) { Glibc.write(reportFD, $0.baseAddress, $0.count) }
        _exit(report.errorCode == 0 ? 0 : 1)
    }

    /// Runs every path the child takes once in the parent (every value type and encoding,
    /// every codec, into /dev/null), so that the child finds its code and the runtime's
    /// metadata ready and never has to set them up under a lock it cannot own.
    static func warmUp() {
        let ks = Keyspace(databaseCount: 2, seed: 7)
        ks[0].set("s", .string("text"), clock: 0)
        ks[0].set("i", .string("12"), clock: 0)
        ks[0].set("r", .rawString("raw"), clock: 0)
        ks[0].set("l", .string(Bytes(String(repeating: "l", count: 60))), clock: 0)
        for big in [false, true] {
            let n = big ? 600 : 3
            let h = HashValue(), l = ListValue(), z = SortedSetValue()
            var s = SetValue(), w = SetValue()
            for i in 0..<n {
                _ = h.set(Bytes("f\(i)"), Bytes("v\(i)"), maxPackedEntries: 128, maxPackedValueBytes: 64)
                _ = s.add(Bytes(Int64(i)), maxIntSetEntries: 512)
                _ = w.add(Bytes("m\(i)"), maxIntSetEntries: 512)
                l.pushTail(Bytes("e\(i)"))
                _ = z.set(Bytes("z\(i)"), Double(i), maxPackedEntries: 128, maxPackedValueBytes: 64)
            }
            let suffix = big ? "big" : "small"
            ks[1].set(Bytes("h" + suffix), .hash(h), clock: 0)
            ks[1].set(Bytes("s" + suffix), .set(s), clock: 0)
            ks[1].set(Bytes("w" + suffix), .set(w), clock: 0)
            ks[1].set(Bytes("l" + suffix), .list(l), clock: 0)
            ks[1].set(Bytes("z" + suffix), .zset(z), clock: 0)
        }
        ks[1].setExpire("hsmall", atMs: 1)
        let fd = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let progress = Progress()
        for codec in SnapshotCodec.allCases {
            var report = write(keyspace: ks, functionLibraries: ["#!lua name=warm\n"], codec: codec, lsn: 1, createdMs: 0, fd: fd,
                               keySaveDelay: 0, progress: progress)
            _ = withUnsafeBytes(of: &report) { Glibc.write(fd, $0.baseAddress, $0.count) }
        }
        // The rename path too, on names that do not exist (it fails at once).
        var report = Report()
        place(Paths(temp: "/nonexistent/cairn-warm-up.tmp", final: "/nonexistent/cairn-warm-up", directory: "/nonexistent"),
              into: &report)
    }
}
