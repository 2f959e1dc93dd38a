import MediaCrypto

/// Counters of one publisher session, as `/v1/broadcasts` reports them.
public struct IngestStatistics: Sendable, Equatable {
    public var packetsReceived = 0
    public var bytesReceived = 0
    public var packetsLost = 0
    public var nacksSent = 0
    public var rtxRecovered = 0
    public var videoFrames = 0
    public var corruptFrames = 0
    public var keyframes = 0
    public var keyframeRequests = 0
    public var width = 0
    public var height = 0
    public var fps = 0.0
    public var audioFrames = 0
    public var bitrateKbps = 0
    public var srtpAuthFailures = 0

    public init() {}
}

/// Where plain (decrypted) RTP is forwarded, with the fixed payload types the export SDP announces.
public struct RtpExportTarget: Sendable, Equatable {
    public static let videoPayloadType: UInt8 = 96
    public static let audioPayloadType: UInt8 = 111

    public var video: TransportAddress
    public var audio: TransportAddress

    public init(video: TransportAddress, audio: TransportAddress) {
        self.video = video
        self.audio = audio
    }
}

/// What the session wants done: datagrams to send and things that happened.
public struct SessionOutput: Sendable {
    public var datagrams: [(bytes: [UInt8], to: TransportAddress)] = []
    public var events: [SessionEvent] = []

    public init() {}

    mutating func send(_ bytes: [[UInt8]], to address: TransportAddress?) {
        guard let address else { return }
        datagrams += bytes.map { ($0, address) }
    }

    public mutating func append(_ other: SessionOutput) {
        datagrams += other.datagrams
        events += other.events
    }
}

public enum MediaKind: Sendable { case video, audio }

public enum SessionEvent: Sendable {
    /// ICE and DTLS are up; media can flow.
    case connected
    case closed(reason: String)
    case videoAccessUnit(H264AccessUnit)
    case audioPacket(payload: [UInt8], rtpTimestamp: UInt32, sequenceNumber: UInt16)
    /// RFC 3550 §6.4.1: maps an SSRC's RTP clock to wall-clock time (the egress aligns audio and video with it).
    case senderReport(SenderReport, MediaKind)
}

/// One WHIP publisher, sans IO: the UDP loop feeds it datagrams and timer ticks with the current time and
/// sends what it returns. ICE-lite (RFC 8445 §2.5), DTLS-SRTP (RFC 5764), RTP receive with NACK/RTX, RTCP
/// feedback (receiver reports, PLI, REMB, transport-cc). Not thread-safe: the owner serialises calls.
public final class PublisherSession: @unchecked Sendable {
    public enum State: Sendable, Equatable {
        /// Answer sent, no valid connectivity check yet.
        case waitingForIce
        /// ICE check received, DTLS handshake under way.
        case handshaking
        case connected
        case closed(String)
    }

    public struct Configuration: Sendable {
        public var maxBitrateKbps: Int
        /// RFC 7675 §5.1: without a valid check for this long the session is dropped.
        public var consentTimeout: Duration = .seconds(30)
        /// How long an answered-but-never-connected session may wait for ICE.
        public var connectTimeout: Duration = .seconds(30)
        public var receiverReportInterval: Duration = .seconds(1)
        public var transportFeedbackInterval: Duration = .milliseconds(50)
        /// How often a keyframe request may be repeated while one is still missing.
        public var keyframeRequestInterval: Duration = .milliseconds(500)
        /// Plain-RTP export (the old system's external-FFmpeg mode): decrypted media goes to these addresses.
        public var rtpExport: RtpExportTarget?

        public init(maxBitrateKbps: Int) {
            self.maxBitrateKbps = maxBitrateKbps
        }
    }

    public let id: String
    public let local: LocalIceParameters
    public let negotiated: NegotiatedMedia
    public let configuration: Configuration
    public private(set) var state: State = .waitingForIce
    public private(set) var statistics = IngestStatistics()
    /// The address media comes from: the last one that sent a valid check (the nominated one when nominated).
    public private(set) var remoteAddress: TransportAddress?
    /// The last sign that the publisher still wants this session: a valid ICE check or an authenticated
    /// SRTP/SRTCP packet. RFC 7675 counts only checks, but libnice (GStreamer) stops sending them once
    /// connected; a packet that passes SRTP authentication proves the same (the peer holds the DTLS keys).
    public private(set) var lastConsent: ContinuousClock.Instant

