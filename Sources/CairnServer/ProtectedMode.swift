import NIOCore

/// Redis's protected mode: with no password set, only loopback clients are served.
enum ProtectedMode {
    /// A client of the unix socket, or of a loopback address.
    static func isLocal(_ channel: Channel) -> Bool {
        if case .unixDomainSocket? = channel.localAddress { return true }
        return isLoopback(channel.remoteAddress)
    }

    /// Redis's islocalClient: exactly 127.0.0.1 or ::1 (not the rest of 127.0.0.0/8).
    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return false }
        return ip == "127.0.0.1" || ip == "::1"
    }

    static let deniedMessage = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
}
