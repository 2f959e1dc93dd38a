// Every call into FFmpeg (libavformat, libavcodec, libavutil 5.1) lives in this file: the AAC-LC encoder that
// turns the decoded Opus into what FLV carries, and the FLV muxer that writes to RTMP(S) servers or files.
import CAV
import Synchronization

/// An FFmpeg failure: what was being done (URLs redacted), the `AVERROR` code and `av_strerror`'s text.
public struct FFmpegError: Error, CustomStringConvertible, Equatable, Sendable {
    public let operation: String
    public let code: Int32
    public let message: String

    public init(operation: String, code: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.message = message
    }

    init(_ operation: String, code: Int32) {
        var buffer = [CChar](repeating: 0, count: cav_error_max_string_size())
        let text = buffer.withUnsafeMutableBufferPointer { String(cString: cav_err2str(code, $0.baseAddress, $0.count)) }
        self.init(operation: operation, code: code, message: text)
    }

    static func invalidArgument(_ operation: String, _ message: String) -> FFmpegError {
        FFmpegError(operation: operation, code: cav_averror(EINVAL), message: message)
    }

    public var description: String { "\(operation): \(message) (\(code))" }
}

// MARK: - AAC encoder

/// One raw AAC access unit (no ADTS header), timed in samples at 48 kHz.
public struct AacFrame: Sendable, Equatable {
    public var data: [UInt8]
    /// Presentation time of the frame's decoded samples. The encoder's 1024 samples of priming are accounted for:
    /// the first frame is at the first input's `ptsSamples − 1024` and decodes to the priming.
    public var ptsSamples: Int64
    public var durationSamples: Int64

    public init(data: [UInt8], ptsSamples: Int64, durationSamples: Int64) {
        self.data = data
        self.ptsSamples = ptsSamples
        self.durationSamples = durationSamples
    }
}

/// AAC-LC, 48 kHz stereo, with FFmpeg's native `aac` encoder. Not thread-safe; owned by one task.
///
/// Timing is by sample count: the first `encode` sets the timeline, and each later call is expected to start
/// where the previous one ended (the caller fills gaps with PLC or silence). A small mismatch is absorbed so
/// the output never drifts — a gap up to `maxTimestampCorrection` becomes silence, an overlap is trimmed — and a
/// larger one throws.
public final class AacEncoder: @unchecked Sendable {
    public static let sampleRate = 48_000
    public static let channels = 2
    public static let maxTimestampCorrection: Int64 = 48_000

    /// The encoder's AudioSpecificConfig (ISO 14496-3 §1.6.2.1): the payload of FLV's AAC sequence header.
    public let audioSpecificConfig: [UInt8]
    /// Samples per channel in one AAC frame (1024).
    public let frameSamples: Int

    private let context: UnsafeMutablePointer<AVCodecContext>
    private let frame: UnsafeMutablePointer<AVFrame>
    private let packet: UnsafeMutablePointer<AVPacket>
    /// Interleaved s16 samples not yet handed to the encoder; `pendingPts` is the time of the first one.
    private var pending: [Int16] = []
    private var pendingPts: Int64?
    private var flushed = false

    public init(bitrate: Int = 128_000) throws(FFmpegError) {
        guard let codec = avcodec_find_encoder_by_name("aac") else {
            throw FFmpegError("avcodec_find_encoder_by_name(aac)", code: cav_averror(ENOENT))
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw FFmpegError("avcodec_alloc_context3", code: cav_averror(ENOMEM))
        }
        context.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
        context.pointee.sample_rate = Int32(Self.sampleRate)
        av_channel_layout_default(&context.pointee.ch_layout, Int32(Self.channels))
        context.pointee.bit_rate = Int64(bitrate)
        context.pointee.profile = FF_PROFILE_AAC_LOW
        context.pointee.time_base = AVRational(num: 1, den: Int32(Self.sampleRate))
        // The AudioSpecificConfig goes to extradata (for FLV's sequence header), not into each frame.
        context.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)

