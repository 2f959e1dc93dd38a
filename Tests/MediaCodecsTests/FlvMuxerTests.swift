import Foundation
import MediaCodecs
import Testing
import WebRTC

/// One packet to mux, in the order an egress would write them (by DTS, video first on ties).
enum MuxPacket {
    case video(avcc: [UInt8], ms: Int64, keyframe: Bool, newConfiguration: [UInt8]?)
    case audio(aac: [UInt8], ms: Int64)

    var ms: Int64 {
        switch self {
        case .video(_, let ms, _, _), .audio(_, let ms): ms
        }
    }
}

func videoPackets(_ clip: H264Clip, startMs: Int64 = 0, announceConfiguration: Bool = false) throws -> (packets: [MuxPacket], record: AvcDecoderConfigurationRecord) {
    let first = try #require(clip.accessUnits.first)
    let record = try AvcDecoderConfigurationRecord(
        sps: try #require(first.nal(ofType: 7)), pps: try #require(first.nal(ofType: 8)))
    var packets: [MuxPacket] = []
    for (index, unit) in clip.accessUnits.enumerated() {
        let ms = startMs + Int64(index) * 1000 / 30
        packets.append(.video(
            avcc: Avcc.frame(nalUnits: unit.nalUnits), ms: ms, keyframe: unit.isKeyframe,
            newConfiguration: announceConfiguration && index == 0 ? record.bytes : nil))
    }
    return (packets, record)
}

/// AAC for `[startSamples, startSamples + samples)` of a 1 kHz sine, fed in 20 ms chunks as decoded Opus would be.
func audioPackets(startSamples: Int64 = 0, samples: Int) throws -> (packets: [MuxPacket], encoder: AacEncoder) {
    let encoder = try AacEncoder()
    var frames: [AacFrame] = []
    for offset in stride(from: 0, to: samples, by: 960) {
        let count = min(960, samples - offset)
        frames += try encoder.encode(
            pcm: sine(frequency: 1_000, samples: count, offset: offset), ptsSamples: startSamples + Int64(offset))
    }
    frames += encoder.flush()
    // The priming frame lands before the first video frame: FLV (and flvenc) cannot go below the start.
    let packets = frames.filter { $0.ptsSamples >= 0 }.map { MuxPacket.audio(aac: $0.data, ms: $0.ptsSamples * 1000 / 48_000) }
    return (packets, encoder)
}

func interleave(_ video: [MuxPacket], _ audio: [MuxPacket]) -> [MuxPacket] {
    var merged: [MuxPacket] = []
    var v = 0, a = 0
    while v < video.count || a < audio.count {
        if a == audio.count || (v < video.count && video[v].ms <= audio[a].ms) {
            merged.append(video[v]); v += 1
        } else {
            merged.append(audio[a]); a += 1
        }
    }
    return merged
}

func write(_ packets: [MuxPacket], to muxer: FlvMuxer) throws {
    for packet in packets {
        switch packet {
        case .video(let avcc, let ms, let keyframe, let configuration):
            if let configuration { try muxer.updateVideoConfiguration(avcDecoderConfiguration: configuration) }
            try muxer.writeVideo(avcc: avcc, ptsMs: ms, dtsMs: ms, keyframe: keyframe, durationMs: 33)
        case .audio(let aac, let ms):
            try muxer.writeAudio(aac: aac, ptsMs: ms)
        }
    }
}

/// NAL units other than SPS, PPS and AUD: what must pass through the muxer unchanged.
func sliceAndSeiUnits(_ units: [[UInt8]]) -> [[UInt8]] {
    units.filter { ![7, 8, 9].contains($0[0] & 0x1F) }
}

@Suite struct FlvFileTests {
    @Test func fiveSecondsOfVideoAndAacToAFile() throws {
        let clip = try clip720p5s.get()
        #expect(clip.accessUnits.count == 150)
        let (video, record) = try videoPackets(clip)
        let (audio, encoder) = try audioPackets(samples: 5 * 48_000)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.flv").path

        let muxer = try FlvMuxer(
            url: path,
            video: VideoParameters(width: 1280, height: 720, avcDecoderConfiguration: record.bytes),
            audio: AudioParameters(audioSpecificConfig: encoder.audioSpecificConfig),
            timeout: .seconds(5))
        #expect(muxer.description == "FlvMuxer(\(path))")
        try write(interleave(video, audio), to: muxer)
        let beforeClose = muxer.bytesWritten
        try muxer.close()
        try muxer.close()  // idempotent
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(muxer.bytesWritten >= beforeClose && beforeClose > 100_000)
        #expect(Int64(size) <= muxer.bytesWritten)

        // ffprobe: codecs, sizes, duration.
        let probe = try ffprobeJSON(["-show_streams", "-show_format", path])
        let streams = try #require(probe["streams"] as? [[String: Any]])
        let videoStream = try #require(streams.first { $0["codec_type"] as? String == "video" })
        let audioStream = try #require(streams.first { $0["codec_type"] as? String == "audio" })
        #expect(videoStream["codec_name"] as? String == "h264")
        #expect(videoStream["width"] as? Int == 1280)
        #expect(videoStream["height"] as? Int == 720)
        #expect(audioStream["codec_name"] as? String == "aac")
        #expect(audioStream["profile"] as? String == "LC")
        #expect(audioStream["sample_rate"] as? String == "48000")
        #expect(audioStream["channels"] as? Int == 2)
        let format = try #require(probe["format"] as? [String: Any])
        #expect(format["format_name"] as? String == "flv")
        let duration = try #require(Double(format["duration"] as? String ?? ""))
        #expect(abs(duration - 5) <= 0.2, "duration \(duration)")

        // ffprobe: DTS never goes backwards, per stream and in file order.
        let packets = try #require(try ffprobeJSON(["-show_packets", path])["packets"] as? [[String: Any]])
        var lastByStream: [String: Int] = [:]
        var lastInFile = Int.min
        var counts: [String: Int] = [:]
        for packet in packets {
            let type = try #require(packet["codec_type"] as? String)
            let dts = try #require(packet["dts"] as? Int)
            #expect(dts >= lastByStream[type, default: Int.min], "\(type) dts \(dts) after \(lastByStream[type]!)")
            if type == "video" { #expect(dts > lastByStream[type, default: Int.min]) }
            #expect(dts >= lastInFile)
            lastByStream[type] = dts
            lastInFile = dts
            counts[type, default: 0] += 1
        }
        #expect(counts["video"] == 150)
        #expect(counts["audio"] == audio.count)

        // The H.264 NAL units come back byte for byte (ffmpeg's own demuxer + mp4toannexb).
        let annexB = try run("ffmpeg", ["-v", "error", "-i", path, "-map", "0:v", "-c:v", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-"])
        let input = sliceAndSeiUnits(clip.accessUnits.flatMap(\.nalUnits))
        let output = sliceAndSeiUnits(H264Packetizer.nalUnits(annexB: annexB.stdout))
        #expect(output.count == input.count)
        #expect(output == input)

        // And at the FLV level: one sequence header carrying our avcC, then our AVCC frames untouched.
        let tags = try parseFlv(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let videoTags = tags.filter(\.isVideo)
        #expect(videoTags.filter { $0.avcPacketType == 0 }.map(\.avcPayload) == [record.bytes])
        let frames = videoTags.filter { $0.avcPacketType == 1 }
        let expectedFrames = video.compactMap { packet -> (avcc: [UInt8], ms: Int64)? in
            if case .video(let avcc, let ms, _, _) = packet { return (avcc, ms) }
            return nil
        }
        #expect(frames.map(\.avcPayload) == expectedFrames.map { $0.avcc })
        #expect(frames.map(\.timestampMs) == expectedFrames.map { $0.ms })
        #expect(frames.filter { $0.data[0] >> 4 == 1 }.count == 5)  // keyframes at 0, 1, 2, 3, 4 s
        #expect(videoTags.last?.avcPacketType == 2)  // end of sequence from the trailer
        let audioTags = tags.filter(\.isAudio)
        #expect(audioTags.first?.aacPacketType == 0)
        #expect(audioTags.first.map { Array($0.data.dropFirst(2)) } == encoder.audioSpecificConfig)
    }

    @Test func resolutionChangeMidStreamWritesANewSequenceHeader() throws {
        let first = try clip720p5s.get()
        let second = try clip360p2s.get()
        let (videoA, recordA) = try videoPackets(first)
        let (videoB, recordB) = try videoPackets(second, startMs: 5_000, announceConfiguration: true)
        #expect(recordA.bytes != recordB.bytes)
        let (audio, encoder) = try audioPackets(samples: 7 * 48_000)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("switch.flv").path

        let muxer = try FlvMuxer(
            url: path,
            video: VideoParameters(width: 1280, height: 720, avcDecoderConfiguration: recordA.bytes),
            audio: AudioParameters(audioSpecificConfig: encoder.audioSpecificConfig))
        // The same record again is not a change.
        try muxer.updateVideoConfiguration(avcDecoderConfiguration: recordA.bytes)
        #expect(throws: FFmpegError.self) { try muxer.updateVideoConfiguration(avcDecoderConfiguration: [0x67, 0x42]) }
        try write(interleave(videoA + videoB, audio), to: muxer)
        try muxer.close()

        // flvenc put a second sequence header right before the first 640x360 frame, stamped with its time.
        let tags = try parseFlv(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let videoTags = tags.filter(\.isVideo)
        let headers = videoTags.enumerated().filter { $0.element.avcPacketType == 0 }
        #expect(headers.map(\.element.avcPayload) == [recordA.bytes, recordB.bytes])
        if headers.count == 2 {
            let next = videoTags[headers[1].offset + 1]
            #expect(next.avcPacketType == 1 && next.timestampMs == 5_000)
            #expect(next.data[0] >> 4 == 1)  // keyframe
            #expect(headers[1].element.timestampMs == 5_000)
        }
        // Tag timestamps never go backwards across the switch (flvenc stamps the trailer's AVC end-of-sequence
        // tag with the last *video* time, which may be before the last audio tag: left out).
        let mediaTags = tags.filter { $0.avcPacketType != 2 }
        for (previous, next) in zip(mediaTags, mediaTags.dropFirst()) {
            #expect(next.timestampMs >= previous.timestampMs)
        }

        // ffprobe reads it, and the decoded frames switch size at 5 s.
        let probe = try ffprobeJSON(["-show_streams", "-show_format", path])
        let streams = try #require(probe["streams"] as? [[String: Any]])
        #expect(streams.contains { $0["codec_name"] as? String == "h264" })
        let frames = try run("ffprobe", [
            "-v", "error", "-select_streams", "v", "-show_entries", "frame=width,height", "-of", "csv=p=0", path,
        ])
        // (csv rows of frames with side data end in an empty column)
        let sizes = frames.text.split(separator: "\n").map { String($0.split(separator: ",").prefix(2).joined(separator: ",")) }
        #expect(sizes.count == 150 + 60)
        #expect(sizes.prefix(150).allSatisfy { $0 == "1280,720" })
        #expect(sizes.suffix(60).allSatisfy { $0 == "640,360" })
        let decode = try run("ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"])
        #expect(decode.stderr.isEmpty, "\(decode.stderr)")

        // Payloads of both parts still byte-identical.
        let annexB = try run("ffmpeg", ["-v", "error", "-i", path, "-map", "0:v", "-c:v", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-"])
        let input = sliceAndSeiUnits((first.accessUnits + second.accessUnits).flatMap(\.nalUnits))
        #expect(sliceAndSeiUnits(H264Packetizer.nalUnits(annexB: annexB.stdout)) == input)
    }

    @Test func rejectsWhatFlvCannotCarry() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let record = try videoPackets(try clip360p2s.get()).record
        let path = directory.appendingPathComponent("bad.flv").path
        // An Annex B "record" would make flvenc rewrite every frame.
        #expect(throws: FFmpegError.self) {
            try FlvMuxer(url: path, video: VideoParameters(width: 640, height: 360, avcDecoderConfiguration: [0, 0, 0, 1, 0x67, 0x42, 0xC0, 0x1E]),
                         audio: AudioParameters(audioSpecificConfig: [0x11, 0x90]))
        }
        let muxer = try FlvMuxer(url: path, video: VideoParameters(width: 640, height: 360, avcDecoderConfiguration: record.bytes),
                                 audio: AudioParameters(audioSpecificConfig: [0x11, 0x90]))
        #expect(throws: FFmpegError.self) { try muxer.writeAudio(aac: [1, 2, 3], ptsMs: -21) }
        #expect(throws: FFmpegError.self) { try muxer.writeVideo(avcc: [0, 0, 0, 1, 0x65], ptsMs: 0, dtsMs: 10, keyframe: true) }
        #expect(throws: FFmpegError.self) { try muxer.writeAudio(aac: [], ptsMs: 0) }
        try muxer.writeAudio(aac: [0x21, 0x10, 0x04], ptsMs: 100)
        // A DTS going backwards on a track, or before the first packet of the stream, is refused up front
        // (libavformat and flvenc would refuse it too) and the muxer carries on.
        let backwards = #expect(throws: FFmpegError.self) { try muxer.writeAudio(aac: [0x21, 0x10, 0x04], ptsMs: 50) }
        #expect(backwards?.operation.contains("writeAudio") == true)
        #expect(backwards?.code == -EINVAL)
        let early = #expect(throws: FFmpegError.self) { try muxer.writeVideo(avcc: [0, 0, 0, 1, 0x65], ptsMs: 90, dtsMs: 90, keyframe: true) }
        #expect(early?.message.contains("before the stream's first packet") == true)
        try muxer.writeVideo(avcc: [0, 0, 0, 1, 0x65], ptsMs: 120, dtsMs: 100, keyframe: true)
        try muxer.writeAudio(aac: [0x21, 0x10, 0x04], ptsMs: 200)
        try muxer.close()
        let tags = try parseFlv(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(tags.filter { $0.aacPacketType == 1 }.map(\.timestampMs) == [100, 200])
        let frame = try #require(tags.first { $0.avcPacketType == 1 })
        #expect(frame.timestampMs == 100)
        #expect(Array(frame.data[2...4]) == [0, 0, 20])  // composition time offset pts − dts
        #expect(throws: FFmpegError.self) { try muxer.writeAudio(aac: [0x21], ptsMs: 300) }
    }

    @Test func unwritablePathThrowsWithItsName() throws {
        let record = try videoPackets(try clip360p2s.get()).record
        let error = #expect(throws: FFmpegError.self) {
            try FlvMuxer(url: "/nonexistent-dir/out.flv", video: VideoParameters(width: 640, height: 360, avcDecoderConfiguration: record.bytes),
                         audio: AudioParameters(audioSpecificConfig: [0x11, 0x90]))
        }
        #expect(error?.message == "No such file or directory")
        #expect(error?.description.contains("/nonexistent-dir/out.flv") == true)
    }
}
