import Foundation
import MediaCrypto
import Testing
import WebRTC

/// A WHIP publisher built from real parts, as Chrome would behave on the wire: STUN checks with its credentials,
/// a DTLS client with its own certificate, SRTP keyed by that handshake, H.264 from `H264Packetizer`, RTX and the
/// transport-wide sequence number on every packet. It never touches a socket: `IngestRig` carries the datagrams.
final class FakePublisher {
    /// Credentials and SSRCs as the Chromium fixture offer announces them (SSRCs and payload types are kept,
    /// ICE credentials and fingerprint are replaced with ours).
    static let ufrag = "pubF"
    static let password = "PublisherPassword0123456789"
    static let videoSsrc: UInt32 = 1_587_902_249
    static let rtxSsrc: UInt32 = 1_221_708_322
    static let audioSsrc: UInt32 = 752_859_060
    static let transportSequenceExtensionId: UInt8 = 4

    let address = TransportAddress(ipv4: "198.51.100.7", port: 50_000)!
    let certificate: DtlsCertificate
    let dtls: DtlsEndpoint
    private(set) var video = H264Packetizer(payloadType: 102, ssrc: videoSsrc, initialSequenceNumber: 65_500)
    private var rtxSequenceNumber: UInt16 = 7
    private var audioSequenceNumber: UInt16 = 300
    /// The transport-wide sequence number the next packet gets.
    private(set) var transportSequenceNumber: UInt16 = 1
    private var outboundSrtp: SrtpSession?
    private var inboundSrtcp: SrtpSession?

    init(serverFingerprint: String) throws {
        certificate = try DtlsCertificate(commonName: "fake-publisher")
        dtls = try DtlsEndpoint(role: .client, certificate: certificate,
                                expectedPeerFingerprint: ("sha-256", serverFingerprint))
    }

