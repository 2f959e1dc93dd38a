import MediaCodecs

/// The production `FlvSink`: libavformat's FLV muxer over RTMP/RTMPS (or to a file).
/// Each RTMP connection starts its timestamps at 0 (its first keyframe), as a fresh publish to YouTube or nginx
/// expects; within the connection they follow the broadcast's timeline. FFmpeg 5.1's FLV muxer refuses (EINVAL)
/// a packet older than the first one written or than the last on its own track: such packets are skipped here
/// so a refusal never looks like a broken connection.
final class FlvMuxerSink: FlvSink {
    private let muxer: FlvMuxer
    private var startMs: Int64?
    private var lastVideoMs: Int64 = .min
    private var lastAudioMs: Int64 = .min

    /// How long connecting and each write may block before the destination counts as failed.
    static let networkTimeout: Duration = .seconds(10)

    init(url: String, video: VideoConfiguration, audioSpecificConfig: [UInt8]) throws {
        muxer = try FlvMuxer(
            url: url,
            video: VideoParameters(width: video.width, height: video.height, avcDecoderConfiguration: video.avcDecoderConfiguration),
            audio: AudioParameters(audioSpecificConfig: audioSpecificConfig),
            timeout: Self.networkTimeout)
    }

    func writeVideo(avcc: [UInt8], timestampMs: Int64, isKeyframe: Bool) throws {
        let start = startMs ?? timestampMs
        guard timestampMs >= start, timestampMs > lastVideoMs else { return }
        startMs = start
        lastVideoMs = timestampMs
        // WebRTC H.264 has no B-frames: presentation and decoding order are the same.
        try muxer.writeVideo(avcc: avcc, ptsMs: timestampMs - start, dtsMs: timestampMs - start, keyframe: isKeyframe)
    }

    func writeAudio(aac: [UInt8], timestampMs: Int64) throws {
        guard let start = startMs, timestampMs >= start, timestampMs >= lastAudioMs else { return }
        lastAudioMs = timestampMs
        try muxer.writeAudio(aac: aac, ptsMs: timestampMs - start)
    }

    func updateVideoConfiguration(_ configuration: VideoConfiguration) throws {
        try muxer.updateVideoConfiguration(avcDecoderConfiguration: configuration.avcDecoderConfiguration)
    }

    var bytesWritten: Int64 { muxer.bytesWritten }

    func close() {
        try? muxer.close()
    }
}
