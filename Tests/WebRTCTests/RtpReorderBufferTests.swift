import Testing
@testable import WebRTC

@Suite struct RtpReorderBufferTests {
    let t0 = ContinuousClock.now

    func at(_ ms: Int) -> ContinuousClock.Instant { t0 + .milliseconds(ms) }

    func packet(_ seq: UInt16) -> RtpPacket {
        RtpPacket(payloadType: 96, sequenceNumber: seq, timestamp: UInt32(seq) * 3000, ssrc: 1, payload: [UInt8(truncatingIfNeeded: seq)])
    }

    func delivered(_ outputs: [ReorderOutput]) -> [UInt16] {
        outputs.compactMap { if case .packet(let p) = $0 { p.sequenceNumber } else { nil } }
    }

    @Test func deliversInOrderPacketsImmediately() {
        var buffer = RtpReorderBuffer()
        #expect(buffer.nextDeadline() == nil)
        for seq in UInt16(100)..<110 {
            #expect(buffer.insert(packet(seq), now: at(Int(seq))) == .accepted)
            #expect(buffer.pop(now: at(Int(seq))) == [.packet(packet(seq))])
            #expect(buffer.nacksDue(now: at(Int(seq))).isEmpty)
        }
        #expect(buffer.nextDeadline() == nil)
        #expect(buffer.stats == RtpReorderBuffer.Stats(received: 10))
    }

    @Test func reordersWithinTheWindowWithoutNack() {
        var buffer = RtpReorderBuffer()
        #expect(buffer.insert(packet(1), now: at(0)) == .accepted)
        #expect(buffer.insert(packet(3), now: at(1)) == .accepted)
        #expect(delivered(buffer.pop(now: at(1))) == [1])
        #expect(buffer.insert(packet(2), now: at(2)) == .accepted)
        #expect(delivered(buffer.pop(now: at(2))) == [2, 3])
        #expect(buffer.stats.recovered == 0)
        #expect(buffer.nacksDue(now: at(3)).isEmpty)
        #expect(buffer.nextDeadline() == nil)
    }

    @Test func reportsLossAfterMaxWait() {
        var buffer = RtpReorderBuffer()
        _ = buffer.insert(packet(1), now: at(0))
        _ = buffer.insert(packet(4), now: at(10))
        #expect(delivered(buffer.pop(now: at(10))) == [1])
        #expect(buffer.nacksDue(now: at(10)) == [2, 3])
        #expect(buffer.pop(now: at(409)).isEmpty)
        #expect(buffer.pop(now: at(410)) == [.lost(count: 2), .packet(packet(4))])
        #expect(buffer.stats.lost == 2)
        #expect(buffer.nextDeadline() == nil)
    }

    @Test func nextDeadlineTracksNackRetriesAndTheLossTimeout() {
        var buffer = RtpReorderBuffer()
        _ = buffer.insert(packet(1), now: at(0))
        _ = buffer.insert(packet(3), now: at(5))
        _ = buffer.pop(now: at(5))
        #expect(buffer.nextDeadline() == at(5))  // seq 2 can be NACKed right away
        #expect(buffer.nacksDue(now: at(5)) == [2])
        #expect(buffer.nextDeadline() == at(45))  // first retry
        _ = buffer.insert(packet(2), now: at(20))
        #expect(buffer.nextDeadline() == at(20))  // deliverable now; the retry is moot
        _ = buffer.pop(now: at(20))
        #expect(buffer.nextDeadline() == nil)
    }

    @Test func nackThenRecovery() {
        var buffer = RtpReorderBuffer()
        _ = buffer.insert(packet(10), now: at(0))
        _ = buffer.insert(packet(12), now: at(1))
        #expect(buffer.nacksDue(now: at(1)) == [11])
        #expect(buffer.nacksDue(now: at(2)).isEmpty)
        #expect(buffer.insert(packet(11), now: at(30)) == .recovered)
        #expect(delivered(buffer.pop(now: at(30))) == [10, 11, 12])
        #expect(buffer.nacksDue(now: at(100)).isEmpty)
        #expect(buffer.stats.recovered == 1)
        #expect(buffer.stats.nacked == 1)
        #expect(buffer.stats.lost == 0)
    }

