import Foundation
import MediaCodecs
import Testing
import WebRTC
#if canImport(Glibc)
import Glibc
#endif

private let streamKey = "sk-live-7f3a9c2e51"
private let aacConfig: [UInt8] = [0x11, 0x90, 0x56, 0xE5, 0x00]

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

@Suite struct RtmpDeadServerTests {
    @Test(arguments: ["rtmp", "rtmps"])
    func closedPortFailsFastAndNeverShowsTheKey(scheme: String) throws {
        let port = try closedLocalPort()
        let record = try videoPackets(try clip360p2s.get()).record
        let started = ContinuousClock.now
        let error = #expect(throws: FFmpegError.self) {
            try FlvMuxer(
                url: "\(scheme)://127.0.0.1:\(port)/live/\(streamKey)",
                video: VideoParameters(width: 640, height: 360, avcDecoderConfiguration: record.bytes),
                audio: AudioParameters(audioSpecificConfig: aacConfig), timeout: .seconds(3))
        }
        let elapsed = seconds(ContinuousClock.now - started)
        #expect(elapsed < 3.5, "took \(elapsed) s")
        let text = "\(String(describing: error)) \(error?.operation ?? "") \(error?.message ?? "")"
        #expect(!text.contains(streamKey))
        #expect(error?.description.contains("\(scheme)://127.0.0.1:\(port)/live/***") == true, "\(text)")
        #expect(error?.code ?? 0 < 0)
    }

    /// The kernel accepts the TCP connection but nothing ever answers the RTMP (or TLS) handshake.
    @Test(arguments: ["rtmp", "rtmps"])
    func silentServerTimesOut(scheme: String) throws {
        let listener = try LocalListener()
        defer { listener.close() }
        let record = try videoPackets(try clip360p2s.get()).record
        let started = ContinuousClock.now
        let error = #expect(throws: FFmpegError.self) {
            try FlvMuxer(
                url: "\(scheme)://127.0.0.1:\(listener.port)/live/\(streamKey)",
                video: VideoParameters(width: 640, height: 360, avcDecoderConfiguration: record.bytes),
                audio: AudioParameters(audioSpecificConfig: aacConfig), timeout: .milliseconds(1_500))
        }
        let elapsed = seconds(ContinuousClock.now - started)
        #expect(elapsed >= 1.4 && elapsed < 3, "took \(elapsed) s")
        #expect(error?.code == -ETIMEDOUT)
        #expect(error?.message == "timed out after 1500 ms (server not responding or too slow)")
        #expect(error?.description.contains(streamKey) == false)
    }
}

/// A private nginx with the RTMP module (PEERS.md, RTMP sinks): own prefix, error log and config, `record all`.
final class PrivateNginx: @unchecked Sendable {
    static let module = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
    static var available: Bool {
        FileManager.default.fileExists(atPath: module) && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx")
    }

    let directory: URL
    let recordings: URL
    let port: Int
    let process = Process()

    init() throws {
        directory = try makeTemporaryDirectory()
        recordings = directory.appendingPathComponent("recordings")
        try FileManager.default.createDirectory(at: recordings, withIntermediateDirectories: true)
        port = try closedLocalPort()
        let config = """
            load_module \(Self.module);
            daemon off;
            master_process off;
            pid \(directory.path)/nginx.pid;
            error_log \(directory.path)/error.log info;
            events { worker_connections 64; }
            rtmp {
                server {
                    listen 127.0.0.1:\(port);
                    application live {
                        live on;
                        record all;
                        record_path \(recordings.path);
                        record_suffix .flv;
                    }
                }
            }
            """
        let configPath = directory.appendingPathComponent("nginx.conf").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", directory.path, "-c", configPath, "-e", "\(directory.path)/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !canConnect(port: port) {
            guard Date() < deadline, process.isRunning else {
                throw CommandFailed(command: "nginx", result: CommandResult(status: -1, stdout: [], stderr: errorLog))
            }
            usleep(50_000)
        }
    }

    var errorLog: String { (try? String(contentsOfFile: "\(directory.path)/error.log", encoding: .utf8)) ?? "" }