        var contextToFree: UnsafeMutablePointer<AVCodecContext>? = context
        let opened = avcodec_open2(context, codec, nil)
        guard opened >= 0 else {
            avcodec_free_context(&contextToFree)
            throw FFmpegError("avcodec_open2(aac)", code: opened)
        }
        guard let frame = av_frame_alloc() else {
            avcodec_free_context(&contextToFree)
            throw FFmpegError("av_frame_alloc", code: cav_averror(ENOMEM))
        }
        frame.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
        frame.pointee.sample_rate = context.pointee.sample_rate
        frame.pointee.nb_samples = context.pointee.frame_size
        av_channel_layout_copy(&frame.pointee.ch_layout, &context.pointee.ch_layout)
        var frameToFree: UnsafeMutablePointer<AVFrame>? = frame
        let allocated = av_frame_get_buffer(frame, 0)
        guard allocated >= 0, let packet = av_packet_alloc() else {
            av_frame_free(&frameToFree)
            avcodec_free_context(&contextToFree)
            throw FFmpegError("av_frame_get_buffer", code: allocated < 0 ? allocated : cav_averror(ENOMEM))
        }
        self.context = context
        self.frame = frame
        self.packet = packet
        frameSamples = Int(context.pointee.frame_size)
        audioSpecificConfig = Array(UnsafeBufferPointer(start: context.pointee.extradata, count: Int(context.pointee.extradata_size)))
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&packet)
        var frame: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&frame)
        var context: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&context)
    }

    /// Encodes interleaved 16-bit stereo PCM whose first sample is at `ptsSamples` (48 kHz units).
    /// - Returns: the AAC frames completed so far (the encoder holds about two frames back until `flush`).
    public func encode(pcm: [Int16], ptsSamples: Int64) throws(FFmpegError) -> [AacFrame] {
        guard !flushed else { throw .invalidArgument("AacEncoder.encode", "the encoder was flushed") }
        guard pcm.count % Self.channels == 0 else {
            throw .invalidArgument("AacEncoder.encode", "odd number of interleaved stereo samples: \(pcm.count)")
        }
        var input = pcm[...]
        if let start = pendingPts {
            let expected = start + Int64(pending.count / Self.channels)
            let offset = ptsSamples - expected
            guard abs(offset) <= Self.maxTimestampCorrection else {
                throw .invalidArgument(
                    "AacEncoder.encode",
                    "timestamp jumps by \(offset) samples (expected \(expected), got \(ptsSamples)); fill gaps with PLC or silence")
            }
            if offset > 0 {
                pending += repeatElement(0, count: Int(offset) * Self.channels)
            } else if offset < 0 {
                input = input.dropFirst(Int(-offset) * Self.channels)
            }
        } else {
            pendingPts = ptsSamples
        }
        pending += input
        var frames: [AacFrame] = []
        let frameValues = frameSamples * Self.channels
        while pending.count >= frameValues {
            try send(samples: frameSamples)
            try receive(into: &frames)
        }
        return frames
    }

    /// Encodes what is buffered (a short last frame) and drains the encoder. The encoder is finished afterwards.
    public func flush() -> [AacFrame] {
        guard !flushed else { return [] }
        flushed = true
        var frames: [AacFrame] = []
        do {
            if !pending.isEmpty { try send(samples: pending.count / Self.channels) }
            let sent = avcodec_send_frame(context, nil)
            guard sent >= 0 else { return frames }
            try receive(into: &frames)
        } catch {
            return frames
        }
        return frames
    }

    private func send(samples: Int) throws(FFmpegError) {
        // The encoder may still reference the previous frame's buffers.
        let writable = av_frame_make_writable(frame)
        guard writable >= 0 else { throw FFmpegError("av_frame_make_writable", code: writable) }
        frame.pointee.nb_samples = Int32(samples)
        frame.pointee.pts = pendingPts ?? 0
        let scale: Float = 1.0 / 32_768
        pending.withUnsafeBufferPointer { source in
            let left = UnsafeMutableRawPointer(frame.pointee.extended_data[0]!).assumingMemoryBound(to: Float.self)
            let right = UnsafeMutableRawPointer(frame.pointee.extended_data[1]!).assumingMemoryBound(to: Float.self)
            for index in 0..<samples {
                left[index] = Float(source[2 * index]) * scale
                right[index] = Float(source[2 * index + 1]) * scale
            }
        }
        pending.removeFirst(samples * Self.channels)
        pendingPts = (pendingPts ?? 0) + Int64(samples)
        let sent = avcodec_send_frame(context, frame)
        guard sent >= 0 else { throw FFmpegError("avcodec_send_frame(aac)", code: sent) }
    }

    private func receive(into frames: inout [AacFrame]) throws(FFmpegError) {
        while true {
            let received = avcodec_receive_packet(context, packet)
            if received == cav_averror_eagain() || received == cav_averror_eof() { return }
            guard received >= 0 else { throw FFmpegError("avcodec_receive_packet(aac)", code: received) }
            frames.append(AacFrame(
                data: Array(UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size))),
                ptsSamples: packet.pointee.pts,
                durationSamples: packet.pointee.duration))
            av_packet_unref(packet)
        }
    }
}

