import Testing
import WebRTC

/// `PublisherSession` end to end, sans IO: a fake publisher made of real parts (OpenSSL DTLS client, libsrtp,
/// `H264Packetizer` over an x264 clip) talks to the session through `UdpDemultiplexer`, on a hand-driven clock.
@Suite struct PublisherSessionTests {
    static let frameInterval: Duration = .milliseconds(33)
    static let rtpTicksPerFrame: UInt32 = 3000

    static func rtpTimestamp(frame: Int) -> UInt32 { 90_000 &+ UInt32(frame) &* rtpTicksPerFrame }

    /// Sends frames in order, one per frame interval, with an audio packet each and (unless `timer` is false) a
    /// timer tick after each frame. `drop` returns the indices of a frame's packets to withhold; they are returned
    /// for the test to use.
    @discardableResult
    static func sendFrames(
        _ frames: Range<Int>, of clip: [[[UInt8]]], on rig: IngestRig, timer: Bool = true,
        drop: (Int, [RtpPacket]) -> [Int] = { _, _ in [] }
    ) throws -> [RtpPacket] {
        var withheld: [RtpPacket] = []
        for frame in frames {
            rig.now += frameInterval
            let packets = rig.publisher.videoPackets(clip[frame], rtpTimestamp: rtpTimestamp(frame: frame))
            let dropped = Set(drop(frame, packets))
            for (index, packet) in packets.enumerated() {
                if dropped.contains(index) {
                    withheld.append(packet)
                } else {
                    try rig.send(packet)
                }
            }
            try rig.send(rig.publisher.audioPacket(rtpTimestamp: UInt32(frame) * 1600))
            if timer { try rig.advance(by: .zero) }
        }
        return withheld
    }

    // (a) ICE-lite: a valid check is answered, a wrongly keyed one is dropped.

    @Test func connectivityCheckIsAnsweredWithTheSendersAddress() throws {
        let rig = try IngestRig()
        let transactionId = (0..<12).map { UInt8($0 * 7) }
        try rig.send(rig.publisher.bindingRequest(serverUfrag: rig.local.ufrag, password: rig.local.password,
                                                  transactionId: transactionId))
        try #require(rig.stunResponses.count == 1, "dropped: \(rig.demultiplexer.dropped)")
        let response = try StunMessage(parsing: rig.stunResponses[0])
        #expect(response.type == StunMessage.bindingSuccess)
        #expect(response.transactionId == transactionId)
        #expect(response.hasValidIntegrity(key: Array(rig.local.password.utf8)))
        #expect(!response.hasValidIntegrity(key: Array(FakePublisher.password.utf8)))
        #expect(response.hasValidFingerprint())
        let mapped = try #require(response.attribute(.xorMappedAddress))
        #expect(StunMessage.decodeXorMappedAddress(mapped, transactionId: transactionId) == rig.publisher.address)
        #expect(rig.session.state == .handshaking)
        #expect(rig.session.remoteAddress == rig.publisher.address)
        #expect(rig.demultiplexer.dropped.isEmpty)
    }

    @Test func checkWithTheWrongPasswordIsDroppedAndCounted() throws {
        let rig = try IngestRig()
        try rig.send(rig.publisher.bindingRequest(serverUfrag: rig.local.ufrag, password: FakePublisher.password))
        #expect(rig.stunResponses.isEmpty)
        #expect(rig.demultiplexer.dropped[.stunIntegrity] == 1)
        #expect(rig.session.state == .waitingForIce)
        #expect(rig.session.remoteAddress == nil)
        // Without a valid check the source address is unknown, so its DTLS goes nowhere.
        for datagram in rig.publisher.dtls.start() { try rig.send(datagram) }
        #expect(rig.demultiplexer.dropped[.unknownSource] == 1)
    }

    // (b) DTLS completes: `.connected`, then a PLI for the offer's video SSRC.

