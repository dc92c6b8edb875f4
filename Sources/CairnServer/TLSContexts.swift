import NIOSSL
#if canImport(Glibc)
import Glibc
#endif

/// The swift-nio-ssl contexts the tls-* directives describe, checked as Redis's
/// tlsConfigure checks them: one for the clients of tls-port (client certificates as
/// tls-auth-clients says), one for connecting out (a replica to its primary). Built at
/// start and again when CONFIG SET changes a directive they depend on; a failure leaves
/// the contexts in use as they were.
struct TLSContexts {
    let server: NIOSSLContext
    let client: NIOSSLContext

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// TLS 1.3 suites BoringSSL offers; it has no way to narrow them, so tls-ciphersuites
    /// is checked against these names and does not change what is offered.
    static let tls13Suites: Set<String> = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]

    static func make(_ s: TLSSettings) -> Result<TLSContexts, Failure> {
        do {
            return .success(try build(s))
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(description: "\(error)"))
        }
    }

    private static func build(_ s: TLSSettings) throws -> TLSContexts {
        guard !s.certFile.isEmpty else { throw Failure(description: "No tls-cert-file configured!") }
        guard !s.keyFile.isEmpty else { throw Failure(description: "No tls-key-file configured!") }
        if (s.authClients != "no" || s.replication || s.cluster) && s.caCertFile.isEmpty && s.caCertDir.isEmpty {
            throw Failure(description: "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!")
        }
        let versions = try protocols(s.protocols)
        if !s.dhParamsFile.isEmpty && access(s.dhParamsFile, R_OK) != 0 {
            // BoringSSL has no finite-field Diffie-Hellman: the file is only required to exist.
            throw Failure(description: "Failed to load \(s.dhParamsFile): \(String(cString: strerror(errno)))")
        }
        for suite in s.ciphersuites.split(separator: ":") where !tls13Suites.contains(String(suite)) {
            throw Failure(description: "Failed to configure ciphersuites: \(s.ciphersuites)")
        }
        var server = try configuration(s, versions, certFile: s.certFile, keyFile: s.keyFile, pass: s.keyFilePass)
        switch s.authClients {
        case "no": server.certificateVerification = .none
        case "optional": server.certificateVerification = .optionalVerification
        default: server.certificateVerification = .noHostnameVerification
        }
        let ownClientCertificate = !s.clientCertFile.isEmpty && !s.clientKeyFile.isEmpty
        var client = try configuration(s, versions, certFile: ownClientCertificate ? s.clientCertFile : s.certFile,
                                       keyFile: ownClientCertificate ? s.clientKeyFile : s.keyFile,
                                       pass: ownClientCertificate ? s.clientKeyFilePass : s.keyFilePass)
        // The primary's certificate is checked against the CA, not against a host name,
        // as Redis checks it.
        client.certificateVerification = .noHostnameVerification
        do {
            return TLSContexts(server: try NIOSSLContext(configuration: server), client: try NIOSSLContext(configuration: client))
        } catch {
            if !s.ciphers.isEmpty { throw Failure(description: "Failed to configure ciphers: \(s.ciphers) (\(error))") }
            throw Failure(description: "Failed to configure TLS: \(error)")
        }
    }

    /// tls-protocols as a range of versions (empty: TLSv1.2 and TLSv1.3); swift-nio-ssl
    /// takes a lowest and a highest, so a list with a gap allows the versions in it too.
    static func protocols(_ text: String) throws -> ClosedRange<Int> {
        let names = ["tlsv1": 0, "tlsv1.1": 1, "tlsv1.2": 2, "tlsv1.3": 3]
        let words = text.split(separator: " ").map { $0.lowercased() }
        guard !words.isEmpty else { return 2...3 }
        let versions = try words.map { word -> Int in
            guard let v = names[word] else {
                throw Failure(description: "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
            }
            return v
        }
        return versions.min()!...versions.max()!
    }

    private static func configuration(_ s: TLSSettings, _ versions: ClosedRange<Int>, certFile: String, keyFile: String,
                                      pass: String) throws -> TLSConfiguration {
        let all: [TLSVersion] = [.tlsv1, .tlsv11, .tlsv12, .tlsv13]
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certFile)
        } catch {
            throw Failure(description: "Failed to load certificate: \(certFile): \(error)")
        }
        let key: NIOSSLPrivateKey
        do {
            // Always a passphrase callback: without one BoringSSL would ask on the terminal.
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem) { (setter: ([UInt8]) -> Void) in setter(Array(pass.utf8)) }
        } catch {
            throw Failure(description: "Failed to load private key: \(keyFile): \(error)")
        }
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        c.minimumTLSVersion = all[versions.lowerBound]
        c.maximumTLSVersion = all[versions.upperBound]
        if !s.ciphers.isEmpty { c.cipherSuites = s.ciphers }
        for path in [s.caCertFile, s.caCertDir] where !path.isEmpty && access(path, R_OK) != 0 {
            throw Failure(description: "Failed to configure CA certificate(s) file/directory: \(path): \(String(cString: strerror(errno)))")
        }
        if !s.caCertFile.isEmpty { c.trustRoots = .file(s.caCertFile) }
        if !s.caCertDir.isEmpty {
            if s.caCertFile.isEmpty { c.trustRoots = .file(s.caCertDir) } else { c.additionalTrustRoots = [.file(s.caCertDir)] }
        }
        return c
    }
}
