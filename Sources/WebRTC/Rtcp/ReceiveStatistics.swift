// What a receiver tracks about one incoming media SSRC to fill an RFC 3550 §6.4.1 report block: sequence number
// bookkeeping (RFC 3550 Appendix A.1), loss (A.3), interarrival jitter (A.8) and the timing of the last SR.

/// Reception statistics of one incoming media SSRC. Feed it every RTP packet after SRTP authentication and every
/// sender report of that SSRC; ask it for a report block when sending an RR.
public struct ReceiveStatistics: Sendable {
    // RFC 3550 A.1: jumps up to MAX_DROPOUT ahead are loss; up to MAX_MISORDER behind are late packets.
    private static let maxDropout = 3000
    private static let maxMisorder = 100
    private static let sequenceModulus: Int64 = 1 << 16

    private var hasStarted = false
    private var highestSequence: UInt16 = 0
    /// Wraps of the sequence number, times 2^16 (A.1's `cycles`).
    private var cycles: Int64 = 0
    /// Extended sequence number of the first packet (A.1's `base_seq`).
    private var baseSequence: Int64 = 0
    /// A.1's `bad_seq`: after a large jump, the sequence number that would confirm the sender restarted.
    private var restartCandidate: UInt16?
    private var received: Int64 = 0
    private var expectedAtLastReport: Int64 = 0
    private var receivedAtLastReport: Int64 = 0

    /// Arrival times are converted to RTP units relative to this instant; only differences matter (A.8).
    private var arrivalEpoch: ContinuousClock.Instant?
    private var lastTransit: UInt32?
    private var lastJitterTimestamp: UInt32?
    /// A.8's integer form keeps the jitter scaled by 16 so the 1/16 gain does not lose precision.
    private var scaledJitter: Int64 = 0

    private var lastSenderReportNtp: UInt64?
    private var lastSenderReportArrival: ContinuousClock.Instant?

    public init() {}

    /// Packets received, duplicates included (RFC 3550 §6.4.1 counts them, which can make loss negative).
    public var packetsReceived: Int64 { received }

    /// Expected minus received since the first packet (or the last detected restart of the sender).
    public var cumulativeLost: Int64 { expected - received }

    /// Highest sequence number seen, extended with the wrap count (A.1).
    public var extendedHighestSequence: UInt32 { UInt32(truncatingIfNeeded: cycles + Int64(highestSequence)) }

    /// Interarrival jitter in RTP timestamp units (A.8).
    public var jitter: UInt32 { UInt32(clamping: scaledJitter >> 4) }

    private var expected: Int64 {
        hasStarted ? cycles + Int64(highestSequence) - baseSequence + 1 : 0
    }

    /// Records one RTP packet. `clockRate` is the payload's RTP clock (90 000 for video, 48 000 for Opus).
    ///
    /// There is no probation period (A.1's MIN_SEQUENTIAL): packets reach this point only after SRTP authentication,
    /// so the first one already proves the source.
    public mutating func record(
        sequenceNumber: UInt16, rtpTimestamp: UInt32, arrival: ContinuousClock.Instant, clockRate: Int
    ) {
        guard hasStarted else {
            restart(at: sequenceNumber)
            updateJitter(rtpTimestamp: rtpTimestamp, arrival: arrival, clockRate: clockRate)
            return
        }
        let forward = Int(sequenceNumber &- highestSequence)
        if forward < Self.maxDropout {
            if sequenceNumber < highestSequence { cycles += Self.sequenceModulus }
            highestSequence = sequenceNumber
            received += 1
            if forward > 0 {
                updateJitter(rtpTimestamp: rtpTimestamp, arrival: arrival, clockRate: clockRate)
            }
        } else if forward <= Int(Self.sequenceModulus) - Self.maxMisorder {
            // A.1: a jump this large is a restarted sender or garbage; only a second, sequential packet confirms it.
            guard sequenceNumber == restartCandidate else {
                restartCandidate = sequenceNumber &+ 1
                return
            }
            restart(at: sequenceNumber)
            lastTransit = nil
            updateJitter(rtpTimestamp: rtpTimestamp, arrival: arrival, clockRate: clockRate)
        } else {
            // A.1: a duplicate or a late packet; it counts as received but does not move the highest sequence number.
            received += 1
        }
    }

