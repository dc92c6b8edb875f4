/// The tls-* directives, with Redis 7.0's names and defaults (TLSContexts turns them into
/// swift-nio-ssl contexts).
public struct TLSSettings: Sendable, Equatable {
    /// tls-port: clients over TLS on this port too (0: none).
    public var port = 0
    public var certFile = ""
    public var keyFile = ""
    public var keyFilePass = ""
    /// The certificate and key this server shows when it connects out (to its primary);
    /// empty: certFile and keyFile.
    public var clientCertFile = ""
    public var clientKeyFile = ""
    public var clientKeyFilePass = ""
    public var dhParamsFile = ""
    public var caCertFile = ""
    public var caCertDir = ""
    /// yes: a client must show a certificate the CA signed; optional: checked if shown; no.
    public var authClients = "yes"
    /// Empty: TLSv1.2 and TLSv1.3.
    public var protocols = ""
    public var ciphers = ""
    public var ciphersuites = ""
    public var preferServerCiphers = false
    public var sessionCaching = true
    public var sessionCacheSize = 20480
    public var sessionCacheTimeout = 300
    /// tls-replication: a replica reaches its primary over TLS.
    public var replication = false
    public var cluster = false

    /// What a change of these needs: a new server context (the files, protocols, ciphers).
    func contextDiffers(from other: TLSSettings) -> Bool {
        var a = self, b = other
        for s in [\TLSSettings.port, \.sessionCacheSize, \.sessionCacheTimeout] as [WritableKeyPath<TLSSettings, Int>] {
            a[keyPath: s] = 0
            b[keyPath: s] = 0
        }
        a.replication = false; b.replication = false
        a.cluster = false; b.cluster = false
        return a != b
    }
}

enum TLSDirectives {
    static func text(_ name: String, _ kp: WritableKeyPath<TLSSettings, String>) -> Directive {
        let settings: WritableKeyPath<ServerConfig, TLSSettings> = \.tls
        return Directives.string(name, settings.appending(path: kp))
    }

    nonisolated(unsafe) static let directives: [Directive] = [
        Directives.int("tls-port", 0...65535, \.tls.port),
        text("tls-cert-file", \.certFile),
        text("tls-key-file", \.keyFile),
        text("tls-key-file-pass", \.keyFilePass),
        text("tls-client-cert-file", \.clientCertFile),
        text("tls-client-key-file", \.clientKeyFile),
        text("tls-client-key-file-pass", \.clientKeyFilePass),
        text("tls-dh-params-file", \.dhParamsFile),
        text("tls-ca-cert-file", \.caCertFile),
        text("tls-ca-cert-dir", \.caCertDir),
        text("tls-protocols", \.protocols),
        text("tls-ciphers", \.ciphers),
        text("tls-ciphersuites", \.ciphersuites),
        Directive(name: "tls-auth-clients", mutable: true, get: { $0.tls.authClients }) { c, args in
            guard args.count == 1 else { throw ConfigError("wrong number of arguments") }
            let v = args[0].lowercased()
            guard ["no", "yes", "optional"].contains(v) else { throw ConfigError("argument(s) must be one of the following: no, yes, optional") }
            c.tls.authClients = v
        },
        Directives.boolean("tls-prefer-server-ciphers", \.tls.preferServerCiphers),
        Directives.boolean("tls-session-caching", \.tls.sessionCaching),
        Directives.int("tls-session-cache-size", 0...Int(Int32.max), \.tls.sessionCacheSize),
        Directives.int("tls-session-cache-timeout", 0...Int(Int32.max), \.tls.sessionCacheTimeout),
        Directives.boolean("tls-replication", \.tls.replication),
        Directives.boolean("tls-cluster", \.tls.cluster),
    ]
}
