import BroadcastAPI
import Logging
import MediaCrypto
import Synchronization
import WebRTC

/// What the pod runs for one Broadcast: its spec, ingest token and the current publisher session.
final class BroadcastRuntime: @unchecked Sendable {
    let broadcast: Broadcast
    let ingestToken: [UInt8]?
    /// Why the broadcast cannot run (bad spec, missing Secret); nil when it can.
    let failure: String?
    /// Each destination with its publish URL (stream key included) or the reason it cannot run.
    let destinations: [DestinationTarget]
    var session: PublisherSession?
    /// The RTMP egress; nil for a broadcast that cannot run or does not use method rtmp.
    var egress: BroadcastEgress?
    /// Counters of sessions that already ended, so the reported totals are per broadcast.
    var finishedSessionsTotals = IngestStatistics()

    init(broadcast: Broadcast, ingestToken: [UInt8]?, failure: String?, destinations: [DestinationTarget] = []) {
        self.broadcast = broadcast
        self.ingestToken = ingestToken
        self.failure = failure
        self.destinations = destinations
    }

    var isPublisherConnected: Bool { session?.state == .connected }

    var totals: IngestStatistics {
        guard let current = session?.statistics else { return finishedSessionsTotals }
        var sum = finishedSessionsTotals
        sum.packetsReceived += current.packetsReceived
        sum.bytesReceived += current.bytesReceived
        sum.packetsLost += current.packetsLost
        sum.nacksSent += current.nacksSent
        sum.rtxRecovered += current.rtxRecovered
        sum.videoFrames += current.videoFrames
        sum.corruptFrames += current.corruptFrames
        sum.keyframes += current.keyframes
        sum.keyframeRequests += current.keyframeRequests
        sum.audioFrames += current.audioFrames
        sum.srtpAuthFailures += current.srtpAuthFailures
        sum.width = current.width != 0 ? current.width : sum.width
        sum.height = current.height != 0 ? current.height : sum.height
        sum.fps = current.fps
        sum.bitrateKbps = current.bitrateKbps
        return sum
    }

    func retireSession() {
        guard session != nil else { return }
        finishedSessionsTotals = totals
        finishedSessionsTotals.fps = 0
        finishedSessionsTotals.bitrateKbps = 0
        self.session = nil
    }
}

enum SessionCreation {
    case created(sessionId: String, answer: String)
    case unknownBroadcast
    case broadcastFailed(String)
    case publisherAlreadyLive
}

/// The media side of the pod: every broadcast's publisher session behind one UDP port. All state sits behind
/// one lock; the UDP loop, the timer and HTTP handlers call in and send what comes back.
final class MediaEngine: Sendable {
    struct State {
        var demultiplexer = UdpDemultiplexer()
        var broadcasts: [String: BroadcastRuntime] = [:]
        var sessionsById: [String: (broadcastKey: String, session: PublisherSession)] = [:]
        /// Egresses of removed broadcasts that are still ending their streams.
        var retiring: [String: BroadcastEgress] = [:]
    }

    private let state = Mutex(State())
    let certificate: DtlsCertificate
    let candidate: TransportAddress
    let logger: Logger
    private let makeSink: RtmpDestination.SinkFactory
    /// Where datagrams produced outside the UDP loop go (keyframe requests from destination threads).
    private let outputSink = Mutex<(@Sendable (SessionOutput) -> Void)?>(nil)

    init(certificate: DtlsCertificate, candidate: TransportAddress, logger: Logger,
         makeSink: @escaping RtmpDestination.SinkFactory = { url, video, audio in
             try FlvMuxerSink(url: url, video: video, audioSpecificConfig: audio)
         }) {
        self.certificate = certificate
        self.candidate = candidate
        self.logger = logger
        self.makeSink = makeSink
    }

    func setOutputSink(_ sink: @escaping @Sendable (SessionOutput) -> Void) {
        outputSink.withLock { $0 = sink }
    }

    /// Replaces the set of broadcasts this pod runs; sessions of broadcasts that disappear are closed.
    func setBroadcasts(_ runtimes: [BroadcastRuntime], now: ContinuousClock.Instant) -> SessionOutput {
        state.withLock { state in
            var output = SessionOutput()
            state.retiring = state.retiring.filter { !$0.value.hasStopped }
            let incoming = Dictionary(runtimes.map { ($0.broadcast.key, $0) }, uniquingKeysWith: { _, last in last })
            for (key, old) in state.broadcasts {
                if let replacement = incoming[key], old.failure == nil, replacement.failure == nil,
                   old.broadcast.spec.egressMethod == replacement.broadcast.spec.egressMethod {
                    replacement.session = old.session
                    replacement.finishedSessionsTotals = old.finishedSessionsTotals
                    replacement.egress = old.egress
                } else {
                    if let session = old.session {
                        output.append(Self.end(session, reason: "broadcast removed", in: &state))
                    }
                    if let egress = old.egress {
                        egress.stopLater()
                        state.retiring[key] = egress
                    }
                }
            }
            for runtime in incoming.values where runtime.failure == nil && runtime.broadcast.spec.egressMethod == "rtmp" {
                if runtime.egress == nil {
                    runtime.egress = makeEgress(for: runtime.broadcast.key)
                }
                runtime.egress?.configure(runtime.destinations)
            }
            state.broadcasts = incoming
            return output
        }
    }