    /// Records a sender report of this SSRC, for LSR and DLSR in the next report block (RFC 3550 §6.4.1).
    public mutating func recordSenderReport(ntpTimestamp: UInt64, at arrival: ContinuousClock.Instant) {
        lastSenderReportNtp = ntpTimestamp
        lastSenderReportArrival = arrival
    }

    /// The report block for this source; it starts a new interval for `fractionLost` (RFC 3550 A.3).
    public mutating func makeReportBlock(ssrc: UInt32, now: ContinuousClock.Instant) -> ReportBlock {
        let expected = self.expected
        let expectedInterval = expected - expectedAtLastReport
        let receivedInterval = received - receivedAtLastReport
        expectedAtLastReport = expected
        receivedAtLastReport = received
        let lostInterval = expectedInterval - receivedInterval
        // A.3 yields 256 when nothing arrived in the interval; the 8-bit field saturates at 255 (as libwebrtc does).
        let fractionLost: UInt8 = expectedInterval > 0 && lostInterval > 0
            ? UInt8(min(255, (lostInterval << 8) / expectedInterval))
            : 0
        let cumulativeLost = Int32(min(max(cumulativeLost, ReportBlock.cumulativeLostRange.lowerBound),
                                       ReportBlock.cumulativeLostRange.upperBound))
        return ReportBlock(
            ssrc: ssrc,
            fractionLost: fractionLost,
            cumulativeLost: cumulativeLost,
            extendedHighestSequence: extendedHighestSequence,
            jitter: jitter,
            lastSenderReport: lastSenderReportNtp.map { UInt32(truncatingIfNeeded: $0 >> 16) } ?? 0,
            delaySinceLastSenderReport: lastSenderReportArrival.map { Self.units65536(of: now - $0) } ?? 0
        )
    }

    /// A.1 `init_seq`: start counting afresh from this packet, which counts as received.
    private mutating func restart(at sequenceNumber: UInt16) {
        hasStarted = true
        highestSequence = sequenceNumber
        cycles = 0
        baseSequence = Int64(sequenceNumber)
        restartCandidate = nil
        received = 1
        expectedAtLastReport = 0
        receivedAtLastReport = 0
    }

    /// RFC 3550 A.8, measured only on the first packet of each RTP timestamp and only for in-order packets, as
    /// libwebrtc does: Chrome's pacer spreads one frame's packets out, and late or retransmitted packets would count
    /// pacing and recovery delay as network jitter.
    private mutating func updateJitter(rtpTimestamp: UInt32, arrival: ContinuousClock.Instant, clockRate: Int) {
        guard clockRate > 0, rtpTimestamp != lastJitterTimestamp || lastTransit == nil else { return }
        let epoch = arrivalEpoch ?? arrival
        arrivalEpoch = epoch
        // Both terms wrap modulo 2^32 like RTP timestamps; only the difference of consecutive transits is used.
        let transit = Self.rtpUnits(of: arrival - epoch, clockRate: clockRate) &- rtpTimestamp
        defer {
            lastTransit = transit
            lastJitterTimestamp = rtpTimestamp
        }
        guard let lastTransit else { return }
        let difference = Int64(Int32(bitPattern: transit &- lastTransit).magnitude)
        scaledJitter += difference - ((scaledJitter + 8) >> 4)
    }

    private static func rtpUnits(of duration: Duration, clockRate: Int) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let rate = Int64(clockRate)
        let nanoseconds = attoseconds / 1_000_000_000
        return UInt32(truncatingIfNeeded: seconds &* rate &+ nanoseconds &* rate / 1_000_000_000)
    }

    /// DLSR unit (RFC 3550 §6.4.1): 1/65536 s, saturating; a negative delay (clock misuse) reports 0.
    private static func units65536(of duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        guard seconds < 1 << 16 else { return .max }
        // 10^18 / 2^16 attoseconds per unit is exactly 15 258 789 062 500.
        return UInt32(clamping: (seconds << 16) + attoseconds / 15_258_789_062_500)
    }
}
