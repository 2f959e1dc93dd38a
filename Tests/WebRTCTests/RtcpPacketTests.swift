import Testing
@testable import WebRTC

private let chromeSenderReport = hexBytes("""
    81 c8 00 0c  12 34 56 78
    e9 4a 3b 2c 80 00 00 00  00 01 5f 90  00 00 01 2c  00 04 93 e0
    9a bc de f0  19 ff ff fe  00 01 00 05  00 00 00 2a  3b 2c 80 00  00 01 80 00
    """)

private let sourceDescription = hexBytes("""
    81 ca 00 06  12 34 56 78
    01 10 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70  00 00
    """)

private let receiverReport = hexBytes("""
    81 c9 00 07  00 00 00 01
    12 34 56 78  00 00 00 00  00 00 27 10  00 00 00 05  00 00 00 00  00 00 00 00
    """)

private let rembFor4500Kbps = hexBytes("""
    8f ce 00 05  00 00 00 01  00 00 00 00  52 45 4d 42  01 16 25 51  12 34 56 78
    """)

@Suite struct RtcpCompoundParsingTests {
    @Test func senderReportWithSourceDescription() throws {
        let packets = try Rtcp.parseCompound(chromeSenderReport + sourceDescription)
        let expectedBlock = ReportBlock(
            ssrc: 0x9ABC_DEF0, fractionLost: 25, cumulativeLost: -2, extendedHighestSequence: 65541, jitter: 42,
            lastSenderReport: 0x3B2C_8000, delaySinceLastSenderReport: 0x1_8000
        )
        let expectedReport = SenderReport(
            ssrc: 0x1234_5678, ntpTimestamp: 0xE94A_3B2C_8000_0000, rtpTimestamp: 90000, packetCount: 300,
            octetCount: 300_000, reportBlocks: [expectedBlock]
        )
        #expect(packets == [.senderReport(expectedReport), .sourceDescription])
        #expect(expectedReport.serialized() == chromeSenderReport)
        #expect(expectedBlock.serialized() == Array(chromeSenderReport[28...]))
    }

    @Test func receiverReportWithRemb() throws {
        let packets = try Rtcp.parseCompound(receiverReport + rembFor4500Kbps)
        let block = ReportBlock(
            ssrc: 0x1234_5678, fractionLost: 0, cumulativeLost: 0, extendedHighestSequence: 10000, jitter: 5,
            lastSenderReport: 0, delaySinceLastSenderReport: 0
        )
        let report = ReceiverReport(senderSsrc: 1, reportBlocks: [block])
        let remb = Remb(senderSsrc: 1, bitrateBps: 4_500_000, ssrcs: [0x1234_5678])
        #expect(packets == [.receiverReport(report), .remb(remb)])
        #expect(report.serialized() == receiverReport)
        #expect(remb.serialized() == rembFor4500Kbps)
    }

    @Test func feedbackMessages() throws {
        let compound = hexBytes("""
            81 cd 00 03  00 00 00 01  00 00 00 02  00 64 80 01
            81 ce 00 02  00 00 00 01  00 00 00 02
            84 ce 00 06  00 00 00 01  00 00 00 00  00 00 00 02 07 00 00 00  00 00 00 03 08 00 00 00
            8f cd 00 04  00 00 00 01  00 00 00 02  00 0a 00 01  00 00 00 00
            82 cb 00 02  00 00 00 02  00 00 00 03
            80 cc 00 02  00 00 00 01  6e 61 6d 65
            8f ce 00 03  00 00 00 01  00 00 00 00  41 42 43 44
            """)
        let packets = try Rtcp.parseCompound(compound)
        #expect(packets == [
            .genericNack(GenericNack(senderSsrc: 1, mediaSsrc: 2, lostSequenceNumbers: [100, 101, 116])),
            .pictureLossIndication(PictureLossIndication(senderSsrc: 1, mediaSsrc: 2)),
            .fullIntraRequest(senderSsrc: 1, mediaSsrc: 2),
            .fullIntraRequest(senderSsrc: 1, mediaSsrc: 3),
            .transportFeedback(senderSsrc: 1, mediaSsrc: 2),
            .goodbye(ssrcs: [2, 3]),
            .other(packetType: 204, format: 0),
            .other(packetType: 206, format: 15),
        ])
    }

    @Test func paddedPacketIsAccepted() throws {
        // RFC 3550 §6.4.1: P set, 4 padding octets, the last one counting them.
        let padded = hexBytes("a0 c9 00 02  00 00 00 07  00 00 00 04")
        #expect(try Rtcp.parseCompound(padded) == [.receiverReport(ReceiverReport(senderSsrc: 7, reportBlocks: []))])
    }

    @Test func moreThan31ReportBlocksSpillIntoReceiverReports() throws {
        let blocks = (0..<33).map {
            ReportBlock(ssrc: UInt32($0), fractionLost: 0, cumulativeLost: Int32($0) - 10,
                        extendedHighestSequence: 0, jitter: 0, lastSenderReport: 0, delaySinceLastSenderReport: 0)
        }
        let report = SenderReport(ssrc: 9, ntpTimestamp: 1, rtpTimestamp: 2, packetCount: 3, octetCount: 4,
                                  reportBlocks: blocks)
        let packets = try Rtcp.parseCompound(report.serialized())
        var firstPart = report
        firstPart.reportBlocks = Array(blocks.prefix(31))
        #expect(packets == [
            .senderReport(firstPart),
            .receiverReport(ReceiverReport(senderSsrc: 9, reportBlocks: Array(blocks.suffix(2)))),
        ])
    }

    @Test func cumulativeLostIsClampedTo24Bits() throws {
        let block = ReportBlock(ssrc: 1, fractionLost: 0, cumulativeLost: -20_000_000, extendedHighestSequence: 0,
                                jitter: 0, lastSenderReport: 0, delaySinceLastSenderReport: 0)
        let parsed = try Rtcp.parseCompound(ReceiverReport(senderSsrc: 2, reportBlocks: [block]).serialized())
        guard case .receiverReport(let report) = parsed.first else { Issue.record("not an RR"); return }
        #expect(report.reportBlocks.first?.cumulativeLost == -0x80_0000)
    }
}

