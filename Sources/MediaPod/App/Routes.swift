import Foundation
import Logging
import HTTPServing
import NIOHTTP1
import WebRTC

/// The pod's HTTP API (DESIGN.md §4): WHIP (RFC 9725), health, metrics and the broadcasts report.
struct Routes: Sendable {
    let engine: MediaEngine
    let transport: UdpTransport
    let metrics: MediaPodMetrics
    let rateLimiter: RateLimiter
    let health: HealthReporter
    let logger: Logger

    func respond(to request: HttpRequest) -> HttpResponse {
        let segments = request.path.split(separator: "/").map(String.init)
        var response: HttpResponse
        switch (request.method, segments.first) {
        case (.OPTIONS, _):
            response = HttpResponse(status: .noContent, headers: [
                "Accept-Post": "application/sdp",
                "Accept-Patch": "application/trickle-ice-sdpfrag",
            ])
        case (_, "whip"), (_, "whep"):
            response = whip(request, segments: segments)
            metrics.whipRequests(Int(response.status.code)).increment()
        case (.GET, "health") where segments.count == 1:
            response = json(health.report())
        case (.GET, "readyz") where segments.count == 1:
            // A readiness probe: fails while draining, so no new traffic is routed here.
            response = health.draining.load(ordering: .relaxed)
                ? .text(.serviceUnavailable, "draining") : .text(.ok, "ok")
        case (.GET, "metrics") where segments.count == 1:
            metrics.refresh(from: engine)
            response = HttpResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4"], body: metrics.render())
        case (.GET, "v1") where segments == ["v1", "broadcasts"]:
            response = json(BroadcastsReport(engine.snapshot()))
        case (.GET, "v1") where segments.count == 5 && segments[1] == "broadcasts" && segments[4] == "export.sdp":
            let key = "\(segments[2])/\(segments[3])"
            if let sdp = engine.exportSessionDescription(for: key) {
                response = HttpResponse(status: .ok, headers: ["Content-Type": "application/sdp"], body: Array(sdp.utf8))
            } else {
                response = .text(.notFound, "broadcast \(key) has no spec.egress.rtpExport on this media pod")
            }
        default:
            response = .text(.notFound, "no such endpoint: \(request.method) \(request.path)")
        }
        addCors(to: &response, request: request)
        return response
    }

    // MARK: WHIP

    private func whip(_ request: HttpRequest, segments: [String]) -> HttpResponse {
        if segments.first == "whep" || segments.count == 4 && segments[3] == "guests" {
            return .text(.notImplemented, "\(segments.first == "whep" ? "WHEP subscribers" : "guests") are not supported by this media pod yet")
        }
        switch (request.method, segments.count) {
        case (.POST, 3):
            return createSession(request, namespace: segments[1], name: segments[2])
        case (.PATCH, 5) where segments[3] == "sessions", (.DELETE, 5) where segments[3] == "sessions":
            return updateSession(request, broadcastKey: "\(segments[1])/\(segments[2])", sessionId: segments[4])
        case (_, 3), (_, 5):
            return .text(.methodNotAllowed, "\(request.method) is not allowed here", headers: ["Allow": segments.count == 3 ? "POST, OPTIONS" : "PATCH, DELETE, OPTIONS"])
        default:
            return .text(.notFound, "no such WHIP resource: \(request.path)")
        }
    }