// MARK: - FLV muxer

/// The H.264 track: coded size and the AVCDecoderConfigurationRecord (avcC: SPS and PPS).
public struct VideoParameters: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var avcDecoderConfiguration: [UInt8]

    public init(width: Int, height: Int, avcDecoderConfiguration: [UInt8]) {
        self.width = width
        self.height = height
        self.avcDecoderConfiguration = avcDecoderConfiguration
    }
}

/// The AAC track: FLV signals 44.1 kHz stereo in every tag; the AudioSpecificConfig says what it really is.
public struct AudioParameters: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    public var audioSpecificConfig: [UInt8]

    public init(sampleRate: Int = 48_000, channels: Int = 2, audioSpecificConfig: [UInt8]) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.audioSpecificConfig = audioSpecificConfig
    }
}

/// Lets a blocked libavformat call give up: past the deadline or once cancelled, FFmpeg's network code
/// (connect, RTMP handshake, writes; polled every 100 ms) returns `AVERROR_EXIT`.
private final class InterruptState: Sendable {
    /// `av_gettime_relative` microseconds; `Int64.max` when no call is in progress.
    let deadline = Atomic<Int64>(.max)
    let cancelled = Atomic<Bool>(false)
    let timedOut = Atomic<Bool>(false)

    /// Starts the clock for one blocking call.
    func arm(microseconds: Int64) {
        timedOut.store(false, ordering: .relaxed)
        deadline.store(av_gettime_relative() + microseconds, ordering: .relaxed)
    }

    func disarm() {
        deadline.store(.max, ordering: .relaxed)
    }

    func check() -> Bool {
        if cancelled.load(ordering: .relaxed) { return true }
        if av_gettime_relative() > deadline.load(ordering: .relaxed) {
            timedOut.store(true, ordering: .relaxed)
            return true
        }
        return false
    }
}

/// FLV over RTMP/RTMPS, or to a file, with libavformat: H.264 (AVCC, passed through) and AAC.
///
/// Not thread-safe: one task owns it and calls `write…` in order; only `cancel()` may come from elsewhere.
/// Timestamps are milliseconds from the start of this connection and never negative. DTS must not go backwards
/// within a track nor fall before the first packet written (of either track); write in DTS order across tracks
/// for a well-interleaved FLV (packets go out as written: no reordering buffer a stalled track could hold up).
/// A packet breaking these rules throws `FFmpegError` (code `AVERROR(EINVAL)`) and the muxer stays usable; any
/// other write error is final — later writes rethrow it; `close()` and connect anew.
/// Every blocking call is bounded by `timeout`: a dead or stalled server makes it throw instead of hanging.
public final class FlvMuxer: @unchecked Sendable, CustomStringConvertible {
    /// The URL with any stream key and credentials replaced by `***`: safe for logs, errors and status.
    public let redactedURL: String
    public private(set) var bytesWritten: Int64 = 0

    private var context: UnsafeMutablePointer<AVFormatContext>?
    private let packet: UnsafeMutablePointer<AVPacket>
    private let interrupt: InterruptState
    private let timeoutMicroseconds: Int64
    private let videoIndex: Int32
    private let audioIndex: Int32
    private let videoTimeBase: AVRational
    private let audioTimeBase: AVRational
    private let audioFrameDurationMs: Int64
    private var videoConfiguration: [UInt8]
    private var pendingVideoConfiguration: [UInt8]?
    /// After a failed write the muxer is dead (the FLV byte stream is cut mid-tag); reconnect with a new one.
    private var failure: FFmpegError?
    /// flvenc refuses any packet, of either track, with a DTS before the first packet's (`-delay`), and
    /// libavformat any DTS going backwards within a track; checked here first so such a packet is refused
    /// without killing the connection.
    private var firstDtsMs: Int64?
    private var lastVideoDtsMs: Int64 = .min
    private var lastAudioDtsMs: Int64 = .min