    /// The fixture offer with our fingerprint and ICE credentials in place of Chrome's.
    func offer() throws -> SessionDescription {
        let url = try #require(Bundle.module.url(forResource: "chrome-156-offer-h264", withExtension: "sdp",
                                                 subdirectory: "Fixtures/sdp"))
        // The fixture has CRLF line ends, which Swift sees as one Character.
        let lines = try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline)
        let text = lines.map { line -> String in
            if line.hasPrefix("a=fingerprint:") { return "a=fingerprint:sha-256 \(certificate.sha256Fingerprint)" }
            if line.hasPrefix("a=ice-ufrag:") { return "a=ice-ufrag:\(Self.ufrag)" }
            if line.hasPrefix("a=ice-pwd:") { return "a=ice-pwd:\(Self.password)" }
            return String(line)
        }.joined(separator: "\r\n") + "\r\n"
        return try SessionDescription(parsing: text)
    }

    /// A connectivity check as a controlling full agent sends it (RFC 8445 §7.2.2, §7.1.1), keyed with `password`
    /// (the server's, unless a test wants it wrong).
    func bindingRequest(serverUfrag: String, password: String, transactionId: [UInt8] = SecureRandom.bytes(12)) -> [UInt8] {
        let priority: [UInt8] = [0x6E, 0x7F, 0x1E, 0xFF]
        let tieBreaker = SecureRandom.bytes(8)
        let request = StunMessage(type: StunMessage.bindingRequest, transactionId: transactionId, attributes: [
            (StunMessage.Attribute.username.rawValue, Array("\(serverUfrag):\(Self.ufrag)".utf8)),
            (StunMessage.Attribute.priority.rawValue, priority),
            (StunMessage.Attribute.iceControlling.rawValue, tieBreaker),
            (StunMessage.Attribute.useCandidate.rawValue, []),
        ])
        return request.serialized(integrityKey: Array(password.utf8))
    }

    /// Feeds a DTLS datagram from the server; returns the client's replies and sets up SRTP once connected.
    func receiveDtls(_ datagram: [UInt8]) throws -> [[UInt8]] {
        let replies = dtls.receive(datagram)
        if case .connected(let keys) = dtls.state, outboundSrtp == nil {
            // RFC 5764 §4.2: the client protects with the client key; the server's packets use the server key.
            outboundSrtp = try SrtpSession(profile: keys.profile, keyAndSalt: keys.clientKey, direction: .outbound)
            inboundSrtcp = try SrtpSession(profile: keys.profile, keyAndSalt: keys.serverKey, direction: .inbound)
        }
        return replies
    }

    var isConnected: Bool { outboundSrtp != nil }

    func unprotectRtcp(_ datagram: [UInt8]) throws -> [UInt8] {
        try #require(inboundSrtcp).unprotectRtcp(datagram)
    }

    /// Stamps the transport-wide sequence number (RFC 8285 one-byte element, 16 bits) and protects the packet.
    func protect(_ packet: RtpPacket) throws -> [UInt8] {
        var packet = packet
        packet.extensions = [RtpHeaderExtension(
            id: Self.transportSequenceExtensionId,
            data: [UInt8(transportSequenceNumber >> 8), UInt8(transportSequenceNumber & 0xFF)])]
        transportSequenceNumber &+= 1
        return try #require(outboundSrtp).protectRtp(packet.serialized())
    }

    func protectRtcp(_ compound: [UInt8]) throws -> [UInt8] {
        try #require(outboundSrtp).protectRtcp(compound)
    }

    func videoPackets(_ nalUnits: [[UInt8]], rtpTimestamp: UInt32) -> [RtpPacket] {
        video.packetize(nalUnits, rtpTimestamp: rtpTimestamp)
    }

    /// RFC 4588 §4: the retransmission stream carries the original sequence number before the payload.
    func retransmission(of packet: RtpPacket) -> RtpPacket {
        defer { rtxSequenceNumber &+= 1 }
        return RtpPacket(marker: packet.marker, payloadType: 103, sequenceNumber: rtxSequenceNumber,
                         timestamp: packet.timestamp, ssrc: Self.rtxSsrc,
                         payload: [UInt8(packet.sequenceNumber >> 8), UInt8(packet.sequenceNumber & 0xFF)] + packet.payload)
    }

    /// An Opus-sized packet; the session does not decode Opus, so the bytes are arbitrary.
    func audioPacket(rtpTimestamp: UInt32) -> RtpPacket {
        defer { audioSequenceNumber &+= 1 }
        return RtpPacket(payloadType: 111, sequenceNumber: audioSequenceNumber, timestamp: rtpTimestamp,
                         ssrc: Self.audioSsrc, payload: (0..<120).map { UInt8(truncatingIfNeeded: $0 &+ Int(audioSequenceNumber)) })
    }
}

/// The media pod's side (a `PublisherSession` behind a `UdpDemultiplexer`, negotiated from the fake publisher's
/// offer) wired to a `FakePublisher`, with a clock that only moves when a test says so.
final class IngestRig {
    let serverCertificate: DtlsCertificate
    let local: LocalIceParameters
    let demultiplexer = UdpDemultiplexer()
    let session: PublisherSession
    let publisher: FakePublisher
    static let maxBitrateKbps = 2500

    var now = ContinuousClock.now
    private(set) var events: [SessionEvent] = []
    /// Decrypted RTCP compounds from the server, in arrival order.
    private(set) var rtcp: [[RtcpPacket]] = []
    /// The same, undecoded, for parsers that take a single packet (transport-cc).
    private(set) var rtcpBytes: [[UInt8]] = []
    private(set) var stunResponses: [[UInt8]] = []
    /// SRTCP that arrived before the publisher had its keys (the PLI sent with the server's last DTLS flight).
    private var pendingSrtcp: [[UInt8]] = []

    init() throws {
        serverCertificate = try DtlsCertificate()
        local = LocalIceParameters.random(fingerprint: serverCertificate.sha256Fingerprint,
                                          candidate: TransportAddress(ipv4: "192.0.2.9", port: 7882)!)
        publisher = try FakePublisher(serverFingerprint: serverCertificate.sha256Fingerprint)
        let negotiated = try WhipNegotiation.negotiate(try publisher.offer())
        session = try PublisherSession(id: "test", local: local, negotiated: negotiated, certificate: serverCertificate,
                                       configuration: .init(maxBitrateKbps: Self.maxBitrateKbps), now: now)
        demultiplexer.add(session)
    }