    private let created: ContinuousClock.Instant
    private let dtls: DtlsEndpoint
    private var inboundSrtp: SrtpSession?
    private var outboundSrtp: SrtpSession?
    private let localSsrc: UInt32
    private var nominated = false

    private var videoSsrc: UInt32?
    private var videoRtxSsrc: UInt32?
    private var audioSsrc: UInt32?
    private var videoReorder = RtpReorderBuffer()
    private var depacketizer = H264Depacketizer()
    private var videoReceiveStatistics = ReceiveStatistics()
    private var audioReceiveStatistics = ReceiveStatistics()
    private var transportFeedback: TransportWideFeedbackRecorder
    private var lastReceiverReport: ContinuousClock.Instant?
    private var lastTransportFeedback: ContinuousClock.Instant?
    private var keyframeNeeded = true
    private var lastKeyframeRequest: ContinuousClock.Instant?
    private var lastSps: [UInt8]?
    private var frameArrivals = SlidingWindow()
    private var byteArrivals = SlidingWindow()

    public init(
        id: String, local: LocalIceParameters, negotiated: NegotiatedMedia, certificate: DtlsCertificate,
        configuration: Configuration, now: ContinuousClock.Instant
    ) throws {
        self.id = id
        self.local = local
        self.negotiated = negotiated
        self.configuration = configuration
        created = now
        lastConsent = now
        dtls = try DtlsEndpoint(role: .server, certificate: certificate, expectedPeerFingerprint: negotiated.remoteFingerprint)
        localSsrc = UInt32.random(in: 1...UInt32.max)
        videoSsrc = negotiated.video.ssrc
        videoRtxSsrc = negotiated.video.retransmissionSsrc
        audioSsrc = negotiated.audio.ssrc
        transportFeedback = TransportWideFeedbackRecorder(senderSsrc: localSsrc, mediaSsrc: negotiated.video.ssrc ?? 0)
    }

    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: ICE-lite

    /// Handles a STUN binding request already matched to this session by its USERNAME (RFC 8445 §7.3).
    /// Returns nil (and the caller counts a rejected datagram) when integrity does not verify.
    public func handleBindingRequest(_ request: StunMessage, from address: TransportAddress, now: ContinuousClock.Instant) -> SessionOutput? {
        guard !isClosed, request.hasValidIntegrity(key: Array(local.password.utf8)) else { return nil }
        lastConsent = now
        // A lite agent uses the pair the controlling agent nominates (RFC 8445 §7.3.1.5); until then, the latest
        // validated address, so media sent before nomination is not lost.
        if request.hasUseCandidate {
            if remoteAddress != address || !nominated {
                remoteAddress = address
            }
            nominated = true
        } else if !nominated {
            remoteAddress = address
        }
        if state == .waitingForIce { state = .handshaking }
        let response = StunMessage(
            type: StunMessage.bindingSuccess, transactionId: request.transactionId,
            attributes: [(StunMessage.Attribute.xorMappedAddress.rawValue,
                          StunMessage.xorMappedAddress(address, transactionId: request.transactionId))])
        var output = SessionOutput()
        output.datagrams.append((response.serialized(integrityKey: Array(local.password.utf8)), address))
        return output
    }

    // MARK: DTLS, SRTP, SRTCP

    public func handleDtls(_ datagram: [UInt8], now: ContinuousClock.Instant) -> SessionOutput {
        var output = SessionOutput()
        guard !isClosed else { return output }
        let wasConnected = dtls.isConnected
        output.send(dtls.receive(datagram), to: remoteAddress)
        switch dtls.state {
        case .connected(let keys) where !wasConnected:
            do {
                // We are the DTLS server: the publisher (client) protects with the client key.
                inboundSrtp = try SrtpSession(profile: keys.profile, keyAndSalt: keys.clientKey, direction: .inbound)
                outboundSrtp = try SrtpSession(profile: keys.profile, keyAndSalt: keys.serverKey, direction: .outbound)
                state = .connected
                output.events.append(.connected)
                output.append(requestKeyframe(now: now))
            } catch {
                output.append(close(reason: "SRTP setup failed: \(error)"))
            }
        case .failed(let reason):
            output.append(close(reason: reason))
        case .closed:
            output.append(close(reason: "publisher closed DTLS"))
        default:
            break
        }
        return output
    }

