import CairnCore
import CairnLog
import CairnRESP
import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops a Cairn server: the event loop, the listening sockets, signals.
public final class Server: @unchecked Sendable {
    public let config: ServerConfig
    let group: MultiThreadedEventLoopGroup
    let engine: Engine
    /// The TCP listeners (replaced by CONFIG SET port or bind: touched on the loop only
    /// once serving) and the unix socket's.
    var listeners: [(key: String, channel: Channel)] = []
    /// tls-port's listeners, as `listeners`.
    var tlsListeners: [(key: String, channel: Channel)] = []
    var unixListener: Channel?
    let logger: Logger
    private var signalSources: [DispatchSourceSignal] = []
    private let stopped = DispatchSemaphore(value: 0)
    /// What the process should exit with once stopped (1 when start-up failed).
    public private(set) var exitCode: Int32 = 0
    private let stopping = NIOLockedValueBox(false)

    let handlesSignals: Bool

    /// `handlesSignals`: SIGTERM and SIGINT stop the server (off for servers embedded in tests).
    public init(config: ServerConfig, logger: Logger, fileSystem: FileSystem = PosixFileSystem(), handlesSignals: Bool = true) {
        self.config = config
        self.handlesSignals = handlesSignals
        self.logger = logger
        // One thread: every client and every command on one event loop.
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let persistence = Persistence(fs: fileSystem, directory: config.dir)
        self.engine = Engine(loop: group.next(), config: config, logger: logger, persistence: persistence)
    }

