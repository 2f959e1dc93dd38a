import MediaCrypto
import WebRTC

/// A WHIP publisher made of real parts, kept in memory: ICE credentials and STUN checks as Chrome sends them, an
/// OpenSSL DTLS client with its own certificate, libsrtp keyed by that handshake, the transport-wide sequence number
/// on every RTP packet. It pairs with `IngestServer`, the media pod's side, without sockets.
final class InMemoryPublisher {
    static let ufrag = "benchPub"
    static let password = "BenchPublisherPassword0123"
    static let transportSequenceExtensionId: UInt8 = 4

    let address = TransportAddress(ipv4: "198.51.100.7", port: 50_000)!
    let certificate: DtlsCertificate
    private let dtls: DtlsEndpoint
    private var outbound: SrtpSession?
    private(set) var keys: SrtpKeyingMaterial?
    private var transportSequenceNumber: UInt16 = 0

    init(serverFingerprint: String) throws {
        certificate = try DtlsCertificate(commonName: "ingest-bench-publisher")
        dtls = try DtlsEndpoint(role: .client, certificate: certificate,
                                expectedPeerFingerprint: ("sha-256", serverFingerprint))
    }

    /// A browser offer (the Chromium fixture) with this publisher's fingerprint and ICE credentials in place.
    func offer(fromTemplate template: String) throws -> SessionDescription {
        // CRLF line ends are one Character in Swift, so split on any newline.
        let text = template.split(whereSeparator: \.isNewline).map { line -> String in
            if line.hasPrefix("a=fingerprint:") { return "a=fingerprint:sha-256 \(certificate.sha256Fingerprint)" }
            if line.hasPrefix("a=ice-ufrag:") { return "a=ice-ufrag:\(Self.ufrag)" }
            if line.hasPrefix("a=ice-pwd:") { return "a=ice-pwd:\(Self.password)" }
            return String(line)
        }.joined(separator: "\r\n") + "\r\n"
        return try SessionDescription(parsing: text)
    }

    /// A nominating connectivity check from a controlling agent (RFC 8445 §7.2.2, §7.1.1).
    func bindingRequest(serverUfrag: String, serverPassword: String) -> [UInt8] {
        StunMessage(type: StunMessage.bindingRequest, transactionId: SecureRandom.bytes(12), attributes: [
            (StunMessage.Attribute.username.rawValue, Array("\(serverUfrag):\(Self.ufrag)".utf8)),
            (StunMessage.Attribute.priority.rawValue, [0x6E, 0x7F, 0x1E, 0xFF]),
            (StunMessage.Attribute.iceControlling.rawValue, SecureRandom.bytes(8)),
            (StunMessage.Attribute.useCandidate.rawValue, []),
        ]).serialized(integrityKey: Array(serverPassword.utf8))
    }

    /// ICE check, then the DTLS handshake, until both sides hold SRTP keys.
    func connect(to server: IngestServer, now: ContinuousClock.Instant) throws {
        var toServer = [bindingRequest(serverUfrag: server.local.ufrag, serverPassword: server.local.password)]
        toServer += dtls.start()
        var rounds = 0
        while !toServer.isEmpty && rounds < 20 {
            var toPublisher: [[UInt8]] = []
            for datagram in toServer {
                toPublisher += server.demultiplexer.handle(datagram, from: address, now: now).output.datagrams.map(\.bytes)
            }
            // STUN responses and SRTCP (the first PLI) need no answer; DTLS records do.
            toServer = toPublisher.filter { (20...63).contains($0.first ?? 0) }.flatMap { dtls.receive($0) }
            rounds += 1
        }
        guard case .connected(let keys) = dtls.state, server.session.state == .connected else {
            throw BenchError("the in-memory handshake did not finish: publisher \(dtls.state), server \(server.session.state)")
        }
        self.keys = keys
        // RFC 5764 §4.2: the DTLS client protects what it sends with the client write key.
        outbound = try SrtpSession(profile: keys.profile, keyAndSalt: keys.clientKey, direction: .outbound)
    }

    /// Stamps the next transport-wide sequence number (16 bits, RFC 8285 one-byte element) and protects the packet.
    func protect(_ packet: RtpPacket) throws -> [UInt8] {
        guard let outbound else { throw BenchError("protect before connect") }
        var packet = packet
        packet.extensions = [RtpHeaderExtension(
            id: Self.transportSequenceExtensionId,
            data: [UInt8(transportSequenceNumber >> 8), UInt8(transportSequenceNumber & 0xFF)])]
        transportSequenceNumber &+= 1
        return try outbound.protectRtp(packet.serialized())
    }

    func protectRtcp(_ compound: [UInt8]) throws -> [UInt8] {
        guard let outbound else { throw BenchError("protect before connect") }
        return try outbound.protectRtcp(compound)
    }
}

/// The media pod's side of one publisher: a `PublisherSession` negotiated from the publisher's offer, behind the
/// `UdpDemultiplexer` that routes the shared port's datagrams, exactly as `MediaEngine` holds them.
final class IngestServer {
    let certificate: DtlsCertificate
    let local: LocalIceParameters
    let demultiplexer = UdpDemultiplexer()
    let session: PublisherSession

    init(certificate: DtlsCertificate, offer: SessionDescription, maxBitrateKbps: Int, now: ContinuousClock.Instant) throws {
        self.certificate = certificate
        local = LocalIceParameters.random(fingerprint: certificate.sha256Fingerprint,
                                          candidate: TransportAddress(ipv4: "192.0.2.9", port: 7882)!)
        session = try PublisherSession(id: "bench", local: local, negotiated: try WhipNegotiation.negotiate(offer),
                                       certificate: certificate, configuration: .init(maxBitrateKbps: maxBitrateKbps),
                                       now: now)
        demultiplexer.add(session)
    }

    /// A connected publisher/server pair: certificates on both sides, the offer negotiated, ICE and DTLS done.
    static func connectedPair(offerTemplate: String, maxBitrateKbps: Int, now: ContinuousClock.Instant) throws
        -> (publisher: InMemoryPublisher, server: IngestServer)
    {
        let certificate = try DtlsCertificate()
        let publisher = try InMemoryPublisher(serverFingerprint: certificate.sha256Fingerprint)
        let server = try IngestServer(certificate: certificate, offer: try publisher.offer(fromTemplate: offerTemplate),
                                      maxBitrateKbps: maxBitrateKbps, now: now)
        try publisher.connect(to: server, now: now)
        return (publisher, server)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