    /// SRTP or SRTCP from the publisher (RFC 5761 demultiplexing by payload type).
    public func handleSrtp(_ datagram: [UInt8], now: ContinuousClock.Instant) -> SessionOutput {
        guard state == .connected, let inboundSrtp else { return SessionOutput() }
        let isRtcp = RtpPacket.isRtcp(datagram)
        let plain: [UInt8]
        do {
            plain = isRtcp ? try inboundSrtp.unprotectRtcp(datagram) : try inboundSrtp.unprotectRtp(datagram)
        } catch .authenticationFailed {
            statistics.srtpAuthFailures += 1
            return SessionOutput()
        } catch {
            // Replays (duplicated datagrams) and malformed packets are dropped without alarm.
            return SessionOutput()
        }
        lastConsent = now
        if isRtcp { return handleRtcp(plain, now: now) }
        guard let packet = try? RtpPacket(parsing: plain) else { return SessionOutput() }
        statistics.packetsReceived += 1
        statistics.bytesReceived += datagram.count
        byteArrivals.add(datagram.count, at: now)
        if let id = negotiated.transportSequenceExtensionId, let data = packet.extensionData(id: id),
           let sequence = TransportWideFeedbackRecorder.transportSequenceNumber(fromExtension: data) {
            transportFeedback.record(transportSequenceNumber: sequence, arrival: now)
        }
        return handleRtp(packet, now: now)
    }

    private func handleRtp(_ packet: RtpPacket, now: ContinuousClock.Instant) -> SessionOutput {
        if packet.payloadType == negotiated.audio.payloadType {
            if audioSsrc == nil { audioSsrc = packet.ssrc }
            guard packet.ssrc == audioSsrc else { return SessionOutput() }
            audioReceiveStatistics.record(sequenceNumber: packet.sequenceNumber, rtpTimestamp: packet.timestamp,
                                          arrival: now, clockRate: 48000)
            statistics.audioFrames += 1
            var output = SessionOutput()
            export(packet, payloadType: RtpExportTarget.audioPayloadType, to: configuration.rtpExport?.audio, into: &output)
            output.events.append(.audioPacket(payload: packet.payload, rtpTimestamp: packet.timestamp, sequenceNumber: packet.sequenceNumber))
            return output
        }
        if let rtxPayloadType = negotiated.video.retransmissionPayloadType, packet.payloadType == rtxPayloadType {
            // RFC 4588 §4: the first two payload bytes are the original sequence number. Packets with no payload
            // beyond that are padding the sender uses to probe bandwidth; they only count for transport-cc.
            guard packet.payload.count > 2, let videoSsrc else { return SessionOutput() }
            if videoRtxSsrc == nil { videoRtxSsrc = packet.ssrc }
            var original = packet
            original.payloadType = negotiated.video.payloadType
            original.ssrc = videoSsrc
            original.sequenceNumber = UInt16(packet.payload[0]) << 8 | UInt16(packet.payload[1])
            original.payload = Array(packet.payload.dropFirst(2))
            if videoReorder.insert(original, now: now) == .recovered {
                statistics.rtxRecovered += 1
                // The repaired packet counts as received in our receiver reports (RFC 4588 §8.3).
                videoReceiveStatistics.record(sequenceNumber: original.sequenceNumber, rtpTimestamp: original.timestamp,
                                              arrival: now, clockRate: 90000)
            }
            return drainVideo(now: now)
        }
        guard packet.payloadType == negotiated.video.payloadType else { return SessionOutput() }
        if videoSsrc == nil { videoSsrc = packet.ssrc }
        guard packet.ssrc == videoSsrc else { return SessionOutput() }
        // Padding-only packets keep sequence numbers contiguous but carry no media.
        videoReceiveStatistics.record(sequenceNumber: packet.sequenceNumber, rtpTimestamp: packet.timestamp,
                                      arrival: now, clockRate: 90000)
        if videoReorder.insert(packet, now: now) == .recovered {
            statistics.rtxRecovered += 1
        }
        return drainVideo(now: now)
    }