    @Test func retriesAreSpacedAndCapped() {
        let config = RtpReorderBuffer.Configuration(maxWait: .milliseconds(1000), nackRetryInterval: .milliseconds(40), maxNackRetries: 2)
        var buffer = RtpReorderBuffer(configuration: config)
        _ = buffer.insert(packet(1), now: at(0))
        _ = buffer.insert(packet(3), now: at(0))
        _ = buffer.pop(now: at(0))
        #expect(buffer.nacksDue(now: at(0)) == [2])
        #expect(buffer.nacksDue(now: at(39)).isEmpty)
        #expect(buffer.nacksDue(now: at(40)) == [2])
        #expect(buffer.nacksDue(now: at(79)).isEmpty)
        #expect(buffer.nacksDue(now: at(80)) == [2])
        #expect(buffer.nacksDue(now: at(200)).isEmpty)
        #expect(buffer.stats.nacked == 3)
        #expect(buffer.nextDeadline() == at(1000))  // only the loss timeout is left
    }

    @Test func gapsFoundLaterAreNackedAlongsideRetries() {
        var buffer = RtpReorderBuffer()
        _ = buffer.insert(packet(1), now: at(0))
        _ = buffer.insert(packet(3), now: at(0))
        #expect(buffer.nacksDue(now: at(0)) == [2])
        _ = buffer.insert(packet(6), now: at(40))
        #expect(buffer.nacksDue(now: at(40)) == [2, 4, 5])
    }

    @Test func handlesWrapAround() {
        var buffer = RtpReorderBuffer()
        _ = buffer.insert(packet(65533), now: at(0))
        _ = buffer.insert(packet(65534), now: at(1))
        _ = buffer.insert(packet(0), now: at(2))
        _ = buffer.insert(packet(1), now: at(3))
        #expect(delivered(buffer.pop(now: at(3))) == [65533, 65534])
        #expect(buffer.nacksDue(now: at(3)) == [65535])
        #expect(buffer.insert(packet(65535), now: at(20)) == .recovered)
        #expect(delivered(buffer.pop(now: at(20))) == [65535, 0, 1])
        _ = buffer.insert(packet(3), now: at(21))
        #expect(buffer.nacksDue(now: at(21)) == [2])
    }

    @Test func countsDuplicates() {
        var buffer = RtpReorderBuffer()
        _ = buffer.insert(packet(1), now: at(0))
        _ = buffer.insert(packet(3), now: at(0))
        #expect(buffer.insert(packet(3), now: at(1)) == .duplicate)
        #expect(buffer.insert(packet(1), now: at(1)) == .duplicate)  // held, not yet popped
        #expect(delivered(buffer.pop(now: at(1))) == [1])
        #expect(buffer.insert(packet(1), now: at(2)) == .tooLate)  // already delivered
        _ = buffer.insert(packet(2), now: at(2))
        #expect(delivered(buffer.pop(now: at(2))) == [2, 3])
        #expect(buffer.stats.duplicates == 2)
        #expect(buffer.stats.received == 6)
    }

    @Test func packetAfterItsLossWasReportedIsTooLate() {
        var buffer = RtpReorderBuffer()
        _ = buffer.insert(packet(1), now: at(0))
        _ = buffer.insert(packet(3), now: at(0))
        _ = buffer.nacksDue(now: at(0))
        #expect(buffer.pop(now: at(400)) == [.packet(packet(1)), .lost(count: 1), .packet(packet(3))])
        #expect(buffer.insert(packet(2), now: at(401)) == .tooLate)
        #expect(buffer.pop(now: at(401)).isEmpty)
        #expect(buffer.stats.late == 1)
        #expect(buffer.stats.recovered == 0)
        #expect(buffer.nacksDue(now: at(1000)).isEmpty)
    }

