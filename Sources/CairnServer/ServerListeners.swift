import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The server's TCP and TLS listeners: opened at start, and moved by CONFIG SET port,
/// tls-port and bind; the TLS contexts built from tls-*, at start and when CONFIG SET
/// changes them. Port 0 (or tls-port 0) listens on nothing, as in Redis.
extension Server {
    /// What start-up listens on; throws Redis's start-up errors.
    func openListeners() throws {
        if config.tls.port != 0 || config.tls.replication {
            switch TLSContexts.make(config.tls) {
            case .success(let contexts): engine.tlsContexts = contexts
            case .failure(let failure):
                logger.warning("\(failure)")
                throw ConfigError("Failed to configure TLS. Check logs for more info.")
            }
        }
        let warn: (String) -> Void = { self.logger.warning("\($0)") }
        if config.port != 0 {
            let sockets = try TCPListeners.open(bind: config.bind, port: config.port, backlog: config.tcpBacklog,
                                                mark: config.socketMarkId, warn: warn).get()
            listeners = try sockets.map { ($0.key, try makeBootstrap(tcp: true).withBoundSocket($0.fd).wait()) }
            guard !listeners.isEmpty else { throw ConfigError("Failed listening on port \(config.port) (tcp), aborting.") }
        }
        if config.tls.port != 0 {
            let sockets = try TCPListeners.open(bind: config.bind, port: config.tls.port, backlog: config.tcpBacklog,
                                                mark: config.socketMarkId, warn: warn).get()
            tlsListeners = try sockets.map { ($0.key, try makeBootstrap(tcp: true, tls: true).withBoundSocket($0.fd).wait()) }
            guard !tlsListeners.isEmpty else { throw ConfigError("Failed listening on port \(config.tls.port) (tls), aborting.") }
        }
        if !config.unixsocket.isEmpty { try listenOnUnixSocket() }
        if listeners.isEmpty && tlsListeners.isEmpty && unixListener == nil {
            throw ConfigError("Configured to not listen anywhere, exiting.")
        }
    }

    /// CONFIG SET, on the loop: new TLS contexts first when tls-* changed (a failure
    /// changes nothing), then the listeners. Returns Redis's refusal, or nil.
    func reconfigure(from old: ServerConfig, to new: ServerConfig) -> (argument: String, reason: String)? {
        let tlsNeeded = new.tls.port != 0 || new.tls.replication
        var contexts = engine.tlsContexts
        if tlsNeeded && (contexts == nil || new.tls.contextDiffers(from: old.tls)) {
            switch TLSContexts.make(new.tls) {
            case .success(let made): contexts = made
            case .failure(let failure):
                logger.warning("Failed to update TLS configuration: \(failure)")
                return (firstChangedTLSDirective(old.tls, new.tls), "Unable to update TLS configuration. Check server logs.")
            }
        }
        if old.port != new.port || old.tls.port != new.tls.port || old.bind != new.bind {
            engine.tlsContexts = contexts
            if let failure = rebind(port: new.port, tlsPort: new.tls.port, bind: new.bind) {
                logger.warning("\(failure)")
                if old.bind != new.bind { return ("bind", "Failed to bind to specified addresses.") }
                return (old.port != new.port ? "port" : "tls-port", "Unable to listen on this port. Check server logs.")
            }
        }
        engine.tlsContexts = contexts
        return nil
    }

    private func firstChangedTLSDirective(_ old: TLSSettings, _ new: TLSSettings) -> String {
        let names = TLSDirectives.directives.map(\.name)
        var a = ServerConfig(), b = ServerConfig()
        a.tls = old
        b.tls = new
        return names.first { name in Directives.byName[name].map { $0.get(a) != $0.get(b) } ?? false } ?? "tls-port"
    }

    /// Where one kind of listener goes: those kept as they are, new sockets, those closing.
    private struct Move {
        var kept: [(key: String, channel: Channel)] = []
        var opened: [(key: String, fd: Int32)] = []
        var closing: [Channel] = []
    }

    private func plan(_ current: [(key: String, channel: Channel)], port: Int, bind: [String]) -> Result<Move, TCPListeners.Failure> {
        guard port != 0 else { return .success(Move(closing: current.map(\.channel))) }
        let wanted = Set(bind.map { TCPListeners.key($0, port: port) })
        let kept = current.filter { wanted.contains($0.key) }
        let opened = TCPListeners.open(bind: bind, port: port, backlog: config.tcpBacklog, mark: config.socketMarkId,
                                       except: Set(kept.map(\.key))) { [logger] in logger.warning("\($0)") }
        switch opened {
        case .failure(let failure):
            return .failure(failure)
        case .success(let sockets) where sockets.isEmpty && kept.isEmpty:
            return .failure(TCPListeners.Failure(address: "\(bind.joined(separator: " ")):\(port)", reason: "no address could be bound"))
        case .success(let sockets):
            return .success(Move(kept: kept, opened: sockets, closing: current.filter { !wanted.contains($0.key) }.map(\.channel)))
        }
    }

    /// The sockets of addresses not listening yet open first, for both kinds, so that a
    /// failure leaves every old one serving; then NIO adopts them and the listeners no
    /// longer named close (one already listening is kept as it is).
    private func rebind(port: Int, tlsPort: Int, bind: [String]) -> TCPListeners.Failure? {
        let plain: Move, secure: Move
        switch plan(listeners, port: port, bind: bind) {
        case .failure(let failure): return failure
        case .success(let move): plain = move
        }
        switch plan(tlsListeners, port: tlsPort, bind: bind) {
        case .failure(let failure):
            plain.opened.forEach { _ = Glibc.close($0.fd) }
            return failure
        case .success(let move): secure = move
        }
        listeners = plain.kept
        adopt(plain, tls: false) { [self] in listeners.append($0) }
        tlsListeners = secure.kept
        adopt(secure, tls: true) { [self] in tlsListeners.append($0) }
        logger.notice("Listening on \(bind.joined(separator: " ")) port \(port), tls-port \(tlsPort)")
        return nil
    }

    /// Closes what goes and serves the new sockets (each added by `add` once NIO has it).
    private func adopt(_ move: Move, tls: Bool, add: @escaping @Sendable ((key: String, channel: Channel)) -> Void) {
        for channel in move.closing { channel.close(promise: nil) }
        for socket in move.opened {
            makeBootstrap(tcp: true, tls: tls).withBoundSocket(socket.fd).whenComplete { [logger] result in
                switch result {
                case .success(let channel): add((socket.key, channel))
                case .failure(let error): logger.warning("Could not serve the listening socket: \(error)")
                }
            }
        }
    }
}
