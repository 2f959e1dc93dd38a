import Foundation
import Logging
import Synchronization
import Testing
@testable import MediaPod

private let configuration = VideoConfiguration(width: 1280, height: 720, avcDecoderConfiguration: [1, 0x42, 0xC0, 0x1F])

private func video(_ ms: Int64, keyframe: Bool = false, size: Int = 100) -> EgressPacket {
    .video(avcc: Array(repeating: 0, count: size), timestampMs: ms, isKeyframe: keyframe, configuration: configuration)
}

@Suite struct DestinationQueueTests {
    @Test func startsOnAKeyframe() {
        let queue = DestinationQueue(maxBytes: 10_000)
        queue.push(video(0))
        queue.push(.audio(aac: [1, 2], timestampMs: 5))
        // Audio captured with the keyframe arrives before it (video is encoded and packetised later).
        queue.push(.audio(aac: [1, 2], timestampMs: 35))
        queue.push(video(33, keyframe: true))
        queue.push(.audio(aac: [1, 2], timestampMs: 40))
        guard case .video(_, 33, true, _) = queue.pop(timeout: 0) else { Issue.record("expected the keyframe first"); return }
        guard case .audio(_, 35) = queue.pop(timeout: 0) else { Issue.record("expected the held audio after it"); return }
        guard case .audio(_, 40) = queue.pop(timeout: 0) else { Issue.record("expected audio after it"); return }
        #expect(queue.pop(timeout: 0) == nil)
        #expect(queue.droppedPackets == 2)
    }

    @Test func overflowDropsToTheNextKeyframe() {
        let queue = DestinationQueue(maxBytes: 1_000)
        queue.push(video(0, keyframe: true, size: 400))
        queue.push(video(33, size: 400))
        queue.push(video(66, size: 400))  // over the limit: everything goes, and so does what follows
        queue.push(.audio(aac: [1], timestampMs: 70))
        queue.push(video(100, size: 400))
        #expect(queue.pop(timeout: 0) == nil)
        queue.push(video(133, keyframe: true, size: 400))
        guard case .video(_, 133, true, _) = queue.pop(timeout: 0) else { Issue.record("expected to restart at the keyframe"); return }
        #expect(queue.droppedPackets == 5)
    }
}

@Suite struct ReconnectBackoffTests {
    @Test func doublesUpToThirtySecondsWithJitter() {
        var backoff = ReconnectBackoff()
        let middle = (0..<7).map { _ in backoff.nextDelay(unitRandom: 0.5) }
        #expect(middle == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)])
        backoff.reset()
        #expect(Self.isClose(backoff.nextDelay(unitRandom: 0), .milliseconds(800)))
        #expect(Self.isClose(backoff.nextDelay(unitRandom: 1), .milliseconds(2400)))
    }

    static func isClose(_ lhs: Duration, _ rhs: Duration) -> Bool {
        lhs - rhs < .milliseconds(1) && rhs - lhs < .milliseconds(1)
    }
}

/// A sink that records what it is given and can be told to fail, standing in for an RTMP server.
private final class RecordingSink: FlvSink, @unchecked Sendable {
    let written = Mutex<[Int64]>([])
    let failAfter: Int?
    init(failAfter: Int?) { self.failAfter = failAfter }
    func writeVideo(avcc: [UInt8], timestampMs: Int64, isKeyframe: Bool) throws {
        try record(timestampMs)
    }
    func writeAudio(aac: [UInt8], timestampMs: Int64) throws { try record(timestampMs) }
    func updateVideoConfiguration(_ configuration: VideoConfiguration) throws {}
    var bytesWritten: Int64 { Int64(written.withLock { $0.count }) }
    func close() {}
    private func record(_ ms: Int64) throws {
        let count = written.withLock { $0.append(ms); return $0.count }
        if let failAfter, count > failAfter { throw POSIXError(.EPIPE) }
    }
}

@Suite struct RtmpDestinationTests {
    @Test func failingSinkRetriesAndRequestsKeyframes() async throws {
        let attempts = Mutex(0)
        let keyframeRequests = Mutex(0)
        let destination = RtmpDestination(
            name: "flaky", url: "rtmp://example.com/live/secret-key", redactedURL: "rtmp://example.com/live/***",
            audioSpecificConfig: [0x11, 0x90], keyframeRequestInterval: 0.1, logger: Logger(label: "test"),
            makeSink: { _, _, _ in
                let attempt = attempts.withLock { $0 += 1; return $0 }
                if attempt == 1 { throw POSIXError(.ECONNREFUSED) }
                return RecordingSink(failAfter: nil)
            },
            requestKeyframe: { keyframeRequests.withLock { $0 += 1 } })
        destination.start()
        defer { destination.stop() }
        // Feed keyframes until the destination is live again after its first failure (backoff ≈ 1 s).
        var ms: Int64 = 0
        let deadline = ContinuousClock.now + .seconds(20)
        while destination.currentStatus.state != .live && ContinuousClock.now < deadline {
            destination.queue.push(video(ms, keyframe: true))
            ms += 33
            try await Task.sleep(for: .milliseconds(30))
        }
        let status = destination.currentStatus
        #expect(status.state == .live)
        #expect(status.reconnects == 1)
        #expect(!status.lastError.isEmpty)
        #expect(!status.lastError.contains("secret-key"))
        #expect(attempts.withLock { $0 } == 2)
        #expect(keyframeRequests.withLock { $0 } >= 2)
    }

    @Test func stopEndsTheThread() async throws {
        let destination = RtmpDestination(
            name: "ok", url: "rtmp://example.com/live/k", redactedURL: "rtmp://example.com/live/***",
            audioSpecificConfig: [], logger: Logger(label: "test"),
            makeSink: { _, _, _ in RecordingSink(failAfter: nil) }, requestKeyframe: {})
        destination.start()
        var ms: Int64 = 0
        let liveBy = ContinuousClock.now + .seconds(20)
        while destination.currentStatus.state != .live && ContinuousClock.now < liveBy {
            destination.queue.push(video(ms, keyframe: true))
            ms += 33
            try await Task.sleep(for: .milliseconds(30))
        }
        #expect(destination.currentStatus.state == .live)
        destination.stop()
        let deadline = ContinuousClock.now + .seconds(10)
        while !destination.isFinished && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(destination.isFinished)
        #expect(destination.currentStatus.state == .disabled)
    }
}
