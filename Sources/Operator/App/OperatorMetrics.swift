import BroadcastAPI
import Prometheus
import Synchronization

/// The operator's `/metrics` (issue 6, DESIGN.md §5): reconciles and errors per controller, queue depth, the
/// schedule latency (first sight of an unscheduled Broadcast → its assignment written), broadcasts per phase and
/// whether this process leads. One registry, no global bootstrap, so tests can make as many as they like.
public final class OperatorMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let reconciles: [String: (success: Counter, error: Counter)]
    private let queueDepths: [String: Gauge]
    private let scheduleLatency: DurationHistogram
    private let phases: [BroadcastStatus.Phase: Gauge]
    private let leader: Gauge

    public static let controllers = ["broadcast", "pod"]

    public init() {
        let registry = registry
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "broadcast_operator", metricName: metric, unitName: unit, helpText: help)
        }
        let reconcileName = name("reconciles", "total", "Reconciles per controller and result.")
        reconciles = Dictionary(uniqueKeysWithValues: Self.controllers.map { controller in
            (controller, (
                registry.makeCounter(descriptor: reconcileName, labels: [("controller", controller), ("result", "success")]),
                registry.makeCounter(descriptor: reconcileName, labels: [("controller", controller), ("result", "error")])))
        })
        let depthName = name("queue_depth", "", "Keys waiting in the work queue.")
        queueDepths = Dictionary(uniqueKeysWithValues: Self.controllers.map { controller in
            (controller, registry.makeGauge(descriptor: depthName, labels: [("controller", controller)]))
        })
        scheduleLatency = registry.makeDurationHistogram(
            descriptor: name("schedule_latency", "seconds", "From first sight of an unscheduled Broadcast to its assignment written."),
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                      .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)])
        let phaseName = name("broadcasts", "", "Broadcasts in the cache per status.phase.")
        phases = Dictionary(uniqueKeysWithValues: [BroadcastStatus.Phase.pending, .scheduled, .live, .failed, .ended].map {
            phase in (phase, registry.makeGauge(descriptor: phaseName, labels: [("phase", phase.rawValue)]))
        })
        leader = registry.makeGauge(descriptor: name("is_leader", "", "1 while this process holds the Lease and runs the workers."))
    }

    func reconciled(_ controller: String, success: Bool) {
        guard let counters = reconciles[controller] else { return }
        (success ? counters.success : counters.error).increment()
    }

    func queueDepth(_ controller: String, _ depth: Int) {
        queueDepths[controller]?.set(to: Double(depth))
    }

    func scheduled(after latency: Duration) {
        scheduleLatency.record(latency)
    }

    func isLeader(_ leading: Bool) {
        leader.set(to: leading ? 1 : 0)
    }

    /// The Prometheus text, with the per-phase counts taken now.
    func render(phaseCounts: [BroadcastStatus.Phase: Int]) -> [UInt8] {
        for (phase, gauge) in phases { gauge.set(to: Double(phaseCounts[phase] ?? 0)) }
        return registry.emitToBuffer()
    }
}