    func url(key: String) -> String { "rtmp://127.0.0.1:\(port)/live/\(key)" }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    func stop() {
        if process.isRunning {
            // SIGKILL: nginx inherits the test runner thread's signal mask, in which SIGTERM/SIGQUIT are blocked
            // (and single-process nginx never unblocks them). Recordings are complete once the publisher left.
            signal(SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite(.enabled(if: PrivateNginx.available, "needs nginx + libnginx-mod-rtmp"), .timeLimit(.minutes(2)))
struct RtmpNginxTests {
    @Test func publishThreeSecondsAndProbeTheRecording() throws {
        let nginx = try PrivateNginx()
        defer { nginx.stop() }
        let clip = try clip720p5s.get()
        let (video, record) = try videoPackets(H264Clip(width: 1280, height: 720, accessUnits: Array(clip.accessUnits.prefix(90))))
        let (audio, encoder) = try audioPackets(samples: 3 * 48_000)

        let muxer = try FlvMuxer(
            url: nginx.url(key: "show1"),
            video: VideoParameters(width: 1280, height: 720, avcDecoderConfiguration: record.bytes),
            audio: AudioParameters(audioSpecificConfig: encoder.audioSpecificConfig),
            timeout: .seconds(5))
        #expect(muxer.redactedURL == "rtmp://127.0.0.1:\(nginx.port)/live/***")
        try write(interleave(video, audio), to: muxer)
        let sent = muxer.bytesWritten
        try muxer.close()
        let videoBytes = video.reduce(0) { if case .video(let avcc, _, _, _) = $1 { $0 + avcc.count } else { $0 } }
        #expect(sent > Int64(videoBytes), "bytesWritten \(sent) counts what reached the socket")

        // nginx closes the recording when the publisher leaves.
        let recording = nginx.recordings.appendingPathComponent("show1.flv").path
        var duration = 0.0
        var probe: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(10)
        repeat {
            usleep(200_000)
            if let result = try? ffprobeJSON(["-show_streams", "-show_format", recording]) {
                probe = result
                duration = Double((probe["format"] as? [String: Any])?["duration"] as? String ?? "") ?? 0
            }
        } while abs(duration - 3) > 0.3 && Date() < deadline
        #expect(abs(duration - 3) <= 0.3, "duration \(duration); nginx log: \(nginx.errorLog)")
        let streams = try #require(probe["streams"] as? [[String: Any]])
        let videoStream = try #require(streams.first { $0["codec_type"] as? String == "video" })
        let audioStream = try #require(streams.first { $0["codec_type"] as? String == "audio" })
        #expect(videoStream["codec_name"] as? String == "h264")
        #expect(videoStream["width"] as? Int == 1280)
        #expect(videoStream["height"] as? Int == 720)
        #expect(audioStream["codec_name"] as? String == "aac")
        #expect(audioStream["sample_rate"] as? String == "48000")
        #expect(audioStream["channels"] as? Int == 2)

        // What nginx recorded decodes cleanly and carries our slices unchanged.
        let annexB = try run("ffmpeg", ["-v", "error", "-i", recording, "-map", "0:v", "-c:v", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-"])
        let input = sliceAndSeiUnits(Array(clip.accessUnits.prefix(90)).flatMap(\.nalUnits))
        #expect(sliceAndSeiUnits(H264Packetizer.nalUnits(annexB: annexB.stdout)) == input)
        #expect(!nginx.errorLog.contains(" [error] "), "\(nginx.errorLog)")
    }

    /// A server that stops reading mid-stream (SIGSTOP): once the socket buffers are full, a write blocks —
    /// for at most the timeout — and then throws; close() does not block again.
    @Test func stalledServerMakesAWriteThrowWithinTheTimeout() throws {
        let nginx = try PrivateNginx()
        defer { nginx.stop() }
        let clip = try clip720p5s.get()
        let (video, record) = try videoPackets(clip)
        let frames = video.compactMap { packet -> (avcc: [UInt8], keyframe: Bool)? in
            if case .video(let avcc, _, let keyframe, _) = packet { return (avcc, keyframe) }
            return nil
        }
        let timeout = Duration.milliseconds(1_500)
        let muxer = try FlvMuxer(
            url: nginx.url(key: streamKey),
            video: VideoParameters(width: 1280, height: 720, avcDecoderConfiguration: record.bytes),
            audio: AudioParameters(audioSpecificConfig: aacConfig), timeout: timeout)
        for (index, frame) in frames.prefix(30).enumerated() {
            try muxer.writeVideo(avcc: frame.avcc, ptsMs: Int64(index) * 33, dtsMs: Int64(index) * 33, keyframe: frame.keyframe)
        }
        nginx.signal(SIGSTOP)

        var failure: FFmpegError?
        var slowest = 0.0
        var index = 30
        let started = ContinuousClock.now
        while failure == nil && seconds(ContinuousClock.now - started) < 60 {
            let frame = frames[index % frames.count]
            let before = ContinuousClock.now
            do {
                try muxer.writeVideo(avcc: frame.avcc, ptsMs: Int64(index) * 33, dtsMs: Int64(index) * 33, keyframe: frame.keyframe)
            } catch {
                failure = error
            }
            slowest = max(slowest, seconds(ContinuousClock.now - before))
            index += 1
        }
        let error = try #require(failure, "60 s of writing to a stopped server never failed")
        #expect(slowest < seconds(timeout) + 1, "one write blocked \(slowest) s")
        #expect(error.code == -ETIMEDOUT, "\(error)")
        #expect(!error.description.contains(streamKey))
        #expect(muxer.bytesWritten > 1_000_000)

        let closing = ContinuousClock.now
        #expect(throws: Never.self) { try muxer.close() }
        #expect(seconds(ContinuousClock.now - closing) < 0.5)
    }
}