    private func createSession(_ request: HttpRequest, namespace: String, name: String) -> HttpResponse {
        // Every session-creating request counts, bad tokens included, so token guessing is throttled too.
        if let retryAfter = rateLimiter.admit(request.clientIP, now: .now) {
            return .text(.tooManyRequests, "too many WHIP requests from \(request.clientIP); retry in \(retryAfter) s",
                         headers: ["Retry-After": String(retryAfter)])
        }
        guard mediaType(of: request) == "application/sdp" else {
            return .text(.unsupportedMediaType, "Content-Type must be application/sdp")
        }
        let key = "\(namespace)/\(name)"
        let token: [UInt8]
        switch engine.ingestAccess(for: key) {
        case .unknownBroadcast: return .text(.notFound, "broadcast \(key) is not run by this media pod")
        case .cannotRun(let reason): return .text(.serviceUnavailable, "broadcast \(key) cannot run: \(reason)")
        case .token(let secret): token = secret
        }
        guard isAuthorised(request, token: token) else {
            return .text(.unauthorized, "missing or wrong bearer token", headers: ["WWW-Authenticate": "Bearer"])
        }
        guard let text = String(bytes: request.body, encoding: .utf8) else {
            return .text(.badRequest, "the SDP offer is not UTF-8 text")
        }
        let offer: SessionDescription
        let negotiated: NegotiatedMedia
        do {
            offer = try SessionDescription(parsing: text)
            negotiated = try WhipNegotiation.negotiate(offer)
        } catch let error as SdpError {
            return .text(.badRequest, "malformed SDP offer: \(error.description)")
        } catch let rejection as OfferRejection {
            switch rejection {
            case .malformed(let reason): return .text(.badRequest, "unusable SDP offer: \(reason)")
            case .unsupportedMedia(let reason): return .text(.notAcceptable, "\(reason); this server needs H.264 (packetization-mode=1) and Opus")
            }
        } catch {
            return .text(.badRequest, "malformed SDP offer")
        }
        do {
            let (result, output) = try engine.createSession(broadcastKey: key, offer: offer, negotiated: negotiated, now: .now)
            transport.send(output)
            switch result {
            case .created(let sessionId, let answer):
                logger.info("publisher session created", metadata: ["broadcast": "\(key)", "session": "\(sessionId)", "client": "\(request.clientIP)"])
                return HttpResponse(status: .created, headers: [
                    "Content-Type": "application/sdp",
                    "Location": "/whip/\(namespace)/\(name)/sessions/\(sessionId)",
                    "ETag": "\"\(sessionId)\"",
                    "Accept-Patch": "application/trickle-ice-sdpfrag",
                ], body: Array(answer.utf8))
            case .publisherAlreadyLive:
                return .text(.conflict, "broadcast \(key) already has a live publisher")
            case .unknownBroadcast:
                return .text(.notFound, "broadcast \(key) is not run by this media pod")
            case .broadcastFailed(let reason):
                return .text(.serviceUnavailable, "broadcast \(key) cannot run: \(reason)")
            }
        } catch {
            logger.error("could not create a publisher session", metadata: ["broadcast": "\(key)", "error": "\(error)"])
            return .text(.internalServerError, "could not create the session")
        }
    }

    private func updateSession(_ request: HttpRequest, broadcastKey: String, sessionId: String) -> HttpResponse {
        guard case .token(let token) = engine.ingestAccess(for: broadcastKey),
              engine.broadcastKey(ofSession: sessionId) == broadcastKey
        else {
            return .text(.notFound, "no such WHIP session")
        }
        guard isAuthorised(request, token: token) else {
            return .text(.unauthorized, "missing or wrong bearer token", headers: ["WWW-Authenticate": "Bearer"])
        }
        if request.method == .DELETE {
            if let output = engine.endSession(id: sessionId, reason: "publisher sent WHIP DELETE") {
                transport.send(output)
            }
            logger.info("publisher session deleted", metadata: ["broadcast": "\(broadcastKey)", "session": "\(sessionId)"])
            return HttpResponse(status: .ok)
        }
        guard mediaType(of: request) == "application/trickle-ice-sdpfrag" else {
            return .text(.unsupportedMediaType, "Content-Type must be application/trickle-ice-sdpfrag")
        }
        // We are ICE-lite: the publisher's checks tell us its addresses, so trickled candidates need no action.
        // A new ufrag would mean an ICE restart (RFC 9725 §4.4.1), which needs a new session here.
        let fragment = String(decoding: request.body, as: UTF8.self)
        let newUfrag = fragment.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=ice-ufrag:") }?.dropFirst("a=ice-ufrag:".count)
        if let newUfrag, engine.remoteUfrag(ofSession: sessionId).map({ $0 != newUfrag.trimmingCharacters(in: .whitespaces) }) ?? false {
            return .text(.unprocessableEntity, "ICE restarts are not supported; DELETE this session and POST a new offer")
        }
        return HttpResponse(status: .noContent)
    }

