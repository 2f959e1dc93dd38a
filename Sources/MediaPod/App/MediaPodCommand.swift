import ArgumentParser
import Dispatch
import Foundation
import HTTPServing
import Kube
import Logging
import MediaCodecs
import MediaCrypto
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import WebRTC

/// `media-pod` (DESIGN.md §4, §8). Every flag can also come from the environment variable named in its help.
public struct MediaPodCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "media-pod",
        abstract: "Receives WebRTC publishers over WHIP and runs their broadcasts' egress.")

    @Option(help: "HTTP port for WHIP, health and metrics (env MEDIA_POD_HTTP_PORT).")
    var httpPort: Int?
    @Option(help: "The one UDP port for ICE, DTLS and SRTP (env MEDIA_POD_UDP_PORT).")
    var udpPort: Int?
    @Option(help: "IP address put into ICE candidates (env MEDIA_POD_ANNOUNCED_IP; default 127.0.0.1).")
    var announcedIp: String?
    @Option(help: "Address both ports bind to (env MEDIA_POD_BIND_ADDRESS; default 0.0.0.0).")
    var bindAddress: String?
    @Option(help: "Broadcasts this pod accepts (env MEDIA_POD_CAPACITY; default 10).")
    var capacity: Int?
    @Option(help: "This pod's name (env POD_NAME).")
    var podName: String?
    @Option(help: "This pod's namespace (env POD_NAMESPACE).")
    var namespace: String?
    @Option(help: "Static mode: run the Broadcasts and Secrets found as YAML in this directory (env MEDIA_POD_MANIFESTS).")
    var manifests: String?
    @Option(help: "Cluster mode: kubeconfig file (env KUBECONFIG_PATH; else in-cluster, else KUBECONFIG).")
    var kubeconfig: String?
    @Option(help: "Cluster mode: watch Broadcasts and Secrets of this namespace only (env MEDIA_POD_WATCH_NAMESPACE; default all).")
    var watchNamespace: String?
    @Option(help: "Session-creating WHIP requests allowed per client IP and window (env MEDIA_POD_RATE_LIMIT; default 100).")
    var rateLimit: Int?
    @Option(help: "Rate-limit window in seconds (env MEDIA_POD_RATE_LIMIT_WINDOW; default 900).")
    var rateLimitWindow: Int?
    @Option(help: "After SIGTERM, how long live broadcasts may keep the pod, e.g. 4h, 30m, 90s (env MEDIA_POD_DRAIN_TIMEOUT; default 4h).")
    var drainTimeout: String?
    @Option(help: "trace, debug, info, notice, warning, error (env MEDIA_POD_LOG_LEVEL; default info).")
    var logLevel: String?

    public init() {}

    public mutating func run() async throws {
        try await serve()
    }

    /// The command's body under a name of its own: from another module, `run()` resolves to the synchronous
    /// default that only prints help.
    public func serve() async throws {
        let environment = ProcessInfo.processInfo.environment
        func setting(_ flag: String?, _ variable: String, _ fallback: String) -> String {
            flag ?? environment[variable] ?? fallback
        }
        func number(_ flag: Int?, _ variable: String, _ fallback: Int) throws -> Int {
            if let flag { return flag }
            guard let text = environment[variable] else { return fallback }
            guard let value = Int(text) else { throw ValidationError("\(variable)=\(text) is not a number") }
            return value
        }
        let httpPort = try number(httpPort, "MEDIA_POD_HTTP_PORT", 8080)
        let udpPort = try number(udpPort, "MEDIA_POD_UDP_PORT", 7882)
        let capacity = try number(capacity, "MEDIA_POD_CAPACITY", 10)
        let rateLimit = try number(rateLimit, "MEDIA_POD_RATE_LIMIT", 100)
        let rateLimitWindow = try number(rateLimitWindow, "MEDIA_POD_RATE_LIMIT_WINDOW", 900)
        let announcedIp = setting(announcedIp, "MEDIA_POD_ANNOUNCED_IP", "127.0.0.1")
        let bindAddress = setting(bindAddress, "MEDIA_POD_BIND_ADDRESS", "0.0.0.0")
        let podName = setting(podName, "POD_NAME", ProcessInfo.processInfo.hostName)
        let manifests = manifests ?? environment["MEDIA_POD_MANIFESTS"]
        let drainText = setting(drainTimeout, "MEDIA_POD_DRAIN_TIMEOUT", "4h")
        guard let drainSeconds = Self.seconds(drainText) else {
            throw ValidationError("--drain-timeout must be a duration like 4h, 30m or 90s, not \"\(drainText)\"")
        }
        guard let level = Logger.Level(rawValue: setting(logLevel, "MEDIA_POD_LOG_LEVEL", "info")) else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let candidate = TransportAddress(ipv4: announcedIp, port: UInt16(clamping: udpPort)) else {
            throw ValidationError("--announced-ip \(announcedIp) is not an IPv4 address")
        }
        guard (1...65535).contains(httpPort), (1...65535).contains(udpPort) else {
            throw ValidationError("ports must be between 1 and 65535")
        }
        guard rateLimit > 0, rateLimitWindow > 0, capacity >= 0 else {
            throw ValidationError("--rate-limit, --rate-limit-window must be positive and --capacity not negative")
        }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "media-pod")
        // FFmpeg's own log lines can echo an RTMP URL, stream key included; our errors carry redacted URLs instead.
        FFmpegLog.setLevel(.quiet)


        let metrics = MediaPodMetrics(capacity: capacity)
        let engine = MediaEngine(certificate: try DtlsCertificate(commonName: podName), candidate: candidate, logger: logger)
        let source: any BroadcastSource
        let runtimes: [BroadcastRuntime]
        var client: KubeClient?
        if let manifests {
            let watcher = StaticManifestWatcher(directory: manifests, logger: logger,
                                                announcedBaseURL: "http://\(announcedIp):\(httpPort)")
            runtimes = try watcher.load()
            source = watcher
        } else {
            let config: KubeConfig
            do {
                config = try KubeConfig.load(kubeconfig: kubeconfig ?? environment["KUBECONFIG_PATH"])
            } catch {
                throw ValidationError("cluster mode needs the Kubernetes API (or --manifests DIR for static mode): \(error)")
            }
            let kube = try KubeClient(config: config, userAgent: "media-pod/\(podName)", logger: logger)
            client = kube
            let namespace = watchNamespace ?? environment["MEDIA_POD_WATCH_NAMESPACE"]
            logger.info("cluster mode", metadata: [
                "server": "\(config.server)", "pod": "\(podName)", "namespace": "\(namespace ?? "(all)")",
            ])
            runtimes = []
            source = ClusterBroadcastSource(
                client: kube, podName: podName, podNamespace: self.namespace ?? environment["POD_NAMESPACE"],
                namespace: namespace, logger: logger)
        }

        let server = MediaPodServer(
            engine: engine, metrics: metrics, logger: logger, initialBroadcasts: runtimes, source: source,
            httpHost: bindAddress, httpPort: httpPort, udpHost: bindAddress, udpPort: udpPort,
            rateLimiter: RateLimiter(limit: rateLimit, window: .seconds(rateLimitWindow)),
            health: HealthReporter(podName: podName, capacity: capacity, engine: engine),
            drainTimeout: .milliseconds(Int64(drainSeconds * 1000)))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await client?.shutdown()
            throw error
        }
        try? await client?.shutdown()
    }
}

