import CoreMetrics
typealias Gauge = CoreMetrics.Gauge
typealias Counter = CoreMetrics.Counter
import Prometheus
import Synchronization
import WebRTC

/// The pod's Prometheus metrics (DESIGN.md §4 names are fixed). Metrics are swift-metrics handles backed by
/// one Prometheus registry that `/metrics` renders; no global bootstrap, so tests can make as many as they like.
final class MediaPodMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    let activeStreams: Gauge
    let capacity: Gauge
    let draining: Gauge
    let ingestPacketsLost: Counter
    let whipRequests: @Sendable (_ status: Int) -> Counter
    private let streamingMethods: [String: Gauge]
    private let droppedDatagrams: [UdpDemultiplexer.DropReason: Counter]
    private let srtpAuthFailures: Counter
    private let destinationReconnects: Counter
    private let egressBytes = Mutex<[String: Counter]>([:])
    /// Last totals pushed into counters whose source of truth is a running total elsewhere.
    private let reported = Mutex(ReportedTotals())

    private struct ReportedTotals {
        var dropped: [UdpDemultiplexer.DropReason: Int] = [:]
        var packetsLost = 0
        var srtpAuthFailures = 0
        /// "namespace/name/destination" → counters as last seen.
        var egressBytes: [String: Int64] = [:]
        var reconnects: [String: Int] = [:]
    }

    init(capacity podCapacity: Int) {
        let factory = PrometheusMetricsFactory(registry: registry)
        self.factory = factory
        activeStreams = Gauge(label: "media_server_active_streams", factory: factory)
        capacity = Gauge(label: "media_server_capacity", factory: factory)
        draining = Gauge(label: "media_pod_draining", factory: factory)
        ingestPacketsLost = Counter(label: "media_pod_ingest_packets_lost_total", factory: factory)
        srtpAuthFailures = Counter(label: "media_pod_srtp_auth_failures_total", factory: factory)
        destinationReconnects = Counter(label: "media_pod_destination_reconnects_total", factory: factory)
        streamingMethods = Dictionary(uniqueKeysWithValues: ["rtmp", "relay"].map { method in
            (method, Gauge(label: "media_server_streaming_method", dimensions: [("method", method)], factory: factory))
        })
        droppedDatagrams = Dictionary(uniqueKeysWithValues: UdpDemultiplexer.DropReason.allCases.map { reason in
            (reason, Counter(label: "media_pod_udp_datagrams_dropped_total", dimensions: [("reason", reason.rawValue)], factory: factory))
        })
        whipRequests = { status in
            Counter(label: "media_pod_whip_requests_total", dimensions: [("code", String(status))], factory: factory)
        }
        capacity.record(podCapacity)
        draining.record(0)
        // Render every series from the start, so a scrape before the first event still shows them.
        for counter in droppedDatagrams.values { counter.increment(by: 0) }
        ingestPacketsLost.increment(by: 0)
        srtpAuthFailures.increment(by: 0)
        destinationReconnects.increment(by: 0)
    }

    /// Brings gauges and counters up to date with the engine; called right before each scrape.
    func refresh(from engine: MediaEngine) {
        let broadcasts = engine.snapshot()
        let running = broadcasts.filter { $0.failure == nil }
        activeStreams.record(running.count)
        for (method, gauge) in streamingMethods {
            gauge.record(running.filter { $0.method == method }.count)
        }
        let dropped = engine.droppedDatagrams()
        let packetsLost = broadcasts.reduce(0) { $0 + $1.statistics.packetsLost }
        let authFailures = broadcasts.reduce(0) { $0 + $1.statistics.srtpAuthFailures }
        reported.withLock { last in
            for (reason, count) in dropped where count > last.dropped[reason, default: 0] {
                droppedDatagrams[reason]?.increment(by: count - last.dropped[reason, default: 0])
            }
            last.dropped = dropped
            if packetsLost > last.packetsLost { ingestPacketsLost.increment(by: packetsLost - last.packetsLost) }
            last.packetsLost = max(last.packetsLost, packetsLost)
            if authFailures > last.srtpAuthFailures { srtpAuthFailures.increment(by: authFailures - last.srtpAuthFailures) }
            last.srtpAuthFailures = max(last.srtpAuthFailures, authFailures)
            for broadcast in broadcasts {
                for destination in broadcast.destinations {
                    // The label is the destination's name from the spec, never its URL (which holds the key).
                    let id = "\(broadcast.namespace)/\(broadcast.name)/\(destination.name)"
                    let sent = destination.bytesSent - last.egressBytes[id, default: 0]
                    if sent > 0 { egressCounter(destination.name).increment(by: Int(sent)) }
                    last.egressBytes[id] = max(destination.bytesSent, last.egressBytes[id, default: 0])
                    let reconnects = destination.reconnects - last.reconnects[id, default: 0]
                    if reconnects > 0 { destinationReconnects.increment(by: reconnects) }
                    last.reconnects[id] = max(destination.reconnects, last.reconnects[id, default: 0])
                }
            }
        }
    }

    private func egressCounter(_ destination: String) -> Counter {
        egressBytes.withLock { counters in
            if let counter = counters[destination] { return counter }
            let counter = Counter(label: "media_pod_egress_bytes_total", dimensions: [("destination", destination)], factory: factory)
            counters[destination] = counter
            return counter
        }
    }

    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