    /// The broadcast's egress, if it had one, has ended every stream since the broadcast was removed.
    func egressHasStopped(_ key: String) -> Bool {
        state.withLock { state in
            guard state.broadcasts[key] == nil else { return false }
            guard let egress = state.retiring[key] else { return true }
            guard egress.hasStopped else { return false }
            state.retiring[key] = nil
            return true
        }
    }

    enum IngestAccess {
        case unknownBroadcast
        case cannotRun(String)
        case token([UInt8])
    }

    func ingestAccess(for key: String) -> IngestAccess {
        state.withLock { state in
            guard let runtime = state.broadcasts[key] else { return .unknownBroadcast }
            if let failure = runtime.failure { return .cannotRun(failure) }
            guard let token = runtime.ingestToken else { return .cannotRun("no ingest token") }
            return .token(token)
        }
    }

    func remoteUfrag(ofSession id: String) -> String? {
        state.withLock { $0.sessionsById[id]?.session.negotiated.remoteUfrag }
    }

    func createSession(broadcastKey: String, offer: SessionDescription, negotiated: NegotiatedMedia,
                       now: ContinuousClock.Instant) throws -> (SessionCreation, SessionOutput) {
        try state.withLock { state in
            var output = SessionOutput()
            guard let runtime = state.broadcasts[broadcastKey] else { return (.unknownBroadcast, output) }
            if let failure = runtime.failure { return (.broadcastFailed(failure), output) }
            if let existing = runtime.session {
                // RFC 9725 leaves this to the server: a connected publisher with fresh consent keeps the broadcast;
                // one that never connected or whose consent lapsed is replaced.
                if existing.state == .connected && now - existing.lastConsent < existing.configuration.consentTimeout {
                    return (.publisherAlreadyLive, output)
                }
                output.append(Self.end(existing, reason: "replaced by a new publisher", in: &state))
            }
            let local = LocalIceParameters.random(fingerprint: certificate.sha256Fingerprint, candidate: candidate)
            let sessionId = SecureRandom.bytes(12).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
            var configuration = PublisherSession.Configuration(maxBitrateKbps: runtime.broadcast.spec.maxBitrateKbps)
            if let export = runtime.broadcast.spec.egress?.rtpExport {
                configuration.rtpExport = try RtpExport.target(for: export)
            }
            let session = try PublisherSession(
                id: sessionId, local: local, negotiated: negotiated, certificate: certificate,
                configuration: configuration, now: now)
            runtime.session = session
            state.demultiplexer.add(session)
            state.sessionsById[sessionId] = (broadcastKey, session)
            let answer = WhipNegotiation.answer(
                offer: offer, negotiated: negotiated, local: local, maxBitrateKbps: runtime.broadcast.spec.maxBitrateKbps,
                startBitrateKbps: 2500, sessionId: UInt64.random(in: 1...UInt64(Int64.max)))
            return (.created(sessionId: sessionId, answer: answer), output)
        }
    }

    /// The export SDP of a broadcast with `spec.egress.rtpExport`; nil when it has none or is unknown.
    func exportSessionDescription(for key: String) -> String? {
        state.withLock { state in
            guard let runtime = state.broadcasts[key], let export = runtime.broadcast.spec.egress?.rtpExport else { return nil }
            let profile = runtime.session?.negotiated.video.codec.parameters["profile-level-id"]
            return RtpExport.sessionDescription(for: export, broadcastKey: key, profileLevelId: profile)
        }
    }

    /// The broadcast a session belongs to, for authorising PATCH and DELETE on its resource URL.
    func broadcastKey(ofSession id: String) -> String? {
        state.withLock { $0.sessionsById[id]?.broadcastKey }
    }

    func endSession(id: String, reason: String) -> SessionOutput? {
        state.withLock { state in
            guard let entry = state.sessionsById[id] else { return nil }
            return Self.end(entry.session, reason: reason, in: &state)
        }
    }

    func handleDatagram(_ datagram: [UInt8], from address: TransportAddress, now: ContinuousClock.Instant) -> SessionOutput {
        state.withLock { state in
            let (session, output) = state.demultiplexer.handle(datagram, from: address, now: now)
            guard let session else { return output }
            Self.forwardMedia(output, of: session, in: state, now: now)
            if session.isClosed {
                return Self.combine(output, Self.end(session, reason: "closed", in: &state))
            }
            return output
        }
    }