extension MediaPodCommand {
    /// "4h", "30m", "90s", "500ms" or plain seconds → seconds.
    static func seconds(_ text: String) -> Double? {
        for (suffix, scale) in [("ms", 0.001), ("h", 3600.0), ("m", 60.0), ("s", 1.0)] where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).flatMap { $0 >= 0 ? $0 * scale : nil }
        }
        return Double(text).flatMap { $0 >= 0 ? $0 : nil }
    }
}

/// Where the pod's broadcasts come from: static manifests or the cluster.
protocol BroadcastSource: Sendable {
    /// Hands each new desired set of broadcasts to `apply` until cancelled.
    func watch(apply: @escaping @Sendable ([BroadcastRuntime]) -> Void) async
    /// Reports what the engine runs back to where the broadcasts came from, until cancelled.
    func reportStatus(of engine: MediaEngine) async
    /// Tells where the broadcasts come from that this pod drains (takes nothing new).
    func announceDraining() async
}

extension StaticManifestWatcher: BroadcastSource {
    /// Static manifests have no status to write: `/v1/broadcasts` is the report.
    func reportStatus(of engine: MediaEngine) async {}
    func announceDraining() async {}
}
extension ClusterBroadcastSource: BroadcastSource {}

/// Binds the HTTP and UDP ports, runs until graceful shutdown, then closes every session.
struct MediaPodServer: Service {
    let engine: MediaEngine
    let metrics: MediaPodMetrics
    let logger: Logger
    let initialBroadcasts: [BroadcastRuntime]
    let source: any BroadcastSource
    let httpHost: String
    let httpPort: Int
    let udpHost: String
    let udpPort: Int
    let rateLimiter: RateLimiter
    let health: HealthReporter
    let drainTimeout: Duration

