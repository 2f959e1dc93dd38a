import Dispatch
import Logging
import MediaCodecs
import Synchronization
import WebRTC

/// A destination as the Broadcast spec and its Secret resolve it.
struct DestinationTarget: Sendable, Equatable {
    var name: String
    /// The full publish URL, stream key included: never logged, never reported.
    var url: String
    var enabled: Bool
    /// Why it cannot run (e.g. its stream key Secret is missing); reported as `Failed`.
    var problem: String?

    /// `url` + "/" + key, the RTMP convention every platform uses (the key is the stream name).
    static func publishURL(base: String, streamKey: String) -> String {
        base.hasSuffix("/") ? base + streamKey : base + "/" + streamKey
    }
}

/// The RTMP egress of one broadcast (DESIGN.md §4): puts the publisher's frames on one A/V timeline, passes
/// H.264 through as AVCC, turns Opus into AAC-LC, and fans the result out to each destination's queue.
/// All media work runs on one serial queue per broadcast, off the ingest path.
final class BroadcastEgress: @unchecked Sendable {
    let key: String
    private let queue: DispatchQueue
    private let logger: Logger
    private let requestKeyframe: @Sendable () -> Void
    private let makeSink: RtmpDestination.SinkFactory

    // Touched only on `queue`.
    private var timeline = EgressTimeline(epoch: .now)
    private var pending: [SessionEvent] = []
    private var opusDecoder: OpusDecoder?
    private let aacEncoder: AacEncoder
    /// Output position of the next audio sample (48 kHz), and the RTP timestamp it corresponds to.
    private var audioAnchor: (sample: Int64, rtp: Int64)?
    private var nextAudioSample: Int64 = 0
    private var audioUnwrapper = RtpTimestampUnwrapper()
    private var videoConfiguration: VideoConfiguration?
    private var lastSps: [UInt8]?
    private var lastPps: [UInt8]?
    private var destinations: [String: RtmpDestination] = [:]
    private var wasSynchronised = false
    private let disabledOrFailed = Mutex<[String: DestinationStatus]>([:])
    private let running = Mutex<[String: RtmpDestination]>([:])
    /// The destinations `stopLater()` stopped, once it ran.
    private let stopping = Mutex<[RtmpDestination]?>(nil)

    static let sampleRate: Int64 = 48_000
    /// Opus frames are 20 ms in WebRTC; loss is concealed in such steps.
    static let opusFrameSamples: Int64 = 960

    init(key: String, logger: Logger, makeSink: @escaping RtmpDestination.SinkFactory,
         requestKeyframe: @escaping @Sendable () -> Void) throws {
        self.key = key
        queue = DispatchQueue(label: "egress-\(key)")
        var broadcastLogger = logger
        broadcastLogger[metadataKey: "broadcast"] = "\(key)"
        self.logger = broadcastLogger
        self.makeSink = makeSink
        self.requestKeyframe = requestKeyframe
        aacEncoder = try AacEncoder()
    }

    // MARK: Destinations

    /// Starts, stops, enables and disables destinations to match the spec; untouched ones keep streaming.
    func configure(_ targets: [DestinationTarget]) {
        queue.async { [self] in
            let wanted = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for (name, destination) in destinations where wanted[name].map({ !$0.enabled || $0.problem != nil || $0.url != destination.url }) ?? true {
                destination.stop()
                destinations[name] = nil
            }
            var idle: [String: DestinationStatus] = [:]
            for target in targets {
                if let problem = target.problem {
                    idle[target.name] = DestinationStatus(name: target.name, state: .failed, lastError: problem)
                } else if !target.enabled {
                    idle[target.name] = DestinationStatus(name: target.name, state: .disabled)
                } else if destinations[target.name] == nil {
                    let destination = RtmpDestination(
                        name: target.name, url: target.url, redactedURL: FlvMuxer.redact(target.url),
                        audioSpecificConfig: aacEncoder.audioSpecificConfig, logger: logger,
                        makeSink: makeSink, requestKeyframe: requestKeyframe)
                    destinations[target.name] = destination
                    destination.start()
                }
            }
            disabledOrFailed.withLock { $0 = idle }
            running.withLock { $0 = destinations }
        }
    }

    func statuses() -> [DestinationStatus] {
        let active = running.withLock { $0 }.values.map(\.currentStatus)
        let idle = disabledOrFailed.withLock { Array($0.values) }
        return (active + idle).sorted { $0.name < $1.name }
    }

    /// Stops every destination cleanly (end of stream); the broadcast is going away. Returns them, so a
    /// shutting-down pod can wait until each has closed its stream. Waits for the egress queue: never call it
    /// while holding the engine's lock (the queue may be waiting for that lock to request a keyframe).
    func stop() -> [RtmpDestination] {
        queue.sync { stopDestinations() }
    }

    /// `stop()` without waiting; safe under the engine's lock. `hasStopped` tells when it is done.
    func stopLater() {
        queue.async { [self] in
            let destinations = stopDestinations()
            stopping.withLock { $0 = destinations }
        }
    }

    /// After `stopLater()`: every destination has ended its stream (FLV trailer written, connection closed).
    var hasStopped: Bool {
        stopping.withLock { $0.map { $0.allSatisfy(\.isFinished) } ?? false }
    }

    private func stopDestinations() -> [RtmpDestination] {
        let stopped = Array(destinations.values)
        for destination in stopped { destination.stop() }
        destinations = [:]
        running.withLock { $0 = [:] }
        return stopped
    }

    // MARK: Media