    private static let millisecond = AVRational(num: 1, den: 1000)

    public init(url: String, video: VideoParameters, audio: AudioParameters, timeout: Duration = .seconds(10)) throws(FFmpegError) {
        let redacted = Self.redact(url)
        let label = "FlvMuxer(\(redacted))"
        try Self.validateAvcDecoderConfiguration(video.avcDecoderConfiguration, operation: "\(label) video")
        guard !audio.audioSpecificConfig.isEmpty else {
            throw .invalidArgument("\(label) audio", "empty AudioSpecificConfig")
        }
        redactedURL = redacted
        interrupt = InterruptState()
        let (seconds, attoseconds) = timeout.components
        timeoutMicroseconds = max(1, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        videoConfiguration = video.avcDecoderConfiguration
        audioFrameDurationMs = Int64(1024 * 1000 / max(1, audio.sampleRate))

        guard let packet = av_packet_alloc() else { throw FFmpegError("\(label) av_packet_alloc", code: cav_averror(ENOMEM)) }
        self.packet = packet
        var created: UnsafeMutablePointer<AVFormatContext>?
        let allocated = avformat_alloc_output_context2(&created, nil, "flv", url)
        guard allocated >= 0, let context = created else {
            var packetToFree: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&packetToFree)
            throw FFmpegError("\(label) avformat_alloc_output_context2", code: allocated < 0 ? allocated : cav_averror(ENOMEM))
        }
        // From here on `context` owns everything; `deinit` (which runs when this init throws) frees it.
        self.context = context
        context.pointee.interrupt_callback = AVIOInterruptCB(
            callback: { opaque in
                guard let opaque else { return 0 }
                return Unmanaged<InterruptState>.fromOpaque(opaque).takeUnretainedValue().check() ? 1 : 0
            },
            opaque: Unmanaged.passUnretained(interrupt).toOpaque())

        guard let videoStream = avformat_new_stream(context, nil), let audioStream = avformat_new_stream(context, nil) else {
            videoIndex = -1; audioIndex = -1; videoTimeBase = Self.millisecond; audioTimeBase = Self.millisecond
            throw FFmpegError("\(label) avformat_new_stream", code: cav_averror(ENOMEM))
        }
        videoIndex = videoStream.pointee.index
        audioIndex = audioStream.pointee.index
        let videoParameters = videoStream.pointee.codecpar!
        videoParameters.pointee.codec_type = AVMEDIA_TYPE_VIDEO
        videoParameters.pointee.codec_id = AV_CODEC_ID_H264
        videoParameters.pointee.width = Int32(video.width)
        videoParameters.pointee.height = Int32(video.height)
        let audioParameters = audioStream.pointee.codecpar!
        audioParameters.pointee.codec_type = AVMEDIA_TYPE_AUDIO
        audioParameters.pointee.codec_id = AV_CODEC_ID_AAC
        audioParameters.pointee.sample_rate = Int32(audio.sampleRate)
        audioParameters.pointee.frame_size = 1024
        av_channel_layout_default(&audioParameters.pointee.ch_layout, Int32(audio.channels))
        videoStream.pointee.time_base = Self.millisecond
        audioStream.pointee.time_base = Self.millisecond
        guard Self.setExtradata(videoParameters, video.avcDecoderConfiguration),
              Self.setExtradata(audioParameters, audio.audioSpecificConfig)
        else {
            videoTimeBase = Self.millisecond; audioTimeBase = Self.millisecond
            throw FFmpegError("\(label) extradata", code: cav_averror(ENOMEM))
        }

        // Only the URL-level `rw_timeout` (µs): for rtmp:// the option named `timeout` is rtmpproto's
        // *listen* timeout and would turn the publisher into a server waiting for a connection.
        var options: OpaquePointer?
        av_dict_set_int(&options, "rw_timeout", timeoutMicroseconds, 0)
        interrupt.arm(microseconds: timeoutMicroseconds)
        // For RTMP this is the whole connect: TCP (+TLS), handshake, connect/createStream/publish.
        let opened = avio_open2(&context.pointee.pb, url, AVIO_FLAG_WRITE, &context.pointee.interrupt_callback, &options)
        av_dict_free(&options)
        guard opened >= 0 else {
            videoTimeBase = Self.millisecond; audioTimeBase = Self.millisecond
            var failure = error("\(label) open", code: opened)
            // FFmpeg's own RTMP client reports a publish the server rejected (unknown stream key, stream already live)
            // as EPERM or EIO after a successful TCP connect; say so, since "Operation not permitted" misleads.
            if failure.code == cav_averror(EPERM) || failure.code == cav_averror(EIO) {
                failure = FFmpegError(operation: failure.operation, code: failure.code,
                                      message: "\(failure.message): the server refused the publish (stream key wrong or already in use?)")
            }
            throw failure
        }
        var muxerOptions: OpaquePointer?
        let seekable = (context.pointee.pb.pointee.seekable & AVIO_SEEKABLE_NORMAL) != 0
        if !seekable {
            // Live sinks cannot seek back to patch duration/filesize at the end; don't announce zeros for them.
            av_dict_set(&muxerOptions, "flvflags", "no_duration_filesize", 0)
            context.pointee.flush_packets = 1
        }
        interrupt.arm(microseconds: timeoutMicroseconds)
        let header = avformat_write_header(context, &muxerOptions)
        av_dict_free(&muxerOptions)
        interrupt.disarm()
        guard header >= 0 else {
            videoTimeBase = Self.millisecond; audioTimeBase = Self.millisecond
            throw error("\(label) avformat_write_header", code: header)
        }
        // The muxer may have chosen its own time bases (FLV: 1/1000).
        videoTimeBase = videoStream.pointee.time_base
        audioTimeBase = audioStream.pointee.time_base
        bytesWritten = context.pointee.pb.pointee.bytes_written
    }

