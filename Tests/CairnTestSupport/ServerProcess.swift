import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A port nobody listens on now (bound, then released).
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    _ = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// The package's root folder, found from this file's place in it.
public let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built cairn-server: $CAIRN_SERVER, else the debug build that `swift test` made.
public func cairnServerBinary() -> String {
    if let p = ProcessInfo.processInfo.environment["CAIRN_SERVER"] { return p }
    for config in ["debug", "release"] {
        let p = packageRoot.appendingPathComponent(".build/\(config)/cairn-server").path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return packageRoot.appendingPathComponent(".build/debug/cairn-server").path
}

/// A server process started for one test, on its own port and data directory; stopped
/// (SIGKILL if SIGTERM is not enough) when the test is done.
public final class ServerProcess: @unchecked Sendable {
    public let process = Process()
    public let port: Int
    public let directory: URL
    public let output: Pipe = Pipe()
    private var collected = Data()
    private let lock = NSLock()

    /// Starts cairn-server with `arguments` after the port, dir and bind the test chooses.
    public static func cairn(_ arguments: [String] = [], port: Int = freePort()) throws -> ServerProcess {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-test-\(UUID().uuidString)")
        return try ServerProcess(executable: cairnServerBinary(),
                                 arguments: ["--port", "\(port)", "--bind", "127.0.0.1", "--dir", dir.path] + arguments,
                                 port: port, directory: dir, ownsDirectory: true)
    }

    /// Starts cairn-server on a data directory the test keeps (to restart another server
    /// on it, or to damage it in between).
    public static func cairn(directory: URL, port: Int, _ arguments: [String] = [], waitForPort: Bool = true) throws -> ServerProcess {
        try ServerProcess(executable: cairnServerBinary(),
                          arguments: ["--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory.path] + arguments,
                          port: port, directory: directory, waitForPort: waitForPort)
    }

    /// Starts Debian's redis-server with no persistence, the differential tests' oracle.
    public static func redis(_ arguments: [String] = [], port: Int = freePort()) throws -> ServerProcess {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("redis-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let binary = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let binary else { throw ClientError("redis-server is not installed: run Tools/setup") }
        return try ServerProcess(executable: binary,
                                 arguments: ["--port", "\(port)", "--bind", "127.0.0.1", "--dir", dir.path,
                                             "--save", "", "--appendonly", "no", "--daemonize", "no"] + arguments,
                                 port: port, directory: dir, ownsDirectory: true)
    }

    /// The factories' servers own their directory and remove it when stopped; a test that
    /// passes its own directory keeps it (to restart another server on it).
    let ownsDirectory: Bool

    public init(executable: String, arguments: [String], port: Int, directory: URL, waitForPort: Bool = true,
                ownsDirectory: Bool = false) throws {
        self.port = port
        self.directory = directory
        self.ownsDirectory = ownsDirectory
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            self.lock.lock()
            self.collected.append(d)
            self.lock.unlock()
        }
        try process.run()
        if waitForPort {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                // Ready means answering: a server still replaying its log says -LOADING. And
                // it must be this process answering, not another server that holds the port
                // (this one then failed to bind it).
                if let c = try? RESPClient(port: port, timeoutSeconds: 2), let reply = try? c.call("PING") {
                    if case .error(let e) = reply, e.hasPrefix("LOADING") {
                    } else if let info = try? c.call("INFO", "server").string,
                              !info.contains("process_id:\(process.processIdentifier)\r\n") {
                        stop()
                        throw ClientError("another server answers on port \(port), not \(executable) (pid \(process.processIdentifier)): \(log)")
                    } else {
                        return
                    }
                }
                if !process.isRunning { break }
                usleep(20_000)
            }
            stop()
            throw ClientError("\(executable) did not start on port \(port): \(log)")
        }
    }

    /// What the process printed so far.
    public var log: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    public func client() throws -> RESPClient { try RESPClient(port: port) }

    /// Whether the process prints `text` within `seconds`: its output is read on another
    /// thread, so a line printed just before a reply may not be in `log` yet.
    public func waitForLog(_ text: String, seconds: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.contains(text) { return true }
            usleep(10_000)
        }
        return log.contains(text)
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    public func terminate(timeoutSeconds: Double = 10) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            crash()
            return -9
        }
        return process.terminationStatus
    }

    /// A server on a data directory of its own: `before` runs against it, it is killed
    /// with SIGKILL, and `after` runs against a new server on the same data.
    public static func acrossACrash(_ arguments: [String] = [], before: (RESPClient) throws -> Void,
                                    after: (RESPClient) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let first = try ServerProcess.cairn(directory: dir, port: port, arguments)
        try before(try first.client())
        first.crash()
        let second = try ServerProcess.cairn(directory: dir, port: port)
        defer { second.stop() }
        try after(try second.client())
    }

    /// Kills the server with SIGKILL (a crash: nothing is flushed or closed) and waits for it.
    public func crash() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public func waitForExit(timeoutSeconds: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    public func stop() {
        if process.isRunning { crash() }
        output.fileHandleForReading.readabilityHandler = nil
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    deinit { stop() }
}