    private func drainVideo(now: ContinuousClock.Instant) -> SessionOutput {
        var output = SessionOutput()
        for item in videoReorder.pop(now: now) {
            switch item {
            case .lost(let count):
                statistics.packetsLost += count
                depacketizer.lossDetected()
            case .packet(let packet):
                guard !packet.payload.isEmpty else { continue }
                // In order and with retransmissions folded in, as a plain RTP receiver expects.
                export(packet, payloadType: RtpExportTarget.videoPayloadType, to: configuration.rtpExport?.video, into: &output)
                for result in depacketizer.push(packet) {
                    switch result {
                    case .accessUnit(let unit):
                        output.events.append(.videoAccessUnit(unit))
                        noteFrame(unit, now: now)
                    case .corruptFrame:
                        statistics.corruptFrames += 1
                        keyframeNeeded = true
                    }
                }
            }
        }
        if keyframeNeeded { output.append(requestKeyframe(now: now)) }
        return output
    }

    private func export(_ packet: RtpPacket, payloadType: UInt8, to address: TransportAddress?, into output: inout SessionOutput) {
        guard let address else { return }
        var plain = packet
        plain.payloadType = payloadType
        plain.extensions = []
        output.datagrams.append((plain.serialized(), address))
    }

    private func noteFrame(_ unit: H264AccessUnit, now: ContinuousClock.Instant) {
        statistics.videoFrames += 1
        frameArrivals.add(1, at: now)
        if unit.isKeyframe {
            statistics.keyframes += 1
            keyframeNeeded = false
        }
        if let sps = unit.sps, sps != lastSps, let parsed = try? H264Sps(parsing: sps) {
            lastSps = sps
            statistics.width = parsed.width
            statistics.height = parsed.height
        }
    }

    private func handleRtcp(_ plain: [UInt8], now: ContinuousClock.Instant) -> SessionOutput {
        var output = SessionOutput()
        guard let packets = try? Rtcp.parseCompound(plain) else { return output }
        for packet in packets {
            switch packet {
            case .senderReport(let report):
                if report.ssrc == videoSsrc {
                    videoReceiveStatistics.recordSenderReport(ntpTimestamp: report.ntpTimestamp, at: now)
                    output.events.append(.senderReport(report, .video))
                } else if report.ssrc == audioSsrc {
                    audioReceiveStatistics.recordSenderReport(ntpTimestamp: report.ntpTimestamp, at: now)
                    output.events.append(.senderReport(report, .audio))
                }
            case .goodbye(let ssrcs) where ssrcs.contains(where: { $0 == videoSsrc }):
                output.append(close(reason: "publisher sent RTCP BYE"))
            default:
                continue
            }
        }
        return output
    }

    // MARK: Timers

    /// Call every few tens of milliseconds: NACKs, transport-cc, receiver reports, REMB, keyframe retries,
    /// consent expiry and DTLS retransmission.
    public func handleTimer(now: ContinuousClock.Instant) -> SessionOutput {
        var output = SessionOutput()
        guard !isClosed else { return output }
        if now - lastConsent > configuration.consentTimeout {
            return close(reason: state == .waitingForIce ? "no ICE connectivity check arrived" : "publisher silent for 30 s (ICE consent expired)")
        }
        if state != .connected {
            // Checks alone do not make a session: DTLS must finish within the connect timeout.
            if now - created > configuration.connectTimeout {
                return close(reason: "DTLS handshake did not complete within \(configuration.connectTimeout)")
            }
            if let wait = dtls.timeUntilRetransmit(), wait <= .zero {
                output.send(dtls.handleRetransmitTimer(), to: remoteAddress)
            }
            return output
        }
        var feedback: [[UInt8]] = []
        if let videoSsrc {
            let nacks = videoReorder.nacksDue(now: now)
            // Generic NACK only when negotiated (RFC 4585 §4.2): webrtcbin offers "nack pli" alone and would
            // ignore it; lost packets then surface as corrupt frames and a PLI.
            if !nacks.isEmpty && negotiated.video.feedback.contains("nack") {
                statistics.nacksSent += nacks.count
                feedback.append(GenericNack(senderSsrc: localSsrc, mediaSsrc: videoSsrc, lostSequenceNumbers: nacks).serialized())
            }
            output.append(drainVideo(now: now))
        }
        if lastTransportFeedback.map({ now - $0 >= configuration.transportFeedbackInterval }) ?? true {
            lastTransportFeedback = now
            feedback += transportFeedback.makeFeedback()
        }
        if lastReceiverReport.map({ now - $0 >= configuration.receiverReportInterval }) ?? true {
            lastReceiverReport = now
            feedback.append(receiverReport(now: now) + remb())
        }
        statistics.fps = frameArrivals.ratePerSecond(now: now)
        statistics.bitrateKbps = Int(byteArrivals.ratePerSecond(now: now) * 8 / 1000)
        output.send(protect(feedback), to: remoteAddress)
        return output
    }