    func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let transport = UdpTransport(engine: engine, logger: logger)
        transport.send(engine.setBroadcasts(initialBroadcasts, now: .now))
        try await transport.bind(host: udpHost, port: udpPort, group: group)
        let routes = Routes(engine: engine, transport: transport, metrics: metrics, rateLimiter: rateLimiter,
                            health: health, logger: logger)
        let http = HttpServer(maxBodyBytes: 64 * 1024) { routes.respond(to: $0) }
        let channel = try await http.bind(host: httpHost, port: httpPort, group: group)
        logger.info("media pod listening", metadata: ["http": "\(httpHost):\(httpPort)", "udp": "\(udpHost):\(udpPort)"])
        let watching = Task { [engine, source] in
            await source.watch { runtimes in transport.send(engine.setBroadcasts(runtimes, now: .now)) }
        }
        let reporting = Task { [engine, source] in await source.reportStatus(of: engine) }
        try? await gracefulShutdown()
        await drain()
        watching.cancel()
        reporting.cancel()
        logger.info("shutting down")
        let (output, closing) = engine.shutdown()
        transport.send(output)
        // Let each destination end its RTMP stream cleanly (FLV trailer) before the process goes.
        let deadline = ContinuousClock.now + .seconds(5)
        while closing.contains(where: { !$0.isFinished }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        try? await channel.close()
        await transport.close()
    }

    /// DESIGN.md §4: on SIGTERM the pod says it is draining (`/health`, `/readyz` 503, the metric, and in cluster
    /// mode the `media.streamlick.io/draining` annotation, so the operator places nothing new here and does not move
    /// what runs), keeps its live broadcasts until they end, and stops then — or at `--drain-timeout`, or on a
    /// second SIGTERM/SIGINT.
    private func drain() async {
        health.draining.store(true, ordering: .relaxed)
        metrics.draining.record(1)
        let live = { engine.snapshot().filter(\.publisherConnected).count }
        guard live() > 0 else { return }
        logger.info("draining: keeping live broadcasts until they end", metadata: [
            "live": "\(live())", "timeout": "\(drainTimeout)"])
        await source.announceDraining()
        let secondSignal = SignalFlag(signals: [SIGTERM, SIGINT])
        let deadline = ContinuousClock.now + drainTimeout
        while live() > 0 {
            if secondSignal.isRaised {
                logger.info("second signal: stopping without waiting for the live broadcasts")
                break
            }
            if ContinuousClock.now >= deadline {
                logger.info("drain timeout: stopping", metadata: ["live": "\(live())"])
                break
            }
            // A cancellation (the service group giving up) ends the drain too.
            do { try await Task.sleep(for: .milliseconds(200)) } catch { break }
        }
        secondSignal.cancel()
    }
}

/// Notices SIGTERM/SIGINT from now on (the service group consumed the first one).
final class SignalFlag: Sendable {
    private final class Raised: Sendable {
        let value = Atomic<Bool>(false)
    }

    private let raised = Raised()
    private let sources: [SignalSource]

    private struct SignalSource: @unchecked Sendable {
        let source: DispatchSourceSignal
    }

    init(signals: [Int32]) {
        let raised = raised
        sources = signals.map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { raised.value.store(true, ordering: .relaxed) }
            source.resume()
            return SignalSource(source: source)
        }
    }

    var isRaised: Bool { raised.value.load(ordering: .relaxed) }

    func cancel() {
        for entry in sources { entry.source.cancel() }
    }
}