    @Test func handshakeConnectsAndAsksForAKeyframe() throws {
        let rig = try IngestRig()
        try rig.connect()
        #expect(rig.events.count == 1)
        guard case .connected = rig.events.first else {
            Issue.record("expected .connected first, got \(rig.events)")
            return
        }
        let plis = rig.pictureLossIndications()
        #expect(plis.count == 1)
        #expect(plis.first?.mediaSsrc == FakePublisher.videoSsrc)
        #expect(rig.session.statistics.keyframeRequests == 1)
    }

    // (c) Real H.264 and Opus-sized audio arrive intact.

    @Test func mediaArrivesAsAccessUnitsAndAudioPackets() throws {
        let clip = try TestClip.require()
        let rig = try IngestRig()
        try rig.connect()
        try Self.sendFrames(0..<clip.count, of: clip, on: rig)

        let statistics = rig.session.statistics
        #expect(statistics.videoFrames == 30)
        #expect(statistics.keyframes >= 3)
        #expect(statistics.width == 320 && statistics.height == 240)
        #expect(statistics.corruptFrames == 0 && statistics.packetsLost == 0 && statistics.srtpAuthFailures == 0)
        #expect(statistics.nacksSent == 0)
        #expect(statistics.audioFrames == 30)
        #expect(rig.accessUnits.map(\.nalUnits) == clip)
        #expect(rig.accessUnits.map(\.rtpTimestamp) == (0..<30).map { Self.rtpTimestamp(frame: $0) })
        #expect(rig.audioPayloads.count == 30 && rig.audioPayloads.allSatisfy { $0.count == 120 })
        // The keyframes satisfied the initial request: no PLI beyond the first.
        #expect(rig.pictureLossIndications().count == 1)
    }

    // (d) A lost packet is NACKed after the timer runs, and its retransmission completes the frame.

    @Test func lostPacketIsNackedAndRecoveredThroughRtx() throws {
        let clip = try TestClip.require()
        let rig = try IngestRig()
        try rig.connect()
        try Self.sendFrames(0..<10, of: clip, on: rig)
        let lost = try Self.sendFrames(10..<11, of: clip, on: rig, timer: false) { _, packets in
            packets.count >= 3 ? [packets.count / 2] : []
        }
        let missing = try #require(lost.first, "frame 10 (a keyframe) should span at least three packets")
        #expect(rig.session.statistics.videoFrames == 10)

        let beforeNack = rig.rtcp.count
        try rig.advance(by: .milliseconds(50))
        let nacks = rig.nacks(since: beforeNack)
        #expect(nacks.count == 1)
        #expect(nacks.first?.lostSequenceNumbers == [missing.sequenceNumber])
        #expect(nacks.first?.mediaSsrc == FakePublisher.videoSsrc)
        #expect(rig.session.statistics.nacksSent == 1)

        try rig.send(rig.publisher.retransmission(of: missing))
        let statistics = rig.session.statistics
        #expect(statistics.rtxRecovered == 1)
        #expect(statistics.videoFrames == 11)
        #expect(statistics.corruptFrames == 0 && statistics.packetsLost == 0)
        #expect(rig.accessUnits.last?.nalUnits == clip[10])

        try Self.sendFrames(11..<30, of: clip, on: rig)
        #expect(rig.session.statistics.videoFrames == 30)
        #expect(rig.accessUnits.map(\.nalUnits) == clip)
    }

    // (e) A packet that never comes back makes its frame corrupt after maxWait, and a PLI follows.