    /// Creates the data directory, binds every address and starts serving.
    public func start() throws {
        try makeDirectory(config.dir)
        try engine.loadUsers()
        Memory.setBackgroundPurge(config.jemallocBgThread)
        if !config.pidfile.isEmpty {
            let fd = open(config.pidfile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if fd >= 0 {
                let text = "\(getpid())\n"
                _ = text.withCString { write(fd, $0, strlen($0)) }
                close(fd)
            }
        }
        try openListeners()
        let engine = self.engine
        engine.onShutdown = { [weak self] in self?.stop() }
        engine.reconfigureListeners = { [weak self] old, new in self?.reconfigure(from: old, to: new) }
        if handlesSignals { installSignalHandlers() }
        logger.notice("Server initialized")
        let logger = self.logger
        engine.loop.execute {
            engine.startRecovery { [weak self] error in
                if let error {
                    logger.warning("\(error)")
                    self?.fail()
                    return
                }
                // Before the first fork can happen: see SnapshotChild.
                SnapshotChild.warmUp()
                engine.startCron()
                if engine.config.port != 0 { logger.notice("Ready to accept connections tcp") }
                if engine.config.tls.port != 0 { logger.notice("Ready to accept connections tls") }
                if !engine.config.unixsocket.isEmpty { logger.notice("Ready to accept connections unix") }
                if let primary = engine.config.replicaof { engine.follow(host: primary.host, port: primary.port) }
            }
        }
    }

    /// Accepts clients: every one on the engine's loop, behind back-pressure. TCP clients
    /// get TCP_NODELAY and keepalive (a unix socket takes neither option); TCP listening
    /// sockets come bound and listening from `TCPListeners`. A tls-port client's bytes go
    /// through swift-nio-ssl first, with the server context current when it connects.
    func makeBootstrap(tcp: Bool, tls: Bool = false) -> ServerBootstrap {
        let engine = self.engine
        let limits = config.respLimits
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: Int32(config.tcpBacklog))
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 64 * 1024, high: 1024 * 1024))
        if tcp {
            bootstrap = bootstrap
                .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(ChannelOptions.socketOption(.so_keepalive), value: config.tcpKeepalive > 0 ? 1 : 0)
        }
        return bootstrap.childChannelInitializer { channel in
            do {
                if tls {
                    guard let context = engine.tlsContexts?.server else { throw ChannelError.ioOnClosedChannel }
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }
                // No BackPressureHandler: ConnectionHandler switches autoRead off while
                // the client's replies are not being consumed, the same bound without a
                // handler that every read event and read request would pass through.
                try channel.pipeline.syncOperations.addHandler(
                    ConnectionHandler(engine: engine, limits: limits, writesDirectly: tcp && !tls))
                return channel.eventLoop.makeSucceededVoidFuture()
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
    }

    /// unixsocket: clients also on this path (a stale socket file is replaced, as Redis
    /// does), with unixsocketperm's mode when set.
    func listenOnUnixSocket() throws {
        let path = config.unixsocket
        do {
            unixListener = try makeBootstrap(tcp: false).bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
        } catch {
            throw ConfigError("Failed opening Unix socket: \(error)")
        }
        if config.unixsocketperm != 0 { chmod(path, mode_t(config.unixsocketperm)) }
    }

    func fail() {
        exitCode = 1
        stop()
    }

    /// The port actually bound (useful with port 0).

    /// Blocks until the server has stopped.
    public func wait() {
        stopped.wait()
    }

    /// Stops accepting, closes every client, and releases the event loop.
    public func stop() {
        let engine = self.engine
        let first = stopping.withLockedValue { wasStopping -> Bool in
            defer { wasStopping = true }
            return !wasStopping
        }
        guard first else { return }
        engine.loop.execute { [self] in
            for l in (listeners + tlsListeners).map(\.channel) + [unixListener].compactMap({ $0 }) { l.close(promise: nil) }
            engine.checkpointer.killChild()
            // Everything staged reaches the disk before the last replies go out.
            let healthy = engine.persistence.failure == nil
            engine.persistence.close()
            let last = engine.persistence.lastAppliedLSN
            if healthy { engine.logProgress(written: last, durable: last) }
            for c in engine.clients.values {
                c.closeAfterFlush = true
                _ = c.flush()
            }
        }
        DispatchQueue.global().async { [self] in
            // Give the loop a moment to send the last replies before it stops.
            usleep(50_000)
            try? group.syncShutdownGracefully()
            if !config.pidfile.isEmpty { unlink(config.pidfile) }
            if !config.unixsocket.isEmpty { unlink(config.unixsocket) }
            logger.warning("Cairn is now ready to exit, bye bye...")
            stopped.signal()
        }
    }

    private func installSignalHandlers() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                let engine = self.engine
                engine.loop.execute {
                    let sigterm = sig == SIGTERM
                    engine.shutdownOnSignal(sigterm ? "SIGTERM" : "SIGINT",
                                            sigterm ? engine.config.shutdownOnSigterm : engine.config.shutdownOnSigint)
                }
            }
            source.resume()
            signalSources.append(source)
        }
        signal(SIGPIPE, SIG_IGN)
    }

    private func makeDirectory(_ path: String) throws {
        var partial = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            partial += component + "/"
            if mkdir(partial, 0o755) != 0 && errno != EEXIST {
                throw ConfigError("Can't create the data directory '\(path)': \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// The whole of `cairn-server`'s main: configuration, logging, serving until stopped.
public enum ServerMain {
    public static func run(arguments: [String]) -> Int32 {
        let config: ServerConfig
        do {
            config = try ConfigLoader.load(arguments: arguments) { path in try readWholeFile(path) }
        } catch {
            FileHandleOut.stderr("\(error)\n")
            return 1
        }
        let sink = LogSink(path: config.logfile)
        let level = RedisLogHandler.level(config.loglevel)
        if config.syslogEnabled { SystemLog.open(ident: config.syslogIdent, facility: config.syslogFacility) }
        let toSyslog = config.syslogEnabled
        LoggingSystem.bootstrap { _ in RedisLogHandler(level: level, sink: sink, toSyslog: toSyslog) }
        var logger = Logger(label: "cairn")
        logger.logLevel = level
        logger.notice("Cairn starting, pid=\(getpid()), port=\(config.port), dir=\(config.dir), appendfsync=\(config.appendfsync.rawValue)")
        if !config.inertDirectives.isEmpty {
            let names = config.inertDirectives.keys.sorted().joined(separator: ", ")
            logger.warning("These Redis directives do not apply to Cairn and are ignored: \(names)")
        }
        let server = Server(config: config, logger: logger)
        do {
            try server.start()
        } catch {
            logger.warning("\(error)")
            return 1
        }
        server.wait()
        return server.exitCode
    }
}

enum FileHandleOut {
    static func stderr(_ s: String) {
        var t = s
        t.withUTF8 { p in _ = write(2, p.baseAddress, p.count) }
    }
}

struct FileError: Error, CustomStringConvertible {
    let description: String
}

func readWholeFile(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw FileError(description: String(cString: strerror(errno))) }
    defer { close(fd) }
    var data: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buf, buf.count)
        if n < 0 { throw FileError(description: String(cString: strerror(errno))) }
        if n == 0 { break }
        data.append(contentsOf: buf[0..<n])
    }
    return String(decoding: data, as: UTF8.self)
}
