import Foundation
import Logging
import Synchronization

/// Where one destination stands, as `/v1/broadcasts` and the Broadcast status report it (DESIGN.md §2).
struct DestinationStatus: Sendable, Equatable {
    enum State: String, Sendable { case connecting = "Connecting", live = "Live", retrying = "Retrying", failed = "Failed", disabled = "Disabled" }

    var name: String
    var state: State
    var bitrateKbps = 0
    var bytesSent: Int64 = 0
    var reconnects = 0
    /// Never holds a stream key: errors are built from redacted URLs.
    var lastError = ""
}

/// Writes FLV to one place (an RTMP server, a file); `FlvMuxer` in production.
protocol FlvSink: AnyObject {
    func writeVideo(avcc: [UInt8], timestampMs: Int64, isKeyframe: Bool) throws
    func writeAudio(aac: [UInt8], timestampMs: Int64) throws
    func updateVideoConfiguration(_ configuration: VideoConfiguration) throws
    var bytesWritten: Int64 { get }
    func close()
}

/// One RTMP(S) destination of a broadcast: its own bounded queue and its own thread, because libavformat's
/// network calls block. It connects when a keyframe is there to start on, reconnects with backoff after any
/// failure, and never holds up the broadcast or its other destinations.
final class RtmpDestination: @unchecked Sendable {
    typealias SinkFactory = @Sendable (_ url: String, _ video: VideoConfiguration, _ audioSpecificConfig: [UInt8]) throws -> FlvSink

    let name: String
    let url: String
    private let redactedURL: String
    private let audioSpecificConfig: [UInt8]
    private let makeSink: SinkFactory
    private let requestKeyframe: @Sendable () -> Void
    private let keyframeRequestInterval: TimeInterval
    private let logger: Logger
    let queue: DestinationQueue
    private let status: Mutex<DestinationStatus>
    private var thread: Thread?
    private let finished = Atomic<Bool>(false)

    /// True once the sender thread has closed its stream and ended.
    var isFinished: Bool { finished.load(ordering: .acquiring) }

    init(name: String, url: String, redactedURL: String, audioSpecificConfig: [UInt8], maxQueueBytes: Int = 8 << 20,
         keyframeRequestInterval: TimeInterval = 2, logger: Logger,
         makeSink: @escaping SinkFactory, requestKeyframe: @escaping @Sendable () -> Void) {
        self.name = name
        self.url = url
        self.redactedURL = redactedURL
        self.audioSpecificConfig = audioSpecificConfig
        self.makeSink = makeSink
        self.requestKeyframe = requestKeyframe
        self.keyframeRequestInterval = keyframeRequestInterval
        var destinationLogger = logger
        destinationLogger[metadataKey: "destination"] = "\(name)"
        self.logger = destinationLogger
        queue = DestinationQueue(maxBytes: maxQueueBytes)
        status = Mutex(DestinationStatus(name: name, state: .connecting))
    }

    var currentStatus: DestinationStatus { status.withLock { $0 } }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "rtmp-\(name)"
        self.thread = thread
        thread.start()
    }

    /// Ends the stream cleanly (FLV trailer, RTMP end of stream) once the thread notices.
    func stop() {
        queue.close()
    }

    private func run() {
        var backoff = ReconnectBackoff()
        var isReconnect = false
        while !queue.isClosed {
            // After a failure what is queued is stale: the sink must start fresh on a new keyframe.
            if isReconnect { queue.restartAtNextKeyframe() }
            isReconnect = true
            guard let first = waitForKeyframe() else { break }
            guard case .video(let avcc, let timestamp, _, let configuration) = first else { continue }
            let sink: FlvSink
            do {
                sink = try makeSink(url, configuration, audioSpecificConfig)
                try sink.writeVideo(avcc: avcc, timestampMs: timestamp, isKeyframe: true)
            } catch {
                fail(with: error, backoff: &backoff)
                continue
            }
            backoff.reset()
            // lastError stays: it tells why the destination reconnected.
            update { $0.state = .live }
            logger.info("destination live", metadata: ["url": "\(redactedURL)"])
            do {
                try stream(to: sink, configuration: configuration)
                sink.close()
                logger.info("destination stopped", metadata: ["url": "\(redactedURL)"])
            } catch {
                sink.close()
                fail(with: error, backoff: &backoff)
            }
        }
        update {
            $0.bitrateKbps = 0
            $0.state = .disabled
        }
        finished.store(true, ordering: .releasing)
    }

    /// Drops queued packets up to the next keyframe, asking the publisher for one now and then.
    private func waitForKeyframe() -> EgressPacket? {
        requestKeyframe()
        var lastRequest = Date()
        while !queue.isClosed {
            if let packet = queue.pop(timeout: 0.2) {
                if case .video(_, _, true, _) = packet { return packet }
                continue
            }
            if Date().timeIntervalSince(lastRequest) >= keyframeRequestInterval {
                requestKeyframe()
                lastRequest = Date()
            }
        }
        return nil
    }

    private func stream(to sink: FlvSink, configuration initial: VideoConfiguration) throws {
        var configuration = initial
        var windowStart = Date()
        var windowBytes = sink.bytesWritten
        while true {
            let next = queue.pop(timeout: 0.5)
            if next == nil && queue.isClosed { return }
            if let packet = next {
                switch packet {
                case .video(let avcc, let timestamp, let isKeyframe, let newConfiguration):
                    if newConfiguration != configuration {
                        // Chrome changes resolution while it ramps up: a new AVC sequence header must precede it.
                        try sink.updateVideoConfiguration(newConfiguration)
                        configuration = newConfiguration
                    }
                    try sink.writeVideo(avcc: avcc, timestampMs: timestamp, isKeyframe: isKeyframe)
                case .audio(let aac, let timestamp):
                    try sink.writeAudio(aac: aac, timestampMs: timestamp)
                }
            }
            let elapsed = Date().timeIntervalSince(windowStart)
            if elapsed >= 1 {
                let written = sink.bytesWritten
                update {
                    $0.bytesSent = written
                    $0.bitrateKbps = Int(Double(written - windowBytes) * 8 / 1000 / elapsed)
                }
                windowStart = Date()
                windowBytes = written
            }
        }
    }

    private func fail(with error: Error, backoff: inout ReconnectBackoff) {
        let message = "\(error)"
        let delay = backoff.nextDelay()
        update {
            $0.state = .retrying
            $0.bitrateKbps = 0
            $0.reconnects += 1
            $0.lastError = message
        }
        logger.warning("destination failed; retrying", metadata: ["url": "\(redactedURL)", "error": "\(message)", "retryIn": "\(delay)"])
        let deadline = Date().addingTimeInterval(Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
        while Date() < deadline && !queue.isClosed {
            _ = queue.pop(timeout: min(0.2, deadline.timeIntervalSinceNow))
        }
    }

    private func update(_ change: (inout DestinationStatus) -> Void) {
        status.withLock { change(&$0) }
    }
}