@Suite struct RtcpMalformedInputTests {
    @Test func rejectsBrokenHeaders() {
        #expect(throws: RtcpParseError.truncatedHeader(offset: 0)) { try Rtcp.parseCompound([UInt8]()) }
        #expect(throws: RtcpParseError.unsupportedVersion(1, offset: 0)) {
            try Rtcp.parseCompound(hexBytes("41 c9 00 01  00 00 00 07"))
        }
        #expect(throws: RtcpParseError.lengthPastEnd(offset: 0, declaredBytes: 12, availableBytes: 8)) {
            try Rtcp.parseCompound(hexBytes("81 c9 00 02  00 00 00 07"))
        }
        #expect(throws: RtcpParseError.truncatedHeader(offset: 8)) {
            try Rtcp.parseCompound(hexBytes("80 c9 00 01  00 00 00 07  80 c9 00"))
        }
        #expect(throws: RtcpParseError.invalidPadding(offset: 0, paddingBytes: 0)) {
            try Rtcp.parseCompound(hexBytes("a0 c9 00 01  00 00 00 00"))
        }
        #expect(throws: RtcpParseError.invalidPadding(offset: 0, paddingBytes: 9)) {
            try Rtcp.parseCompound(hexBytes("a0 c9 00 01  00 00 00 09"))
        }
    }

    @Test func rejectsBodiesShorterThanAnnounced() {
        // RR announcing one report block but carrying none.
        #expect(throws: RtcpParseError.malformedPacket(packetType: 201, format: 1, offset: 8)) {
            try Rtcp.parseCompound(hexBytes("81 c9 00 01  00 00 00 07"))
        }
        // Zero length: a header-only RR has no room for its SSRC.
        #expect(throws: RtcpParseError.malformedPacket(packetType: 201, format: 0, offset: 4)) {
            try Rtcp.parseCompound(hexBytes("80 c9 00 00"))
        }
        // FIR without an FCI entry (RFC 5104 §4.3.1.2 requires one).
        #expect(throws: RtcpParseError.self) {
            try Rtcp.parseCompound(hexBytes("84 ce 00 02  00 00 00 01  00 00 00 00"))
        }
        // REMB announcing two SSRCs but carrying one.
        #expect(throws: RtcpParseError.self) {
            try Rtcp.parseCompound(hexBytes("""
                8f ce 00 05  00 00 00 01  00 00 00 00  52 45 4d 42  02 16 25 51  12 34 56 78
                """))
        }
    }

    /// Random bytes, and valid packets with random damage, must only ever throw or parse.
    @Test func fuzzedInputNeverCrashes() {
        var generator = SeededRandom(seed: 0x5EED)
        var feedback = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        let start = ContinuousClock.now
        for sequence in UInt16(0)..<40 where sequence % 3 != 1 {
            feedback.record(transportSequenceNumber: sequence, arrival: start + .milliseconds(Int(sequence) * 3))
        }
        let seeds: [[UInt8]] = [
            chromeSenderReport + sourceDescription, receiverReport + rembFor4500Kbps,
            GenericNack(senderSsrc: 1, mediaSsrc: 2, lostSequenceNumbers: [1, 5, 40, 41, 900]).serialized(),
            feedback.makeFeedback()[0],
        ]
        var parsedCount = 0
        for round in 0..<6000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                let count = Int.random(in: 0...96, using: &generator)
                bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
                // Most random packets die at the version check; make half of them look like RTCP to go deeper.
                if !bytes.isEmpty && round % 4 == 0 { bytes[0] = 0x80 | bytes[0] & 0x3F }
            } else {
                bytes = seeds[round / 2 % seeds.count]
                for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                    let index = Int.random(in: bytes.indices, using: &generator)
                    bytes[index] = UInt8.random(in: 0...255, using: &generator)
                }
                if Bool.random(using: &generator) {
                    bytes.removeLast(Int.random(in: 0...bytes.count, using: &generator))
                }
            }
            if (try? Rtcp.parseCompound(bytes)) != nil { parsedCount += 1 }
            _ = try? TransportWideFeedback.parse(bytes)
        }
        // The damaged valid packets must sometimes still parse, or the fuzzing never got past the headers.
        #expect(parsedCount > 100)
    }
}

