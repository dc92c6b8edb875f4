import CairnLog
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real file system with faults on demand, for the storage fault tests: fail the
/// n-th write or sync with an errno, tear a write (write part, then fail), or drop
/// everything written since the last sync, as a crash would.
public final class FaultInjectingFileSystem: FileSystem, @unchecked Sendable {
    public enum Operation: String, Sendable { case write, sync, rename, open, syncDirectory }

    public struct Fault: Sendable {
        public var operation: Operation
        /// Fires on the n-th call of that operation from now (1: the next one).
        public var after: Int
        public var errno: Int32
        /// For writes: bytes that reach the file before the error.
        public var tornBytes: Int
        /// Only calls on a path containing this count (and fire); nil: every path.
        public var pathContains: String?

        public init(_ operation: Operation, after: Int = 1, errno: Int32 = EIO, tornBytes: Int = 0, pathContains: String? = nil) {
            self.operation = operation
            self.after = after
            self.errno = errno
            self.tornBytes = tornBytes
            self.pathContains = pathContains
        }
    }

    private let real = PosixFileSystem()
    private let lock = NSLock()
    private var faults: [Fault] = []
    private var counts: [Operation: Int] = [:]
    /// Size of each file at its last successful sync, to simulate losing unsynced writes.
    private var syncedSizes: [String: Int] = [:]
    /// Ranges written at an offset since the file's last sync (log segments write into
    /// preallocated zeros: losing such a write leaves zeros).
    private var unsyncedRanges: [String: [Range<Int>]] = [:]
    public private(set) var firedFaults = 0

    public init() {}

    public func inject(_ fault: Fault) {
        lock.lock()
        var f = fault
        if f.pathContains == nil { f.after += counts[fault.operation, default: 0] }
        faults.append(f)
        lock.unlock()
    }

    private func check(_ op: Operation, path: String) -> Fault? {
        lock.lock()
        defer { lock.unlock() }
        counts[op, default: 0] += 1
        // Faults tied to a path count their own calls.
        for i in faults.indices where faults[i].operation == op {
            if let fragment = faults[i].pathContains {
                guard path.contains(fragment) else { continue }
                faults[i].after -= 1
                if faults[i].after == 0 {
                    firedFaults += 1
                    return faults.remove(at: i)
                }
            } else if faults[i].after == counts[op]! {
                firedFaults += 1
                return faults.remove(at: i)
            }
        }
        return nil
    }

    /// Cuts every file written through this object back to its last synced size, and
    /// zeroes what was written at offsets since: what a power loss leaves when the disk
    /// cache was not flushed.
    public func loseUnsyncedWrites() {
        lock.lock()
        let sizes = syncedSizes
        let ranges = unsyncedRanges
        lock.unlock()
        for (path, size) in sizes {
            _ = Glibc.truncate(path, off_t(size))
            let fd = open(path, O_WRONLY)
            guard fd >= 0 else { continue }
            for range in ranges[path] ?? [] where range.lowerBound < size {
                let zeros = [UInt8](repeating: 0, count: min(range.upperBound, size) - range.lowerBound)
                _ = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(range.lowerBound)) }
            }
            Glibc.close(fd)
        }
    }

    public func openForAppend(_ path: String, create: Bool) throws -> Int32 {
        if let f = check(.open, path: path) { throw FileSystemError("open", path, f.errno) }
        return track(try real.openForAppend(path, create: create), path: path)
    }

    public func openForWriting(_ path: String, create: Bool) throws -> Int32 {
        if let f = check(.open, path: path) { throw FileSystemError("open", path, f.errno) }
        return track(try real.openForWriting(path, create: create), path: path)
    }

    private func track(_ fd: Int32, path: String) -> Int32 {
        lock.lock()
        paths[fd] = path
        if syncedSizes[path] == nil {
            var st = stat()
            syncedSizes[path] = stat(path, &st) == 0 ? Int(st.st_size) : 0
        }
        lock.unlock()
        return fd
    }

    private var paths: [Int32: String] = [:]

    public func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws {
        var bytes = bytes
        var fault: Fault?
        if let f = check(.write, path: path) {
            fault = f
            bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<min(f.tornBytes, bytes.count)])
        }
        if !bytes.isEmpty {
            lock.lock()
            unsyncedRanges[path, default: []].append(offset..<(offset + bytes.count))
            lock.unlock()
            try real.write(fd, bytes, at: offset, path: path)
        }
        if let fault { throw FileSystemError("write", path, fault.errno) }
    }

    public func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        if let f = check(.write, path: path) {
            if f.tornBytes > 0 {
                try real.write(fd, UnsafeRawBufferPointer(rebasing: bytes[0..<min(f.tornBytes, bytes.count)]), path: path)
            }
            throw FileSystemError("write", path, f.errno)
        }
        try real.write(fd, bytes, path: path)
    }

    private let syncGate = NSCondition()
    private var syncsHeld = false

    /// Makes every sync wait until `releaseSyncs`: a disk that stops answering.
    public func holdSyncs() {
        syncGate.lock()
        syncsHeld = true
        syncGate.unlock()
    }

    public func releaseSyncs() {
        syncGate.lock()
        syncsHeld = false
        syncGate.broadcast()
        syncGate.unlock()
    }

    public func sync(_ fd: Int32, path: String) throws {
        syncGate.lock()
        while syncsHeld { syncGate.wait() }
        syncGate.unlock()
        if let f = check(.sync, path: path) { throw FileSystemError("fdatasync", path, f.errno) }
        try real.sync(fd, path: path)
        var st = stat()
        if fstat(fd, &st) == 0 {
            lock.lock()
            syncedSizes[path] = Int(st.st_size)
            unsyncedRanges[path] = nil
            lock.unlock()
        }
    }

    public func close(_ fd: Int32) {
        lock.lock()
        paths[fd] = nil
        lock.unlock()
        real.close(fd)
    }

    public func syncDirectory(_ path: String) throws {
        if let f = check(.syncDirectory, path: path) { throw FileSystemError("fsync", path, f.errno) }
        try real.syncDirectory(path)
    }

    public func rename(_ from: String, _ to: String) throws {
        if let f = check(.rename, path: from) { throw FileSystemError("rename", from, f.errno) }
        try real.rename(from, to)
    }

    public func remove(_ path: String) throws { try real.remove(path) }
    /// Truncates and fsyncs: everything in the file is durable afterwards.
    public func truncate(_ path: String, size: Int) throws {
        try real.truncate(path, size: size)
        lock.lock()
        if syncedSizes[path] != nil { syncedSizes[path] = size }
        unsyncedRanges[path] = nil
        lock.unlock()
    }
    public func readFile(_ path: String) throws -> [UInt8] { try real.readFile(path) }
    public func openForReading(_ path: String) throws -> Int32 { try real.openForReading(path) }
    public func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws -> Int {
        try real.read(fd, into: buffer, at: offset, path: path)
    }
    public func fileSize(_ path: String) throws -> Int { try real.fileSize(path) }
    public func mapFile(_ path: String) throws -> MappedFile { try real.mapFile(path) }
    public func listDirectory(_ path: String) throws -> [String] { try real.listDirectory(path) }
    public func makeDirectory(_ path: String) throws { try real.makeDirectory(path) }
    public func exists(_ path: String) -> Bool { real.exists(path) }
}