    /// ICE check, then the DTLS handshake; returns once both sides hold SRTP keys.
    func connect() throws {
        try send(publisher.bindingRequest(serverUfrag: local.ufrag, password: local.password))
        for datagram in publisher.dtls.start() {
            try send(datagram)
        }
        try #require(publisher.isConnected && session.state == .connected,
                     "handshake did not finish: client \(publisher.dtls.state), server \(session.state)")
    }

    /// One datagram from the publisher to the pod's port; whatever comes back is handled.
    func send(_ datagram: [UInt8]) throws {
        try absorb(demultiplexer.handle(datagram, from: publisher.address, now: now).output)
    }

    func send(_ packet: RtpPacket) throws {
        try send(publisher.protect(packet))
    }

    /// Moves the fake clock and runs the session's timer, as `UdpTransport` does every 20 ms.
    func advance(by duration: Duration) throws {
        now += duration
        try absorb(session.handleTimer(now: now))
    }

    func absorb(_ output: SessionOutput) throws {
        events += output.events
        for (bytes, destination) in output.datagrams {
            #expect(destination == publisher.address)
            switch bytes.first ?? 255 {
            case 0...3:
                stunResponses.append(bytes)
            case 20...63:
                for reply in try publisher.receiveDtls(bytes) {
                    try send(reply)
                }
            case 128...191:
                pendingSrtcp.append(bytes)
            default:
                Issue.record("unexpected datagram from the server: \(bytes.prefix(4))")
            }
        }
        if publisher.isConnected {
            for datagram in pendingSrtcp {
                let plain = try publisher.unprotectRtcp(datagram)
                rtcpBytes.append(plain)
                rtcp.append(try Rtcp.parseCompound(plain))
            }
            pendingSrtcp = []
        }
    }

    // MARK: What the server sent

    var accessUnits: [H264AccessUnit] {
        events.compactMap { if case .videoAccessUnit(let unit) = $0 { unit } else { nil } }
    }

    var audioPayloads: [[UInt8]] {
        events.compactMap { if case .audioPacket(let payload, _, _) = $0 { payload } else { nil } }
    }

    var closeReasons: [String] {
        events.compactMap { if case .closed(let reason) = $0 { reason } else { nil } }
    }

    func pictureLossIndications(since index: Int = 0) -> [PictureLossIndication] {
        rtcp[index...].flatMap { $0 }.compactMap { if case .pictureLossIndication(let pli) = $0 { pli } else { nil } }
    }

    func nacks(since index: Int = 0) -> [GenericNack] {
        rtcp[index...].flatMap { $0 }.compactMap { if case .genericNack(let nack) = $0 { nack } else { nil } }
    }
}

/// 30 frames of 320x240 baseline H.264 (a keyframe every 10 frames) that ffmpeg encodes once per test process,
/// split into access units. `-pix_fmt yuv420p` because testsrc is RGB, which baseline cannot carry.
enum TestClip {
    static let frameCount = 30
    static let accessUnits: [[[UInt8]]] = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webrtc-tests-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("clip.h264").path
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let ffmpeg = Process()
            ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            ffmpeg.arguments = [
                "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-frames:v", String(frameCount),
                "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-g", "10",
                "-bsf:v", "h264_mp4toannexb", "-f", "h264", path,
            ]
            try ffmpeg.run()
            ffmpeg.waitUntilExit()
            guard ffmpeg.terminationStatus == 0, let data = FileManager.default.contents(atPath: path) else { return [] }
            return H264Packetizer.accessUnits(annexB: Array(data))
        } catch {
            return []
        }
    }()

    /// The clip, or a failed test saying why there is none.
    static func require() throws -> [[[UInt8]]] {
        try #require(accessUnits.count == frameCount, "ffmpeg (with libx264) is needed to encode the test clip")
        return accessUnits
    }
}
