import Testing
import Foundation
@testable import MediaCrypto

/// Runs a full DTLS handshake between two endpoints in memory, shuttling datagrams until both settle.
private func handshake(_ client: DtlsEndpoint, _ server: DtlsEndpoint) {
    var toServer = client.start()
    var rounds = 0
    while rounds < 20, !(client.isConnected && server.isConnected) {
        let toClient = toServer.flatMap { server.receive($0) }
        toServer = toClient.flatMap { client.receive($0) }
        rounds += 1
    }
}

@Suite struct DtlsTests {
    @Test func handshakeExportsMatchingSrtpKeys() throws {
        let serverCertificate = try DtlsCertificate()
        let clientCertificate = try DtlsCertificate(commonName: "client")
        let server = try DtlsEndpoint(role: .server, certificate: serverCertificate,
                                      expectedPeerFingerprint: ("sha-256", clientCertificate.sha256Fingerprint))
        let client = try DtlsEndpoint(role: .client, certificate: clientCertificate,
                                      expectedPeerFingerprint: ("sha-256", serverCertificate.sha256Fingerprint))
        handshake(client, server)
        guard case .connected(let serverKeys) = server.state, case .connected(let clientKeys) = client.state else {
            Issue.record("handshake did not finish: server \(server.state), client \(client.state)")
            return
        }
        #expect(serverKeys == clientKeys)
        #expect(serverKeys.profile == .aeadAes128Gcm)
        #expect(serverKeys.clientKey.count == 28)
        #expect(serverKeys.clientKey != serverKeys.serverKey)

        // What the client protects with its key, the server's inbound session opens.
        let clientOutbound = try SrtpSession(profile: serverKeys.profile, keyAndSalt: clientKeys.clientKey, direction: .outbound)
        let serverInbound = try SrtpSession(profile: serverKeys.profile, keyAndSalt: serverKeys.clientKey, direction: .inbound)
        let rtp: [UInt8] = [0x80, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78] + Array(repeating: 0x42, count: 100)
        let protected = try clientOutbound.protectRtp(rtp)
        #expect(protected.count == rtp.count + 16)
        #expect(try serverInbound.unprotectRtp(protected) == rtp)
        #expect(throws: SrtpError.replayed) { try serverInbound.unprotectRtp(protected) }
    }

    @Test func wrongFingerprintFailsTheHandshake() throws {
        let serverCertificate = try DtlsCertificate()
        let clientCertificate = try DtlsCertificate(commonName: "client")
        let impostor = try DtlsCertificate(commonName: "impostor")
        let server = try DtlsEndpoint(role: .server, certificate: serverCertificate,
                                      expectedPeerFingerprint: ("sha-256", impostor.sha256Fingerprint))
        let client = try DtlsEndpoint(role: .client, certificate: clientCertificate, expectedPeerFingerprint: nil)
        handshake(client, server)
        #expect(server.state == .failed("DTLS certificate does not match the SDP fingerprint"))
    }

    @Test func garbageDoesNotCrashTheServer() throws {
        let server = try DtlsEndpoint(role: .server, certificate: try DtlsCertificate(), expectedPeerFingerprint: nil)
        _ = server.receive([22, 0xfe, 0xfd, 0, 0])
        _ = server.receive([UInt8](repeating: 0xff, count: 300))
        #expect(!server.isConnected)
    }

    @Test func fingerprintLooksLikeSdp() throws {
        let fingerprint = try DtlsCertificate().sha256Fingerprint
        #expect(fingerprint.split(separator: ":").count == 32)
        #expect(fingerprint == fingerprint.uppercased())
    }
}

@Suite struct SrtpTests {
    // libsrtp's own reference packet (srtp_driver.c srtp_validate): default policy, SSRC 0xcafebabe.
    static let masterKey: [UInt8] = [
        0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
        0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
    ]
    static let plaintext: [UInt8] = [0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe]
        + Array(repeating: 0xab, count: 16)
    static let ciphertext: [UInt8] = [
        0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c,
        0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc,
        0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
    ]

    @Test func knownAnswer() throws {
        let outbound = try SrtpSession(profile: .aes128CmHmacSha1_80, keyAndSalt: Self.masterKey, direction: .outbound)
        #expect(try outbound.protectRtp(Self.plaintext) == Self.ciphertext)
        let inbound = try SrtpSession(profile: .aes128CmHmacSha1_80, keyAndSalt: Self.masterKey, direction: .inbound)
        #expect(try inbound.unprotectRtp(Self.ciphertext) == Self.plaintext)
    }

    @Test func tamperedPacketFailsAuthentication() throws {
        let inbound = try SrtpSession(profile: .aes128CmHmacSha1_80, keyAndSalt: Self.masterKey, direction: .inbound)
        var tampered = Self.ciphertext
        tampered[20] ^= 0x01
        #expect(throws: SrtpError.authenticationFailed) { try inbound.unprotectRtp(tampered) }
        #expect(throws: SrtpError.malformed) { try inbound.unprotectRtp([0x80, 0x00]) }
    }

    @Test func rtcpRoundTrip() throws {
        let key = SecureRandom.bytes(30)
        let outbound = try SrtpSession(profile: .aes128CmHmacSha1_80, keyAndSalt: key, direction: .outbound)
        let inbound = try SrtpSession(profile: .aes128CmHmacSha1_80, keyAndSalt: key, direction: .inbound)
        // A PLI: RTCP PSFB fmt 1, sender SSRC 1, media SSRC 2.
        let pli: [UInt8] = [0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]
        let protected = try outbound.protectRtcp(pli)
        #expect(protected.count == pli.count + 4 + 10)
        #expect(try inbound.unprotectRtcp(protected) == pli)
    }

    @Test func wrongKeyLengthIsRejected() {
        #expect(throws: SrtpError.malformed) {
            try SrtpSession(profile: .aeadAes128Gcm, keyAndSalt: Array(repeating: 1, count: 30), direction: .inbound)
        }
    }
}

@Suite struct HmacTests {
    // RFC 2202 §3 test case 2.
    @Test func rfc2202() {
        let digest = Hmac.sha1(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(digest.map { String(format: "%02x", $0) }.joined() == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }
}
