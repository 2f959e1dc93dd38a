import Testing
@testable import WebRTC

/// The 16-bit chunk at `index` of a serialized feedback packet (chunks start after the 20-byte fixed part).
private func chunk(_ packet: [UInt8], _ index: Int) -> UInt16 {
    UInt16(packet[20 + 2 * index]) << 8 | UInt16(packet[21 + 2 * index])
}

@Suite struct TransportWideFeedbackLayoutTests {
    private let start = ContinuousClock.now

    @Test func handComputedPacketWithNegativeDelta() throws {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 0x0102_0304, mediaSsrc: 0x0506_0708)
        recorder.record(transportSequenceNumber: 100, arrival: start)
        recorder.record(transportSequenceNumber: 101, arrival: start + .milliseconds(1))
        recorder.record(transportSequenceNumber: 103, arrival: start + .microseconds(1500))
        recorder.record(transportSequenceNumber: 102, arrival: start + .milliseconds(70))
        let packets = recorder.makeFeedback()
        // Deltas in 250 µs ticks: 100 → 0, 101 → 4, 102 → 280 - 4 = 276 (large), 103 → 6 - 280 = -274 (large).
        // One two-bit status vector chunk (§3.1.4): 1 1 | 01 01 10 10 00 00 00 = 0xD680.
        #expect(packets == [hexBytes("""
            8f cd 00 06  01 02 03 04  05 06 07 08  00 64 00 04  00 00 00 00
            d6 80  00 04 01 14 fe ee
            """)])
        #expect(recorder.makeFeedback().isEmpty)
    }

    @Test func singlePacketIsPaddedTo32Bits() {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 0x0102_0304, mediaSsrc: 0x0506_0708)
        recorder.record(transportSequenceNumber: 100, arrival: start)
        // Run length chunk of one "received, small delta" (0x2001), delta 0, then one padding octet with P set.
        #expect(recorder.makeFeedback() == [hexBytes("""
            af cd 00 05  01 02 03 04  05 06 07 08  00 64 00 01  00 00 00 00  20 01 00 01
            """)])
    }

    @Test func oneBitVectorMatchesDraftExample() throws {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        recorder.record(transportSequenceNumber: 0, arrival: start)
        _ = recorder.makeFeedback()
        for sequence: UInt16 in [2, 3, 4, 5, 6, 10, 11, 12] {
            recorder.record(transportSequenceNumber: sequence, arrival: start + .milliseconds(Int(sequence)))
        }
        let packets = recorder.makeFeedback()
        #expect(packets.count == 1)
        // §3.1.4 Example 1: 1x not received, 5x received, 3x not received, 3x received, 2 unused slots.
        #expect(chunk(packets[0], 0) == 0b1001_1111_0001_1100)
        let feedback = try TransportWideFeedback.parse(packets[0])
        #expect(feedback.baseSequenceNumber == 1)
        #expect(feedback.packets.count == 12)
        #expect(feedback.feedbackPacketCount == 1)
    }

    @Test func runLengthChunkMatchesDraftExample() throws {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        recorder.record(transportSequenceNumber: 0, arrival: start)
        _ = recorder.makeFeedback()
        recorder.record(transportSequenceNumber: 222, arrival: start + .milliseconds(5))
        let packets = recorder.makeFeedback()
        // §3.1.3 Example 1: a run of 221 "packet not received" is 0x00DD; then one received packet.
        #expect(chunk(packets[0], 0) == 0x00DD)
        #expect(chunk(packets[0], 1) == 0x2001)
        let feedback = try TransportWideFeedback.parse(packets[0])
        #expect(feedback.packets.count == 222)
        #expect(feedback.packets.last == .init(sequenceNumber: 222, arrivalMicroseconds: 5000))
    }

    @Test func longRunsOfMissingPacketsUseFullRunLengthChunks() throws {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        recorder.record(transportSequenceNumber: 0, arrival: start)
        _ = recorder.makeFeedback()
        recorder.record(transportSequenceNumber: 20000, arrival: start + .milliseconds(40))
        let packets = recorder.makeFeedback()
        #expect(packets.count == 1)
        // 19999 missing = 8191 + 8191 + 3617 (0x0E21), then one received.
        #expect((0..<4).map { chunk(packets[0], $0) } == [0x1FFF, 0x1FFF, 0x0E21, 0x2001])
        let feedback = try TransportWideFeedback.parse(packets[0])
        #expect(feedback.packets.count == 20000)
        #expect(feedback.packets.filter { $0.arrivalMicroseconds != nil }
            == [.init(sequenceNumber: 20000, arrivalMicroseconds: 40000)])
    }

    @Test func hugeJumpsReportOnlyTheNewest32768SequenceNumbers() throws {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        recorder.record(transportSequenceNumber: 0, arrival: start)
        _ = recorder.makeFeedback()
        recorder.record(transportSequenceNumber: 30000, arrival: start + .milliseconds(1))
        recorder.record(transportSequenceNumber: 60000, arrival: start + .milliseconds(2))
        let packets = recorder.makeFeedback()
        #expect(packets.count == 1)
        let feedback = try TransportWideFeedback.parse(packets[0])
        #expect(feedback.baseSequenceNumber == 60000 - 32767)
        #expect(feedback.packets.count == 32768)
        let received = feedback.packets.filter { $0.arrivalMicroseconds != nil }.map(\.sequenceNumber)
        #expect(received == [30000, 60000])
    }

    @Test func transportSequenceNumberExtension() {
        #expect(TransportWideFeedbackRecorder.transportSequenceNumber(fromExtension: [0x12, 0x34]) == 0x1234)
        #expect(TransportWideFeedbackRecorder.transportSequenceNumber(fromExtension: [0x12]) == nil)
        #expect(TransportWideFeedbackRecorder.transportSequenceNumber(fromExtension: [1, 2, 3, 4]) == nil)
    }

    @Test func parserRejectsReservedSymbolAndMissingDeltas() {
        // Run length chunk with symbol 11.
        #expect(throws: RtcpParseError.self) {
            try TransportWideFeedback.parse(hexBytes("""
                8f cd 00 05  00 00 00 01  00 00 00 02  00 00 00 01  00 00 00 00  60 01 00 00
                """))
        }
        // Two received packets announced, one delta present.
        #expect(throws: RtcpParseError.self) {
            try TransportWideFeedback.parse(hexBytes("""
                af cd 00 05  00 00 00 01  00 00 00 02  00 00 00 02  00 00 00 00  20 02 05 01
                """))
        }
        // Zero status count.
        #expect(throws: RtcpParseError.self) {
            try TransportWideFeedback.parse(hexBytes("8f cd 00 04  00 00 00 01  00 00 00 02  00 00 00 00  00 00 00 00"))
        }
        // Not a transport-cc packet.
        #expect(throws: RtcpParseError.self) {
            try TransportWideFeedback.parse(hexBytes("81 cd 00 03  00 00 00 01  00 00 00 02  00 64 80 01"))
        }
    }
}

@Suite struct TransportWideFeedbackRoundTripTests {
    private let start = ContinuousClock.now

    /// Decodes every packet and checks the shared invariants: consecutive feedback counts, packet size limit, and
    /// every received sequence number reported with an arrival exactly once.
    private func decode(_ packets: [[UInt8]], firstCount: UInt8 = 0) throws -> [UInt16: Int64] {
        var arrivals: [UInt16: Int64] = [:]
        for (index, packet) in packets.enumerated() {
            #expect(packet.count <= 1200)
            #expect(packet.count % 4 == 0)
            #expect(try Rtcp.parseCompound(packet).count == 1)
            let feedback = try TransportWideFeedback.parse(packet)
            #expect(feedback.feedbackPacketCount == firstCount &+ UInt8(truncatingIfNeeded: index))
            for status in feedback.packets {
                guard let arrival = status.arrivalMicroseconds else { continue }
                #expect(arrivals[status.sequenceNumber] == nil, "reported twice: \(status.sequenceNumber)")
                arrivals[status.sequenceNumber] = arrival
            }
        }
        return arrivals
    }

    /// What the feedback can say about an arrival: microseconds since the first arrival, in 250 µs steps.
    private func quantized(_ offset: Duration) -> Int64 {
        let (seconds, attoseconds) = offset.components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return microseconds / 250 * 250
    }

    @Test func lossReorderAndWrapAround() throws {
        var generator = SeededRandom(seed: 7)
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        // 1500 packets from 65000 on, so the sequence number wraps; 10 % lost, neighbours swapped now and then.
        var order = (0..<1500).filter { _ in Int.random(in: 0..<10, using: &generator) != 0 }
        for index in stride(from: 0, to: order.count - 1, by: 1) where Int.random(in: 0..<8, using: &generator) == 0 {
            order.swapAt(index, index + 1)
        }
        var expected: [UInt16: Int64] = [:]
        var elapsed = Duration.zero
        var packets: [[UInt8]] = []
        for (index, offset) in order.enumerated() {
            let sequence = UInt16(truncatingIfNeeded: 65000 + offset)
            recorder.record(transportSequenceNumber: sequence, arrival: start + elapsed)
            expected[sequence] = quantized(elapsed)
            elapsed += .microseconds(Int.random(in: 100...6000, using: &generator))
            if index % 40 == 39 { packets += recorder.makeFeedback() }
        }
        packets += recorder.makeFeedback()
        #expect(try decode(packets) == expected)
        // Everything recorded is reported; the first packet starts at the first sequence number.
        #expect(try TransportWideFeedback.parse(packets[0]).baseSequenceNumber == 65000)
    }

    @Test func lossesBetweenFeedbacksAreReportedNotReceived() throws {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        recorder.record(transportSequenceNumber: 65534, arrival: start)
        recorder.record(transportSequenceNumber: 65535, arrival: start + .milliseconds(1))
        _ = recorder.makeFeedback()
        recorder.record(transportSequenceNumber: 3, arrival: start + .milliseconds(5))
        let feedback = try TransportWideFeedback.parse(recorder.makeFeedback()[0])
        #expect(feedback.baseSequenceNumber == 0)
        #expect(feedback.packets.map(\.sequenceNumber) == [0, 1, 2, 3])
        #expect(feedback.packets.map(\.arrivalMicroseconds) == [nil, nil, nil, 5000])
    }

    @Test func duplicatesAreIgnored() throws {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        recorder.record(transportSequenceNumber: 10, arrival: start)
        recorder.record(transportSequenceNumber: 11, arrival: start + .milliseconds(1))
        recorder.record(transportSequenceNumber: 10, arrival: start + .milliseconds(2))
        let packets = recorder.makeFeedback()
        #expect(try decode(packets) == [10: 0, 11: 1000])
        recorder.record(transportSequenceNumber: 11, arrival: start + .milliseconds(3))
        #expect(recorder.makeFeedback().isEmpty)
    }

    @Test func latePacketGoesBackInItsOwnFeedback() throws {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        for sequence: UInt16 in [1, 2, 5, 6] {
            // Sequence number 1 arrives at the epoch, so the later arrivals below read as their offsets.
            recorder.record(transportSequenceNumber: sequence, arrival: start + .milliseconds(Int(sequence) - 1))
        }
        _ = recorder.makeFeedback()
        recorder.record(transportSequenceNumber: 4, arrival: start + .milliseconds(10))
        recorder.record(transportSequenceNumber: 7, arrival: start + .milliseconds(11))
        recorder.record(transportSequenceNumber: 3, arrival: start + .milliseconds(12))
        let packets = recorder.makeFeedback()
        #expect(packets.count == 2)
        let late = try TransportWideFeedback.parse(packets[0])
        #expect(late.baseSequenceNumber == 3)
        #expect(late.packets == [.init(sequenceNumber: 3, arrivalMicroseconds: 12000),
                                 .init(sequenceNumber: 4, arrivalMicroseconds: 10000)])
        let fresh = try TransportWideFeedback.parse(packets[1])
        #expect(fresh.packets == [.init(sequenceNumber: 7, arrivalMicroseconds: 11000)])
        #expect(fresh.feedbackPacketCount == late.feedbackPacketCount &+ 1)
    }

    @Test func largeGapsInTimeUseTwoByteDeltasOrANewPacket() throws {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        let offsets: [Duration] = [.zero, .milliseconds(10), .seconds(3), .seconds(3) + .milliseconds(1),
                                   .seconds(23), .seconds(23) + .microseconds(250)]
        var expected: [UInt16: Int64] = [:]
        for (index, offset) in offsets.enumerated() {
            recorder.record(transportSequenceNumber: UInt16(index), arrival: start + offset)
            expected[UInt16(index)] = quantized(offset)
        }
        let packets = recorder.makeFeedback()
        // 3 s fits a 16-bit delta (±8191.75 ms); the 20 s gap needs a new packet (§3.1.5).
        #expect(packets.count == 2)
        #expect(try decode(packets) == expected)
        let second = try TransportWideFeedback.parse(packets[1])
        #expect(second.baseSequenceNumber == 4)
        // The reference time stays on the same clock: 23 s is 359 whole 64 ms ticks.
        #expect(second.referenceTime == 359)
    }

    @Test func longReportsSplitBelow1200Bytes() throws {
        var generator = SeededRandom(seed: 99)
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        var expected: [UInt16: Int64] = [:]
        var elapsed = Duration.zero
        for sequence in UInt16(0)..<3000 where Int.random(in: 0..<3, using: &generator) != 0 {
            recorder.record(transportSequenceNumber: sequence, arrival: start + elapsed)
            expected[sequence] = quantized(elapsed)
            // Mostly 2-byte deltas, to fill packets quickly.
            elapsed += .microseconds(Int.random(in: 0...200_000, using: &generator))
        }
        let packets = recorder.makeFeedback()
        #expect(packets.count > 2)
        #expect(try decode(packets) == expected)
        // The packets cover consecutive ranges from the first recorded sequence number on.
        var nextBase = try TransportWideFeedback.parse(packets[0]).baseSequenceNumber
        #expect(nextBase == expected.keys.min())
        for packet in packets {
            let feedback = try TransportWideFeedback.parse(packet)
            #expect(feedback.baseSequenceNumber == nextBase)
            nextBase = feedback.baseSequenceNumber &+ UInt16(feedback.packets.count)
        }
    }

    @Test func arrivalsAcrossManyFeedbacksKeepOneTimeBase() throws {
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        var packets: [[UInt8]] = []
        var expected: [UInt16: Int64] = [:]
        for sequence in UInt16(0)..<400 {
            let offset = Duration.microseconds(Int(sequence) * 3_337)
            recorder.record(transportSequenceNumber: sequence, arrival: start + offset)
            expected[sequence] = quantized(offset)
            if sequence % 17 == 0 { packets += recorder.makeFeedback() }
        }
        packets += recorder.makeFeedback()
        #expect(try decode(packets) == expected)
    }

    /// Arbitrary sequence numbers and arrival times, even going backwards, still give valid, decodable packets.
    @Test func arbitraryInputGivesValidPackets() throws {
        var generator = SeededRandom(seed: 2024)
        var recorder = TransportWideFeedbackRecorder(senderSsrc: 1, mediaSsrc: 2)
        var sequence: UInt16 = 0
        for round in 0..<3000 {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0: sequence = UInt16.random(in: 0...UInt16.max, using: &generator)
            case 1: sequence &-= UInt16.random(in: 0...50, using: &generator)
            default: sequence &+= UInt16.random(in: 1...3, using: &generator)
            }
            let offset = Duration.milliseconds(Int.random(in: -5_000...600_000, using: &generator))
            recorder.record(transportSequenceNumber: sequence, arrival: start + offset)
            guard round % 25 == 0 else { continue }
            for packet in recorder.makeFeedback() {
                #expect(packet.count <= 1200)
                let feedback = try TransportWideFeedback.parse(packet)
                #expect(!feedback.packets.isEmpty)
            }
        }
    }
}
