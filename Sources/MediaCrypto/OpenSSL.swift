// Every call into OpenSSL lives in this file: the DTLS 1.2 server (RFC 6347, memory BIOs, no sockets),
// the process certificate, HMAC-SHA1 for STUN and secure random bytes.
import COpenSSL

public struct OpenSSLError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ what: String) {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        description = reasons.isEmpty ? what : "\(what): \(reasons.joined(separator: "; "))"
    }
}

public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        precondition(RAND_bytes(&buffer, Int32(count)) == 1, "OpenSSL RAND_bytes failed")
        return buffer
    }
}

public enum Hmac {
    /// HMAC-SHA1, as STUN MESSAGE-INTEGRITY needs (RFC 5389 §15.4).
    public static func sha1(key: [UInt8], message: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let bytes = Array(message)
        let result = HMAC(EVP_sha1(), key, Int32(key.count), bytes, bytes.count, &digest, &length)
        precondition(result != nil, "OpenSSL HMAC failed")
        return Array(digest.prefix(Int(length)))
    }
}

/// Formats a digest the way SDP's a=fingerprint shows it (RFC 8122 §5): upper-case hex pairs joined by colons.
func fingerprintText(_ digest: some Collection<UInt8>) -> String {
    digest.map { byte in
        let hex = String(byte, radix: 16, uppercase: true)
        return byte < 16 ? "0" + hex : hex
    }.joined(separator: ":")
}

/// An ECDSA P-256 key and a self-signed certificate; one per process, shared by all DTLS sessions.
public final class DtlsCertificate: @unchecked Sendable {
    let key: OpaquePointer
    let certificate: OpaquePointer
    /// The SHA-256 fingerprint for SDP (`a=fingerprint:sha-256 …`).
    public let sha256Fingerprint: String

    public init(commonName: String = "media-pod") throws {
        guard let key = shim_EVP_EC_gen_p256() else { throw OpenSSLError("EC key generation") }
        let certificate: OpaquePointer
        do {
            certificate = try makeCertificate(
                subject: commonName, key: key, issuer: nil, issuerKey: key, extensions: [],
                validFrom: -86_400, validUntil: 30 * 86_400)
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        self.key = key
        self.certificate = certificate
        guard let digest = Self.digest(of: certificate, algorithm: "sha-256") else { throw OpenSSLError("X509_digest") }
        sha256Fingerprint = fingerprintText(digest)
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    /// `algorithm` as SDP names it: sha-1, sha-256, sha-384, sha-512.
    static func digest(of certificate: OpaquePointer, algorithm: String) -> [UInt8]? {
        let opensslName = String(algorithm.lowercased().filter { $0 != "-" })
        guard let md = EVP_get_digestbyname(opensslName) else { return nil }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, md, &digest, &length) == 1 else { return nil }
        return Array(digest.prefix(Int(length)))
    }
}

/// The SRTP protection profiles we negotiate through DTLS `use_srtp` (RFC 5764 §4.1.2, RFC 7714 §14.2).
public enum SrtpProfile: Sendable, Equatable {
    case aes128CmHmacSha1_80
    case aeadAes128Gcm

    public var keyLength: Int { 16 }
    public var saltLength: Int {
        switch self {
        case .aes128CmHmacSha1_80: 14
        case .aeadAes128Gcm: 12
        }
    }

    init?(openSSLName: String) {
        switch openSSLName {
        case "SRTP_AES128_CM_SHA1_80": self = .aes128CmHmacSha1_80
        case "SRTP_AEAD_AES_128_GCM": self = .aeadAes128Gcm
        default: return nil
        }
    }
}

/// Keys exported from a finished handshake (RFC 5764 §4.2), each `key + salt` for one direction.
public struct SrtpKeyingMaterial: Sendable, Equatable {
    public var profile: SrtpProfile
    public var clientKey: [UInt8]
    public var serverKey: [UInt8]
}

public enum DtlsRole: Sendable { case server, client }

/// A DTLS 1.2 endpoint driven entirely by the caller: feed it datagrams and timeouts, send what it returns.
/// The server role is the media pod's; the client role exists so tests can run a full handshake in memory.
/// Not thread-safe: each session owns one and calls it from one place at a time.
public final class DtlsEndpoint: @unchecked Sendable {
    public enum State: Sendable, Equatable {
        case handshaking
        case connected(SrtpKeyingMaterial)
        case failed(String)
        case closed
    }

