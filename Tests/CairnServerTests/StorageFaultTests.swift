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
        let queued = try RESPClient(port: port)
        XCTAssertEqual(try queued.call("MULTI"), .simple("OK"))
        XCTAssertEqual(try queued.call("SET", "queued", "5"), .simple("QUEUED"))
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
        guard case .error(let ping) = try b.call("PING") else { return XCTFail("PING reports the failure, as Redis", file: file, line: line) }
        XCTAssertTrue(ping.hasPrefix("MISCONF "), ping, file: file, line: line)
        guard case .error(let exec) = try queued.call("EXEC") else {
            return XCTFail("an EXEC of writes queued before the failure is refused", file: file, line: line)
        }
        // Redis refuses an EXEC as it refuses any command, with the block discarded.
        XCTAssertTrue(exec.hasPrefix("EXECABORT Transaction discarded because of: MISCONF "), exec, file: file, line: line)
        let info = try b.call("INFO", "persistence").string!
        XCTAssertTrue(info.contains("aof_last_write_status:err"), info, file: file, line: line)
        stop(server)
        // A restart recovers from the log: the acknowledged write is there, the refused one is not.
        let (again, port2) = try start(PosixFileSystem())
        let c = try RESPClient(port: port2)
        XCTAssertEqual(try c.call("GET", "acked").string, "1", file: file, line: line)
        XCTAssertEqual(try c.call("EXISTS", "refused", "queued"), .integer(0), file: file, line: line)
        XCTAssertEqual(try c.call("SET", "after", "4"), .simple("OK"), file: file, line: line)
        stop(again)
    }

    func testFsyncEIO() throws { try checkFault(.sync, EIO) }
    func testFsyncENOSPC() throws { try checkFault(.sync, ENOSPC) }
    func testWriteEIO() throws { try checkFault(.write, EIO) }
    func testWriteENOSPCTorn() throws { try checkFault(.write, ENOSPC) }

    /// An integer field of INFO, read by `client`.
    private func persistenceField(_ client: RESPClient, _ name: String) throws -> Int {
        try XCTUnwrap(Int(client.infoField(name)), name)
    }

    /// A client writing alone has its records synced by the event loop itself (INFO
    /// `log_fsyncs_on_loop`), each reply still sent only once its record is durable, and
    /// so has its short pipeline; a long pipeline, and two clients writing in turn, go
    /// through the writer thread.
    func testAWriterAloneIsSyncedOnTheLoop() throws {
        try? FileManager.default.removeItem(atPath: dir)
        let (server, port) = try start(PosixFileSystem())
        let a = try RESPClient(port: port)
        let observer = try RESPClient(port: port)
        let before = try persistenceField(observer, "log_fsyncs_on_loop")
        for i in 0..<20 {
            XCTAssertEqual(try a.call("SET", "a\(i)", "v"), .simple("OK"))
            XCTAssertEqual(try persistenceField(observer, "log_durable_lsn"), try persistenceField(observer, "log_last_lsn"))
        }
        // At least one: a sync slower than 50 ms (a slow disk) hands the rest to the thread.
        XCTAssertGreaterThan(try persistenceField(observer, "log_fsyncs_on_loop"), before)
        // A short pipeline (up to 32 records) is synced on the loop too; a long one, as a
        // bulk load sends, goes to the thread.
        func pipeline(_ count: Int, _ prefix: String) throws {
            var raw: [UInt8] = []
            for i in 0..<count { raw += RESPClient.encode([Array("SET".utf8), Array("\(prefix)\(i)".utf8), Array("v".utf8)]) }
            try a.sendRaw(raw)
            for _ in 0..<count { XCTAssertEqual(try a.readReply(), .simple("OK")) }
        }
        let single = try persistenceField(observer, "log_fsyncs_on_loop")
        try pipeline(10, "short")
        XCTAssertGreaterThan(try persistenceField(observer, "log_fsyncs_on_loop"), single)
        let short = try persistenceField(observer, "log_fsyncs_on_loop")
        try pipeline(500, "long")
        XCTAssertEqual(try persistenceField(observer, "log_fsyncs_on_loop"), short, "500 records: the thread syncs")
        let b = try RESPClient(port: port)
        let alone = try persistenceField(observer, "log_fsyncs_on_loop")
        // From b's first write on, a is not alone.
        XCTAssertEqual(try b.call("SET", "b", "w"), .simple("OK"))
        for i in 0..<20 {
            XCTAssertEqual(try a.call("SET", "a\(i)", "w"), .simple("OK"))
            XCTAssertEqual(try b.call("SET", "b\(i)", "w"), .simple("OK"))
        }
        XCTAssertEqual(try persistenceField(observer, "log_fsyncs_on_loop"), alone, "two writers: the writer thread syncs")
        XCTAssertEqual(try observer.call("DBSIZE"), .integer(551))
        stop(server)
    }

    /// A sync on the loop that takes long (a disk that stalls) blocks the loop once, and
    /// then syncing goes back to the writer thread: the next writes of the same client
    /// are not synced on the loop.
    func testASlowSyncOnTheLoopHandsSyncingBackToTheThread() throws {
        try? FileManager.default.removeItem(atPath: dir)
        let fs = FaultInjectingFileSystem()
        let (server, port) = try start(fs)
        let a = try RESPClient(port: port)
        let observer = try RESPClient(port: port)
        XCTAssertEqual(try a.call("SET", "first", "1"), .simple("OK"))
        let onLoop = try persistenceField(observer, "log_fsyncs_on_loop")
        fs.holdSyncs()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { fs.releaseSyncs() }
        XCTAssertEqual(try a.call("SET", "slow", "2"), .simple("OK"))
        XCTAssertEqual(try persistenceField(observer, "log_fsyncs_on_loop"), onLoop + 1, "the held sync ran on the loop")
        for i in 0..<5 { XCTAssertEqual(try a.call("SET", "k\(i)", "3"), .simple("OK")) }
        XCTAssertEqual(try persistenceField(observer, "log_fsyncs_on_loop"), onLoop + 1, "then the writer thread syncs")
        stop(server)
    }

    /// A disk that stops answering: replies wait (never acknowledged early), and a client
    /// pipelining writes meanwhile is no longer read once its held replies pass the limit,
    /// instead of making the server buffer without bound.
    func testStuckDiskHoldsRepliesWithinALimit() throws {
        try? FileManager.default.removeItem(atPath: dir)
        let fs = FaultInjectingFileSystem()
        let (server, port) = try start(fs)
        let writer = try RESPClient(port: port)
        XCTAssertEqual(try writer.call("SET", "before", "1"), .simple("OK"))
        let writerID = try writer.call("CLIENT", "ID").int!
        fs.holdSyncs()
        // 40k SETs whose +OK replies are held: far more input than the limit lets in.
        let value = Array(repeating: UInt8(ascii: "v"), count: 200)
        var batch: [UInt8] = []
        for i in 0..<2000 { batch += RESPClient.encode([Array("SET".utf8), Array("k\(i)".utf8), value]) }
        let payload = batch
        let sender = Thread {
            for _ in 0..<20 { try? writer.sendRaw(payload) }
        }
        sender.start()
        // Every reply now waits for the disk (each could depend on the pending writes), so
        // the held bytes are read from the engine itself, on its loop, until reading
        // stops (within 10 s: a debug build on a loaded machine is slow to get there).
        let engine = server.engine
        var held = 0, paused = false
        for _ in 0..<100 {
            usleep(100_000)
            (held, paused) = try engine.loop.submit { () -> (Int, Bool) in
                let c = engine.clients[writerID]!
                return (c.gatedBytes, c.readPaused)
            }.wait()
            if paused { break }
        }
        XCTAssertTrue(paused, "reading stopped")
        XCTAssertGreaterThan(held, 8 * 1024 * 1024 / 2)
        XCTAssertLessThanOrEqual(held, 8 * 1024 * 1024 + 2 * 1024 * 1024)
        fs.releaseSyncs()
        let observer = try RESPClient(port: port)
        var ok = 0
        while ok < 40_000 {
            guard case .simple("OK") = try writer.readReply() else { return XCTFail("every held reply arrives") }
            ok += 1
        }
        XCTAssertEqual(try observer.call("DBSIZE"), .integer(2001))
        stop(server)
    }

    /// A push (here a MONITOR line) for a write leaves through the same durability gate as
    /// replies: while the disk holds the write's fsync, the monitor sees nothing of it, nor
    /// does the writer get its +OK; once the sync completes, both arrive.
    func testPushForAWriteWaitsUntilTheWriteIsDurable() throws {
        try? FileManager.default.removeItem(atPath: dir)
        let fs = FaultInjectingFileSystem()
        let (server, port) = try start(fs)
        let monitor = try RESPClient(port: port, timeoutSeconds: 1)
        XCTAssertEqual(try monitor.call("MONITOR"), .simple("OK"))
        let writer = try RESPClient(port: port)
        XCTAssertEqual(try writer.call("SET", "before", "1"), .simple("OK"))
        XCTAssertTrue(String(decoding: monitor.drainAvailable(), as: UTF8.self).contains("\"before\""))
        fs.holdSyncs()
        try writer.sendRaw(RESPClient.encode([Array("SET".utf8), Array("held".utf8), Array("2".utf8)]))
        // Quiet for the read timeout (1 s): the line is held with the write's record.
        XCTAssertEqual(monitor.drainAvailable(), [], "no push before the write is durable")
        fs.releaseSyncs()
        XCTAssertEqual(try writer.readReply(), .simple("OK"))
        let line = String(decoding: monitor.drainAvailable(), as: UTF8.self)
        XCTAssertTrue(line.contains("\"SET\" \"held\" \"2\""), line)
        stop(server)
    }

    /// Keyspace notifications go through the gate too: a subscriber never learns of a write
    /// that a crash could still lose.
    func testKeyspaceNotificationWaitsUntilTheWriteIsDurable() throws {
        try? FileManager.default.removeItem(atPath: dir)
        let fs = FaultInjectingFileSystem()
        let (server, port) = try start(fs)
        let writer = try RESPClient(port: port)
        XCTAssertEqual(try writer.call("CONFIG", "SET", "notify-keyspace-events", "KEA"), .simple("OK"))
        let subscriber = try RESPClient(port: port, timeoutSeconds: 1)
        _ = try subscriber.call("PSUBSCRIBE", "__keyevent@0__:*")
        XCTAssertEqual(try writer.call("SET", "before", "1"), .simple("OK"))
        XCTAssertEqual(try subscriber.readReply(), .array([.bulk(Array("pmessage".utf8)), .bulk(Array("__keyevent@0__:*".utf8)),
                                                            .bulk(Array("__keyevent@0__:set".utf8)), .bulk(Array("before".utf8))]))
        fs.holdSyncs()
        try writer.sendRaw(RESPClient.encode([Array("LPUSH".utf8), Array("held".utf8), Array("x".utf8)]))
        XCTAssertEqual(subscriber.drainAvailable(), [], "no notification before the write is durable")
        fs.releaseSyncs()
        XCTAssertEqual(try writer.readReply(), .integer(1))
        let events = String(decoding: subscriber.drainAvailable(), as: UTF8.self)
        XCTAssertTrue(events.contains("__keyevent@0__:lpush"), events)
        stop(server)
    }

    /// Client tracking's invalidations too: a cached value is not dropped because of a
    /// write that is not yet durable.
    func testInvalidationWaitsUntilTheWriteIsDurable() throws {
        try? FileManager.default.removeItem(atPath: dir)
        let fs = FaultInjectingFileSystem()
        let (server, port) = try start(fs)
        let reader = try RESPClient(port: port, timeoutSeconds: 1)
        _ = try reader.call("HELLO", "3")
        XCTAssertEqual(try reader.call("CLIENT", "TRACKING", "on"), .simple("OK"))
        XCTAssertEqual(try reader.call("GET", "k"), .null)
        let writer = try RESPClient(port: port)
        fs.holdSyncs()
        try writer.sendRaw(RESPClient.encode([Array("SET".utf8), Array("k".utf8), Array("v".utf8)]))
        XCTAssertEqual(reader.drainAvailable(), [], "no invalidation before the write is durable")
        fs.releaseSyncs()
        XCTAssertEqual(try writer.readReply(), .simple("OK"))
        XCTAssertEqual(try reader.readReply(), .push([.bulk(Array("invalidate".utf8)), .array([.bulk(Array("k".utf8))])]))
        stop(server)
    }

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
    /// Faults while taking a snapshot: SAVE answers with the error and changes nothing
    /// (the log stays writable and complete, the manifest keeps its state); a failed
    /// manifest switch after BGSAVE leaves the old manifest and every segment.
    func testSnapshotFaultsLoseNothing() throws {
        let fs = FaultInjectingFileSystem()
        var (server, port) = try start(fs)
        let c = try RESPClient(port: port)
        for i in 0..<100 { try c.call("SET", "k\(i)", "v\(i)") }
        for (op, code) in [(FaultInjectingFileSystem.Operation.write, ENOSPC), (.sync, EIO), (.rename, EIO)] {
            fs.inject(.init(op, errno: code, pathContains: "snapshots/"))
            let reply = try c.call("SAVE")
            guard case .error(let message) = reply else { return XCTFail("SAVE should fail on \(op), got \(reply)") }
            XCTAssertTrue(message.hasPrefix("ERR ") && message.contains(String(cString: strerror(code))), message)
            XCTAssertEqual(try c.call("SET", "after-\(op)", "x"), .simple("OK"), "the log is not stopped by a snapshot fault")
            let manifest = String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/MANIFEST")), as: UTF8.self)
            XCTAssertTrue(manifest.contains("snapshot none"), manifest)
            XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: dir + "/snapshots")) ?? [], [], "no partial file left")
        }
        let persistence = try c.call("INFO", "persistence").string!
        XCTAssertTrue(persistence.contains("rdb_last_bgsave_status:err"), persistence)
        // The manifest switch fails (its temporary file cannot be created); the first
        // MANIFEST.tmp of a BGSAVE is the rotation's, the second the switch's.
        fs.inject(.init(.open, after: 2, errno: EIO, pathContains: "MANIFEST.tmp"))
        XCTAssertEqual(try c.call("BGSAVE"), .simple("Background saving started"))
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, try c.call("INFO", "persistence").string!.contains("rdb_bgsave_in_progress:1") { usleep(10_000) }
        XCTAssertTrue(try c.call("INFO", "persistence").string!.contains("rdb_last_bgsave_status:err"))
        XCTAssertEqual(try c.call("SET", "after-manifest", "x"), .simple("OK"))
        // Every segment is kept and named (each failed checkpoint rotated the log once).
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir + "/log")
        let manifest = String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/MANIFEST")), as: UTF8.self)
        XCTAssertEqual(segments.count, 5, "\(segments)")
        for segment in segments { XCTAssertTrue(manifest.contains(segment), "\(segment) in \(manifest)") }
        // And then it works.
        XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/snapshots").count, 1,
                       "the snapshot of the failed switch is cleared by the next good one")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/log").count, 1)
        try c.call("SET", "last", "y")
        stop(server)
        (server, port) = try start(PosixFileSystem())
        let d = try RESPClient(port: port)
        XCTAssertEqual(try d.call("DBSIZE"), .integer(105))
        XCTAssertEqual(try d.call("GET", "last").string, "y")
        stop(server)
    }
}