    func tick(now: ContinuousClock.Instant) -> SessionOutput {
        state.withLock { state in
            var output = SessionOutput()
            for session in Array(state.demultiplexer.sessions) {
                let sessionOutput = session.handleTimer(now: now)
                Self.forwardMedia(sessionOutput, of: session, in: state, now: now)
                output.append(sessionOutput)
                if session.isClosed {
                    output.append(Self.end(session, reason: "closed", in: &state))
                }
            }
            return output
        }
    }

    /// Hands a session's media events to its broadcast's egress (which works on its own queue).
    private static func forwardMedia(_ output: SessionOutput, of session: PublisherSession, in state: State, now: ContinuousClock.Instant) {
        guard !output.events.isEmpty, let key = state.sessionsById[session.id]?.broadcastKey,
              let egress = state.broadcasts[key]?.egress
        else { return }
        if output.events.contains(where: { if case .connected = $0 { true } else { false } }) {
            egress.publisherConnected()
        }
        egress.deliver(output.events, arrival: now)
    }

    /// Ends every session and stops every egress; returns the destinations still closing their streams.
    func shutdown() -> (SessionOutput, [RtmpDestination]) {
        let (output, egresses) = state.withLock { state -> (SessionOutput, [BroadcastEgress]) in
            var output = SessionOutput()
            var egresses: [BroadcastEgress] = []
            for runtime in state.broadcasts.values {
                if let session = runtime.session {
                    output.append(Self.end(session, reason: "media pod shutting down", in: &state))
                }
                egresses += runtime.egress.map { [$0] } ?? []
                runtime.egress = nil
            }
            return (output, egresses)
        }
        // Outside the lock: stopping waits for each egress queue, which may itself be waiting for the lock.
        return (output, egresses.flatMap { $0.stop() })
    }

    /// A destination (re)connected and needs a keyframe to start on (PLI to the publisher).
    func requestKeyframe(broadcastKey: String) {
        let output = state.withLock { state -> SessionOutput in
            state.broadcasts[broadcastKey]?.session?.requestKeyframe(now: .now) ?? SessionOutput()
        }
        outputSink.withLock { $0 }?(output)
    }

    private func makeEgress(for key: String) -> BroadcastEgress? {
        do {
            return try BroadcastEgress(key: key, logger: logger, makeSink: makeSink) { [weak self] in
                self?.requestKeyframe(broadcastKey: key)
            }
        } catch {
            logger.error("could not start the egress", metadata: ["broadcast": "\(key)", "error": "\(error)"])
            return nil
        }
    }

    func droppedDatagrams() -> [UdpDemultiplexer.DropReason: Int] {
        state.withLock { $0.demultiplexer.dropped }
    }

    func snapshot() -> [BroadcastSnapshot] {
        state.withLock { state in
            state.broadcasts.values.sorted { $0.broadcast.key < $1.broadcast.key }.map(BroadcastSnapshot.init)
        }
    }

    private static func end(_ session: PublisherSession, reason: String, in state: inout State) -> SessionOutput {
        let output = session.close(reason: reason)
        state.demultiplexer.remove(session)
        if let entry = state.sessionsById.removeValue(forKey: session.id),
           let runtime = state.broadcasts[entry.broadcastKey], runtime.session === session {
            runtime.retireSession()
        }
        return output
    }

    private static func combine(_ first: SessionOutput, _ second: SessionOutput) -> SessionOutput {
        var result = first
        result.append(second)
        return result
    }
}

/// A consistent copy of one broadcast's state, taken under the engine's lock.
struct BroadcastSnapshot: Sendable {
    var namespace: String
    var name: String
    var method: String
    var failure: String?
    var publisherConnected: Bool
    var hasSession: Bool
    var statistics: IngestStatistics
    var destinations: [DestinationStatus]

    init(namespace: String, name: String, method: String = "rtmp", failure: String? = nil, publisherConnected: Bool,
         hasSession: Bool, statistics: IngestStatistics = IngestStatistics(), destinations: [DestinationStatus] = []) {
        self.namespace = namespace
        self.name = name
        self.method = method
        self.failure = failure
        self.publisherConnected = publisherConnected
        self.hasSession = hasSession
        self.statistics = statistics
        self.destinations = destinations
    }

    init(_ runtime: BroadcastRuntime) {
        namespace = runtime.broadcast.metadata.namespace ?? "default"
        name = runtime.broadcast.metadata.name
        method = runtime.broadcast.spec.egressMethod
        failure = runtime.failure
        publisherConnected = runtime.isPublisherConnected
        hasSession = runtime.session != nil
        statistics = runtime.totals
        destinations = runtime.egress?.statuses()
            ?? runtime.destinations.map { DestinationStatus(name: $0.name, state: .failed, lastError: runtime.failure ?? "egress not running") }
    }

    /// DESIGN.md §2 phases as this pod sees them.
    var phase: String {
        if failure != nil { return "Failed" }
        return publisherConnected ? "Live" : "Scheduled"
    }
}

extension String {
    func leftPadded(to length: Int, with character: Character = "0") -> String {
        count >= length ? self : String(repeating: character, count: length - count) + self
    }
}