    public private(set) var state: State = .handshaking
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let readBio: OpaquePointer
    private let writeBio: OpaquePointer
    private let expectedPeerFingerprint: (algorithm: String, value: String)?
    private let certificate: DtlsCertificate

    /// A DTLS record must fit in one UDP datagram without IP fragmentation on any path we expect.
    static let linkMtu = 1200

    /// `expectedPeerFingerprint` comes from the remote SDP (`a=fingerprint:<algorithm> <hex>`); nil skips the check (tests only).
    public init(role: DtlsRole, certificate: DtlsCertificate, expectedPeerFingerprint: (algorithm: String, value: String)?) throws {
        guard let context = SSL_CTX_new(DTLS_method()) else { throw OpenSSLError("SSL_CTX_new") }
        self.context = context
        self.certificate = certificate
        self.expectedPeerFingerprint = expectedPeerFingerprint
        shim_SSL_CTX_set_min_proto_version(context, shim_DTLS1_2_VERSION())
        shim_SSL_CTX_set_max_proto_version(context, shim_DTLS1_2_VERSION())
        guard SSL_CTX_use_certificate(context, certificate.certificate) == 1,
              SSL_CTX_use_PrivateKey(context, certificate.key) == 1
        else {
            SSL_CTX_free(context)
            throw OpenSSLError("loading the certificate")
        }
        // Browsers send self-signed certificates; the SDP fingerprint authenticates them after the handshake.
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) { _, _ in 1 }
        // Server preference order: GCM first (cheaper, RFC 7714), AES-CM as the profile every peer has.
        // Returns 0 on success (../shared/SWIFT-C.md pitfall 2).
        guard SSL_CTX_set_tlsext_use_srtp(context, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") == 0 else {
            SSL_CTX_free(context)
            throw OpenSSLError("use_srtp")
        }
        // ECDSA and RSA suites: aiortc only offers ECDSA ones, GStreamer's certificate is RSA (../shared/PEERS.md).
        SSL_CTX_set_cipher_list(context, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA")
        shim_SSL_CTX_set_options(context, shim_SSL_OP_NO_QUERY_MTU())

        guard let ssl = SSL_new(context), let readBio = BIO_new(BIO_s_mem()), let writeBio = BIO_new(BIO_s_mem()) else {
            SSL_CTX_free(context)
            throw OpenSSLError("SSL_new")
        }
        self.ssl = ssl
        self.readBio = readBio
        self.writeBio = writeBio
        // An empty read BIO means "no datagram yet", not end of file.
        shim_BIO_set_mem_eof_return(readBio, -1)
        shim_BIO_set_mem_eof_return(writeBio, -1)
        SSL_set_bio(ssl, readBio, writeBio)
        shim_DTLS_set_link_mtu(ssl, Self.linkMtu)
        shim_SSL_set_mtu(ssl, Self.linkMtu - 28)
        switch role {
        case .server: SSL_set_accept_state(ssl)
        case .client: SSL_set_connect_state(ssl)
        }
    }

    deinit {
        SSL_free(ssl)  // frees both BIOs
        SSL_CTX_free(context)
    }

    /// Starts the handshake; only a client has something to send before it hears from the peer.
    public func start() -> [[UInt8]] {
        advanceHandshake()
        return drainOutgoing()
    }

    /// Feeds one datagram (one or more DTLS records); returns the datagrams to send back.
    public func receive(_ datagram: some Collection<UInt8>) -> [[UInt8]] {
        guard state == .handshaking || isConnected else { return [] }
        let bytes = Array(datagram)
        bytes.withUnsafeBytes { _ = BIO_write(readBio, $0.baseAddress, Int32($0.count)) }
        if state == .handshaking {
            advanceHandshake()
        } else {
            // Application data is not used by WebRTC media without data channels; read and discard it so alerts
            // (close_notify) are processed.
            var scratch = [UInt8](repeating: 0, count: 2048)
            let read = SSL_read(ssl, &scratch, Int32(scratch.count))
            if read <= 0, SSL_get_error(ssl, read) == SSL_ERROR_ZERO_RETURN {
                state = .closed
            }
        }
        return drainOutgoing()
    }

