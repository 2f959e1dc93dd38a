import Testing
@testable import WebRTC

@Suite struct ReceiveStatisticsTests {
    private let start = ContinuousClock.now

    /// Records `sequences` as 90 kHz video, one packet per 20 ms frame.
    private func record(_ sequences: [UInt16], into statistics: inout ReceiveStatistics) {
        for (index, sequence) in sequences.enumerated() {
            statistics.record(sequenceNumber: sequence, rtpTimestamp: UInt32(sequence) &* 1800,
                              arrival: start + .milliseconds(20 * index), clockRate: 90000)
        }
    }

    @Test func noLossInOrder() {
        var statistics = ReceiveStatistics()
        record(Array(1...100), into: &statistics)
        let block = statistics.makeReportBlock(ssrc: 7, now: start + .seconds(2))
        #expect(block.ssrc == 7)
        #expect(block.fractionLost == 0)
        #expect(block.cumulativeLost == 0)
        #expect(block.extendedHighestSequence == 100)
        #expect(block.jitter == 0)
        #expect(statistics.packetsReceived == 100)
    }

    @Test func lossGivesFractionPerIntervalAndCumulativeOverall() {
        var statistics = ReceiveStatistics()
        record((0..<10).filter { $0 != 3 && $0 != 7 }, into: &statistics)
        let first = statistics.makeReportBlock(ssrc: 1, now: start + .seconds(1))
        // RFC 3550 A.3: 2 lost of 10 expected → (2 << 8) / 10 = 51.
        #expect(first.fractionLost == 51)
        #expect(first.cumulativeLost == 2)
        #expect(statistics.cumulativeLost == 2)
        #expect(statistics.packetsReceived == 8)

        record(Array(10..<20), into: &statistics)
        let second = statistics.makeReportBlock(ssrc: 1, now: start + .seconds(2))
        #expect(second.fractionLost == 0)
        #expect(second.cumulativeLost == 2)
        #expect(second.extendedHighestSequence == 19)
    }

    @Test func reorderedPacketsAreNotLoss() {
        var statistics = ReceiveStatistics()
        record([0, 1, 2, 4, 3, 5, 8, 6, 7, 9], into: &statistics)
        let block = statistics.makeReportBlock(ssrc: 1, now: start)
        #expect(block.fractionLost == 0)
        #expect(block.cumulativeLost == 0)
        #expect(block.extendedHighestSequence == 9)
    }

    @Test func lateArrivalRepairsLossReportedEarlier() {
        var statistics = ReceiveStatistics()
        record([10, 11, 13, 14], into: &statistics)
        #expect(statistics.makeReportBlock(ssrc: 1, now: start).cumulativeLost == 1)
        record([12, 15], into: &statistics)
        let block = statistics.makeReportBlock(ssrc: 1, now: start)
        #expect(block.cumulativeLost == 0)
        #expect(block.fractionLost == 0)
    }

    @Test func sequenceWrapExtendsTheHighestSequenceNumber() {
        var statistics = ReceiveStatistics()
        record(Array(65530...65535) + [0, 2, 3], into: &statistics)
        let block = statistics.makeReportBlock(ssrc: 1, now: start)
        #expect(block.extendedHighestSequence == 65536 + 3)
        #expect(block.cumulativeLost == 1)
    }

    @Test func duplicatesCountAsReceived() {
        // RFC 3550 §6.4.1: duplicates are counted, so loss can go negative.
        var statistics = ReceiveStatistics()
        record([1, 2, 2, 3], into: &statistics)
        #expect(statistics.cumulativeLost == -1)
        #expect(statistics.makeReportBlock(ssrc: 1, now: start).cumulativeLost == -1)
    }

    @Test func largeJumpNeedsTwoSequentialPacketsToRestart() {
        var statistics = ReceiveStatistics()
        record([100, 101, 102], into: &statistics)
        record([20000], into: &statistics)
        // A.1: a lone jump past MAX_DROPOUT is ignored.
        #expect(statistics.packetsReceived == 3)
        #expect(statistics.extendedHighestSequence == 102)
        record([20001, 20002], into: &statistics)
        #expect(statistics.packetsReceived == 2)
        #expect(statistics.extendedHighestSequence == 20002)
        #expect(statistics.cumulativeLost == 0)
    }

    @Test func jitterFollowsRfc3550IntegerEstimator() {
        var statistics = ReceiveStatistics()
        // 90 kHz, a frame every 20 ms (1800 units); frame 5 arrives 10 ms (900 units) late.
        for frame in 0..<8 {
            let lateness: Duration = frame == 5 ? .milliseconds(10) : .zero
            statistics.record(sequenceNumber: UInt16(frame), rtpTimestamp: UInt32(frame * 1800),
                              arrival: start + .milliseconds(20 * frame) + lateness, clockRate: 90000)
        }
        // A.8 with J scaled by 16: D = 900 at frames 5 and 6, 0 at 7.
        // J = 900, then 900 + 900 - 56 = 1744, then 1744 - 109 = 1635; reported 1635 >> 4 = 102.
        #expect(statistics.jitter == 102)
        #expect(statistics.makeReportBlock(ssrc: 1, now: start).jitter == 102)
    }

    @Test func packetsOfTheSameFrameDoNotMoveJitter() {
        var statistics = ReceiveStatistics()
        var sequence: UInt16 = 0
        for frame in 0..<10 {
            // Three packets per frame, paced 4 ms apart, as Chrome's pacer does.
            for packet in 0..<3 {
                statistics.record(sequenceNumber: sequence, rtpTimestamp: UInt32(frame * 3000),
                                  arrival: start + .milliseconds(frame * 33 + packet * 4) + .microseconds(frame * 333),
                                  clockRate: 90000)
                sequence += 1
            }
        }
        #expect(statistics.jitter <= 1)
    }

    @Test func lastSenderReportTiming() {
        var statistics = ReceiveStatistics()
        record([1, 2], into: &statistics)
        #expect(statistics.makeReportBlock(ssrc: 1, now: start).lastSenderReport == 0)
        statistics.recordSenderReport(ntpTimestamp: 0xE94A_3B2C_8000_0000, at: start + .seconds(1))
        let block = statistics.makeReportBlock(ssrc: 1, now: start + .milliseconds(2500))
        #expect(block.lastSenderReport == 0x3B2C_8000)
        // 1.5 s in 1/65536 s.
        #expect(block.delaySinceLastSenderReport == 98304)
    }

    @Test func emptyStatisticsReportNothingLost() {
        var statistics = ReceiveStatistics()
        let block = statistics.makeReportBlock(ssrc: 1, now: start)
        #expect(block.cumulativeLost == 0)
        #expect(block.fractionLost == 0)
        #expect(statistics.packetsReceived == 0)
    }
}