    @Test func largeJumpForwardRestartsAndReportsTheSkippedRange() {
        var buffer = RtpReorderBuffer()
        _ = buffer.insert(packet(1), now: at(0))
        _ = buffer.insert(packet(2), now: at(0))
        _ = buffer.insert(packet(4), now: at(0))
        #expect(buffer.insert(packet(9000), now: at(1)) == .accepted)
        #expect(buffer.pop(now: at(1)) == [
            .packet(packet(1)), .packet(packet(2)), .lost(count: 1), .packet(packet(4)), .lost(count: 8995), .packet(packet(9000)),
        ])
        #expect(buffer.stats.lost == 8996)
        #expect(buffer.nacksDue(now: at(1)).isEmpty)  // 3 is gone with the old window
        _ = buffer.insert(packet(9001), now: at(2))
        #expect(delivered(buffer.pop(now: at(2))) == [9001])
    }

    @Test func overfullBufferForcesTheOldestOut() {
        var buffer = RtpReorderBuffer(configuration: .init(maxPackets: 8))
        _ = buffer.insert(packet(0), now: at(0))
        _ = buffer.pop(now: at(0))
        for seq in UInt16(2)...8 {
            _ = buffer.insert(packet(seq), now: at(1))
        }
        #expect(buffer.pop(now: at(1)).isEmpty)  // 1 is still awaited, 7 packets held
        _ = buffer.insert(packet(9), now: at(2))  // 1...9 would span 9 > 8
        #expect(buffer.pop(now: at(2)) == [.lost(count: 1)] + (UInt16(2)...9).map { .packet(packet($0)) })
        // A new gap pushes out an older one that was still being NACKed.
        _ = buffer.insert(packet(11), now: at(3))
        #expect(buffer.nacksDue(now: at(3)) == [10])
        _ = buffer.insert(packet(19), now: at(4))
        #expect(buffer.pop(now: at(4)) == [.lost(count: 1), .packet(packet(11))])
        #expect(buffer.nacksDue(now: at(4)) == Array(12...18))
        #expect(buffer.stats.lost == 2)
    }

    @Test func senderRestartFarBehindIsBelievedOnTheSecondConsecutivePacket() {
        var buffer = RtpReorderBuffer()
        for seq in UInt16(20000)..<20010 {
            _ = buffer.insert(packet(seq), now: at(0))
        }
        _ = buffer.pop(now: at(0))
        #expect(buffer.insert(packet(100), now: at(1)) == .tooLate)
        #expect(buffer.insert(packet(20010), now: at(1)) == .accepted)  // not a restart after all
        #expect(buffer.insert(packet(500), now: at(2)) == .tooLate)
        #expect(buffer.insert(packet(501), now: at(2)) == .accepted)
        #expect(delivered(buffer.pop(now: at(2))) == [20010, 501])
        _ = buffer.insert(packet(502), now: at(3))
        #expect(delivered(buffer.pop(now: at(3))) == [502])
    }

    /// Random loss, duplication and reordering across a wrap: output is strictly in order, never
    /// repeated, and every sequence number is either delivered or counted lost exactly once.
    @Test func randomisedStreamAccountsForEverySequenceNumber() {
        var rng = SeededRandom(seed: 7)
        var buffer = RtpReorderBuffer()
        let count = 20_000
        let first: UInt16 = 60_000
        var arrivals: [(ms: Int, seq: UInt16)] = []
        for i in 0..<count {
            let seq = first &+ UInt16(truncatingIfNeeded: i)
            // The first and last numbers arrive cleanly so the stream's extent is known.
            let roll = i == 0 || i == count - 1 ? 99 : rng.next() % 100
            if roll < 3 { continue }  // lost for good
            let jitter = roll < 10 ? Int(rng.next() % 60) : 0
            arrivals.append((i + jitter, seq))
            if roll < 12 { arrivals.append((i + jitter + 1, seq)) }  // duplicate
            if roll < 15 { arrivals.append((i + 100 + Int(rng.next() % 200), seq)) }  // NACK answer
        }
        arrivals.sort { $0.ms < $1.ms }

        var output: [ReorderOutput] = []
        var next = 0
        var ms = 0
        while ms < count + 2000 {
            while next < arrivals.count, arrivals[next].ms <= ms {
                _ = buffer.insert(packet(arrivals[next].seq), now: at(ms))
                next += 1
            }
            _ = buffer.nacksDue(now: at(ms))
            output += buffer.pop(now: at(ms))
            ms += 1
        }

        var unwrapper = SequenceNumberUnwrapper()
        var previous: Int64?
        var deliveredCount = 0
        var lostCount = 0
        var inOrder = true
        for item in output {
            switch item {
            case .packet(let p):
                let seq = unwrapper.unwrap(p.sequenceNumber)
                if let previous, seq <= previous { inOrder = false }
                previous = seq
                deliveredCount += 1
            case .lost(let n):
                lostCount += n
                previous = previous.map { $0 + Int64(n) }
            }
        }
        #expect(inOrder)
        #expect(deliveredCount + lostCount == count)
        #expect(buffer.stats.lost == lostCount)
        #expect(buffer.stats.recovered > 0)
        #expect(buffer.nextDeadline() == nil)
    }
}