    /// Time until OpenSSL wants to retransmit its last flight, nil when no timer runs.
    public func timeUntilRetransmit() -> Duration? {
        guard state == .handshaking else { return nil }
        var timeout = timeval()
        guard shim_DTLSv1_get_timeout(ssl, &timeout) == 1 else { return nil }
        return .seconds(Int64(timeout.tv_sec)) + .microseconds(Int64(timeout.tv_usec))
    }

    /// Call when `timeUntilRetransmit` has run out: returns the retransmitted flight.
    public func handleRetransmitTimer() -> [[UInt8]] {
        guard state == .handshaking else { return [] }
        if shim_DTLSv1_handle_timeout(ssl) < 0 {
            state = .failed(OpenSSLError("DTLS retransmission").description)
        }
        return drainOutgoing()
    }

    /// Sends close_notify (RFC 5246 §7.2.1) so the peer learns the session ended.
    public func close() -> [[UInt8]] {
        guard isConnected else { return [] }
        SSL_shutdown(ssl)
        state = .closed
        return drainOutgoing()
    }

    public var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }

    private func advanceHandshake() {
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            finishHandshake()
            return
        }
        let error = SSL_get_error(ssl, result)
        if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
            state = .failed(OpenSSLError("DTLS handshake").description)
        }
    }

    private func finishHandshake() {
        guard let peer = SSL_get1_peer_certificate(ssl) else {
            state = .failed("DTLS peer sent no certificate")
            return
        }
        defer { X509_free(peer) }
        if let expected = expectedPeerFingerprint {
            guard let digest = DtlsCertificate.digest(of: peer, algorithm: expected.algorithm) else {
                state = .failed("unsupported fingerprint algorithm \(expected.algorithm)")
                return
            }
            // RFC 8122 §5: the certificate must match the fingerprint signalled in SDP.
            guard fingerprintText(digest) == expected.value.uppercased() else {
                state = .failed("DTLS certificate does not match the SDP fingerprint")
                return
            }
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl),
              let profile = SrtpProfile(openSSLName: String(cString: selected.pointee.name))
        else {
            state = .failed("peer negotiated no supported SRTP profile")
            return
        }
        let keyLength = profile.keyLength, saltLength = profile.saltLength
        var material = [UInt8](repeating: 0, count: 2 * (keyLength + saltLength))
        let label = "EXTRACTOR-dtls_srtp"
        guard SSL_export_keying_material(ssl, &material, material.count, label, label.utf8.count, nil, 0, 0) == 1 else {
            state = .failed(OpenSSLError("exporting SRTP keys").description)
            return
        }
        // RFC 5764 §4.2: client key | server key | client salt | server salt.
        let clientKey = Array(material[0..<keyLength]) + Array(material[(2 * keyLength)..<(2 * keyLength + saltLength)])
        let serverKey = Array(material[keyLength..<(2 * keyLength)]) + Array(material[(2 * keyLength + saltLength)...])
        state = .connected(SrtpKeyingMaterial(profile: profile, clientKey: clientKey, serverKey: serverKey))
    }

    /// A memory BIO concatenates everything OpenSSL wrote, so split it at DTLS record boundaries
    /// (RFC 6347 §4.1: 13-byte header, length in the last two bytes) and pack whole records into datagrams
    /// no larger than the link MTU.
    private func drainOutgoing() -> [[UInt8]] {
        let pending = Int(BIO_ctrl_pending(writeBio))
        guard pending > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: pending)
        let read = Int(BIO_read(writeBio, &buffer, Int32(pending)))
        guard read > 0 else { return [] }
        var datagrams: [[UInt8]] = []
        var current: [UInt8] = []
        var offset = 0
        while offset + 13 <= read {
            let recordLength = 13 + (Int(buffer[offset + 11]) << 8 | Int(buffer[offset + 12]))
            let end = min(offset + recordLength, read)
            if !current.isEmpty && current.count + (end - offset) > Self.linkMtu {
                datagrams.append(current)
                current = []
            }
            current.append(contentsOf: buffer[offset..<end])
            offset = end
        }
        if !current.isEmpty { datagrams.append(current) }
        return datagrams
    }
}