    @Test func unrecoveredLossReportsACorruptFrameAndRequestsAKeyframe() throws {
        let clip = try TestClip.require()
        let rig = try IngestRig()
        try rig.connect()
        try Self.sendFrames(0..<20, of: clip, on: rig)
        let beforeLoss = rig.rtcp.count
        let lost = try Self.sendFrames(20..<21, of: clip, on: rig) { _, packets in
            packets.count >= 3 ? [packets.count / 2] : []
        }
        try #require(lost.count == 1)
        try Self.sendFrames(21..<30, of: clip, on: rig)
        // 9 frames of 33 ms have passed; the default maxWait is 400 ms.
        var waited: Duration = .zero
        while rig.session.statistics.corruptFrames == 0 && waited < .seconds(1) {
            try rig.advance(by: .milliseconds(20))
            waited += .milliseconds(20)
        }
        let statistics = rig.session.statistics
        #expect(statistics.corruptFrames == 1)
        #expect(statistics.packetsLost == 1)
        #expect(statistics.videoFrames == 29)
        #expect(statistics.rtxRecovered == 0)
        #expect(statistics.nacksSent >= 2, "the gap is NACKed again while it is waited for")
        #expect(!rig.accessUnits.contains { $0.rtpTimestamp == Self.rtpTimestamp(frame: 20) })
        #expect(rig.pictureLossIndications(since: beforeLoss).count == 1)
        #expect(statistics.keyframeRequests == 2)
    }

    // (f) transport-cc feedback reports what arrived; REMB carries the configured cap.

    @Test func transportFeedbackAndRembReportWhatArrived() throws {
        let clip = try TestClip.require()
        let rig = try IngestRig()
        try rig.connect()
        // The fixture offer maps the transport-wide sequence number to extension id 4, which the publisher uses.
        #expect(rig.session.negotiated.transportSequenceExtensionId == FakePublisher.transportSequenceExtensionId)
        let feedbackStart = rig.rtcp.count
        let first = rig.publisher.transportSequenceNumber
        try Self.sendFrames(0..<5, of: clip, on: rig)
        // One packet lost on the way: it took a transport-wide sequence number but never arrives.
        let skipped = rig.publisher.transportSequenceNumber
        _ = try rig.publisher.protect(rig.publisher.audioPacket(rtpTimestamp: 99_999))
        try Self.sendFrames(5..<10, of: clip, on: rig)
        let last = rig.publisher.transportSequenceNumber &- 1
        try rig.advance(by: .seconds(1))

        var received: [UInt16: Int64] = [:]
        var notReceived: Set<UInt16> = []
        for bytes in rig.rtcpBytes[feedbackStart...] where bytes.count > 1 && bytes[1] == 205 && bytes[0] & 0x1F == 15 {
            let feedback = try TransportWideFeedback.parse(bytes)
            #expect(feedback.mediaSsrc == FakePublisher.videoSsrc)
            for status in feedback.packets {
                if let arrival = status.arrivalMicroseconds {
                    received[status.sequenceNumber] = arrival
                } else {
                    notReceived.insert(status.sequenceNumber)
                }
            }
        }
        let expected = Set((first...last).filter { $0 != skipped })
        #expect(Set(received.keys) == expected)
        #expect(notReceived.subtracting(received.keys) == [skipped])
        // Arrivals follow the fake clock: the first and last frame are 9 frame intervals apart.
        let span = try #require(received[last]) - (try #require(received[first]))
        #expect((290_000...305_000).contains(span))

        let compounds = rig.rtcp[feedbackStart...].filter { compound in
            compound.contains { if case .receiverReport = $0 { true } else { false } }
        }
        let rembs = compounds.flatMap { $0 }.compactMap { if case .remb(let remb) = $0 { remb } else { nil } }
        try #require(!rembs.isEmpty, "no REMB in a receiver report compound")
        #expect(rembs.allSatisfy { $0.bitrateBps == UInt64(IngestRig.maxBitrateKbps) * 1000 })
        #expect(Set(rembs.last?.ssrcs ?? []) == [FakePublisher.videoSsrc, FakePublisher.audioSsrc])
        let reports = compounds.flatMap { $0 }.compactMap { if case .receiverReport(let report) = $0 { report } else { nil } }
        #expect(Set(reports.last?.reportBlocks.map(\.ssrc) ?? []) == [FakePublisher.videoSsrc, FakePublisher.audioSsrc])
    }