    /// A new publisher session: new clocks; the output continues monotonically after the last frame.
    func publisherConnected() {
        queue.async { [self] in
            timeline.startNewSession()
            wasSynchronised = false
            pending = []
            audioAnchor = nil
            audioUnwrapper = RtpTimestampUnwrapper()
            opusDecoder = nil
        }
    }

    func deliver(_ events: [SessionEvent], arrival: ContinuousClock.Instant) {
        queue.async { [self] in
            for event in events {
                handle(event, arrival: arrival)
            }
        }
    }

    private func handle(_ event: SessionEvent, arrival: ContinuousClock.Instant) {
        switch event {
        case .senderReport(let report, let kind):
            timeline.noteSenderReport(kind == .video ? .video : .audio, ntpTimestamp: report.ntpTimestamp, rtpTimestamp: report.rtpTimestamp)
        case .videoAccessUnit(let unit):
            timeline.noteArrival(.video, rtpTimestamp: unit.rtpTimestamp, at: arrival)
            pending.append(event)
            drainPending(now: arrival)
        case .audioPacket(_, let rtpTimestamp, _):
            timeline.noteArrival(.audio, rtpTimestamp: rtpTimestamp, at: arrival)
            pending.append(event)
            drainPending(now: arrival)
        case .connected, .closed:
            break
        }
    }

    /// Frames wait here until the timeline can place them (sender reports seen), then go out in arrival order.
    private func drainPending(now: ContinuousClock.Instant) {
        var index = 0
        while index < pending.count {
            let event = pending[index]
            let placed: Bool
            switch event {
            case .videoAccessUnit(let unit):
                guard let ms = timeline.timestampMs(.video, rtpTimestamp: unit.rtpTimestamp, now: now) else { placed = false; break }
                emitVideo(unit, timestampMs: ms)
                placed = true
            case .audioPacket(let payload, let rtpTimestamp, _):
                guard let ms = timeline.timestampMs(.audio, rtpTimestamp: rtpTimestamp, now: now) else { placed = false; break }
                emitAudio(payload, rtpTimestamp: rtpTimestamp, timestampMs: ms)
                placed = true
            default:
                placed = true
            }
            guard placed else { break }
            index += 1
        }
        if index > 0 && !wasSynchronised {
            wasSynchronised = true
            logger.debug("egress timeline synchronised", metadata: ["videoMapping": "\(timeline.video.senderReport != nil ? "sender report" : "arrival")"])
        }
        pending.removeFirst(index)
        // Bounded: a publisher that never lets the timeline synchronise cannot grow memory.
        if pending.count > 2000 { pending.removeFirst(pending.count - 2000) }
    }

    private func emitVideo(_ unit: H264AccessUnit, timestampMs: Int64) {
        if let sps = unit.sps { lastSps = sps }
        if let pps = unit.pps { lastPps = pps }
        if unit.sps != nil || unit.pps != nil, let sps = lastSps, let pps = lastPps,
           let parsed = try? H264Sps(parsing: sps), let record = try? AvcDecoderConfigurationRecord(sps: sps, pps: pps) {
            videoConfiguration = VideoConfiguration(width: parsed.width, height: parsed.height, avcDecoderConfiguration: record.bytes)
        }
        // Nothing can be decoded before the first SPS/PPS; destinations start on a keyframe anyway.
        guard let configuration = videoConfiguration else {
            // The session rate-limits these PLIs; without SPS/PPS nothing can be sent anyway.
            requestKeyframe()
            return
        }
        fanOut(.video(avcc: Avcc.frame(nalUnits: unit.nalUnits), timestampMs: timestampMs,
                      isKeyframe: unit.isKeyframe, configuration: configuration))
    }

    /// Audio follows the RTP clock sample by sample from the first packet on, so it cannot drift; a gap
    /// (lost packets) is filled by Opus loss concealment, an overlap (duplicate) dropped.
    private func emitAudio(_ payload: [UInt8], rtpTimestamp: UInt32, timestampMs: Int64) {
        let rtp = audioUnwrapper.unwrap(rtpTimestamp)
        // Captured before the first video frame (time zero): nothing to play it against.
        if audioAnchor == nil && timestampMs < 0 { return }
        if audioAnchor == nil {
            let sample = max(timestampMs * Self.sampleRate / 1000, nextAudioSample)
            audioAnchor = (sample, rtp)
            nextAudioSample = sample
        }
        let position = audioAnchor!.sample + (rtp - audioAnchor!.rtp)
        if position < nextAudioSample - Self.opusFrameSamples / 2 { return }
        do {
            let decoder = try opusDecoder ?? OpusDecoder()
            opusDecoder = decoder
            var gap = position - nextAudioSample
            var pcm: [Int16] = []
            while gap >= Self.opusFrameSamples / 2 {
                let step = min(gap, Self.opusFrameSamples)
                pcm += decoder.concealLoss(samples: Int(step))
                gap -= step
            }
            pcm += try decoder.decode(packet: payload)
            let frames = try aacEncoder.encode(pcm: pcm, ptsSamples: nextAudioSample)
            nextAudioSample += Int64(pcm.count / 2)
            // The encoder's first frame carries its priming and starts before the first input sample.
            for frame in frames where frame.ptsSamples >= 0 {
                fanOut(.audio(aac: frame.data, timestampMs: frame.ptsSamples * 1000 / Self.sampleRate))
            }
        } catch {
            logger.debug("audio packet dropped", metadata: ["error": "\(error)"])
        }
    }

    private func fanOut(_ packet: EgressPacket) {
        for destination in destinations.values {
            destination.queue.push(packet)
        }
    }
}