/// A private certificate authority and one server certificate it signed, as PEM: what a local HTTPS server
/// (devcluster) hands to clients in a kubeconfig's `certificate-authority-data`.
public struct ServingCertificate: Sendable {
    public let authorityPEM: String
    public let certificatePEM: String
    public let privateKeyPEM: String

    public init(authorityPEM: String, certificatePEM: String, privateKeyPEM: String) {
        self.authorityPEM = authorityPEM
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// A new ECDSA P-256 authority and a server certificate for `hosts` (IP addresses or DNS names), valid a year.
    public static func generate(hosts: [String], authorityName: String = "devcluster-ca") throws -> ServingCertificate {
        guard let authorityKey = shim_EVP_EC_gen_p256() else { throw OpenSSLError("EC key generation") }
        defer { EVP_PKEY_free(authorityKey) }
        guard let serverKey = shim_EVP_EC_gen_p256() else { throw OpenSSLError("EC key generation") }
        defer { EVP_PKEY_free(serverKey) }

        let authority = try makeCertificate(
            subject: authorityName, key: authorityKey, issuer: nil, issuerKey: authorityKey,
            extensions: [
                (NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"),
                (NID_subject_key_identifier, "hash"),
            ], validFrom: -3_600, validUntil: 365 * 86_400)
        defer { X509_free(authority) }
        let names = hosts.map { host in host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? "IP:\(host)" : "DNS:\(host)" }
        let server = try makeCertificate(
            subject: hosts.first ?? "localhost", key: serverKey, issuer: authority, issuerKey: authorityKey,
            extensions: [
                (NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature,keyEncipherment"),
                (NID_ext_key_usage, "serverAuth"), (NID_subject_alt_name, names.joined(separator: ",")),
                (NID_authority_key_identifier, "keyid:always"),
            ], validFrom: -3_600, validUntil: 365 * 86_400)
        defer { X509_free(server) }
        return ServingCertificate(
            authorityPEM: try pem { PEM_write_bio_X509($0, authority) },
            certificatePEM: try pem { PEM_write_bio_X509($0, server) },
            privateKeyPEM: try pem { PEM_write_bio_PrivateKey($0, serverKey, nil, nil, 0, nil, nil) })
    }

    private static func pem(_ write: (OpaquePointer) -> Int32) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError("BIO_new") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw OpenSSLError("PEM write") }
        var data: UnsafeMutablePointer<CChar>?
        let length = shim_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { throw OpenSSLError("PEM read") }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }
}

/// An X.509 v3 certificate for `key`, signed by `issuerKey` (self-signed when `issuer` is nil), valid from
/// `validFrom` to `validUntil` seconds from now, with text extensions (`(NID, "critical,CA:TRUE")`).
func makeCertificate(
    subject: String, key: OpaquePointer, issuer: OpaquePointer?, issuerKey: OpaquePointer,
    extensions: [(Int32, String)], validFrom: Int, validUntil: Int
) throws -> OpaquePointer {
    guard let certificate = X509_new() else { throw OpenSSLError("X509_new") }
    X509_set_version(certificate, 2)
    let serial = SecureRandom.bytes(8).reduce(0) { ($0 << 8) | UInt64($1) } & 0x7fff_ffff_ffff_ffff
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serial)
    X509_gmtime_adj(X509_getm_notBefore(certificate), validFrom)
    X509_gmtime_adj(X509_getm_notAfter(certificate), validUntil)
    X509_set_pubkey(certificate, key)
    let name = X509_get_subject_name(certificate)
    X509_NAME_add_entry_by_txt(name, "CN", shim_MBSTRING_ASC(), Array(subject.utf8), Int32(subject.utf8.count), -1, 0)
    X509_set_issuer_name(certificate, issuer.map { X509_get_subject_name($0) } ?? name)
    for (nid, value) in extensions {
        guard shim_X509_add_ext_text(certificate, issuer ?? certificate, nid, value) == 1 else {
            X509_free(certificate)
            throw OpenSSLError("X509 extension \(value)")
        }
    }
    guard X509_sign(certificate, issuerKey, EVP_sha256()) > 0 else {
        X509_free(certificate)
        throw OpenSSLError("X509_sign")
    }
    return certificate
}
