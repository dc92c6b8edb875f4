#if canImport(Glibc)
import Glibc
#endif

/// A failed file operation, with the errno that says why.
public struct FileSystemError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let path: String
    public let code: Int32

    public init(_ operation: String, _ path: String, _ code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var reason: String { String(cString: strerror(code)) }
    public var description: String { "\(operation) \(path): \(reason)" }
}

/// Every file access of the log goes through this seam, so that tests can inject torn
/// writes, EIO, ENOSPC and lost fsyncs (see `FaultInjectingFileSystem`).
public protocol FileSystem: AnyObject, Sendable {
    /// Opens for appending (creating when `create`); returns a descriptor.
    func openForAppend(_ path: String, create: Bool) throws -> Int32
    /// Opens for writing at offsets (creating when `create`); returns a descriptor.
    func openForWriting(_ path: String, create: Bool) throws -> Int32
    /// Writes every byte or throws (a short write that cannot continue is an error).
    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws
    /// Writes every byte at `offset` (pwrite) or throws.
    func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws
    /// fdatasync.
    func sync(_ fd: Int32, path: String) throws
    func close(_ fd: Int32)
    func syncDirectory(_ path: String) throws
    func rename(_ from: String, _ to: String) throws
    func remove(_ path: String) throws
    func truncate(_ path: String, size: Int) throws
    func readFile(_ path: String) throws -> [UInt8]
    /// Opens for reading at offsets; returns a descriptor.
    func openForReading(_ path: String) throws -> Int32
    /// Reads up to `buffer.count` bytes at `offset` (pread); returns how many (0 at the end).
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws -> Int
    /// The file's size in bytes, without reading it.
    func fileSize(_ path: String) throws -> Int
    /// The file mapped read-only (snapshots: read once, in order, without a copy in memory).
    func mapFile(_ path: String) throws -> MappedFile
    func listDirectory(_ path: String) throws -> [String]
    func makeDirectory(_ path: String) throws
    func exists(_ path: String) -> Bool
}

/// The real thing: POSIX calls.
public final class PosixFileSystem: FileSystem, @unchecked Sendable {
    public init() {}

    public func openForAppend(_ path: String, create: Bool) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
        if fd < 0 { throw FileSystemError("open", path, errno) }
        return fd
    }

    public func openForWriting(_ path: String, create: Bool) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
        if fd < 0 { throw FileSystemError("open", path, errno) }
        return fd
    }

    public func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws {
        try writeAll(bytes, path: path) { pwrite(fd, $0, $1, off_t(offset + $2)) }
    }

    public func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        try writeAll(bytes, path: path) { pointer, count, _ in Glibc.write(fd, pointer, count) }
    }

    /// Calls `write(pointer, count, done)` until every byte is written, again after EINTR;
    /// an error or a write of nothing throws.
    private func writeAll(_ bytes: UnsafeRawBufferPointer, path: String,
                          _ write: (UnsafeRawPointer, Int, Int) -> Int) throws {
        var done = 0
        while done < bytes.count {
            let n = write(bytes.baseAddress! + done, bytes.count - done, done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path, errno)
            }
            if n == 0 { throw FileSystemError("write", path, EIO) }
            done += n
        }
    }

    public func sync(_ fd: Int32, path: String) throws {
        if fdatasync(fd) != 0 { throw FileSystemError("fdatasync", path, errno) }
    }

    public func close(_ fd: Int32) { _ = Glibc.close(fd) }

    public func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw FileSystemError("open", path, errno) }
        defer { _ = Glibc.close(fd) }
        if fsync(fd) != 0 { throw FileSystemError("fsync", path, errno) }
    }

    public func rename(_ from: String, _ to: String) throws {
        if Glibc.rename(from, to) != 0 { throw FileSystemError("rename", from, errno) }
    }

    public func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw FileSystemError("unlink", path, errno) }
    }

    public func truncate(_ path: String, size: Int) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw FileSystemError("open", path, errno) }
        defer { _ = Glibc.close(fd) }
        if ftruncate(fd, off_t(size)) != 0 { throw FileSystemError("ftruncate", path, errno) }
        if fsync(fd) != 0 { throw FileSystemError("fsync", path, errno) }
    }

    public func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileSystemError("open", path, errno) }
        defer { _ = Glibc.close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw FileSystemError("stat", path, errno) }
        var data = [UInt8](repeating: 0, count: Int(st.st_size))
        var offset = 0
        while offset < data.count {
            let n = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("read", path, errno)
            }
            if n == 0 { break }
            offset += n
        }
        if offset < data.count { data.removeLast(data.count - offset) }
        return data
    }

    public func openForReading(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileSystemError("open", path, errno) }
        return fd
    }

    public func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw FileSystemError("pread", path, errno) }
        }
    }

    public func mapFile(_ path: String) throws -> MappedFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileSystemError("open", path, errno) }
        defer { _ = Glibc.close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw FileSystemError("stat", path, errno) }
        let size = Int(st.st_size)
        guard size > 0 else { return MappedFile(base: nil, count: 0) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw FileSystemError("mmap", path, errno)
        }
        _ = madvise(base, size, MADV_SEQUENTIAL)
        return MappedFile(base: base, count: size)
    }

    public func fileSize(_ path: String) throws -> Int {
        var st = stat()
        if stat(path, &st) != 0 { throw FileSystemError("stat", path, errno) }
        return Int(st.st_size)
    }

    public func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw FileSystemError("opendir", path, errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func makeDirectory(_ path: String) throws {
        var partial = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            partial += component + "/"
            if mkdir(partial, 0o755) != 0 && errno != EEXIST { throw FileSystemError("mkdir", partial, errno) }
        }
    }

    public func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}

/// A read-only mapping of a whole file, unmapped when released.
public final class MappedFile: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    init(base: UnsafeMutableRawPointer?, count: Int) {
        self.base = base
        self.bytes = UnsafeRawBufferPointer(start: base, count: count)
    }

    deinit {
        if let base { munmap(base, bytes.count) }
    }
}
