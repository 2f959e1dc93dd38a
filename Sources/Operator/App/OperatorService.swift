import Foundation
import HTTPServing
import NIOHTTP1
import Kube
import Logging
import NIOPosix
import ServiceLifecycle

/// The operator process: `/metrics` and `/healthz`, the informers, leader election and the workers, until
/// graceful shutdown (SIGTERM/SIGINT), when the Lease is released so a standby takes over at once.
struct OperatorService: Service {
    let controller: BroadcastController
    let elector: LeaderElector?
    let metrics: OperatorMetrics
    let workers: Int
    let metricsHost: String
    let metricsPort: Int
    let logger: Logger

    func run() async throws {
        let http = HttpServer(maxBodyBytes: 4096) { [controller, metrics] request in
            switch (request.method, request.path) {
            case (.GET, "/healthz"), (.GET, "/readyz"), (.GET, "/livez"):
                return .text(.ok, "ok")
            case (.GET, "/metrics"):
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
                return HttpResponse(status: .ok, headers: headers,
                                    body: metrics.render(phaseCounts: controller.phaseCounts()))
            default:
                return .text(.notFound, "not found: \(request.path) (try /metrics or /healthz)")
            }
        }
        let channel = try await http.bind(host: metricsHost, port: metricsPort, group: MultiThreadedEventLoopGroup.singleton)
        logger.info("serving /metrics and /healthz", metadata: ["address": "\(metricsHost):\(metricsPort)"])
        metrics.isLeader(false)

        let informers = Task { await controller.runInformers() }
        let leading = Task { try await lead() }
        try? await gracefulShutdown()
        leading.cancel()
        _ = await leading.result
        informers.cancel()
        await informers.value
        if let elector { await elector.release() }
        try? await channel.close()
        logger.info("stopped")
    }

    /// Waits for the caches and the Lease, then runs the workers until cancelled; exits the process when the
    /// Lease is lost, as client-go's controllers do: a restart is the one clean way back to a consistent standby.
    private func lead() async throws {
        while !controller.hasSynced {
            try await Task.sleep(for: .milliseconds(20))
        }
        if let elector { try await elector.acquire() }
        metrics.isLeader(true)
        logger.info("controllers started", metadata: [
            "broadcasts": "\(controller.broadcasts.count)", "mediaPods": "\(controller.pods.count)", "workers": "\(workers)",
        ])
        let working = Task { await controller.runWorkers(workers) }
        if let elector {
            await elector.holdLease()
            if !Task.isCancelled {
                logger.critical("lost the lease; exiting so that only the new leader acts")
                exit(1)
            }
        } else {
            try? await Task.sleep(for: .seconds(Int64.max / 2_000_000_000))
        }
        working.cancel()
        await working.value
    }
}