    // (g) A tampered packet is counted and dropped; the genuine one and everything after it still play.

    @Test func tamperedSrtpIsRejectedAndTheSessionKeepsWorking() throws {
        let clip = try TestClip.require()
        let rig = try IngestRig()
        try rig.connect()
        try Self.sendFrames(0..<5, of: clip, on: rig)
        rig.now += Self.frameInterval
        let packets = rig.publisher.videoPackets(clip[5], rtpTimestamp: Self.rtpTimestamp(frame: 5))
        for (index, packet) in packets.enumerated() {
            let genuine = try rig.publisher.protect(packet)
            if index == 0 {
                var tampered = genuine
                tampered[tampered.count / 2] ^= 0x20
                try rig.send(tampered)
                #expect(rig.session.statistics.srtpAuthFailures == 1)
            }
            try rig.send(genuine)
        }
        try Self.sendFrames(6..<30, of: clip, on: rig)
        let statistics = rig.session.statistics
        #expect(statistics.srtpAuthFailures == 1)
        #expect(statistics.videoFrames == 30 && statistics.corruptFrames == 0)
        #expect(rig.accessUnits.map(\.nalUnits) == clip)
        #expect(rig.session.state == .connected)
    }

    // (h) Consent: authenticated media keeps the session; 30 s of silence ends it.

    @Test func silenceClosesTheSessionButMediaKeepsItAlive() throws {
        let rig = try IngestRig()
        try rig.connect()
        // No STUN check after the first one (libnice stops sending them); only SRTP proves the publisher is there.
        for second in 0..<45 {
            try rig.send(rig.publisher.audioPacket(rtpTimestamp: UInt32(second) * 48_000))
            try rig.advance(by: .seconds(1))
        }
        #expect(rig.session.state == .connected)
        #expect(rig.closeReasons.isEmpty)

        // The last packet arrived one timer tick (a second) ago.
        var silent: Duration = .seconds(1)
        while !rig.session.isClosed && silent < .seconds(40) {
            try rig.advance(by: .seconds(1))
            silent += .seconds(1)
        }
        #expect(silent == .seconds(31))
        #expect(rig.closeReasons.count == 1)
        #expect(rig.closeReasons.first?.contains("consent") == true)
        // A closed session ignores what still arrives.
        try rig.send(rig.publisher.audioPacket(rtpTimestamp: 0))
        try rig.advance(by: .seconds(1))
        #expect(rig.closeReasons.count == 1)
        #expect(rig.session.statistics.audioFrames == 45)
    }

    @Test func duplicatedSenderReportIsNotAnAuthenticationFailure() throws {
        let rig = try IngestRig()
        try rig.connect()
        let report = SenderReport(ssrc: 752859060, ntpTimestamp: 1 << 32, rtpTimestamp: 0, packetCount: 1, octetCount: 100)
        let protected = try rig.publisher.protectRtcp(report.serialized())
        try rig.send(protected)
        try rig.send(protected)  // a network duplicate: replay-rejected, not forged
        #expect(rig.session.statistics.srtpAuthFailures == 0)
        // A fresh index (libsrtp checks replay before the tag), with one bit flipped.
        var tampered = try rig.publisher.protectRtcp(report.serialized())
        tampered[10] ^= 0x01
        try rig.send(tampered)
        #expect(rig.session.statistics.srtpAuthFailures == 1)
    }

    @Test func checksWithoutAHandshakeTimeOut() throws {
        let rig = try IngestRig()
        // A peer that keeps answering ICE but never starts DTLS must not hold the broadcast forever.
        for _ in 0..<20 {
            try rig.send(rig.publisher.bindingRequest(serverUfrag: rig.local.ufrag, password: rig.local.password))
            try rig.advance(by: .seconds(2))
        }
        #expect(rig.session.isClosed)
        #expect(rig.closeReasons.first?.contains("DTLS handshake did not complete") == true)
    }
}
