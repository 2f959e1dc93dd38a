import Testing
@testable import MediaPod

@Suite struct EgressTimelineTests {
    /// NTP timestamp for a wall-clock second value.
    static func ntp(_ seconds: Double) -> UInt64 {
        let whole = UInt64(seconds)
        return whole << 32 | UInt64((seconds - Double(whole)) * 4_294_967_296)
    }

    @Test func senderReportsAlignAudioAndVideo() {
        let start = ContinuousClock.now
        var timeline = EgressTimeline(reportCollection: .zero, epoch: start)
        // Random RTP offsets per stream; both streams sample wall time 1000.0 s at their offsets.
        let videoBase: UInt32 = 4_000_000_000, audioBase: UInt32 = 123_456
        timeline.noteSenderReport(.video, ntpTimestamp: Self.ntp(1000), rtpTimestamp: videoBase)
        timeline.noteSenderReport(.audio, ntpTimestamp: Self.ntp(1000), rtpTimestamp: audioBase)
        // Video arrives late by 80 ms (encoder delay); its capture time is still 1000.5 s.
        // Until both streams have been seen the frame waits (the caller keeps it and asks again).
        #expect(timeline.timestampMs(.video, rtpTimestamp: videoBase &+ 45_000, now: start + .milliseconds(580)) == nil)
        #expect(timeline.timestampMs(.audio, rtpTimestamp: audioBase &+ 24_000, now: start + .milliseconds(590)) == 0)
        #expect(timeline.timestampMs(.video, rtpTimestamp: videoBase &+ 45_000, now: start + .milliseconds(600)) == 0)
        // One second later on both clocks (video wraps its 32-bit timestamp on the way).
        #expect(timeline.timestampMs(.video, rtpTimestamp: videoBase &+ 135_000, now: start + .milliseconds(1580)) == 1000)
        #expect(timeline.timestampMs(.audio, rtpTimestamp: audioBase &+ 72_000, now: start + .milliseconds(1500)) == 1000)
    }

    @Test func waitsForReportsThenFallsBackToArrival() {
        let start = ContinuousClock.now
        var timeline = EgressTimeline(syncTimeout: .seconds(5), epoch: start)
        #expect(timeline.timestampMs(.video, rtpTimestamp: 1000, now: start) == nil)
        #expect(timeline.timestampMs(.audio, rtpTimestamp: 5000, now: start + .milliseconds(20)) == nil)
        // No sender report within the timeout: arrival times decide.
        #expect(timeline.timestampMs(.video, rtpTimestamp: 1000 + 90_000 * 5, now: start + .seconds(5)) == 5000)
        #expect(timeline.timestampMs(.audio, rtpTimestamp: 5000 + 48_000 * 5, now: start + .seconds(5)) == 5020)
    }

    @Test func reconnectContinuesMonotonically() {
        let start = ContinuousClock.now
        var timeline = EgressTimeline(syncTimeout: .zero, epoch: start)
        _ = timeline.timestampMs(.video, rtpTimestamp: 0, now: start)
        let last = timeline.timestampMs(.video, rtpTimestamp: 90_000 * 10, now: start + .seconds(10))
        #expect(last == 10_000)
        timeline.startNewSession()
        // The new publisher's clocks start anywhere; output resumes just after the old end.
        let resumed = timeline.timestampMs(.video, rtpTimestamp: 77, now: start + .seconds(15))
        #expect(resumed == 10_040)
        #expect(timeline.timestampMs(.video, rtpTimestamp: 77 + 3000, now: start + .seconds(15)) == 10_073)
    }

    @Test func videoTimestampsStrictlyIncrease() {
        let start = ContinuousClock.now
        var timeline = EgressTimeline(syncTimeout: .zero, epoch: start)
        let first = timeline.timestampMs(.video, rtpTimestamp: 9000, now: start)!
        // A frame with an older or equal RTP timestamp (a sender bug) still moves time forward.
        let second = timeline.timestampMs(.video, rtpTimestamp: 9000, now: start)!
        #expect(second == first + 1)
    }

    @Test func theLeastDelayedReportWins() {
        let start = ContinuousClock.now
        var timeline = EgressTimeline(reportCollection: .seconds(2), epoch: start)
        // Audio's first report was stamped 60 ms late (a busy sender); its second one is right.
        timeline.noteSenderReport(.video, ntpTimestamp: Self.ntp(1000), rtpTimestamp: 0)
        timeline.noteSenderReport(.audio, ntpTimestamp: Self.ntp(1000.06), rtpTimestamp: 0)
        #expect(timeline.timestampMs(.video, rtpTimestamp: 0, now: start) == nil)
        #expect(timeline.timestampMs(.audio, rtpTimestamp: 0, now: start) == nil)
        timeline.noteSenderReport(.audio, ntpTimestamp: Self.ntp(1001), rtpTimestamp: 48_000)
        timeline.noteSenderReport(.video, ntpTimestamp: Self.ntp(1001.03), rtpTimestamp: 90_000)  // late: ignored
        // Still collecting reports: frames wait.
        #expect(timeline.timestampMs(.video, rtpTimestamp: 90_000, now: start + .seconds(1)) == nil)
        #expect(timeline.timestampMs(.video, rtpTimestamp: 90_000, now: start + .seconds(2)) == 1000)
        #expect(timeline.timestampMs(.audio, rtpTimestamp: 48_000, now: start + .seconds(2)) == 1000)
    }
}