    deinit {
        // Never block in deinit: abort any network round trip the close would make.
        interrupt.cancelled.store(true, ordering: .relaxed)
        release()
        var packetToFree: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&packetToFree)
    }

    public var description: String { "FlvMuxer(\(redactedURL))" }

    /// Writes one H.264 access unit in AVCC form (4-byte big-endian NAL lengths; no AUD needed).
    public func writeVideo(avcc: [UInt8], ptsMs: Int64, dtsMs: Int64, keyframe: Bool, durationMs: Int64 = 0) throws(FFmpegError) {
        guard dtsMs >= 0, ptsMs >= dtsMs else {
            throw .invalidArgument("\(description) writeVideo", "bad timestamps pts \(ptsMs) ms, dts \(dtsMs) ms (need 0 ≤ dts ≤ pts)")
        }
        try checkOrder("writeVideo", dtsMs: dtsMs, last: lastVideoDtsMs)
        let newConfiguration = pendingVideoConfiguration
        try write(
            "writeVideo", data: avcc, streamIndex: videoIndex, timeBase: videoTimeBase,
            ptsMs: ptsMs, dtsMs: dtsMs, durationMs: durationMs, keyframe: keyframe, newExtradata: newConfiguration)
        lastVideoDtsMs = dtsMs
        if let newConfiguration {
            videoConfiguration = newConfiguration
            pendingVideoConfiguration = nil
        }
    }

    /// Writes one raw AAC frame (no ADTS).
    public func writeAudio(aac: [UInt8], ptsMs: Int64) throws(FFmpegError) {
        guard ptsMs >= 0 else {
            throw .invalidArgument("\(description) writeAudio", "negative timestamp \(ptsMs) ms")
        }
        try checkOrder("writeAudio", dtsMs: ptsMs, last: lastAudioDtsMs)
        try write(
            "writeAudio", data: aac, streamIndex: audioIndex, timeBase: audioTimeBase,
            ptsMs: ptsMs, dtsMs: ptsMs, durationMs: audioFrameDurationMs, keyframe: true, newExtradata: nil)
        lastAudioDtsMs = ptsMs
    }

    /// New SPS/PPS (a resolution change): the next `writeVideo` — which should be a keyframe — carries it as
    /// `AV_PKT_DATA_NEW_EXTRADATA`, and the FLV muxer puts a new AVC sequence header in front of that frame.
    public func updateVideoConfiguration(avcDecoderConfiguration: [UInt8]) throws(FFmpegError) {
        try Self.validateAvcDecoderConfiguration(avcDecoderConfiguration, operation: "\(description) updateVideoConfiguration")
        pendingVideoConfiguration = avcDecoderConfiguration == videoConfiguration ? nil : avcDecoderConfiguration
    }

    /// Writes the trailer (for RTMP the end of stream: AVC end-of-sequence, then FCUnpublish/deleteStream as
    /// the connection closes) and releases everything. Resources are freed even when it throws. After a failed
    /// write it only releases (no trailer, no waiting, no second error). Calling it again does nothing.
    public func close() throws(FFmpegError) {
        guard let context else { return }
        var trailerError: FFmpegError?
        if failure == nil {
            interrupt.arm(microseconds: timeoutMicroseconds)
            let trailer = av_write_trailer(context)
            if trailer < 0 { trailerError = error("\(description) av_write_trailer", code: trailer) }
        }
        if let pb = context.pointee.pb { bytesWritten = pb.pointee.bytes_written }
        // After a failed write the connection is already lost (and was reported): don't wait on it again.
        if failure != nil { interrupt.cancelled.store(true, ordering: .relaxed) }
        interrupt.arm(microseconds: timeoutMicroseconds)
        let closed = avio_closep(&context.pointee.pb)
        release()
        if let trailerError { throw trailerError }
        if closed < 0 && failure == nil { throw error("\(description) avio_closep", code: closed) }
    }

    /// Makes the blocked or next network call fail at once. The only method safe to call from another thread.
    public func cancel() {
        interrupt.cancelled.store(true, ordering: .relaxed)
    }

    /// Hides the stream key: keeps `scheme://host[:port]/app` and replaces what follows (the key, any further
    /// path and the query) with `***`; credentials in the authority become `***@`. Paths without a scheme and
    /// `file:` URLs are returned unchanged.
    public static func redact(_ url: String) -> String {
        let characters = Array(url)
        guard let colon = characters.firstIndex(of: ":"),
              characters[colon...].starts(with: [":", "/", "/"]),
              characters[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." })
        else { return url }
        let scheme = String(characters[..<colon])
        if scheme.lowercased() == "file" { return url }
        let rest = characters[(colon + 3)...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = String(rest[..<authorityEnd])
        if let at = authority.lastIndex(of: "@") {
            authority = "***@" + authority[authority.index(after: at)...]
        }
        let afterAuthority = rest[authorityEnd...]
        let pathEnd = afterAuthority.firstIndex { $0 == "?" || $0 == "#" } ?? afterAuthority.endIndex
        let components = afterAuthority[..<pathEnd].split(separator: "/")
        var result = scheme + "://" + authority
        if let app = components.first { result += "/" + String(app) }
        if components.count > 1 { result += "/***" }
        if pathEnd < afterAuthority.endIndex { result += afterAuthority[pathEnd] == "?" ? "?***" : "#***" }
        return result
    }

    // MARK: private

    private func checkOrder(_ operation: String, dtsMs: Int64, last: Int64) throws(FFmpegError) {
        if dtsMs < last {
            throw .invalidArgument("\(description) \(operation)", "dts \(dtsMs) ms goes backwards (last \(last) ms)")
        }
        if let firstDtsMs, dtsMs < firstDtsMs {
            throw .invalidArgument("\(description) \(operation)", "dts \(dtsMs) ms is before the stream's first packet (\(firstDtsMs) ms)")
        }
    }

    private func write(
        _ operation: String, data: [UInt8], streamIndex: Int32, timeBase: AVRational,
        ptsMs: Int64, dtsMs: Int64, durationMs: Int64, keyframe: Bool, newExtradata: [UInt8]?
    ) throws(FFmpegError) {
        guard let context else { throw .invalidArgument("\(description) \(operation)", "the muxer is closed") }
        if let failure { throw failure }
        guard !data.isEmpty else { throw .invalidArgument("\(description) \(operation)", "empty packet") }
        let allocated = av_new_packet(packet, Int32(data.count))
        guard allocated >= 0 else { throw FFmpegError("\(description) av_new_packet", code: allocated) }
        defer { av_packet_unref(packet) }
        data.withUnsafeBufferPointer { packet.pointee.data.update(from: $0.baseAddress!, count: $0.count) }
        packet.pointee.stream_index = streamIndex
        packet.pointee.pts = av_rescale_q(ptsMs, Self.millisecond, timeBase)
        packet.pointee.dts = av_rescale_q(dtsMs, Self.millisecond, timeBase)
        packet.pointee.duration = av_rescale_q(durationMs, Self.millisecond, timeBase)
        packet.pointee.flags = keyframe ? AV_PKT_FLAG_KEY : 0
        if let newExtradata {
            guard let side = av_packet_new_side_data(packet, AV_PKT_DATA_NEW_EXTRADATA, newExtradata.count) else {
                throw FFmpegError("\(description) av_packet_new_side_data", code: cav_averror(ENOMEM))
            }
            newExtradata.withUnsafeBufferPointer { side.update(from: $0.baseAddress!, count: $0.count) }
        }
        interrupt.arm(microseconds: timeoutMicroseconds)
        // av_write_frame, not the interleaving variant: a live sink wants each packet now, and a track that
        // stalls must not hold the other one back for up to max_interleave_delta.
        let written = av_write_frame(context, packet)
        interrupt.disarm()
        if let pb = context.pointee.pb { bytesWritten = pb.pointee.bytes_written }
        if firstDtsMs == nil { firstDtsMs = dtsMs }
        guard written >= 0 else {
            let failed = error("\(description) \(operation)", code: written)
            failure = failed
            throw failed
        }
    }

    /// An error for `code`, reported as a timeout when our deadline is what stopped the call.
    private func error(_ operation: String, code: Int32) -> FFmpegError {
        if interrupt.timedOut.exchange(false, ordering: .relaxed) {
            let milliseconds = timeoutMicroseconds / 1000
            return FFmpegError(operation: operation, code: cav_averror(ETIMEDOUT),
                               message: "timed out after \(milliseconds) ms (server not responding or too slow)")
        }
        if code == cav_averror_exit() && interrupt.cancelled.load(ordering: .relaxed) {
            return FFmpegError(operation: operation, code: code, message: "cancelled")
        }
        return FFmpegError(operation, code: code)
    }

    private func release() {
        guard context != nil else { return }
        if context!.pointee.pb != nil { avio_closep(&context!.pointee.pb) }
        avformat_free_context(context)
        context = nil
    }

    /// flvenc treats extradata not starting with 1 as Annex B and would rewrite every frame: insist on avcC.
    private static func validateAvcDecoderConfiguration(_ record: [UInt8], operation: String) throws(FFmpegError) {
        guard record.count >= 7, record[0] == 1 else {
            throw .invalidArgument(operation, "not an AVCDecoderConfigurationRecord (avcC)")
        }
    }

    private static func setExtradata(_ parameters: UnsafeMutablePointer<AVCodecParameters>, _ bytes: [UInt8]) -> Bool {
        guard let buffer = av_mallocz(bytes.count + Int(AV_INPUT_BUFFER_PADDING_SIZE)) else { return false }
        let extradata = buffer.assumingMemoryBound(to: UInt8.self)
        bytes.withUnsafeBufferPointer { extradata.update(from: $0.baseAddress!, count: $0.count) }
        parameters.pointee.extradata = extradata
        parameters.pointee.extradata_size = Int32(bytes.count)
        return true
    }
}

// MARK: - Logging

/// FFmpeg's own log (stderr, process-wide). Its RTMP code prints server replies there, which may echo a stream
/// name: a server can turn it down to `.error` or `.quiet`.
public enum FFmpegLog {
    public enum Level: Sendable {
        case quiet, error, warning, info, verbose

        var value: Int32 {
            switch self {
            case .quiet: AV_LOG_QUIET
            case .error: AV_LOG_ERROR
            case .warning: AV_LOG_WARNING
            case .info: AV_LOG_INFO
            case .verbose: AV_LOG_VERBOSE
            }
        }
    }

    public static func setLevel(_ level: Level) {
        av_log_set_level(level.value)
    }
}
