import Foundation
import Logging
import MediaCodecs
import Synchronization
import Testing
import WebRTC
@testable import MediaPod

/// Records what a destination writes, as an RTMP server would receive it.
private final class CapturingSink: FlvSink, @unchecked Sendable {
    enum Tag: Equatable { case video(ms: Int64, keyframe: Bool), audio(ms: Int64) }
    let tags = Mutex<[Tag]>([])
    func writeVideo(avcc: [UInt8], timestampMs: Int64, isKeyframe: Bool) throws {
        tags.withLock { $0.append(.video(ms: timestampMs, keyframe: isKeyframe)) }
    }
    func writeAudio(aac: [UInt8], timestampMs: Int64) throws { tags.withLock { $0.append(.audio(ms: timestampMs)) } }
    func updateVideoConfiguration(_ configuration: VideoConfiguration) throws {}
    var bytesWritten: Int64 { 0 }
    func close() {}
}

/// A real 320x240 H.264 clip (2 s, keyframe every second) as access units.
private func clipAccessUnits() throws -> [[[UInt8]]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
    process.arguments = ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-frames:v", "60",
                         "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-g", "30", "-f", "h264", "-"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return H264Packetizer.accessUnits(annexB: Array(data))
}

@Suite struct BroadcastEgressTests {
    /// Video and audio captured at the same instants, with the encoder delaying video by 100 ms on the wire:
    /// sender reports must put them back together at the sink.
    @Test func senderReportsAlignAudioWithVideoAtTheSink() async throws {
        let units = try clipAccessUnits()
        try #require(units.count == 60)
        let sink = CapturingSink()
        let egress = try BroadcastEgress(key: "studio/show", logger: Logger(label: "test"),
                                         makeSink: { _, _, _ in sink }, requestKeyframe: {})
        egress.configure([DestinationTarget(name: "a", url: "rtmp://example.com/live/key", enabled: true, problem: nil)])
        egress.publisherConnected()

        let start = ContinuousClock.now
        let videoBase: UInt32 = 1_000_000, audioBase: UInt32 = 777
        let ntpStart: UInt64 = 3_900_000_000 << 32
        egress.deliver([.senderReport(SenderReport(ssrc: 1, ntpTimestamp: ntpStart, rtpTimestamp: videoBase, packetCount: 0, octetCount: 0), .video),
                        .senderReport(SenderReport(ssrc: 2, ntpTimestamp: ntpStart, rtpTimestamp: audioBase, packetCount: 0, octetCount: 0), .audio)],
                       arrival: start)
        let encoder = try OpusEncoder()
        let silence = [Int16](repeating: 0, count: 960 * 2)
        // 3 s of audio (20 ms packets) and 2 s of video (60 frames), video arriving 100 ms after capture; the
        // timeline collects sender reports for 2.5 s before it places anything.
        var events: [(at: Duration, event: SessionEvent)] = []
        for packet in 0..<150 {
            let payload = try encoder.encode(pcm: silence)
            events.append((.milliseconds(20 * packet), .audioPacket(payload: payload, rtpTimestamp: audioBase &+ UInt32(960 * packet), sequenceNumber: UInt16(packet))))
        }
        for (frame, nalUnits) in units.enumerated() {
            let unit = H264AccessUnit(rtpTimestamp: videoBase &+ UInt32(3000 * frame), nalUnits: nalUnits)
            events.append((.milliseconds(100 + frame * 1000 / 30), .videoAccessUnit(unit)))
        }
        for (at, event) in events.sorted(by: { $0.at < $1.at }) {
            egress.deliver([event], arrival: start + at)
        }

        let deadline = ContinuousClock.now + .seconds(20)
        while sink.tags.withLock({ $0.filter { if case .video = $0 { true } else { false } }.count }) < 60 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        _ = egress.stop()
        let tags = sink.tags.withLock { $0 }
        let video = tags.compactMap { if case .video(let ms, let key) = $0 { (ms, key) } else { nil } }
        let audio = tags.compactMap { if case .audio(let ms) = $0 { ms } else { nil } }
        #expect(video.count == 60)
        #expect(video.first?.1 == true, "the destination must start on a keyframe")
        // Video frame n was captured at n/30 s; its FLV time says so, whatever its arrival delay.
        let expected: [Int64] = (0..<60).map { frame in Int64((Double(frame) * 1000 / 30).rounded()) }
        #expect(video.map(\.0) == expected)
        #expect(audio == audio.sorted())
        // Audio runs on the same clock: about 2 s of AAC from time 0 on (minus the frames before the first keyframe
        // written, which the sink refuses), each 1024 samples = 21.33 ms apart.
        #expect(audio.count >= 85)
        if let first = audio.first { #expect(first >= 0 && first < 30) }
    }
}
