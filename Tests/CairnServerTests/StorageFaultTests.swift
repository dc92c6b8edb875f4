import CairnLog
@testable import CairnServer
import CairnTestSupport
import Foundation
import Logging
import XCTest

/// Storage faults injected under a server running in this process, observed by a real
/// client over TCP: the client sees a clear error, and nothing acknowledged is lost.
final class StorageFaultTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-fault-\(UUID().uuidString)").path
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func start(_ fs: FileSystem) throws -> (Server, Int) {
        var config = ServerConfig()
        config.dir = dir
        config.port = freePort()
        config.bind = ["127.0.0.1"]
        var logger = Logger(label: "cairn-test")
        logger.logLevel = .warning
        let server = Server(config: config, logger: logger, fileSystem: fs, handlesSignals: false)
        try server.start()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let c = try? RESPClient(port: config.port), (try? c.call("PING")) == .simple("PONG") { break }
            usleep(10_000)
        }
        return (server, config.port)
    }

    func stop(_ server: Server) {
        server.stop()
        server.wait()
    }

    func checkFault(_ operation: FaultInjectingFileSystem.Operation, _ code: Int32, file: StaticString = #filePath, line: UInt = #line) throws {
        try? FileManager.default.removeItem(atPath: dir)
        let fs = FaultInjectingFileSystem()
        let (server, port) = try start(fs)
        let a = try RESPClient(port: port)
        XCTAssertEqual(try a.call("SET", "acked", "1"), .simple("OK"), file: file, line: line)
        fs.inject(.init(operation, errno: code, tornBytes: operation == .write ? 3 : 0))
        // The write whose record fails is never acknowledged: its connection is closed.
        try a.sendRaw(RESPClient.encode([Array("SET".utf8), Array("unacked".utf8), Array("2".utf8)]))
        XCTAssertTrue(a.isClosedByServer(), file: file, line: line)
        let b = try RESPClient(port: port)
        let refused = try b.call("SET", "refused", "3")
        guard case .error(let message) = refused else { return XCTFail("write should be refused, got \(refused)", file: file, line: line) }
        XCTAssertTrue(message.hasPrefix("MISCONF Errors writing to the AOF file: "), message, file: file, line: line)
        XCTAssertTrue(message.contains(String(cString: strerror(code))), message, file: file, line: line)
        XCTAssertEqual(try b.call("GET", "acked").string, "1", "reads go on", file: file, line: line)
        let info = try b.call("INFO", "persistence").string!
        XCTAssertTrue(info.contains("aof_last_write_status:err"), info, file: file, line: line)
        stop(server)
        // A restart recovers from the log: the acknowledged write is there, the refused one is not.
        let (again, port2) = try start(PosixFileSystem())
        let c = try RESPClient(port: port2)
        XCTAssertEqual(try c.call("GET", "acked").string, "1", file: file, line: line)
        XCTAssertEqual(try c.call("EXISTS", "refused"), .integer(0), file: file, line: line)
        XCTAssertEqual(try c.call("SET", "after", "4"), .simple("OK"), file: file, line: line)
        stop(again)
    }

    func testFsyncEIO() throws { try checkFault(.sync, EIO) }
    func testFsyncENOSPC() throws { try checkFault(.sync, ENOSPC) }
    func testWriteEIO() throws { try checkFault(.write, EIO) }
    func testWriteENOSPCTorn() throws { try checkFault(.write, ENOSPC) }

    /// A rename failure while rotating to a new segment (the manifest cannot be replaced).
    func testRenameFailureDuringRotation() throws {
        try? FileManager.default.removeItem(atPath: dir)
        let fs = FaultInjectingFileSystem()
        var config = ServerConfig()
        config.dir = dir
        config.port = freePort()
        config.bind = ["127.0.0.1"]
        config.logSegmentSize = 4096
        let server = Server(config: config, logger: Logger(label: "t"), fileSystem: fs, handlesSignals: false)
        try server.start()
        usleep(100_000)
        let a = try RESPClient(port: config.port)
        XCTAssertEqual(try a.call("SET", "k", String(repeating: "x", count: 3000)), .simple("OK"))
        fs.inject(.init(.rename, errno: EIO))
        try a.sendRaw(RESPClient.encode([Array("SET".utf8), Array("k2".utf8), Array(repeating: UInt8(ascii: "y"), count: 3000)]))
        XCTAssertTrue(a.isClosedByServer())
        let b = try RESPClient(port: config.port)
        guard case .error(let m) = try b.call("SET", "k3", "z") else { return XCTFail("refused") }
        XCTAssertTrue(m.contains("rename"), m)
        stop(server)
        let (again, port2) = try start(PosixFileSystem())
        XCTAssertEqual(try RESPClient(port: port2).call("STRLEN", "k"), .integer(3000))
        stop(again)
    }
}