@Suite struct GenericNackTests {
    @Test func packsPacketIdAndBitmask() throws {
        let nack = GenericNack(senderSsrc: 1, mediaSsrc: 2, lostSequenceNumbers: [200, 117, 101, 100, 116, 101])
        // 100 covers 101 (bit 0) and 116 (bit 15); 117 is 17 past 100 and starts a new entry (RFC 4585 §6.2.1).
        #expect(nack.serialized() == hexBytes("""
            81 cd 00 05  00 00 00 01  00 00 00 02  00 64 80 01  00 75 00 00  00 c8 00 00
            """))
        let parsed = try Rtcp.parseCompound(nack.serialized())
        #expect(parsed == [.genericNack(GenericNack(senderSsrc: 1, mediaSsrc: 2,
                                                    lostSequenceNumbers: [100, 101, 116, 117, 200]))])
    }

    @Test func packsAcrossTheWrap() throws {
        let nack = GenericNack(senderSsrc: 1, mediaSsrc: 2, lostSequenceNumbers: [0, 5, 65534, 65535])
        // One entry: PID 65534, then 65535 (bit 0), 0 (bit 1), 5 (bit 6).
        #expect(nack.serialized() == hexBytes("81 cd 00 03  00 00 00 01  00 00 00 02  ff fe 00 43"))
        guard case .genericNack(let parsed) = try Rtcp.parseCompound(nack.serialized()).first else {
            Issue.record("not a NACK")
            return
        }
        #expect(parsed.lostSequenceNumbers == [65534, 65535, 0, 5])
    }

    @Test func roundTripsRandomLossPatterns() throws {
        var generator = SeededRandom(seed: 42)
        for _ in 0..<200 {
            let start = UInt16.random(in: 0...UInt16.max, using: &generator)
            let lost = (0..<Int.random(in: 1...120, using: &generator)).map { _ in
                start &+ UInt16.random(in: 0...400, using: &generator)
            }
            let nack = GenericNack(senderSsrc: 3, mediaSsrc: 4, lostSequenceNumbers: lost)
            guard case .genericNack(let parsed) = try Rtcp.parseCompound(nack.serialized()).first else {
                Issue.record("not a NACK")
                return
            }
            #expect(Set(parsed.lostSequenceNumbers) == Set(lost))
            #expect(parsed.lostSequenceNumbers.count == Set(lost).count)
        }
    }
}

@Suite struct FeedbackSerializationTests {
    @Test func pictureLossIndicationLayout() {
        let pli = PictureLossIndication(senderSsrc: 0x0102_0304, mediaSsrc: 0x0506_0708)
        #expect(pli.serialized() == hexBytes("81 ce 00 02  01 02 03 04  05 06 07 08"))
    }

    @Test(arguments: [UInt64(4_500_000), 30_000, 123_456_789, 262_143, 262_144, 1, 0, 10_000_000_000_000])
    func rembEncodingNeverExceedsTheRequest(bitrate: UInt64) throws {
        let remb = Remb(senderSsrc: 1, bitrateBps: bitrate, ssrcs: [5, 6])
        guard case .remb(let decoded) = try Rtcp.parseCompound(remb.serialized()).first else {
            Issue.record("not a REMB")
            return
        }
        #expect(decoded.bitrateBps <= bitrate)
        #expect(Double(decoded.bitrateBps) >= Double(bitrate) * 0.999)
        #expect(decoded.ssrcs == [5, 6])
    }

    @Test func rembExponentAndMantissa() {
        #expect(Remb(senderSsrc: 0, bitrateBps: 4_500_000, ssrcs: []).encodedExponentAndMantissa == (5, 140_625))
        #expect(Remb(senderSsrc: 0, bitrateBps: 30_000, ssrcs: []).encodedExponentAndMantissa == (0, 30_000))
    }

    @Test func rembBitrateBeyond64BitsSaturates() throws {
        let packet = hexBytes("8f ce 00 04  00 00 00 01  00 00 00 00  52 45 4d 42  00 ff ff ff")
        guard case .remb(let decoded) = try Rtcp.parseCompound(packet).first else {
            Issue.record("not a REMB")
            return
        }
        #expect(decoded.bitrateBps == .max)
    }
}