    private func isAuthorised(_ request: HttpRequest, token: [UInt8]) -> Bool {
        guard let header = request.headers.first(name: "Authorization"), header.lowercased().hasPrefix("bearer ") else { return false }
        let presented = Array(header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces).utf8)
        return constantTimeEquals(presented, token)
    }

    private func mediaType(of request: HttpRequest) -> String? {
        request.headers.first(name: "Content-Type")?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
    }

    /// RFC 9725 §4.7 expects browsers on other origins to use WHIP: answer preflights and expose Location.
    private func addCors(to response: inout HttpResponse, request: HttpRequest) {
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: request.headers.first(name: "Origin") ?? "*")
        response.headers.replaceOrAdd(name: "Vary", value: "Origin")
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Methods", value: "GET, POST, PATCH, DELETE, OPTIONS")
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Headers", value: "Authorization, Content-Type, If-Match")
        response.headers.replaceOrAdd(name: "Access-Control-Expose-Headers", value: "Location, ETag, Link, Accept-Patch, Accept-Post, Retry-After")
        response.headers.replaceOrAdd(name: "Access-Control-Max-Age", value: "600")
    }

    private func json(_ value: some Encodable) -> HttpResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(value)).map { Array($0) } ?? Array("{}".utf8)
        return HttpResponse(status: .ok, headers: ["Content-Type": "application/json"], body: body)
    }
}

/// `GET /v1/broadcasts` (DESIGN.md §4: these field names are fixed).
struct BroadcastsReport: Encodable {
    struct Entry: Encodable {
        var namespace: String
        var name: String
        var phase: String
        var method: String
        var message: String?
        var ingest: Ingest
        var destinations: [Destination] = []
        var guests = 0
    }

    struct Ingest: Encodable {
        var state: String
        var packetsReceived: Int
        var bytesReceived: Int
        var packetsLost: Int
        var nacksSent: Int
        var rtxRecovered: Int
        var videoFrames: Int
        var corruptFrames: Int
        var keyframes: Int
        var keyframeRequests: Int
        var width: Int
        var height: Int
        var fps: Double
        var audioFrames: Int
        var bitrateKbps: Int
        var srtpAuthFailures: Int
    }

    struct Destination: Encodable {
        var name: String
        var state: String
        var bitrateKbps: Int
        var bytesSent: Int64
        var reconnects: Int
        var lastError: String
    }

    var broadcasts: [Entry]

    init(_ snapshots: [BroadcastSnapshot]) {
        broadcasts = snapshots.map { snapshot in
            let stats = snapshot.statistics
            return Entry(
                namespace: snapshot.namespace, name: snapshot.name, phase: snapshot.phase, method: snapshot.method,
                message: snapshot.failure,
                ingest: Ingest(
                    state: snapshot.publisherConnected ? "connected" : "waiting",
                    packetsReceived: stats.packetsReceived, bytesReceived: stats.bytesReceived,
                    packetsLost: stats.packetsLost, nacksSent: stats.nacksSent, rtxRecovered: stats.rtxRecovered,
                    videoFrames: stats.videoFrames, corruptFrames: stats.corruptFrames, keyframes: stats.keyframes,
                    keyframeRequests: stats.keyframeRequests, width: stats.width, height: stats.height,
                    fps: (stats.fps * 10).rounded() / 10, audioFrames: stats.audioFrames,
                    bitrateKbps: stats.bitrateKbps, srtpAuthFailures: stats.srtpAuthFailures),
                destinations: snapshot.destinations.map {
                    Destination(name: $0.name, state: $0.state.rawValue, bitrateKbps: $0.bitrateKbps, bytesSent: $0.bytesSent,
                                reconnects: $0.reconnects, lastError: $0.lastError)
                })
        }
    }
}
