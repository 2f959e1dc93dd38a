import Foundation
import WebRTC

/// What one publisher sends in `seconds` of a 720p30 call, as Chrome would send it: H.264 from x264 packetized by
/// `H264Packetizer`, an Opus-sized audio packet every 20 ms, a sender report per stream every second and a consent
/// check every 5 s. Plain packets with send times; `InMemoryPublisher` protects them for each run.
struct BenchStream {
    enum Item {
        case rtp(RtpPacket)
        case rtcp([UInt8])
        case consentCheck
    }

    static let videoSsrc: UInt32 = 1_587_902_249
    static let audioSsrc: UInt32 = 752_859_060
    static let videoPayloadType: UInt8 = 102
    static let audioPayloadType: UInt8 = 111
    static let framesPerSecond = 30
    /// An Opus packet at ~48 kbit/s with 20 ms frames.
    static let audioPayloadSize = 120

    let items: [(at: Duration, item: Item)]
    let duration: Duration
    let frames: Int
    let keyframes: Int
    let videoPackets: Int
    let audioPackets: Int
    let clipBytes: Int

    init(accessUnits: [[[UInt8]]], clipBytes: Int) {
        var items: [(at: Duration, item: Item)] = []
        var packetizer = H264Packetizer(payloadType: Self.videoPayloadType, ssrc: Self.videoSsrc, initialSequenceNumber: 1000)
        let frameInterval = Duration.seconds(1) / Self.framesPerSecond
        var videoPackets = 0
        var videoOctets: UInt32 = 0
        for (frame, unit) in accessUnits.enumerated() {
            let packets = packetizer.packetize(unit, rtpTimestamp: UInt32(frame) * 3000)
            // A pacer spreads a frame's packets; 0.2 ms apart keeps them inside the frame interval at 2.5 Mbit/s.
            for (index, packet) in packets.enumerated() {
                let at: Duration = frameInterval * frame + Duration.microseconds(200) * index
                items.append((at: at, item: .rtp(packet)))
                videoOctets &+= UInt32(packet.payload.count)
            }
            videoPackets += packets.count
        }
        let duration = frameInterval * accessUnits.count
        let audioInterval = Duration.milliseconds(20)
        let audioPackets = Int(duration / audioInterval)
        for index in 0..<audioPackets {
            let payload = (0..<Self.audioPayloadSize).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) }
            let packet = RtpPacket(payloadType: Self.audioPayloadType, sequenceNumber: UInt16(truncatingIfNeeded: 500 + index),
                                   timestamp: UInt32(index) * 960, ssrc: Self.audioSsrc, payload: payload)
            let at: Duration = audioInterval * index + Duration.microseconds(50)
            items.append((at: at, item: .rtp(packet)))
        }
        for second in 0..<Int(duration / .seconds(1)) {
            let ntp = UInt64(3_900_000_000 + second) << 32
            for (ssrc, clock) in [(Self.videoSsrc, UInt32(90_000)), (Self.audioSsrc, UInt32(48_000))] {
                let report = SenderReport(ssrc: ssrc, ntpTimestamp: ntp, rtpTimestamp: UInt32(second) * clock,
                                          packetCount: UInt32(videoPackets), octetCount: videoOctets)
                let at: Duration = .seconds(second) + .milliseconds(500)
                items.append((at: at, item: .rtcp(report.serialized())))
            }
        }
        // RFC 7675 §5.1: consent checks about every 5 s (Chrome sends them while media flows).
        for check in 1..<max(1, Int(duration / .seconds(5))) {
            items.append((at: .seconds(5) * check, item: .consentCheck))
        }
        // Stable: items at the same instant keep their order.
        self.items = items.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        self.duration = duration
        frames = accessUnits.count
        keyframes = accessUnits.filter { $0.contains { $0.first.map { $0 & 0x1F == 5 } ?? false } }.count
        self.videoPackets = videoPackets
        self.audioPackets = audioPackets
        self.clipBytes = clipBytes
    }

    var seconds: Double { duration.secondsValue }
}

/// The clip: ffmpeg's testsrc2 pattern encoded by x264 as a browser would (constrained baseline, one slice, no
/// B-frames, keyframe every 2 s) at a constant 2.5 Mbit/s, cached between runs.
enum BenchClip {
    static func annexB(seconds: Int, kbps: Int, in directory: URL) throws -> URL {
        let file = directory.appendingPathComponent("testsrc2-1280x720-30fps-\(kbps)kbps-\(seconds)s.h264")
        if FileManager.default.fileExists(atPath: file.path) { return file }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let partial = file.appendingPathExtension("partial")
        let status = try runFfmpeg([
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", String(seconds),
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
            "-profile:v", "baseline", "-b:v", "\(kbps)k", "-maxrate", "\(kbps)k", "-bufsize", "\(kbps)k", "-g", "60",
            "-bsf:v", "h264_mp4toannexb", "-f", "h264", partial.path,
        ]).status
        guard status == 0 else { throw BenchError("ffmpeg (with libx264) could not encode the clip (exit \(status))") }
        try FileManager.default.moveItem(at: partial, to: file)
        return file
    }
}

/// Runs ffmpeg from PATH; returns its exit status and what it wrote to stderr.
func runFfmpeg(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg"] + arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let output = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

extension Duration {
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