    private func receiverReport(now: ContinuousClock.Instant) -> [UInt8] {
        var blocks: [ReportBlock] = []
        if let videoSsrc, videoReceiveStatistics.packetsReceived > 0 {
            blocks.append(videoReceiveStatistics.makeReportBlock(ssrc: videoSsrc, now: now))
        }
        if let audioSsrc, audioReceiveStatistics.packetsReceived > 0 {
            blocks.append(audioReceiveStatistics.makeReportBlock(ssrc: audioSsrc, now: now))
        }
        return ReceiverReport(senderSsrc: localSsrc, reportBlocks: blocks).serialized()
    }

    /// REMB caps what the publisher sends at the Broadcast's `spec.video.maxBitrateKbps`; with transport-cc,
    /// the publisher's own delay-based estimate governs below that cap.
    private func remb() -> [UInt8] {
        let ssrcs = [videoSsrc, audioSsrc].compactMap { $0 }
        guard !ssrcs.isEmpty else { return [] }
        return Remb(senderSsrc: localSsrc, bitrateBps: UInt64(configuration.maxBitrateKbps) * 1000, ssrcs: ssrcs).serialized()
    }

    /// PLI (RFC 4585 §6.3.1) at start and whenever a frame was lost, repeated until a keyframe arrives.
    public func requestKeyframe(now: ContinuousClock.Instant) -> SessionOutput {
        var output = SessionOutput()
        keyframeNeeded = true
        guard state == .connected else { return output }
        if let last = lastKeyframeRequest, now - last < configuration.keyframeRequestInterval { return output }
        lastKeyframeRequest = now
        statistics.keyframeRequests += 1
        let mediaSsrc = videoSsrc ?? 0
        output.send(protect([PictureLossIndication(senderSsrc: localSsrc, mediaSsrc: mediaSsrc).serialized()]), to: remoteAddress)
        return output
    }

    private func protect(_ packets: [[UInt8]]) -> [[UInt8]] {
        guard let outboundSrtp else { return [] }
        return packets.filter { !$0.isEmpty }.compactMap { try? outboundSrtp.protectRtcp($0) }
    }

    // MARK: Teardown

    /// Ends the session (WHIP DELETE, consent loss, DTLS failure); idempotent.
    public func close(reason: String) -> SessionOutput {
        var output = SessionOutput()
        guard !isClosed else { return output }
        output.send(dtls.close(), to: remoteAddress)
        state = .closed(reason)
        output.events.append(.closed(reason: reason))
        return output
    }
}

/// Counts events over the last two seconds, so fps and bitrate follow what is happening now.
struct SlidingWindow {
    private var samples: [(at: ContinuousClock.Instant, amount: Int)] = []
    private var head = 0
    /// Sum of `samples[head...]`, kept up to date so a rate costs nothing per tick.
    private var total = 0
    static let span: Duration = .seconds(2)

    mutating func add(_ amount: Int, at now: ContinuousClock.Instant) {
        samples.append((now, amount))
        total += amount
        prune(now: now)
    }

    mutating func ratePerSecond(now: ContinuousClock.Instant) -> Double {
        prune(now: now)
        return Double(total) / 2.0
    }

    private mutating func prune(now: ContinuousClock.Instant) {
        while head < samples.count, now - samples[head].at > Self.span {
            total -= samples[head].amount
            head += 1
        }
        if head > 1024 {
            samples.removeFirst(head)
            head = 0
        }
    }
}
